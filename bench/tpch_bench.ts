/**
 * The TPC-H benchmark: each query (and two scan-only probes) timed on Spillway and, when
 * @duckdb/node-api is installed, on DuckDB over the same Parquet files.
 *
 *   for each query q (probes first):
 *     warmup runs: spillway, duckdb            (not recorded)
 *     measured run r = 1..runs: spillway, duckdb  (interleaved, so a change of load on a
 *                                                  shared machine hits both engines alike)
 *     row counts: every run of both engines (and the expected CSV, when the data is the
 *                 shared data set) must agree, else a MISMATCH line
 *
 * A run that fails or times out ends that engine's runs of that query; the others go on.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpillwayError } from '../src/common/errors.js';
import {
  DuckDbBenchEngine, SpillwayBenchEngine, duckDbThreadsFor, loadDuckDb, workerCount, type BenchEngine, type EngineRun, type WorkersSpec,
} from './engines.js';

/** A statement the benchmark times: a TPC-H query file or a scan probe. */
export interface BenchQuery {
  /** "q01" … "q22", or "scan_1col" / "scan_q1cols". */
  name: string;
  sql: string;
  /** Result rows in the expected CSV next to the queries, when there is one. */
  expectedRows: number | null;
  probe: boolean;
}

/**
 * Scan-only probes over lineitem: what reading the columns costs with almost nothing on top.
 * Each aggregate needs every value: DuckDB answers an always-true filter or count(column)
 * of a column without NULLs from statistics without decoding it (measured: 10 ms at SF 1).
 * The first reads one date column, the second Q1's seven lineitem columns.
 */
export const SCAN_PROBES: readonly { name: string; sql: string }[] = [
  { name: 'scan_1col', sql: 'select max(l_shipdate) from lineitem' },
  {
    name: 'scan_q1cols',
    sql: 'select sum(l_quantity), sum(l_extendedprice), sum(l_discount), sum(l_tax), max(l_returnflag), max(l_linestatus), max(l_shipdate) from lineitem',
  },
];

export interface TpchBenchOptions {
  /** Folder of the TPC-H Parquet tables. */
  data: string;
  /** Folder of qNN.sql; default: see resolveQueriesDir. */
  queriesDir?: string;
  /** Query numbers 1..22; default every qNN.sql found. */
  queries?: readonly number[];
  runs: number;
  warmup: number;
  workers: WorkersSpec;
  memoryLimit?: string;
  /** Also time DuckDB when it is installed. */
  duckdb: boolean;
  /** Time the scan probes. */
  scanProbes: boolean;
  /** Per run; 0 = no limit. */
  timeoutMs: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One measured (not warmup) run. */
export interface RunRecord extends EngineRun {
  query: string;
  engine: 'spillway' | 'duckdb';
  run: number;
}

export interface QueryOutcome {
  query: BenchQuery;
  spillway: RunRecord[];
  duckdb: RunRecord[];
  /** Failure or timeout that ended an engine's runs, by engine. */
  errors: Partial<Record<'spillway' | 'duckdb', string>>;
  /** Row-count disagreements, one line each. */
  mismatches: string[];
}

export interface TpchBenchReport {
  data: string;
  queriesDir: string;
  runs: number;
  warmup: number;
  spillwayDescription: string;
  /** null when DuckDB was not run; `duckdbSkipped` says why. */
  duckdbDescription: string | null;
  duckdbSkipped: string | null;
  /** Why the Spillway runs did not happen at all (e.g. workers not available yet). */
  spillwaySkipped: string | null;
  /** Spillway ran with workers: its scan times are summed over tasks running side by side. */
  distributed: boolean;
  loadBefore: string;
  loadAfter: string;
  outcomes: QueryOutcome[];
}

/** The shared TPC-H queries, ../shared/data/tpch/queries from the repository root. */
export function sharedQueriesDir(): string {
  let dir = nodePath.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(nodePath.join(dir, 'package.json')) && nodePath.dirname(dir) !== dir) dir = nodePath.dirname(dir);
  return nodePath.resolve(dir, '../shared/data/tpch/queries');
}

