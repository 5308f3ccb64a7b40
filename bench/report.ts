/**
 * The TPC-H benchmark's outputs: a Markdown table (what bench/RESULTS.md records) and the
 * per-run CSV (query, engine, run, ms, rows). The subject is Spillway; the reference is DuckDB
 * or Spillway with other workers, and the report names it by the report's labels.
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
  const shown = o.subject[0]?.rows ?? o.reference[0]?.rows;
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

/** The subject's median over the reference's, when both ran. */
export function ratioOf(o: QueryOutcome): number | null {
  if (o.subject.length === 0 || o.reference.length === 0) return null;
  return median(o.subject.map((r) => r.ms)) / median(o.reference.map((r) => r.ms));
}

/** The paired ratio of a query: over the runs both engines completed, subject ms / reference ms of the same run. */
export interface PairedRatio {
  median: number;
  min: number;
  max: number;
  pairs: number;
}

/**
 * Median, min and max over runs of (subject ms / reference ms) of the same run: the two ran
 * back to back, so load that drifts between runs divides out, which a ratio of medians keeps.
 */
export function pairedRatioOf(o: Pick<QueryOutcome, 'subject' | 'reference'>): PairedRatio | null {
  const reference = new Map(o.reference.map((r) => [r.run, r.ms]));
  const ratios: number[] = [];
  for (const s of o.subject) {
    const ref = reference.get(s.run);
    if (ref !== undefined && ref > 0) ratios.push(s.ms / ref);
  }
  if (ratios.length === 0) return null;
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), pairs: ratios.length };
}

/** A paired ratio above this counts as "slower by more than 10%". */
export const SLOWER_THRESHOLD = 1.1;

