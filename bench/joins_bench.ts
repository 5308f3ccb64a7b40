/**
 * The join strategy sweep (`spillway bench joins`): when does broadcasting the build side
 * beat partitioning both sides, and does `auto` pick the faster one?
 *
 *   tables   build_<B>(k int, v bigint) and probe_<P>(k int, v bigint) as Parquet, 8 row
 *            groups each (enough scan units for every worker), written once under --data
 *   points   every (B, P) of --build-rows × --probe-rows; x = B / P (same schema, so the
 *            row ratio is the byte ratio of what the exchanges move)
 *   runs     per worker count N and point: `runs` rounds, each running every strategy once
 *            (interleaved, so a change of load hits them alike), after one warm-up query
 *   record   per run: elapsed ms, bytes sent (Σ wire bytes of the query's exchange edges,
 *            QueryResult.stats.edges), the strategy the plan used (a broadcast edge or not)
 *
 * Model: broadcasting sends B to the N − 1 other workers, B·(N − 1); partitioning sends
 * the share of both sides that lives elsewhere, (B + P)·(N − 1)/N. They cross at
 * B·N = B + P, i.e. B = P / (N − 1): the vertical line of each N on the charts.
 *
 * Writes DIR/results.csv, DIR/time.svg, DIR/bytes.svg and DIR/index.html, and returns the
 * summary (how often `auto` chose the faster strategy, counting only the points where
 * broadcast and partitioned differ by more than 10 %).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedColumn, makeBatch, type Batch } from '../src/columnar/column.js';
import { SpillwayError } from '../src/common/errors.js';
import type { EdgeFigures } from '../src/common/figures.js';
import { field, schema } from '../src/common/types.js';
import { Spillway } from '../src/index.js';
import { writeParquet } from '../src/storage/parquet_writer.js';
import { escapeXml, renderLineChart, type ChartMarker, type ChartSeries, type ChartVertical } from './svg_chart.js';

export type JoinStrategy = 'broadcast' | 'partitioned' | 'auto';
export const STRATEGIES: readonly JoinStrategy[] = ['broadcast', 'partitioned', 'auto'];
export type SweepMode = 'threads' | 'processes';

/**
 * The settings that run `strategy`: SET join_strategy (auto keeps the cost model and the
 * adaptive switch), with the exchange_heavy and small_work guards off, since they would keep
 * some points in one thread and the sweep compares distributed strategies.
 */
export function strategySettings(strategy: JoinStrategy): Record<string, string> {
  return { join_strategy: `'${strategy}'`, distribute_max_exchange_ratio: '0', distribute_min_decoded_bytes: '0' };
}

export interface JoinsBenchOptions {
  workers: readonly number[];
  buildRows: readonly number[];
  probeRows: readonly number[];
  runs: number;
  out: string;
  /** Where the tables go (kept, reused when present); default DIR/data. */
  data?: string;
  mode: SweepMode;
  log?: (line: string) => void;
}

export interface JoinRun {
  workers: number;
  mode: SweepMode;
  buildRows: number;
  buildBytes: number;
  probeRows: number;
  probeBytes: number;
  strategy: JoinStrategy;
  /** What the plan did: broadcast, partitioned, or local (it ran in one process). */
  chosen: string;
  run: number;
  elapsedMs: number;
  bytesSent: number;
}

export interface PointSummary {
  workers: number;
  buildRows: number;
  probeRows: number;
  ratio: number;
  /** Median elapsed ms per strategy. */
  medianMs: Record<JoinStrategy, number>;
  medianBytes: Record<JoinStrategy, number>;
  faster: 'broadcast' | 'partitioned';
  /**
   * The forced strategies really ran as forced (with one worker both plans are the same
   * local join) and |broadcast − partitioned| > 10 % of the slower one: the points that
   * judge `auto`.
   */
  clear: boolean;
  /** The strategy auto used in most of its runs. */
  autoChose: string;
}