/** --queries-dir, else DATA/../queries when it holds qNN.sql files, else the shared queries. */
export function resolveQueriesDir(data: string, explicit?: string): string {
  const candidates = explicit !== undefined ? [explicit] : [nodePath.join(nodePath.dirname(nodePath.resolve(data)), 'queries'), sharedQueriesDir()];
  for (const dir of candidates) {
    if (existsSync(dir) && readdirSync(dir).some((f) => /^q\d\d\.sql$/.test(f))) return dir;
  }
  throw new SpillwayError('io', `no TPC-H queries (qNN.sql) in ${candidates.map((c) => `"${c}"`).join(' or ')}; pass --queries-dir DIR`);
}

/**
 * The expected row count of query `name`, from ../expected/<data folder name>/qNN.csv next to
 * the queries, used only when the data folder sits beside the queries folder (the shared
 * data set), since other data has other answers. The CSV has a header; Q17's single NULL
 * row is one empty line, so empty lines count.
 */
function expectedRowsFor(name: string, data: string, queriesDir: string): number | null {
  const base = nodePath.dirname(nodePath.resolve(queriesDir));
  if (nodePath.dirname(nodePath.resolve(data)) !== base) return null;
  const file = nodePath.join(base, 'expected', nodePath.basename(nodePath.resolve(data)), `${name}.csv`);
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return Math.max(0, lines.length - 1);
}

export function queryName(n: number): string {
  return `q${String(n).padStart(2, '0')}`;
}

/** The queries to run, in order: scan probes (if asked), then qNN. */
export function loadQueries(opts: Pick<TpchBenchOptions, 'data' | 'queries' | 'scanProbes'>, queriesDir: string): BenchQuery[] {
  const available = readdirSync(queriesDir).filter((f) => /^q\d\d\.sql$/.test(f)).map((f) => Number(f.slice(1, 3))).sort((a, b) => a - b);
  const wanted = opts.queries ?? available;
  const out: BenchQuery[] = [];
  if (opts.scanProbes) for (const p of SCAN_PROBES) out.push({ name: p.name, sql: p.sql, expectedRows: 1, probe: true });
  for (const n of wanted) {
    const name = queryName(n);
    const file = nodePath.join(queriesDir, `${name}.sql`);
    if (!existsSync(file)) throw new SpillwayError('io', `TPC-H query ${n} not found: no file "${file}"`);
    out.push({ name, sql: readFileSync(file, 'utf8'), expectedRows: expectedRowsFor(name, opts.data, queriesDir), probe: false });
  }
  return out;
}

function loadText(): string {
  return loadavg().map((v) => v.toFixed(2)).join(' ');
}

