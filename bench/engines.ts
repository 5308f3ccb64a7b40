/**
 * The engines the TPC-H benchmark times, behind one small interface. The subject is always
 * Spillway; the reference is DuckDB or a second Spillway session with other workers.
 *
 *   SpillwayBenchEngine  Spillway.create({ tables: data dir, workers? }) in this process; a run
 *                        is db.sql(text): parse, plan, execute, and every result batch kept.
 *                        Scan time comes from the query's metrics (ParquetScan nodes).
 *   DuckDbBenchEngine    @duckdb/node-api (a devDependency, imported dynamically), a view per
 *                        table over read_parquet on the same files, `threads` = Spillway's
 *                        worker count; a run is connection.run(text), which materializes the
 *                        whole result inside DuckDB without turning it into JS values.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as nodePath from 'node:path';
import { SpillwayError } from '../src/common/errors.js';
import { Spillway, type SpillwayOptions } from '../src/index.js';
import type { QueryResult } from '../src/result.js';
import type { QueryExecutor } from '../src/session.js';

/** What one timed run produced. */
export interface EngineRun {
  /** Wall time of the whole statement, parse and plan included. */
  ms: number;
  rows: number;
  /** Wall time inside Parquet scans (summed over tasks), when the engine reports it. */
  scanMs: number | null;
  /** Peak bytes of the memory pool, when the engine reports it. */
  peakMemoryBytes: number | null;
  /** Why a run that asked for workers ran in this process instead (e.g. input too small). */
  ranLocally: string | null;
}

export interface BenchEngine {
  /** The engine column of the CSV: `spillway`, `duckdb`, or a second Spillway's `spillway-w0` (see spillwayEngineName). */
  readonly name: string;
  /** One line for the report header: version, threads, workers. */
  readonly description: string;
  /** Run one statement; reject with a SpillwayError('cancelled') after `timeoutMs` (0 = never). */
  run(sql: string, timeoutMs: number): Promise<EngineRun>;
  close(): Promise<void>;
}

/** --workers: 0 = embedded, N = N worker threads, or "host:port" addresses. */
export type WorkersSpec = number | readonly string[];

export function workerCount(workers: WorkersSpec): number {
  return typeof workers === 'number' ? workers : workers.length;
}

/** Short name of a --workers value for column headers: `w2`, or the addresses joined by `+`. */
export function workersTag(workers: WorkersSpec): string {
  return typeof workers === 'number' ? `w${workers}` : workers.join('+');
}

/** The CSV engine name of a Spillway that is the reference of another: `spillway-w0`, `spillway-host:1+host:2`. */
export function spillwayEngineName(workers: WorkersSpec): string {
  return `spillway-${workersTag(workers)}`;
}

export function describeWorkers(workers: WorkersSpec): string {
  if (typeof workers === 'number') return workers === 0 ? 'embedded (no workers)' : `${workers} worker threads`;
  return `remote workers ${workers.join(',')}`;
}

/** The DuckDB threads that match a Spillway run: one per worker, one when embedded. */
export function duckDbThreadsFor(workers: WorkersSpec): number {
  return Math.max(1, workerCount(workers));
}

export interface SpillwayEngineOptions {
  /** The engine's name in records and the CSV (default `spillway`). */
  name?: string;
  data: string;
  workers: WorkersSpec;
  memoryLimit?: string;
}

/** The executor's account of the last query, when it is the distributed one. */
interface LastRunInfo { lastRun?: { localReason: string | null } | null }

export class SpillwayBenchEngine implements BenchEngine {
  private constructor(private readonly db: Spillway, readonly name: string, readonly description: string) {}

  /** Spillway over `data`; `workers` is always passed, since create() defaults to one worker thread per core. */
  static async create(opts: SpillwayEngineOptions): Promise<SpillwayBenchEngine> {
    const createOptions: SpillwayOptions = { tables: opts.data, workers: opts.workers };
    if (opts.memoryLimit !== undefined) createOptions.memoryLimit = opts.memoryLimit;
    const db = await Spillway.create(createOptions);
    return new SpillwayBenchEngine(db, opts.name ?? 'spillway', `Spillway ${describeWorkers(opts.workers)}${opts.memoryLimit ? `, memory limit ${opts.memoryLimit}` : ''}`);
  }