export interface JoinsBenchReport {
  runs: JoinRun[];
  points: PointSummary[];
  /** Per worker count: the model's crossover ratio (null for N = 1) and the measured one (null when none). */
  crossovers: { workers: number; model: number | null; measured: number | null }[];
  autoRight: number;
  autoCounted: number;
  files: string[];
}

export const QUERY = (b: number, p: number) =>
  `select count(*) as matches, sum(p.v + b.v) as total from probe_${p} p join build_${b} b on p.k = b.k`;

const ROW_GROUPS = 8;
const JOIN_SCHEMA = schema([field('k', 'int32', false), field('v', 'int64', false)]);

/** Table `name` with `rows` rows: k by `key(i)`, v = i; written once (an existing file is kept). */
async function writeTable(dir: string, name: string, rows: number, key: (i: number) => number): Promise<number> {
  const path = nodePath.join(dir, `${name}.parquet`);
  if (!existsSync(path)) {
    const groupRows = Math.max(1, Math.ceil(rows / ROW_GROUPS));
    const batches = function* (): Generator<Batch> {
      for (let start = 0; start < rows; start += groupRows) {
        const n = Math.min(groupRows, rows - start);
        const k = new Int32Array(n), v = new BigInt64Array(n);
        for (let i = 0; i < n; i++) { k[i] = key(start + i); v[i] = BigInt(start + i); }
        yield makeBatch(JOIN_SCHEMA, [fixedColumn('int32', k), fixedColumn('int64', v)], n);
      }
    };
    await writeParquet(path, batches(), JOIN_SCHEMA, { rowGroupSize: groupRows, compression: 'none' });
  }
  return statSync(path).size;
}

/**
 * build_<B>: keys 0..B−1; probe_<P>: keys spread over 0..P−1 by a multiplicative hash, so
 * a probe row matches when its key is below B.
 */
export async function writeJoinTables(dir: string, buildRows: readonly number[], probeRows: readonly number[]): Promise<Map<string, number>> {
  mkdirSync(dir, { recursive: true });
  const bytes = new Map<string, number>();
  for (const b of new Set(buildRows)) bytes.set(`build_${b}`, await writeTable(dir, `build_${b}`, b, (i) => i));
  for (const p of new Set(probeRows)) bytes.set(`probe_${p}`, await writeTable(dir, `probe_${p}`, p, (i) => Number((BigInt(i) * 2654435761n) % BigInt(p))));
  return bytes;
}

/** What the query's plan did, from its exchange edges. */
export function chosenStrategy(edges: readonly EdgeFigures[]): string {
  if (edges.length === 0) return 'local';
  if (edges.some((e) => e.partitioning === 'broadcast')) return 'broadcast';
  if (edges.some((e) => e.partitioning === 'hash')) return 'partitioned';
  return 'other';
}

// ---------------------------------------------------------------------------------------
// Worker processes (mode processes): `spillway worker` on loopback
// ---------------------------------------------------------------------------------------

interface WorkerProc { proc: ChildProcess; address: string; spillDir: string }

/** The compiled worker entry, seen from dist/bench/ or from bench/ (tests run sources). */
function workerMain(): string {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../dist/src/cli/worker_main.js', here) : new URL('../src/cli/worker_main.js', here);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new SpillwayError('config', `the compiled worker entry ${path} is missing: build first (npm run build)`);
  return path;
}