export async function runTpchBench(opts: TpchBenchOptions): Promise<TpchBenchReport> {
  if (!existsSync(opts.data)) throw new SpillwayError('io', `data folder "${opts.data}" does not exist`);
  const log = opts.log ?? (() => {});
  const queriesDir = resolveQueriesDir(opts.data, opts.queriesDir);
  const queries = loadQueries(opts, queriesDir);

  const engines: BenchEngine[] = [];
  let spillwaySkipped: string | null = null;
  let duckdbSkipped: string | null = null;
  let spillwayDescription = 'Spillway';
  let duckdbDescription: string | null = null;
  try {
    try {
      const s = await SpillwayBenchEngine.create({ data: opts.data, workers: opts.workers, ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}) });
      engines.push(s);
      spillwayDescription = s.description;
    } catch (e) {
      if (!(e instanceof SpillwayError) || e.kind !== 'unsupported') throw e;
      spillwaySkipped = e.message;
    }
    if (opts.duckdb) {
      const duckdb = await loadDuckDb();
      if (duckdb) {
        const d = await DuckDbBenchEngine.create(duckdb, {
          data: opts.data, threads: duckDbThreadsFor(opts.workers), ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}),
        });
        engines.push(d);
        duckdbDescription = d.description;
      } else {
        duckdbSkipped = '@duckdb/node-api is not installed (a devDependency)';
      }
    } else {
      duckdbSkipped = '--no-duckdb';
    }

    const loadBefore = loadText();
    const outcomes: QueryOutcome[] = [];
    for (const q of queries) {
      const outcome = await runQuery(q, engines, opts);
      outcomes.push(outcome);
      log(progressLine(outcome));
      for (const m of outcome.mismatches) log(`!! ${m}`);
    }
    return {
      data: opts.data, queriesDir, runs: opts.runs, warmup: opts.warmup,
      spillwayDescription, duckdbDescription, duckdbSkipped, spillwaySkipped, distributed: workerCount(opts.workers) > 0,
      loadBefore, loadAfter: loadText(), outcomes,
    };
  } finally {
    for (const e of engines) await e.close();
  }
}

async function runQuery(q: BenchQuery, engines: readonly BenchEngine[], opts: TpchBenchOptions): Promise<QueryOutcome> {
  const outcome: QueryOutcome = { query: q, spillway: [], duckdb: [], errors: {}, mismatches: [] };
  const live = new Set(engines);
  const attempt = async (engine: BenchEngine): Promise<EngineRun | null> => {
    if (!live.has(engine)) return null;
    try {
      return await engine.run(q.sql, opts.timeoutMs);
    } catch (e) {
      live.delete(engine);
      outcome.errors[engine.name] = e instanceof Error ? e.message : String(e);
      return null;
    }
  };
  for (let w = 0; w < opts.warmup; w++) for (const e of engines) await attempt(e);
  for (let r = 1; r <= opts.runs; r++) {
    for (const e of engines) {
      const res = await attempt(e);
      if (res) outcome[e.name].push({ ...res, query: q.name, engine: e.name, run: r });
    }
  }
  outcome.mismatches = rowCountMismatches(outcome);
  return outcome;
}

/** Every disagreement between runs, engines and the expected answer, as text. */
export function rowCountMismatches(o: Pick<QueryOutcome, 'query' | 'spillway' | 'duckdb'>): string[] {
  const out: string[] = [];
  const counts = (runs: readonly RunRecord[]) => [...new Set(runs.map((r) => r.rows))];
  const s = counts(o.spillway);
  const d = counts(o.duckdb);
  if (s.length > 1) out.push(`ROW COUNT MISMATCH ${o.query.name}: Spillway runs returned different row counts (${s.join(', ')})`);
  if (d.length > 1) out.push(`ROW COUNT MISMATCH ${o.query.name}: DuckDB runs returned different row counts (${d.join(', ')})`);
  if (s.length === 1 && d.length === 1 && s[0] !== d[0]) {
    out.push(`ROW COUNT MISMATCH ${o.query.name}: Spillway ${s[0]} rows, DuckDB ${d[0]} rows`);
  }
  const exp = o.query.expectedRows;
  if (exp !== null && s.length === 1 && s[0] !== exp) {
    out.push(`ROW COUNT MISMATCH ${o.query.name}: Spillway ${s[0]} rows, expected answer ${exp} rows`);
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function progressLine(o: QueryOutcome): string {
  const part = (runs: readonly RunRecord[], err: string | undefined, name: string) =>
    err !== undefined && runs.length === 0 ? `${name} FAILED (${err})` : runs.length === 0 ? '' : `${name} ${median(runs.map((r) => r.ms)).toFixed(1)} ms`;
  return [`${o.query.name}:`, part(o.spillway, o.errors.spillway, 'spillway'), part(o.duckdb, o.errors.duckdb, 'duckdb')].filter((p) => p !== '').join(' ');
}