/** The TPC-H queries (not the probes) whose paired median ratio is above SLOWER_THRESHOLD, in report order. */
export function slowerQueries(rep: Pick<TpchBenchReport, 'outcomes'>): string[] {
  return rep.outcomes
    .filter((o) => !o.query.probe && (pairedRatioOf(o)?.median ?? 0) > SLOWER_THRESHOLD)
    .map((o) => o.query.name);
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

function pairedCell(o: QueryOutcome): string {
  const p = pairedRatioOf(o);
  if (p === null) return '–';
  return p.pairs === 1 ? p.median.toFixed(2) : `${p.median.toFixed(2)} [${p.min.toFixed(2)}–${p.max.toFixed(2)}]`;
}

/** The reason the first run that asked for workers ran in the coordinator instead, if any did. */
function ranLocally(runs: readonly RunRecord[]): string | null {
  return runs.find((r) => r.ranLocally !== null)?.ranLocally ?? null;
}

export function formatReport(rep: TpchBenchReport): string {
  const { subject: S, reference: R, ratio } = rep.labels;
  const lines: string[] = [];
  const reference = rep.referenceDescription ?? `${R} not run (${rep.referenceSkipped ?? 'disabled'})`;
  lines.push(`Data: ${rep.data} (queries: ${rep.queriesDir})`);
  lines.push(`Subject: ${rep.subjectSkipped !== null ? `Spillway not run: ${rep.subjectSkipped}` : rep.subjectDescription}; reference: ${reference}`);
  lines.push(`Runs: ${rep.runs} measured after ${rep.warmup} warmup; in each run both engines ran back to back, the subject first in odd runs and the reference first in even runs; times are wall ms per statement, median [min–max]`);
  lines.push(`Paired ${ratio}: median [min–max] over runs of (${S} ms / ${R} ms) of the same run; ${ratio}: ratio of the medians`);
  lines.push(`Load average (1/5/15 min): ${rep.loadBefore} before, ${rep.loadAfter} after`);
  lines.push(`Scan ms: time inside Parquet scans${rep.distributed ? ', summed over tasks that run side by side (so the share can pass 100%)' : ''}; share = of ${S}'s median`);
  lines.push('');
  lines.push(`| query | rows | ${S} ms | scan ms (share) | pool peak MiB | ${R} ms | ${ratio} | paired ${ratio} |`);
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|');
  const subjectNotes = new Map<string, string>();
  const referenceNotes = new Map<string, string>();
  for (const o of rep.outcomes) {
    const r = ratioOf(o);
    const local = ranLocally(o.subject);
    const refLocal = ranLocally(o.reference);
    if (local !== null) subjectNotes.set(o.query.name, local);
    if (refLocal !== null) referenceNotes.set(o.query.name, refLocal);
    const marks = `${local !== null ? ' †' : ''}${refLocal !== null ? ' ‡' : ''}`;
    lines.push(`| ${o.query.name}${marks} | ${rowsCell(o)} | ${timeCell(o.subject, o.errors.subject)} | ${scanCell(o.subject)} | ${peakCell(o.subject)} | ${timeCell(o.reference, o.errors.reference)} | ${r === null ? '–' : fmtRatio(r)} | ${pairedCell(o)} |`);
  }
  const both = rep.outcomes.filter((o) => !o.query.probe && ratioOf(o) !== null);
  const tpch = rep.outcomes.filter((o) => !o.query.probe && o.subject.length > 0);
  if (tpch.length > 0) {
    const sumS = tpch.reduce((n, o) => n + median(o.subject.map((r) => r.ms)), 0);
    let summary = `${S}: ${tpch.length} queries, sum of medians ${fmtMs(sumS)} ms`;
    if (both.length > 0) {
      const sumSBoth = both.reduce((n, o) => n + median(o.subject.map((r) => r.ms)), 0);
      const sumR = both.reduce((n, o) => n + median(o.reference.map((r) => r.ms)), 0);
      const geo = Math.exp(both.reduce((n, o) => n + Math.log(ratioOf(o)!), 0) / both.length);
      summary += `. On the ${both.length} queries both ran: ${S} ${fmtMs(sumSBoth)} ms, ${R} ${fmtMs(sumR)} ms (${fmtRatio(sumSBoth / sumR)}); geometric mean of the ratios ${fmtRatio(geo)}`;
      // Between two Spillway modes, the queries one mode slows down (against DuckDB every query is slower).
      if (rep.referenceIsSpillway) {
        const slower = slowerQueries(rep);
        summary += `. Slower by more than 10% (paired ${ratio} median above ${SLOWER_THRESHOLD.toFixed(2)}): ${slower.length} of ${both.length}${slower.length > 0 ? ` (${slower.join(', ')})` : ''}`;
      }
    }
    lines.push('');
    lines.push(summary + '.');
  }
  for (const [q, why] of subjectNotes) lines.push(`† ${q} ran in the coordinator process, not on the workers, in ${S}: ${why}`);
  for (const [q, why] of referenceNotes) lines.push(`‡ ${q} ran in the coordinator process, not on the workers, in ${R}: ${why}`);
  const mismatches = rep.outcomes.flatMap((o) => o.mismatches);
  const failures = rep.outcomes.flatMap((o) => Object.entries(o.errors).map(([role, msg]) => `${o.query.name} ${role === 'subject' ? S : R}: ${msg}`));
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

/**
 * query,engine,run,ms,rows — one line per measured run (warmups and failed runs left out), in
 * the order they ran. engine: `spillway` (the subject), and `duckdb` or, with
 * --against-workers W, `spillway-wW` (`spillway-host:port+host:port` for addresses).
 */
export function formatCsv(rep: TpchBenchReport): string {
  const lines = ['query,engine,run,ms,rows'];
  for (const o of rep.outcomes) {
    for (const r of [...o.subject, ...o.reference].sort((a, b) => a.startMs - b.startMs)) {
      lines.push(`${r.query},${r.engine},${r.run},${r.ms.toFixed(3)},${r.rows}`);
    }
  }
  return lines.join('\n') + '\n';
}
