/**
 * A session: the catalog, the settings, the memory pool, and the statement loop.
 *
 *   text ─parseScript─▶ statements ─bind (one at a time, after the previous ran)─▶ Statement
 *     Query: optimize ─▶ physical plan ─▶ executor (local, or distributed stage DAG) ─▶ batches
 *     DDL/DML/SET: applied to the catalog / settings here.
 */
import { randomBytes } from 'node:crypto';
import { utf8Column as utf8 } from './columnar/column.js';
import { Catalog, type InMemoryTable } from './catalog.js';
import { applySetting, makeConfig, type Config } from './common/config.js';
import { SpillwayError, binderError } from './common/errors.js';
import { MetricsSet } from './common/metrics.js';
import type { TaskContext } from './exec/context.js';
import { createMemoryPool } from './memory/fair_pool.js';
import { formatBytes, type MemoryPool } from './memory/pool.js';
import { IdGenerator, type LogicalPlan } from './plan/logical.js';
import { optimize } from './plan/optimizer/index.js';
import { createPhysicalPlan } from './plan/physical_planner.js';
import type { PhysicalPlan } from './plan/physical.js';
import { explainFigures, explainLogical, explainPhysical } from './plan/explain.js';
import { QueryResult, type QueryStats } from './result.js';
import { measureTask } from './exec/task_figures.js';
import { createSpillManager, removeStaleSpillDirs, type DiskSpillManager } from './spill/disk_spill_manager.js';
import { rmSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { randomBytes as randomName } from 'node:crypto';
import { join, resolve as resolvePath } from 'node:path';
import { copySpecFor, type CopySpec } from './sql/copy.js';
import { canJoinParts, copyCountResult, copyJoiningParts, copyParts, copyTo, joinPartsInto, partExtension, partFileName, type CopyOptions, type CopyResult } from './copy.js';
import { QueryStream } from './query_stream.js';
import type { Batch } from './columnar/column.js';
import { parseScript, bindStatement, type Statement } from './sql/index.js';
import { discoverTables, resolveParquetPath, type ParquetTable } from './storage/table_discovery.js';
import { isRemotePath } from './storage/object_store.js';
import { configureObjectStores } from './storage/object_store.js';
import { castBatchTo } from './exec/cast_batch.js';
import { schema as makeSchema, field, rowWidth, type Schema } from './common/types.js';
import { LocalExecutor, type QueryExecutor } from './scheduler/query_executor.js';
import { createExecutor, DistributedExecutor } from './scheduler/distributed_executor.js';
import type { HostResolver } from './scheduler/worker_discovery.js';
import type { GrpcSecurity } from './exchange/security.js';
import { explainStageDag } from './distributed/stage.js';
import { QueryTracker, errorKind, type QueryProgress } from './observe/progress.js';
import { QueryLog } from './observe/query_log.js';
import { SpillwayMetrics, metricsText } from './observe/prometheus.js';
import { localStageInfo } from './scheduler/progress_info.js';
import type { Logger } from './observe/log.js';

export { LocalExecutor, type QueryExecutor } from './scheduler/query_executor.js';

/** Options of one call of sql() or stream(). */
export interface QueryOptions {
  signal?: AbortSignal;
  /** Called with the query's figures as it runs (after each task, at most every progressIntervalMs) and once at the end. */
  onProgress?: (p: QueryProgress) => void;
  /** Least time between two onProgress calls while figures change (default 200 ms). */
  progressIntervalMs?: number;
}

/**
 * The call a statement runs for: its script's text, cancellation and progress callback,
 * handed down every path that leads to runPhysical.
 */
export interface Call { text: string; signal?: AbortSignal; onProgress?: (p: QueryProgress) => void; progressIntervalMs?: number }

function callOf(text: string, opts: QueryOptions): Call {
  return {
    text, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
  };
}

export interface SessionOptions {
  /** A folder whose `name.parquet` files and `name/` folders become tables. */
  tables?: string;
  /** Settings (snake_case names as in SET), applied over defaults and SPILLWAY_* environment. */
  config?: Partial<Record<keyof Config, string | number | boolean>>;
  /** Where stages run: N worker threads, ["host:port", …] worker processes, or 0/absent: this thread. */
  workers?: readonly string[] | number;
  /** Token and TLS for worker processes. */
  security?: GrpcSecurity;
  /** How `dns:NAME:PORT` worker entries resolve (default: the system's resolver). */
  resolveHost?: HostResolver;
  /** Structured logs of queries, tasks and workers (default: none; worker warnings as lines on stderr). */
  logger?: Logger;
  /**
   * Start worker threads with the session when its tables are large (default true); false:
   * only when the first query that needs them runs (a one-statement run, which would pay
   * their start-up even when the guards keep its query in this thread).
   */
  startWorkersEarly?: boolean;
}

export class Session {
  readonly catalog = new Catalog();
  readonly config: Config;
  private pool: MemoryPool;
  private poolLimit: number;
  /** Running queries: how to cancel each, and when it has finished cleaning up. */
  private readonly running = new Map<AbortController, Promise<void>>();
  private readonly spills = new Set<DiskSpillManager>();
  executor: QueryExecutor;
  private closed = false;
  /** Running and recent queries with their progress (the web page lists them). */
  readonly queries = new QueryLog();
  /** This session's Prometheus metrics (queries, tasks, exchange reads, spill, memory). */
  readonly metrics = new SpillwayMetrics();
  private readonly logger: Logger | null;
  /** The local --tables folder: CREATE TABLE … AS writes `<name>.parquet` there (null: in-memory tables). */
  private readonly tablesDir: string | null;
  /** Writes to a Parquet table run one at a time (two INSERTs rewriting one file would lose one). */
  private readonly tableWrites = new Map<string, Promise<unknown>>();

  constructor(opts: SessionOptions = {}) {
    this.config = makeConfig(opts.config ?? {});
    this.tablesDir = opts.tables !== undefined && !isRemotePath(opts.tables) ? resolvePath(opts.tables) : null;
    this.poolLimit = this.config.memory_limit;
    this.pool = createMemoryPool(this.config);
    configureObjectStores(this.config);
    this.logger = opts.logger ?? null;
    const logger = this.logger;
    this.executor = opts.workers === undefined ? new LocalExecutor() : createExecutor({
      workers: opts.workers, config: this.config, security: opts.security, metrics: this.metrics,
      ...(opts.resolveHost ? { resolveHost: opts.resolveHost } : {}),
      ...(logger ? { warn: (m: string) => logger.warn(m), logLevel: logger.level, quiet: false } : {}),
    });
    this.metrics.watchMemory(() => ({ reserved: this.pool.used, limit: this.pool.limit }));
  }

  static async create(opts: SessionOptions = {}): Promise<Session> {
    const s = new Session(opts);
    try {
      // Spill folders of processes that died without cleaning up (kill -9, a crash).
      await removeStaleSpillDirs(s.config.spill_dir);
      if (opts.tables) for (const t of await discoverTables(opts.tables)) s.catalog.set(t);
    } catch (e) {
      await s.close();
      throw e;
    }
    if ((opts.startWorkersEarly ?? true) && s.hasLargeTable()) s.executor.warmUp?.();
    return s;
  }

  /**
   * A table a query could decode enough of to run distributed (rows × row width at least
   * distribute_min_decoded_bytes, the small_work guard's bound): worker threads are then
   * started with the session, while the first statement is parsed and planned, and kept.
   */
  private hasLargeTable(): boolean {
    const min = this.config.distribute_min_decoded_bytes;
    return this.catalog.names().some((name) => {
      const t = this.catalog.get(name);
      return t?.kind === 'parquet' && t.error === undefined && t.rows * rowWidth(t.schema.fields) >= min;
    });
  }

  /** The process pool, made anew when SET memory_limit changed it. */
  get memoryPool(): MemoryPool {
    if (this.config.memory_limit !== this.poolLimit) {
      this.poolLimit = this.config.memory_limit;
      this.pool = createMemoryPool(this.config);
    }
    return this.pool;
  }

  /** Run every statement of `text`; return the last one's result. */
  async sql(text: string, opts: QueryOptions = {}): Promise<QueryResult> {
    return this.runScript(callOf(text, opts));
  }

  private async runScript(call: Call): Promise<QueryResult> {
    if (this.closed) throw new SpillwayError('config', 'the session is closed');
    const parsed = parseScript(call.text);
    if (parsed.length === 0) throw new SpillwayError('syntax', 'no SQL statement given');
    configureObjectStores(this.config);
    let last: QueryResult | null = null;
    for (const p of parsed) {
      const stmt = await bindStatement(p, this.catalog, { resolveParquet: resolveParquetPath, ids: new IdGenerator() });
      last = await this.execute(stmt, call);
    }
    return last!;
  }

  /**
   * Run every statement of `text` but the last, which must be a query; its result comes
   * as a stream of batches, produced while the caller reads (see query_stream.ts).
   */
  async stream(text: string, opts: QueryOptions = {}): Promise<QueryStream> {
    const r = await this.sqlStreaming(text, opts, true);
    if (r instanceof QueryStream) return r;
    throw new SpillwayError('unsupported', 'only a query can be streamed; the last statement is not one');
  }

  /**
   * Like sql(), but when the last statement is a query its rows come as a stream (the
   * command line prints them as they arrive). With `queryOnly`, the last statement is
   * checked before any statement runs.
   */
  async sqlStreaming(text: string, opts: QueryOptions = {}, queryOnly = false): Promise<QueryResult | QueryStream> {
    return this.runScriptStreaming(callOf(text, opts), queryOnly);
  }

  private async runScriptStreaming(call: Call, queryOnly: boolean): Promise<QueryResult | QueryStream> {
    if (this.closed) throw new SpillwayError('config', 'the session is closed');
    const parsed = parseScript(call.text);
    if (parsed.length === 0) throw new SpillwayError('syntax', 'no SQL statement given');
    const last = parsed.at(-1)!;
    if (queryOnly && (last.copy !== null || last.explain !== null || last.body.kind !== 'ast' || last.body.ast.type !== 'select')) {
      throw new SpillwayError('unsupported', 'only a query can be streamed; the last statement is not one');
    }
    configureObjectStores(this.config);
    const env = () => ({ resolveParquet: resolveParquetPath, ids: new IdGenerator() });
    for (const p of parsed.slice(0, -1)) await this.execute(await bindStatement(p, this.catalog, env()), call);
    const stmt = await bindStatement(parsed.at(-1)!, this.catalog, env());
    if (stmt.kind !== 'Query') return this.execute(stmt, call);
    const physical = createPhysicalPlan(optimize(stmt.plan, stmt.ids), { config: this.config, memoryTables: this.catalog.memoryTables() });
    // The stream runs when read, with the stream's own signal; it keeps the call's text and
    // callback, and also tells its own 'progress' listeners.
    let stream: QueryStream | null = null;
    const onProgress = (p: QueryProgress): void => { call.onProgress?.(p); if (stream !== null && stream.listenerCount('progress') > 0) stream.emit('progress', p); };
    const run = (consume: (batches: AsyncIterable<Batch>) => Promise<void>, signal: AbortSignal) => this.runPhysical(physical, { ...call, signal, onProgress }, consume);
    stream = new QueryStream(physical.schema, async (consume, signal) => (await run(consume, signal)).result.stats, call.signal);
    return stream;
  }

  /**
   * Run every statement of `text` but the last, which must be a query, and write the last
   * one's rows as `COPY (query) TO spec.path` would (`spillway sql -o FILE`): distributed,
   * the workers write the file's parts. The answer is COPY's row count.
   */
  async copyScript(text: string, spec: CopySpec, opts: QueryOptions = {}): Promise<QueryResult> {
    const call = callOf(text, opts);
    if (this.closed) throw new SpillwayError('config', 'the session is closed');
    const parsed = parseScript(text);
    if (parsed.length === 0) throw new SpillwayError('syntax', 'no SQL statement given');
    const last = parsed.at(-1)!;
    const notQuery = () => new SpillwayError('unsupported', `only a query can be written to "${spec.path}"; the last statement is not one`);
    if (last.copy !== null || last.explain !== null || last.body.kind !== 'ast' || last.body.ast.type !== 'select') throw notQuery();
    configureObjectStores(this.config);
    const env = () => ({ resolveParquet: resolveParquetPath, ids: new IdGenerator() });
    for (const p of parsed.slice(0, -1)) await this.execute(await bindStatement(p, this.catalog, env()), call);
    const stmt = await bindStatement(last, this.catalog, env());
    if (stmt.kind !== 'Query') throw notQuery();
    const physical = createPhysicalPlan(optimize(stmt.plan, stmt.ids), { config: this.config, memoryTables: this.catalog.memoryTables() });
    return this.copyPhysical(physical, spec, call);
  }

  private async execute(stmt: Statement, call: Call): Promise<QueryResult> {
    switch (stmt.kind) {
      case 'Query': {
        const r = await this.runQuery(stmt.plan, stmt.ids, call);
        return r.result;
      }
      case 'Explain': {
        const inner = stmt.statement;
        if (inner.kind !== 'Query') throw new SpillwayError('unsupported', `EXPLAIN supports queries only, not ${inner.kind}`);
        const optimized = optimize(inner.plan, inner.ids);
        const physical = createPhysicalPlan(optimized, { config: this.config, memoryTables: this.catalog.memoryTables() });
        let text: string;
        if (stmt.analyze) {
          const r = await this.runPhysical(physical, call);
          const s = r.result.stats!;
          const metrics = r.result.metrics ?? undefined;
          const ran = this.executor.lastRun?.queryId === s.queryId ? this.executor.lastRun : null;
          if (stmt.format === 'json') return textResult('plan', JSON.stringify(analyzeJson(s, ran, metrics), null, 2));
          const body = ran?.dag ? explainStageDag(ran.dag, metrics, ran.stages)
            : `${ran?.localReason ? `Ran in this thread: ${ran.localReason}\n` : ''}${explainPhysical(physical, metrics)}`;
          text = `Physical plan (analyzed):\n${body}\n${explainFigures(s)}\n` +
            `Total: ${s.elapsedMs.toFixed(1)} ms, peak memory ${formatBytes(s.peakMemoryBytes)}, spilled ${formatBytes(s.spillBytes)} in ${s.spillFiles} files`;
        } else {
          if (stmt.format === 'json') throw new SpillwayError('unsupported', 'EXPLAIN (FORMAT JSON) needs ANALYZE: EXPLAIN (ANALYZE, FORMAT JSON) query');
          text = `Logical plan:\n${explainLogical(optimized)}\n\nPhysical plan:\n${explainPhysical(physical)}`;
          if (this.executor.planDag) {
            const dag = await this.executor.planDag(physical, this.config, this.catalog.memoryTables());
            text += `\n\nStage DAG:\n${explainStageDag(dag)}`;
          }
        }
        return textResult('plan', text);
      }
      case 'CreateTable': {
        this.ensureFree(stmt.name, stmt.ifNotExists);
        if (this.catalog.has(stmt.name)) return status('CREATE TABLE');
        const table: InMemoryTable = { kind: 'memory', name: stmt.name, schema: makeSchema(stmt.columns), batches: [] };
        this.catalog.set(table);
        return status('CREATE TABLE');
      }
      case 'CreateTableAs': {
        if (this.catalog.has(stmt.name) && stmt.ifNotExists) return status('CREATE TABLE');
        if (!stmt.orReplace) this.ensureFree(stmt.name, false);
        if (this.tablesDir !== null) return this.oneWriterAtATime(stmt.name, () => this.createFileTable(stmt, call));
        const r = await this.runQuery(stmt.query, stmt.ids, call);
        const sch = makeSchema(r.result.schema.fields.map((f) => field(f.name, f.type === 'null' ? 'utf8' : f.type, true)));
        const batches = r.result.batches.map((b) => castBatchTo(b, sch));
        this.catalog.set({ kind: 'memory', name: stmt.name, schema: sch, batches });
        return new QueryResult(makeSchema([]), [], `SELECT ${r.result.numRows}`, r.result.metrics, r.result.stats);
      }
      case 'Insert': {
        const entry = this.catalog.resolve(stmt.table);
        if (entry.kind === 'parquet' && entry.location !== undefined) {
          return this.oneWriterAtATime(entry.name, () => this.insertIntoFile(this.catalog.resolve(stmt.table) as ParquetTable, stmt, call));
        }
        if (entry.kind !== 'memory') throw binderError(`cannot INSERT into "${stmt.table}": it is a ${entry.kind === 'view' ? 'view' : 'Parquet table'}`);
        const r = await this.runQuery(stmt.query, stmt.ids, call);
        const target = entry.schema;
        const n = r.result.numRows;
        for (const b of r.result.batches) entry.batches.push(castBatchTo(b, target));
        return new QueryResult(makeSchema([]), [], `INSERT 0 ${n}`, r.result.metrics, r.result.stats);
      }
      case 'CreateView': {
        if (this.catalog.has(stmt.name) && !stmt.orReplace) throw binderError(`relation "${stmt.name}" already exists`);
        this.catalog.set({ kind: 'view', name: stmt.name, query: stmt.query, columnNames: stmt.columnNames });
        return status('CREATE VIEW');
      }
      case 'CreateExternalTable': {
        this.ensureFree(stmt.name, false);
        const t = await resolveParquetPath(stmt.location);
        this.catalog.set({ ...t, name: stmt.name });
        return status('CREATE EXTERNAL TABLE');
      }
      case 'Drop': {
        const e = this.catalog.get(stmt.name);
        const want = stmt.objectType;
        if (!e) {
          if (stmt.ifExists) return status(`DROP ${want.toUpperCase()}`);
          throw binderError(`${want} "${stmt.name}" does not exist`);
        }
        if ((want === 'view') !== (e.kind === 'view')) {
          throw binderError(`"${stmt.name}" is not a ${want}`);
        }
        this.catalog.delete(stmt.name);
        return status(`DROP ${want.toUpperCase()}`);
      }
      case 'Set': {
        applySetting(this.config, stmt.name, stmt.value);
        configureObjectStores(this.config);
        return status('SET');
      }
      case 'Copy': {
        const optimized = optimize(stmt.query.plan, stmt.query.ids);
        const physical = createPhysicalPlan(optimized, { config: this.config, memoryTables: this.catalog.memoryTables() });
        let written = 0;
        if (stmt.target.perTask === true) {
          const spec = stmt.target;
          const r = await this.runPhysical(physical, call, undefined, async (ctx) => {
            written = (await copyParts(spec, (dir) => this.writeParts(physical, ctx, spec, dir))).rows;
          });
          return copyCountResult(written, r.result.metrics, r.result.stats);
        }
        return this.copyPhysical(physical, stmt.target, call);
      }
      case 'Ignored':
        return status(stmt.what);
    }
  }

  /**
   * COPY of a query to one file or a PARTITION_BY folder. Distributed on workers that share
   * this machine's files, a plain COPY to one file (Parquet, CSV, JSON) is written by the
   * tasks of the last stage as parts next to the target and joined here; otherwise the rows
   * come here and are written as they arrive.
   */
  private async copyPhysical(physical: PhysicalPlan, spec: CopySpec, call: Call): Promise<QueryResult> {
    let written = 0;
    if (canJoinParts(spec) && this.workersShareFiles()) {
      const r = await this.runPhysical(physical, call, undefined, async (ctx) => {
        const joined = await copyJoiningParts(spec, physical.schema, (dir) => this.workerParts(physical, ctx, spec, dir));
        written = joined !== null ? joined.rows : (await copyTo(spec, physical.schema, this.executor.stream(physical, this.rerun(ctx)), this.copyOptions())).rows;
      });
      return copyCountResult(written, r.result.metrics, r.result.stats);
    }
    const r = await this.runPhysical(physical, call, async (batches) => {
      written = (await copyTo(spec, physical.schema, batches, this.copyOptions())).rows;
    });
    return copyCountResult(written, r.result.metrics, r.result.stats);
  }

  /** A COPY written in this process: row groups bounded by the memory limit and reserved in the pool. */
  private copyOptions(): CopyOptions {
    return { memoryLimit: this.config.memory_limit, memory: this.memoryPool };
  }

  private ensureFree(name: string, ifNotExists: boolean): void {
    if (this.catalog.has(name) && !ifNotExists) throw binderError(`relation "${name}" already exists`);
  }

  /** Run `write` after the writes to table `name` before it (whatever their outcome). */
  private async oneWriterAtATime<T>(name: string, write: () => Promise<T>): Promise<T> {
    const key = name.toLowerCase();
    const run = (this.tableWrites.get(key) ?? Promise.resolve()).catch(() => undefined).then(write);
    this.tableWrites.set(key, run);
    try {
      return await run;
    } finally {
      if (this.tableWrites.get(key) === run) this.tableWrites.delete(key);
    }
  }

  private workersShareFiles(): boolean {
    return this.executor instanceof DistributedExecutor && this.executor.sharesFiles;
  }

  /**
   * Part files of the query's result written into `dir` by the tasks of its last stage, on
   * workers that share this machine's files; null when the query runs here, or when the
   * workers refuse the folder (outside their --data-root: the caller then relays the rows).
   */
  private async workerParts(physical: PhysicalPlan, ctx: TaskContext, spec: CopySpec, dir: string): Promise<CopyResult | null> {
    if (!this.workersShareFiles() || this.executor.copyParts === undefined) return null;
    const compression = spec.compression === 'zstd' ? 'snappy' : spec.compression;
    const ext = partExtension(spec);
    const text = spec.format === 'parquet' ? {}
      : { format: spec.format, ...(spec.format === 'csv' ? { delimiter: spec.delimiter } : {}), ...(spec.array === true ? { array: true } : {}) };
    try {
      return await this.executor.copyParts(physical, ctx, (task) => ({ dir, file: partFileName(task, ext), compression, rowGroupSize: spec.rowGroupSize, ...text }));
    } catch (e) {
      if (e instanceof SpillwayError && e.kind === 'permission') return null;
      throw e;
    }
  }

  /**
   * The context to run the query again after workerParts gave up: a query the workers
   * refused was released on them, so the second run needs its own id there.
   */
  private rerun(ctx: TaskContext): TaskContext {
    const ran = this.executor.lastRun;
    return ran?.queryId === ctx.queryId && ran.dag !== null ? { ...ctx, queryId: `${ctx.queryId}-relayed` } : ctx;
  }

  /**
   * CREATE TABLE name AS query with a tables folder: the rows go to `<dir>/<name>.parquet`
   * as COPY writes a file (temporary name, renamed when complete; written by the workers and
   * joined here when distributed), and the table is in the catalog at once. OR REPLACE
   * replaces the file (or the folder of a table defined by one).
   */
  private async createFileTable(stmt: Extract<Statement, { kind: 'CreateTableAs' }>, call: Call): Promise<QueryResult> {
    const dir = this.tablesDir!;
    const path = join(dir, `${stmt.name}.parquet`);
    const folder = join(dir, stmt.name);
    const onDisk = (await stat(path).catch(() => null)) ?? (await stat(folder).catch(() => null));
    if (onDisk !== null && stmt.ifNotExists) return status('CREATE TABLE');
    if (onDisk !== null && !stmt.orReplace) throw binderError(`relation "${stmt.name}" already exists ("${onDisk.isDirectory() ? folder : path}")`);
    const physical = createPhysicalPlan(optimize(stmt.query, stmt.ids), { config: this.config, memoryTables: this.catalog.memoryTables() });
    const spec = copySpecFor(path, { overwrite: true });
    let written = 0;
    const r = await this.runPhysical(physical, call, undefined, async (ctx) => {
      try {
        const joined = await joinPartsInto(path, [], true, (tmp) => this.workerParts(physical, ctx, spec, tmp));
        written = joined !== null ? joined.rows : (await copyTo(spec, physical.schema, this.executor.stream(physical, this.rerun(ctx)), this.copyOptions())).rows;
      } catch (e) {
        throw writeError('CREATE TABLE', stmt.name, e);
      }
    });
    if ((await stat(folder).catch(() => null))?.isDirectory()) {
      // The table was a folder: it leaves at once under a hidden name (discovery skips it), then goes.
      const gone = join(dir, `.${stmt.name}.old-${randomName(6).toString('hex')}`);
      await rename(folder, gone);
      await rm(gone, { recursive: true, force: true });
    }
    this.catalog.set(await resolveParquetPath(path).then((t) => ({ ...t, name: stmt.name })));
    return new QueryResult(makeSchema([]), [], `SELECT ${written}`, r.result.metrics, r.result.stats);
  }

  /**
   * INSERT into a Parquet table (a local file or a folder of files). Readers see the table
   * before or after, never in between:
   *   one file   the new rows are written as parts, then the file is rewritten as its own
   *              bytes (kept at their offsets) + the parts' row groups + a new footer, and
   *              renamed over itself;
   *   a folder   the new rows become one more file in it, renamed into place when complete.
   */
  private async insertIntoFile(table: ParquetTable, stmt: Extract<Statement, { kind: 'Insert' }>, call: Call): Promise<QueryResult> {
    const location = table.location!;
    const physical = createPhysicalPlan(optimize(stmt.query, stmt.ids), { config: this.config, memoryTables: this.catalog.memoryTables() });
    const isFolder = (await stat(location).catch(() => null))?.isDirectory() === true;
    const target = isFolder ? join(location, `part-${Date.now().toString(36)}-${randomName(4).toString('hex')}.parquet`) : location;
    const spec = copySpecFor(target);
    let written = 0;
    const r = await this.runPhysical(physical, call, undefined, async (ctx) => {
      const joined = await joinPartsInto(target, isFolder ? [] : [location], !isFolder, async (tmp) => {
        const parts = await this.workerParts(physical, ctx, spec, tmp);
        if (parts !== null) return parts;
        return copyTo({ ...spec, path: join(tmp, partFileName(0)) }, physical.schema, this.executor.stream(physical, this.rerun(ctx)), this.copyOptions());
      }).catch((e: unknown) => { throw writeError('INSERT into', table.name, e); });
      written = joined!.rows;
    });
    const files = isFolder ? [...table.files, target] : table.files;
    const fresh = await resolveParquetPath(location).catch(() => null);
    this.catalog.set(fresh !== null ? { ...fresh, name: table.name } : { ...table, files });
    return new QueryResult(makeSchema([]), [], `INSERT 0 ${written}`, r.result.metrics, r.result.stats);
  }

  private async runQuery(plan: LogicalPlan, ids: IdGenerator, call: Call): Promise<{ result: QueryResult }> {
    const optimized = optimize(plan, ids);
    const physical = createPhysicalPlan(optimized, { config: this.config, memoryTables: this.catalog.memoryTables() });
    return this.runPhysical(physical, call);
  }

  /**
   * The part files of a PER_THREAD_OUTPUT COPY into `dir`: by the tasks of the query's last
   * stage on their workers when it runs distributed, else one part written here.
   */
  private async writeParts(physical: PhysicalPlan, ctx: TaskContext, spec: CopySpec, dir: string): Promise<CopyResult> {
    const compression = spec.compression === 'zstd' ? 'snappy' : spec.compression;
    const done = await this.executor.copyParts?.(physical, ctx, (task) => ({ dir, file: partFileName(task), compression, rowGroupSize: spec.rowGroupSize }));
    if (done) return done;
    const part: CopySpec = { ...spec, path: join(dir, partFileName(0)), perTask: false, overwrite: false };
    return copyTo(part, physical.schema, this.executor.stream(physical, ctx), this.copyOptions());
  }

  /** Execute a physical plan with a fresh task context; spill files are removed whatever happens. */
  async runPhysical(
    physical: PhysicalPlan, call: Call = { text: '' }, consume?: (batches: AsyncIterable<Batch>) => Promise<void>,
    run?: (ctx: TaskContext) => Promise<void>,
  ): Promise<{ result: QueryResult }> {
    const controller = new AbortController();
    const signal = call.signal;
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    let finished!: () => void;
    this.running.set(controller, new Promise<void>((resolve) => { finished = resolve; }));
    const queryId = randomBytes(6).toString('hex');
    const spill = createSpillManager(this.config, queryId, this.metrics);
    this.spills.add(spill);
    const pool = this.memoryPool;
    pool.resetPeak();
    const metrics = new MetricsSet();
    const tracker = new QueryTracker(queryId, call.text, {
      metrics: this.metrics, ...(this.logger ? { logger: this.logger } : {}),
      ...(call.onProgress ? { onProgress: call.onProgress } : {}),
      ...(call.progressIntervalMs !== undefined ? { intervalMs: call.progressIntervalMs } : {}),
    });
    tracker.runLocal(localStageInfo(physical), metrics, () => spill.stats);
    this.queries.started(tracker);
    this.metrics.queriesStarted.inc();
    this.logger?.debug({ queryId, sql: tracker.sql }, `query ${queryId} started`);
    let outcome: unknown = null;
    const ctx: TaskContext = {
      queryId, config: { ...this.config }, signal: controller.signal, memory: pool, spill, metrics,
      memoryTables: this.catalog.memoryTables(), observer: tracker,
    };
    const t0 = performance.now();
    const measure = measureTask(pool);
    try {
      let batches: Batch[] = [];
      if (run !== undefined) await run(ctx);
      else if (consume === undefined) batches = await this.executor.execute(physical, ctx);
      else await consume(this.executor.stream(physical, ctx));
      const here = measure.finish();
      const stats: QueryStats = {
        queryId, elapsedMs: performance.now() - t0, peakMemoryBytes: pool.peak, spillFiles: spill.stats.files, spillBytes: spill.stats.bytes,
        stages: [], edges: [],
      };
      const ran = this.executor.lastRun;
      if (ran?.queryId === queryId && ran.figures !== undefined) {
        stats.stages = ran.figures.stages;
        stats.edges = ran.figures.edges;
      } else {
        const root = metrics.byNode.get(physical.id);
        stats.stages = [{
          stageId: 0, tasks: 1, output: 'result', inputs: [], wallMs: here.wallMs, cpuMs: here.cpuMs, peakMemoryBytes: pool.peak,
          spillFiles: spill.stats.files, spillBytes: spill.stats.bytes, rowsOut: root?.outputRows ?? 0, batchesOut: root?.outputBatches ?? 0, bytesOut: 0,
        }];
      }
      if (ran?.queryId === queryId && ran.dag !== null) {
        // Distributed: every worker's pool and every operator's spills, wherever they ran.
        stats.peakMemoryBytes += ran.workerMemoryPeak ?? 0;
        let files = 0, bytes = 0;
        for (const m of metrics.byNode.values()) { files += m.spillCount; bytes += m.spillBytes; }
        stats.spillFiles = Math.max(files, stats.spillFiles);
        stats.spillBytes = Math.max(bytes, stats.spillBytes);
      }
      const dag = ran?.queryId === queryId ? ran.dag : null;
      const ranStages = ran?.stages ?? [];
      // The web page's EXPLAIN ANALYZE of the query, made when first asked for.
      tracker.finish(null, () => `Physical plan (analyzed):\n${dag !== null ? explainStageDag(dag, metrics, ranStages) : explainPhysical(physical, metrics)}\n` +
        `Total: ${stats.elapsedMs.toFixed(1)} ms, peak memory ${formatBytes(stats.peakMemoryBytes)}, spilled ${formatBytes(stats.spillBytes)} in ${stats.spillFiles} files`);
      this.metrics.queriesFinished.inc();
      this.logger?.info({ queryId, ms: Math.round(stats.elapsedMs), peakMemoryBytes: stats.peakMemoryBytes, spillBytes: stats.spillBytes }, `query ${queryId} finished in ${stats.elapsedMs.toFixed(0)} ms`);
      return { result: new QueryResult(physical.schema, batches, null, metrics, stats) };
    } catch (e) {
      outcome = e;
      throw e;
    } finally {
      measure.finish();
      signal?.removeEventListener('abort', onAbort);
      if (outcome !== null) {
        tracker.finish(outcome);
        this.metrics.queriesFailed.inc({ kind: errorKind(outcome) });
        const message = outcome instanceof Error ? outcome.message : String(outcome);
        this.logger?.info({ queryId, kind: errorKind(outcome), error: message }, `query ${queryId} failed: ${message}`);
      }
      this.queries.finished(tracker);
      try {
        await spill.cleanup();
      } finally {
        this.spills.delete(spill);
        this.running.delete(controller);
        finished();
      }
    }
  }

  /** This session's metrics and its worker threads', as one Prometheus scrape. */
  async metricsText(): Promise<{ text: string; contentType: string }> {
    const threads = this.executor instanceof DistributedExecutor ? await this.executor.workerMetrics() : [];
    return metricsText(this.metrics, threads);
  }

  /** For an exit that cannot wait (a second Ctrl-C, SIGTERM): remove running queries' spill folders now. */
  removeSpillFilesNow(): void {
    for (const s of this.spills) rmSync(s.queryDir, { recursive: true, force: true });
  }

  /** Cancel running queries and release resources. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const cleanedUp = [...this.running.values()];
    for (const c of this.running.keys()) c.abort(new SpillwayError('cancelled', 'session closed'));
    // Resolve only once every cancelled query has removed its spill files.
    await Promise.all(cleanedUp);
    await this.executor.close();
  }
}

/** EXPLAIN (ANALYZE, FORMAT JSON): the query's figures as one JSON document (README.md, "Query figures"). */
function analyzeJson(s: QueryStats, ran: QueryExecutor['lastRun'] | null, metrics: MetricsSet | undefined): object {
  return {
    queryId: s.queryId,
    distributed: ran?.dag?.decision.distribute === true,
    localReason: ran?.dag?.decision.distribute === true ? null : ran?.localReason ?? ran?.dag?.decision.reason ?? null,
    elapsedMs: s.elapsedMs,
    peakMemoryBytes: s.peakMemoryBytes,
    spillFiles: s.spillFiles,
    spillBytes: s.spillBytes,
    stages: s.stages,
    edges: s.edges,
    operators: metrics?.toJSON() ?? {},
  };
}

/** A CREATE TABLE … AS or INSERT that failed while writing: one line naming the table. */
function writeError(what: 'CREATE TABLE' | 'INSERT into', table: string, e: unknown): Error {
  const message = e instanceof Error ? e.message.replace(/^cannot (COPY to|write) "[^"]*": /, '') : String(e);
  if (e instanceof SpillwayError && (e.kind === 'cancelled' || message.includes(`"${table}"`))) return e;
  return new SpillwayError(e instanceof SpillwayError ? e.kind : 'io', `cannot ${what} "${table}": ${message}`, { cause: e });
}

function status(text: string): QueryResult {
  return new QueryResult(makeSchema([]), [], text);
}

function textResult(name: string, text: string): QueryResult {
  const sch: Schema = makeSchema([field(name, 'utf8', false)]);
  const rows = text.split('\n');
  return new QueryResult(sch, [{ schema: sch, length: rows.length, columns: [utf8(rows)] }], text);
}