  async run(sql: string, timeoutMs: number): Promise<EngineRun> {
    const controller = new AbortController();
    // Best effort: the abort is seen between batches, so a long synchronous stretch overruns it.
    const timer = timeoutMs > 0
      ? setTimeout(() => controller.abort(new SpillwayError('cancelled', `timed out after ${timeoutMs / 1000} s`)), timeoutMs)
      : null;
    const t0 = performance.now();
    let result: QueryResult;
    try {
      result = await this.db.sql(sql, { signal: controller.signal });
    } finally {
      if (timer) clearTimeout(timer);
    }
    const ms = performance.now() - t0;
    const executor = this.db.internals.executor as QueryExecutor & LastRunInfo;
    return {
      ms,
      rows: result.numRows,
      scanMs: scanMsOf(result),
      peakMemoryBytes: result.stats?.peakMemoryBytes ?? null,
      ranLocally: executor.lastRun?.localReason ?? null,
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * Time spent in ParquetScan operators: the nodes whose metrics carry the scan's own
 * `rowGroupsRead` counter (the result has metrics by node id, not the plan). A scan has no
 * inputs, so its elapsed time is its own; on workers the figures of all tasks are added.
 */
export function scanMsOf(result: QueryResult): number | null {
  if (!result.metrics) return null;
  let ms = 0;
  let found = false;
  for (const m of result.metrics.byNode.values()) {
    if (m.extra.rowGroupsRead === undefined) continue;
    ms += m.elapsedMs;
    found = true;
  }
  return found ? ms : null;
}

type DuckDbModule = typeof import('@duckdb/node-api');
type DuckDbInstance = Awaited<ReturnType<DuckDbModule['DuckDBInstance']['create']>>;
type DuckDbConnection = Awaited<ReturnType<DuckDbInstance['connect']>>;

/** @duckdb/node-api, or null when it is not installed (a production install has no devDependencies). */
export async function loadDuckDb(): Promise<DuckDbModule | null> {
  try {
    return await import('@duckdb/node-api');
  } catch {
    return null;
  }
}

/** The tables of a data folder as Spillway sees them: name.parquet files and name/ folders of Parquet files. */
export function parquetTables(dir: string): { name: string; pattern: string }[] {
  const out: { name: string; pattern: string }[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = nodePath.join(dir, entry);
    if (entry.endsWith('.parquet') && statSync(full).isFile()) {
      out.push({ name: entry.slice(0, -'.parquet'.length), pattern: full });
    } else if (statSync(full).isDirectory() && readdirSync(full).some((f) => f.endsWith('.parquet'))) {
      out.push({ name: entry, pattern: nodePath.join(full, '*.parquet') });
    }
  }
  return out;
}

export interface DuckDbEngineOptions {
  data: string;
  threads: number;
  memoryLimit?: string;
}

export class DuckDbBenchEngine implements BenchEngine {
  readonly name = 'duckdb' as const;

  private constructor(
    private readonly instance: DuckDbInstance,
    private readonly connection: DuckDbConnection,
    readonly description: string,
  ) {}

  static async create(duckdb: DuckDbModule, opts: DuckDbEngineOptions): Promise<DuckDbBenchEngine> {
    if (!existsSync(opts.data)) throw new SpillwayError('io', `data folder "${opts.data}" does not exist`);
    const config: Record<string, string> = { threads: String(opts.threads) };
    if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
    const instance = await duckdb.DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    for (const t of parquetTables(opts.data)) {
      await connection.run(`create view ${quoteIdent(t.name)} as select * from read_parquet(${quoteString(t.pattern)})`);
    }
    return new DuckDbBenchEngine(instance, connection, `DuckDB ${duckdb.version()}, threads ${opts.threads}`);
  }

  async run(sql: string, timeoutMs: number): Promise<EngineRun> {
    let timedOut = false;
    const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; this.connection.interrupt(); }, timeoutMs) : null;
    const t0 = performance.now();
    try {
      // run() keeps the whole result in DuckDB's own chunks: materialized, not converted.
      const result = await this.connection.run(sql);
      return { ms: performance.now() - t0, rows: result.rowCount, scanMs: null, peakMemoryBytes: null, ranLocally: null };
    } catch (e) {
      if (timedOut) throw new SpillwayError('cancelled', `timed out after ${timeoutMs / 1000} s`);
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