async function startWorker(dataRoot: string): Promise<WorkerProc> {
  const spillDir = mkdtempSync(nodePath.join(tmpdir(), 'spillway-joins-worker-'));
  const proc = spawn(process.execPath, [workerMain(), '--port', '0', '--listen', '127.0.0.1', '--data-root', dataRoot, '--spill-dir', spillDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 10_000) err = err.slice(-5_000); });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SpillwayError('remote', `a worker process did not start within 20 s: ${err.trim()}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /spillway worker listening on \S+:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(`127.0.0.1:${m[1]}`); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new SpillwayError('remote', `a worker process exited with ${code} before listening: ${err.trim()}`)); });
  });
  return { proc, address, spillDir };
}

async function stopWorkers(workers: readonly WorkerProc[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    if (w.proc.exitCode === null && w.proc.signalCode === null) {
      const exited = new Promise((r) => w.proc.once('exit', r));
      w.proc.kill('SIGTERM');
      const timer = setTimeout(() => w.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(w.spillDir, { recursive: true, force: true });
  }));
}

// ---------------------------------------------------------------------------------------
// The sweep
// ---------------------------------------------------------------------------------------

export async function runJoinsBench(opts: JoinsBenchOptions): Promise<JoinsBenchReport> {
  const log = opts.log ?? (() => {});
  const data = nodePath.resolve(opts.data ?? nodePath.join(opts.out, 'data'));
  mkdirSync(opts.out, { recursive: true });
  log(`writing tables under ${data}`);
  const tableBytes = await writeJoinTables(data, opts.buildRows, opts.probeRows);
  const points: [number, number][] = [];
  for (const b of opts.buildRows) for (const p of opts.probeRows) points.push([b, p]);
  const runs: JoinRun[] = [];
  const processes: WorkerProc[] = [];
  try {
    if (opts.mode === 'processes') {
      const n = Math.max(...opts.workers);
      log(`starting ${n} worker process${n === 1 ? '' : 'es'} on loopback`);
      processes.push(...await Promise.all(Array.from({ length: n }, () => startWorker(data))));
    }
    for (const n of opts.workers) {
      const db = await Spillway.create({
        tables: data,
        workers: opts.mode === 'threads' ? n : processes.slice(0, n).map((w) => w.address),
        settings: { force_distribution: true },
      });
      try {
        for (const [b, p] of points) {
          const sql = QUERY(b, p);
          await db.sql(sql); // warm-up: starts the threads, loads the code paths
          for (let r = 1; r <= opts.runs; r++) {
            for (const strategy of STRATEGIES) {
              for (const [k, v] of Object.entries(strategySettings(strategy))) await db.sql(`set ${k} = ${v}`);
              const t0 = performance.now();
              const res = await db.sql(sql);
              const elapsedMs = performance.now() - t0;
              const edges = res.stats?.edges ?? [];
              runs.push({
                workers: n, mode: opts.mode, buildRows: b, buildBytes: tableBytes.get(`build_${b}`)!, probeRows: p, probeBytes: tableBytes.get(`probe_${p}`)!,
                strategy, chosen: chosenStrategy(edges), run: r, elapsedMs, bytesSent: edges.reduce((s, e) => s + e.wireBytes, 0),
              });
            }
          }
          log(`workers=${n} build=${b} probe=${p}: ${opts.runs} run${opts.runs === 1 ? '' : 's'} of each strategy done`);
        }
      } finally {
        await db.close();
      }
    }
  } finally {
    await stopWorkers(processes);
  }
  return writeReport(opts, runs);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarizePoints(runs: readonly JoinRun[]): PointSummary[] {
  const groups = new Map<string, JoinRun[]>();
  for (const r of runs) {
    const k = `${r.workers}/${r.buildRows}/${r.probeRows}`;
    const g = groups.get(k);
    if (g) g.push(r); else groups.set(k, [r]);
  }
  const out: PointSummary[] = [];
  for (const g of groups.values()) {
    const of = (s: JoinStrategy) => g.filter((r) => r.strategy === s);
    const medianMs = Object.fromEntries(STRATEGIES.map((s) => [s, median(of(s).map((r) => r.elapsedMs))])) as Record<JoinStrategy, number>;
    const medianBytes = Object.fromEntries(STRATEGIES.map((s) => [s, median(of(s).map((r) => r.bytesSent))])) as Record<JoinStrategy, number>;
    const tb = medianMs.broadcast, tp = medianMs.partitioned;
    const votes = new Map<string, number>();
    for (const r of of('auto')) votes.set(r.chosen, (votes.get(r.chosen) ?? 0) + 1);
    const autoChose = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
    const first = g[0]!;
    const forced = of('broadcast').every((r) => r.chosen === 'broadcast') && of('partitioned').every((r) => r.chosen === 'partitioned');
    out.push({
      workers: first.workers, buildRows: first.buildRows, probeRows: first.probeRows, ratio: first.buildRows / first.probeRows,
      medianMs, medianBytes, faster: tb <= tp ? 'broadcast' : 'partitioned', clear: forced && Math.abs(tb - tp) > 0.1 * Math.max(tb, tp), autoChose,
    });
  }
  return out.sort((a, b) => a.workers - b.workers || a.ratio - b.ratio);
}

/** The model's crossover ratio B / P = 1 / (N − 1); none for one worker. */
export function modelCrossover(workers: number): number | null {
  return workers > 1 ? 1 / (workers - 1) : null;
}

/**
 * Where partitioned starts to win along the ratio axis: the first sign change of
 * log(t_broadcast / t_partitioned) from ≤ 0 to > 0, interpolated on log scales; null when
 * there is none.
 */
export function measuredCrossover(points: readonly PointSummary[]): number | null {
  const byRatio = new Map<number, number[]>();
  for (const p of points) {
    const d = Math.log(p.medianMs.broadcast / p.medianMs.partitioned);
    if (!Number.isFinite(d)) continue;
    const g = byRatio.get(p.ratio);
    if (g) g.push(d); else byRatio.set(p.ratio, [d]);
  }
  const line = [...byRatio.entries()].map(([r, ds]) => [r, ds.reduce((a, b) => a + b, 0) / ds.length] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < line.length; i++) {
    const [r0, d0] = line[i - 1]!, [r1, d1] = line[i]!;
    if (d0 <= 0 && d1 > 0) {
      const t = d0 === d1 ? 0.5 : -d0 / (d1 - d0);
      return Math.exp(Math.log(r0) + t * (Math.log(r1) - Math.log(r0)));
    }
  }
  return null;
}

export function formatRunsCsv(runs: readonly JoinRun[]): string {
  const lines = ['workers,mode,build_rows,build_bytes,probe_rows,probe_bytes,strategy,chosen,run,elapsed_ms,bytes_sent'];
  for (const r of runs) {
    lines.push([r.workers, r.mode, r.buildRows, r.buildBytes, r.probeRows, r.probeBytes, r.strategy, r.chosen, r.run, r.elapsedMs.toFixed(3), r.bytesSent].join(','));
  }
  return lines.join('\n') + '\n';
}

const COLORS: Record<JoinStrategy, string> = { broadcast: '#1f77b4', partitioned: '#ff7f0e', auto: '#2ca02c' };
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '1 5'];
const dashOf = (i: number) => DASHES[i % DASHES.length]!;

function charts(opts: JoinsBenchOptions, points: readonly PointSummary[], crossovers: JoinsBenchReport['crossovers']): { time: string; bytes: string } {
  const workers = [...new Set(points.map((p) => p.workers))].sort((a, b) => a - b);
  const series = (value: (p: PointSummary, s: JoinStrategy) => number): ChartSeries[] => workers.flatMap((n, i) => STRATEGIES.map((s) => {
    const dash = dashOf(i);
    const byRatio = new Map<number, number[]>();
    for (const p of points.filter((x) => x.workers === n)) {
      const g = byRatio.get(p.ratio);
      if (g) g.push(value(p, s)); else byRatio.set(p.ratio, [value(p, s)]);
    }
    return {
      // auto runs one of the other two: thinner, so the line it lies on stays visible.
      name: `${s}, ${n} worker${n === 1 ? '' : 's'}`, color: COLORS[s], width: s === 'auto' ? 1.2 : 3, ...(dash ? { dash } : {}),
      points: [...byRatio.entries()].map(([r, vs]) => [r, median(vs)] as const),
    };
  }));
  const verticals: ChartVertical[] = [];
  const markers: ChartMarker[] = [];
  crossovers.forEach((c, i) => {
    const dash = dashOf(workers.indexOf(c.workers) >= 0 ? workers.indexOf(c.workers) : i);
    if (c.model !== null) verticals.push({ x: c.model, label: `model B=P/(N−1), N=${c.workers}`, color: '#777777', ...(dash ? { dash } : {}) });
    if (c.measured !== null) markers.push({ x: c.measured, label: `measured crossover, N=${c.workers}`, color: '#d62728' });
  });
  const xLabel = 'build rows / probe rows';
  const mode = opts.mode === 'processes' ? 'worker processes (gRPC)' : 'worker threads';
  return {
    time: renderLineChart({ title: `Join time vs build/probe ratio (${mode})`, xLabel, yLabel: 'elapsed ms (median)', series: series((p, s) => p.medianMs[s]), verticals, markers }),
    bytes: renderLineChart({ title: `Bytes sent vs build/probe ratio (${mode})`, xLabel, yLabel: 'bytes sent (median)', series: series((p, s) => p.medianBytes[s]), verticals, markers }),
  };
}

function indexHtml(opts: JoinsBenchOptions, report: Omit<JoinsBenchReport, 'files'>): string {
  const rows = report.points.map((p) => `<tr><td>${p.workers}</td><td>${p.buildRows}</td><td>${p.probeRows}</td><td>${+p.ratio.toPrecision(3)}</td>` +
    STRATEGIES.map((s) => `<td>${p.medianMs[s].toFixed(1)}</td>`).join('') +
    `<td>${p.faster}${p.clear ? '' : ' (not counted)'}</td><td>${escapeXml(p.autoChose)}</td></tr>`).join('\n');
  const cross = report.crossovers.map((c) => `<li>N=${c.workers}: model ${c.model === null ? 'none' : +c.model.toPrecision(3)}, measured ${c.measured === null ? 'none' : +c.measured.toPrecision(3)}</li>`).join('\n');
  const command = `spillway bench joins --workers ${opts.workers.join(',')} --build-rows ${opts.buildRows.join(',')} --probe-rows ${opts.probeRows.join(',')} --runs ${opts.runs} --mode ${opts.mode}`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Spillway join strategy sweep</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head>
<body>
<h1>Join strategy sweep</h1>
<p><code>${escapeXml(command)}</code></p>
<p>auto picked the faster strategy in ${report.autoRight} of ${report.autoCounted} points (points where broadcast and partitioned differ by more than 10 %).</p>
<p>Crossover ratios (build/probe rows):</p>
<ul>
${cross}
</ul>
<p><img src="time.svg" alt="elapsed time vs build/probe ratio"></p>
<p><img src="bytes.svg" alt="bytes sent vs build/probe ratio"></p>
<table>
<tr><th>workers</th><th>build rows</th><th>probe rows</th><th>ratio</th>${STRATEGIES.map((s) => `<th>${s} ms</th>`).join('')}<th>faster</th><th>auto chose</th></tr>
${rows}
</table>
<p>Every run: <a href="results.csv">results.csv</a></p>
</body>
</html>
`;
}

/** Summaries, charts, CSV and HTML of a finished sweep (also what the tests check). */
export function writeReport(opts: JoinsBenchOptions, runs: JoinRun[]): JoinsBenchReport {
  const points = summarizePoints(runs);
  const crossovers = [...new Set(points.map((p) => p.workers))].sort((a, b) => a - b).map((n) => ({
    workers: n, model: modelCrossover(n), measured: measuredCrossover(points.filter((p) => p.workers === n)),
  }));
  const counted = points.filter((p) => p.clear);
  const autoRight = counted.filter((p) => p.autoChose === p.faster).length;
  const report = { runs, points, crossovers, autoRight, autoCounted: counted.length };
  const { time, bytes } = charts(opts, points, crossovers);
  const files = ['results.csv', 'time.svg', 'bytes.svg', 'index.html'].map((f) => nodePath.join(opts.out, f));
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(files[0]!, formatRunsCsv(runs));
  writeFileSync(files[1]!, time);
  writeFileSync(files[2]!, bytes);
  writeFileSync(files[3]!, indexHtml(opts, report));
  return { ...report, files };
}
