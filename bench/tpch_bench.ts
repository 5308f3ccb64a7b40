/**
 * The TPC-H benchmark: each query (and two scan-only probes) timed on Spillway (the subject)
 * and on a reference over the same Parquet files: DuckDB when @duckdb/node-api is installed,
 * or, with `againstWorkers`, a second Spillway session with those workers instead.
 *
 *   for each query q (probes first):
 *     warmup runs: subject, reference          (not recorded)
 *     measured run r = 1..runs: both engines back to back, the subject first in odd runs and
 *                               the reference first in even runs, so a change of load on a
 *                               shared machine, or a cost of going first or second, hits
 *                               both engines alike and the pair (subject ms / reference ms
 *                               of the same run) cancels the drift
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
  DuckDbBenchEngine, SpillwayBenchEngine, duckDbThreadsFor, loadDuckDb, spillwayEngineName, workerCount, workersTag,
  type BenchEngine, type EngineRun, type WorkersSpec,
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
  /** Time DuckDB as the reference when it is installed (ignored with againstWorkers). */
  duckdb: boolean;
  /** The reference is a second Spillway session with these workers instead of DuckDB. */
  againstWorkers?: WorkersSpec;
  /** Time the scan probes. */
  scanProbes: boolean;
  /** Per run; 0 = no limit. */
  timeoutMs: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The two sides of the comparison: Spillway with --workers, and DuckDB or Spillway with --against-workers. */
export type EngineRole = 'subject' | 'reference';

/** One measured (not warmup) run. */
export interface RunRecord extends EngineRun {
  query: string;
  /** The engine's name: `spillway` for the subject; `duckdb` or `spillway-w0`-like for the reference. */
  engine: string;
  run: number;
  /** When the run started, in ms since the benchmark started: the order the engines ran in. */
  startMs: number;
}

export interface QueryOutcome {
  query: BenchQuery;
  subject: RunRecord[];
  reference: RunRecord[];
  /** Failure or timeout that ended an engine's runs, by role. */
  errors: Partial<Record<EngineRole, string>>;
  /** Row-count disagreements, one line each. */
  mismatches: string[];
}

/** How the report names an engine. */
export interface EngineLabels {
  /** Column headers and messages: `Spillway`, `DuckDB`, `Spillway (workers 0)`. */
  subject: string;
  reference: string;
  /** The ratio's name: `Spillway/DuckDB` or `w2/w0`. */
  ratio: string;
}

export const DUCKDB_LABELS: EngineLabels = { subject: 'Spillway', reference: 'DuckDB', ratio: 'Spillway/DuckDB' };

/** The labels of Spillway with `subject` workers against Spillway with `reference` workers. */
export function spillwayPairLabels(subject: WorkersSpec, reference: WorkersSpec): EngineLabels {
  const label = (w: WorkersSpec) => `Spillway (workers ${typeof w === 'number' ? w : w.join(',')})`;
  return { subject: label(subject), reference: label(reference), ratio: `${workersTag(subject)}/${workersTag(reference)}` };
}

export interface TpchBenchReport {
  data: string;
  queriesDir: string;
  runs: number;
  warmup: number;
  labels: EngineLabels;
  subjectDescription: string;
  /** Why the subject's runs did not happen at all (e.g. workers not available yet). */
  subjectSkipped: string | null;
  /** null when the reference was not run; `referenceSkipped` says why. */
  referenceDescription: string | null;
  referenceSkipped: string | null;
  /** The reference is a Spillway session (--against-workers): not having it is a failure. */
  referenceIsSpillway: boolean;
  /** The subject ran with workers: its scan times are summed over tasks running side by side. */
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

