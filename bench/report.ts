/**
 * The TPC-H benchmark's outputs: a Markdown table (what bench/RESULTS.md records) and the
 * per-run CSV (query, engine, run, ms, rows).
 */
import { median, type QueryOutcome, type RunRecord, type TpchBenchReport } from './tpch_bench.js';

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function timeCell(runs: readonly RunRecord[], error: string | undefined): string {
  const failed = error !== undefined ? `FAILED: ${error.replace(/\|/g, '/')}` : '';
  if (runs.length === 0) return failed || '–';
  const ms = runs.map((r) => r.ms);
  const cell = runs.length === 1 ? fmtMs(ms[0]!) : `${fmtMs(median(ms))} [${fmtMs(Math.min(...ms))}–${fmtMs(Math.max(...ms))}]`;
  return failed ? `${cell} (then ${failed})` : cell;
}

function rowsCell(o: QueryOutcome): string {
  const s = o.spillway[0]?.rows;
  const d = o.duckdb[0]?.rows;
  const shown = s ?? d;
  const text = shown === undefined ? '–' : String(shown);
  return o.mismatches.length > 0 ? `**${text} MISMATCH**` : text;
}

function scanCell(runs: readonly RunRecord[]): string {
  const scans = runs.map((r) => r.scanMs).filter((v): v is number => v !== null);
  if (scans.length === 0) return '–';
  const scan = median(scans);
  const total = median(runs.map((r) => r.ms));
  return `${fmtMs(scan)} (${Math.round((100 * scan) / total)}%)`;
}

function peakCell(runs: readonly RunRecord[]): string {
  const peaks = runs.map((r) => r.peakMemoryBytes).filter((v): v is number => v !== null);
  return peaks.length === 0 ? '–' : (Math.max(...peaks) / 2 ** 20).toFixed(1);
}

/** Spillway's median over DuckDB's, when both ran. */
export function ratioOf(o: QueryOutcome): number | null {
  if (o.spillway.length === 0 || o.duckdb.length === 0) return null;
  return median(o.spillway.map((r) => r.ms)) / median(o.duckdb.map((r) => r.ms));
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(1)}×`;
}

export function formatReport(rep: TpchBenchReport): string {
  const lines: string[] = [];
  const duck = rep.duckdbDescription ?? `not run (${rep.duckdbSkipped ?? 'disabled'})`;
  lines.push(`Data: ${rep.data} (queries: ${rep.queriesDir})`);
  lines.push(`Spillway: ${rep.spillwaySkipped !== null ? `not run: ${rep.spillwaySkipped}` : rep.spillwayDescription}; DuckDB: ${duck}`);
  lines.push(`Runs: ${rep.runs} measured after ${rep.warmup} warmup, engines interleaved; times are wall ms per statement, median [min–max]`);
  lines.push(`Load average (1/5/15 min): ${rep.loadBefore} before, ${rep.loadAfter} after`);
  lines.push(`Scan ms: time inside Parquet scans${rep.distributed ? ', summed over tasks that run side by side (so the share can pass 100%)' : ''}; share = of Spillway's median`);
  lines.push('');
  lines.push('| query | rows | Spillway ms | scan ms (share) | pool peak MiB | DuckDB ms | Spillway/DuckDB |');
  lines.push('|---|--:|--:|--:|--:|--:|--:|');
  const localNotes = new Map<string, string>();
  for (const o of rep.outcomes) {
    const ratio = ratioOf(o);
    const local = o.spillway.find((r) => r.ranLocally !== null)?.ranLocally ?? null;
    if (local !== null) localNotes.set(o.query.name, local);
    lines.push(`| ${o.query.name}${local !== null ? ' †' : ''} | ${rowsCell(o)} | ${timeCell(o.spillway, o.errors.spillway)} | ${scanCell(o.spillway)} | ${peakCell(o.spillway)} | ${timeCell(o.duckdb, o.errors.duckdb)} | ${ratio === null ? '–' : fmtRatio(ratio)} |`);
  }
  const both = rep.outcomes.filter((o) => !o.query.probe && ratioOf(o) !== null);
  const tpch = rep.outcomes.filter((o) => !o.query.probe && o.spillway.length > 0);
  if (tpch.length > 0) {
    const sumS = tpch.reduce((n, o) => n + median(o.spillway.map((r) => r.ms)), 0);
    let summary = `Spillway: ${tpch.length} queries, sum of medians ${fmtMs(sumS)} ms`;
    if (both.length > 0) {
      const sumSBoth = both.reduce((n, o) => n + median(o.spillway.map((r) => r.ms)), 0);
      const sumD = both.reduce((n, o) => n + median(o.duckdb.map((r) => r.ms)), 0);
      const geo = Math.exp(both.reduce((n, o) => n + Math.log(ratioOf(o)!), 0) / both.length);
      summary += `. On the ${both.length} queries both ran: Spillway ${fmtMs(sumSBoth)} ms, DuckDB ${fmtMs(sumD)} ms (${fmtRatio(sumSBoth / sumD)}); geometric mean of the ratios ${fmtRatio(geo)}`;
    }
    lines.push('');
    lines.push(summary + '.');
  }
  for (const [q, why] of localNotes) lines.push(`† ${q} ran in the coordinator process, not on the workers: ${why}`);
  const mismatches = rep.outcomes.flatMap((o) => o.mismatches);
  const failures = rep.outcomes.flatMap((o) => Object.entries(o.errors).map(([engine, msg]) => `${o.query.name} ${engine}: ${msg}`));
  if (failures.length > 0) {
    lines.push('');
    lines.push('Failures:');
    for (const f of failures) lines.push(`- ${f}`);
  }
  if (mismatches.length > 0) {
    lines.push('');
    for (const m of mismatches) lines.push(`!! ${m}`);
  }
  return lines.join('\n') + '\n';
}

/** query,engine,run,ms,rows — one line per measured run (warmups and failed runs left out). */
export function formatCsv(rep: TpchBenchReport): string {
  const lines = ['query,engine,run,ms,rows'];
  for (const o of rep.outcomes) {
    for (const r of [...o.spillway, ...o.duckdb].sort((a, b) => a.run - b.run || a.engine.localeCompare(b.engine))) {
      lines.push(`${r.query},${r.engine},${r.run},${r.ms.toFixed(3)},${r.rows}`);
    }
  }
  return lines.join('\n') + '\n';
}