  const memory = opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {};
  const against = opts.againstWorkers;
  const labels = against !== undefined ? spillwayPairLabels(opts.workers, against) : DUCKDB_LABELS;
  const engines: Partial<Record<EngineRole, BenchEngine>> = {};
  let subjectSkipped: string | null = null;
  let referenceSkipped: string | null = null;
  let subjectDescription = 'Spillway';
  let referenceDescription: string | null = null;
  /** Spillway's 'unsupported' (e.g. workers it cannot start here) skips that engine; anything else is thrown. */
  const spillway = async (workers: WorkersSpec, name?: string): Promise<SpillwayBenchEngine | string> => {
    try {
      return await SpillwayBenchEngine.create({ data: opts.data, workers, ...memory, ...(name !== undefined ? { name } : {}) });
    } catch (e) {
      if (!(e instanceof SpillwayError) || e.kind !== 'unsupported') throw e;
      return e.message;
    }
  };
  try {
    const s = await spillway(opts.workers);
    if (typeof s === 'string') subjectSkipped = s;
    else { engines.subject = s; subjectDescription = s.description; }
    if (against !== undefined) {
      const r = await spillway(against, spillwayEngineName(against));
      if (typeof r === 'string') referenceSkipped = r;
      else { engines.reference = r; referenceDescription = r.description; }
    } else if (opts.duckdb) {
      const duckdb = await loadDuckDb();
      if (duckdb) {
        const d = await DuckDbBenchEngine.create(duckdb, { data: opts.data, threads: duckDbThreadsFor(opts.workers), ...memory });
        engines.reference = d;
        referenceDescription = d.description;
      } else {
        referenceSkipped = '@duckdb/node-api is not installed (a devDependency)';
      }
    } else {
      referenceSkipped = '--no-duckdb';
    }

    const loadBefore = loadText();
    const clock0 = performance.now();
    const outcomes: QueryOutcome[] = [];
    for (const q of queries) {
      const outcome = await runQuery(q, engines, opts, labels, clock0);
      outcomes.push(outcome);
      log(progressLine(outcome, engines));
      for (const m of outcome.mismatches) log(`!! ${m}`);
    }
    return {
      data: opts.data, queriesDir, runs: opts.runs, warmup: opts.warmup, labels,
      subjectDescription, subjectSkipped, referenceDescription, referenceSkipped, referenceIsSpillway: against !== undefined,
      distributed: workerCount(opts.workers) > 0,
      loadBefore, loadAfter: loadText(), outcomes,
    };
  } finally {
    for (const e of Object.values(engines)) await e.close();
  }
}

/** The order both engines run in measured run `run` (1-based): subject first in odd runs, reference first in even runs. */
export function runOrder(run: number): readonly EngineRole[] {
  return run % 2 === 1 ? ['subject', 'reference'] : ['reference', 'subject'];
}

async function runQuery(
  q: BenchQuery, engines: Partial<Record<EngineRole, BenchEngine>>, opts: TpchBenchOptions, labels: EngineLabels, clock0: number,
): Promise<QueryOutcome> {
  const outcome: QueryOutcome = { query: q, subject: [], reference: [], errors: {}, mismatches: [] };
  const failed = new Set<EngineRole>();
  const attempt = async (role: EngineRole, run: number | null): Promise<void> => {
    const engine = engines[role];
    if (!engine || failed.has(role)) return;
    const startMs = performance.now() - clock0;
    try {
      const res = await engine.run(q.sql, opts.timeoutMs);
      if (run !== null) outcome[role].push({ ...res, query: q.name, engine: engine.name, run, startMs });
    } catch (e) {
      failed.add(role);
      outcome.errors[role] = e instanceof Error ? e.message : String(e);
    }
  };
  for (let w = 0; w < opts.warmup; w++) for (const role of runOrder(1)) await attempt(role, null);
  for (let r = 1; r <= opts.runs; r++) for (const role of runOrder(r)) await attempt(role, r);
  outcome.mismatches = rowCountMismatches(outcome, labels);
  return outcome;
}

/** Every disagreement between runs, engines and the expected answer, as text. */
export function rowCountMismatches(o: Pick<QueryOutcome, 'query' | 'subject' | 'reference'>, labels: EngineLabels = DUCKDB_LABELS): string[] {
  const out: string[] = [];
  const counts = (runs: readonly RunRecord[]) => [...new Set(runs.map((r) => r.rows))];
  const s = counts(o.subject);
  const d = counts(o.reference);
  if (s.length > 1) out.push(`ROW COUNT MISMATCH ${o.query.name}: ${labels.subject} runs returned different row counts (${s.join(', ')})`);
  if (d.length > 1) out.push(`ROW COUNT MISMATCH ${o.query.name}: ${labels.reference} runs returned different row counts (${d.join(', ')})`);
  if (s.length === 1 && d.length === 1 && s[0] !== d[0]) {
    out.push(`ROW COUNT MISMATCH ${o.query.name}: ${labels.subject} ${s[0]} rows, ${labels.reference} ${d[0]} rows`);
  }
  const exp = o.query.expectedRows;
  if (exp !== null) {
    for (const [label, c] of [[labels.subject, s], [labels.reference, d]] as const) {
      if (c.length === 1 && c[0] !== exp) out.push(`ROW COUNT MISMATCH ${o.query.name}: ${label} ${c[0]} rows, expected answer ${exp} rows`);
    }
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function progressLine(o: QueryOutcome, engines: Partial<Record<EngineRole, BenchEngine>>): string {
  const part = (role: EngineRole) => {
    const runs = o[role];
    const name = engines[role]?.name ?? role;
    const err = o.errors[role];
    return err !== undefined && runs.length === 0 ? `${name} FAILED (${err})` : runs.length === 0 ? '' : `${name} ${median(runs.map((r) => r.ms)).toFixed(1)} ms`;
  };
  return [`${o.query.name}:`, part('subject'), part('reference')].filter((p) => p !== '').join(' ');
}
