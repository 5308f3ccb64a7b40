/**
 * WorkerRuntime: what a worker does, whoever hosts it (a `spillway worker` process serving
 * gRPC, or a worker thread serving MessagePorts). It holds:
 *
 *   one ExchangeBuffer ── the output partitions of every task it ran, until ReleaseQuery
 *   one MemoryPool     ── FairSpillPool when memory_limit > 0, else UnboundedPool (counting)
 *   per query          ── an AbortController (CancelQuery) and a DiskSpillManager writing
 *                         under <spill_dir>/<query id>-<worker tag>/ (several workers may
 *                         share a host and a spill_dir, so each gets its own folder); the
 *                         buffer spills the query's task outputs there too (spill figures
 *                         of a task's output go into its metrics under the writer's id)
 *
 *   RunTask ──▶ LocalTaskRunner (deserializePlan → ShuffleWriter → this.buffer)
 *                 readers reach other stages' outputs through a routing transport:
 *                   target.worker == this worker ─▶ InProcessTransport on this.buffer
 *                   anything else                ─▶ the peer transport (gRPC or ports)
 *   CancelQuery ─▶ abort the query's tasks          ReleaseQuery ─▶ abort, wait for its tasks,
 *   status()    ─▶ running tasks, memory, uptime      drop its buffers, remove its spill folder
 *
 * Leases: a query is held for query_lease_ms (its own setting) after its last task started
 * or ended, or the last heartbeat naming it (renewLeases); then it is released as above,
 * so a coordinator that died or forgot the query leaves nothing behind. A task that fails
 * or is cancelled drops its partial output; a re-run of a task replaces its old output.
 *
 * The worker's own memory_limit and spill_dir win over the coordinator's settings (they
 * describe this host); every other setting comes with the task. One structured log event per
 * finished task (observe/log.ts: worker, queryId, stageId, task, attempt, rows, ms, outcome,
 * error) at level info (warn when it failed), unless quiet.
 */
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { LocalTaskRunner, type TaskRequest, type TaskResult } from '../exec/task_runner.js';
import { ExchangeBuffer, type ExchangeStorage } from '../exchange/exchange_buffer.js';
import { InProcessTransport } from '../exchange/in_process_transport.js';
import type { ExchangeStream, ExchangeTarget, ExchangeTransport } from '../exchange/transport.js';
import { ExchangeError, describeKey } from '../exchange/transport.js';
import type { MemoryTable } from '../catalog.js';
import { writerPartitionCount } from '../exec/shuffle/shuffle_writer.js';
import { routeByRange } from '../exec/shuffle/range_bounds.js';
import { emptyMetrics } from '../common/metrics.js';
import { createMemoryPool } from '../memory/fair_pool.js';
import type { MemoryPool } from '../memory/pool.js';
import { DiskSpillManager, removeStaleSpillDirs, sanitizeFileName } from '../spill/disk_spill_manager.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';
import { deserializePlan } from '../plan/physical.js';
import { configureObjectStores } from '../storage/object_store.js';
import type { DataRoots } from './data_roots.js';
import { SpillwayMetrics } from '../observe/prometheus.js';
import { errorKind } from '../observe/progress.js';
import { createLogger, type Logger } from '../observe/log.js';

export interface WorkerRuntimeOptions {
  /** memory_limit, watermarks, spill_dir, exchange_credits and network_timeout_ms of this worker. */
  config: Config;
  /** The address peers and the coordinator use for this worker's exchange ("host:port", "thread:0"). */
  address?: string;
  /** How output is kept: 'none' (IPC-encoded once, default) or 'batches'. */
  storage?: ExchangeStorage;
  /** No task log lines (level silent). */
  quiet?: boolean;
  /** Structured logs (default: JSON on stderr at level info). */
  logger?: Logger;
  /** Instead of a logger: each log event's message goes here. */
  log?: (line: string) => void;
  /** Folders tasks may read files from; null = any (worker threads run only their host's plans). */
  dataRoots?: DataRoots | null;
  /** Where this worker counts tasks, exchange bytes, spill and memory (default: a registry of its own). */
  metrics?: SpillwayMetrics;
}

/** What Heartbeat reports. */
export interface TaskOutcome {
  result: TaskResult;
  /** Rows the task wrote per output partition. */
  partitionRows: number[];
}

interface QueryState {
  readonly controller: AbortController;
  readonly spill: DiskSpillManager;
  readonly tasks: Set<Promise<unknown>>;
  /** The running attempt of each task ("stage/task"), so a re-run waits for a cancelled one. */
  readonly attempts: Map<string, Promise<unknown>>;
  /** The query's query_lease_ms. */
  leaseMs: number;
  /** When the lease was last renewed (Date.now()). */
  renewedAt: number;
}

const NO_TABLES: ReadonlyMap<string, MemoryTable> = new Map();
/** Error kinds of a task that say nothing about the worker's health (logged at info, not warn). */
const QUERY_FAULTS: ReadonlySet<string> = new Set(['cancelled', 'execution', 'type', 'syntax', 'binder', 'unsupported']);
/** Remember this many released query ids, so a late task of one fails fast. */
const RELEASED_MEMORY = 10_000;

/** Sends reads of this worker's own outputs to its buffer, everything else to the peers. */
class RoutingTransport implements ExchangeTransport {
  constructor(private readonly runtime: WorkerRuntime, private readonly local: ExchangeTransport) {}

  open(target: ExchangeTarget, signal: AbortSignal): ExchangeStream {
    if (target.worker === null || target.worker === this.runtime.address) return this.local.open(target, signal);
    const peers = this.runtime.peers;
    if (peers === null) throw new ExchangeError('unavailable', `${describeKey(target)}: worker ${this.runtime.address} has no way to reach ${target.worker}`);
    return peers.open(target, signal);
  }

  async close(): Promise<void> {}
}

export class WorkerRuntime {
  readonly buffer: ExchangeBuffer;
  readonly pool: MemoryPool;
  readonly config: Config;
  address: string;
  /** This worker's Prometheus metrics (GET /metrics with --metrics-port). */
  readonly metrics: SpillwayMetrics;
  /** How tasks read outputs held by other workers; set by the host. */
  peers: ExchangeTransport | null = null;
  private readonly transport: RoutingTransport;
  private readonly queries = new Map<string, QueryState>();
  private readonly released = new Set<string>();
  private readonly startedAt = Date.now();
  private running = 0;
  private closed = false;
  readonly logger: Logger;
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly dataRoots: DataRoots | null;

  constructor(opts: WorkerRuntimeOptions) {
    this.config = { ...opts.config };
    this.dataRoots = opts.dataRoots ?? null;
    this.address = opts.address ?? 'worker';
    this.pool = createMemoryPool(this.config);
    this.metrics = opts.metrics ?? new SpillwayMetrics();
    this.metrics.watchMemory(() => ({ reserved: this.pool.used, limit: this.pool.limit }));
    // Task outputs spill into their query's folder (the query state exists while its tasks run).
    this.buffer = new ExchangeBuffer({
      pool: this.pool, storage: opts.storage ?? 'none', spill: (queryId) => this.queries.get(queryId)?.spill, rangeRouter: routeByRange,
    });
    const local = new InProcessTransport({
      buffers: this.buffer, credits: this.config.exchange_credits, networkTimeoutMs: this.config.network_timeout_ms,
      onStreamEvent: (e) => { if (e.type === 'sent') this.metrics.streamSent(e.counters); },
    });
    this.transport = new RoutingTransport(this, local);
    this.logger = opts.logger ?? createLogger({ level: opts.quiet ? 'silent' : 'info', base: { role: 'worker' }, ...(opts.log ? { lines: opts.log } : {}) });
    this.leaseTimer = setInterval(() => this.expireLeases(), 250);
    this.leaseTimer.unref();
  }

  /** A runtime after removing spill folders that dead processes left under spill_dir. */
  static async start(opts: WorkerRuntimeOptions): Promise<WorkerRuntime> {
    const rt = new WorkerRuntime(opts);
    const removed = await removeStaleSpillDirs(rt.config.spill_dir);
    if (removed.length > 0) rt.logger.info({ spillDir: rt.config.spill_dir, removed: removed.length }, `removed ${removed.length} stale spill folder(s) under ${rt.config.spill_dir}`);
    return rt;
  }

  /** The spill folder this worker uses for a query. */
  spillDirOf(queryId: string): string {
    return new DiskSpillManager({ spillDir: this.config.spill_dir, queryId: this.spillQueryName(queryId) }).queryDir;
  }

  private spillQueryName(queryId: string): string {
    return `${queryId}-${sanitizeFileName(this.address)}`;
  }

  private stateOf(queryId: string, config: Config): QueryState {
    let q = this.queries.get(queryId);
    if (q === undefined) {
      // The pool's peak then covers this query (and any that overlaps it) for its figures.
      if (this.queries.size === 0) this.pool.resetPeak();
      q = {
        controller: new AbortController(),
        spill: new DiskSpillManager({
          spillDir: this.config.spill_dir, queryId: this.spillQueryName(queryId),
          compression: config.spill_compression, diskQuota: config.spill_disk_quota, sink: this.metrics,
        }),
        tasks: new Set(),
        attempts: new Map(),
        leaseMs: config.query_lease_ms,
        renewedAt: Date.now(),
      };
      this.queries.set(queryId, q);
    }
    q.renewedAt = Date.now();
    return q;
  }

  /** The coordinator still runs these queries: renew their leases here. */
  renewLeases(queryIds: readonly string[]): void {
    this.metrics.heartbeats.inc({ worker: this.address, outcome: 'received' });
    const now = Date.now();
    for (const id of queryIds) {
      const q = this.queries.get(id);
      if (q !== undefined) q.renewedAt = now;
    }
  }

  /** Release every query whose lease ran out (its coordinator is gone or forgot it). */
  private expireLeases(): void {
    const now = Date.now();
    for (const [id, q] of this.queries) {
      const idle = now - q.renewedAt;
      if (idle <= q.leaseMs) continue;
      q.renewedAt = Number.POSITIVE_INFINITY; // once
      this.logger.warn({ worker: this.address, queryId: id, idleMs: idle }, `query ${id}: lease expired (not renewed for ${idle} ms); releasing it`);
      this.releaseQuery(id).catch((e: unknown) => {
        this.logger.error({ worker: this.address, queryId: id }, `releasing query ${id} failed: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  }

  /** Run one task to completion; its output stays in this.buffer until releaseQuery. */
  async runTask(req: TaskRequest, queryConfig: Config, attempt = 0, signal?: AbortSignal): Promise<TaskOutcome> {
    const where = `query ${req.queryId} stage ${req.stageId} task ${req.task}`;
    if (this.closed) throw new SpillwayError('cancelled', `worker ${this.address} is shutting down; ${where} not started`);
    if (this.released.has(req.queryId)) throw new SpillwayError('cancelled', `${where}: the query was already released on worker ${this.address}`);
    this.dataRoots?.checkPlan(deserializePlan(req.plan));
    // A distributed COPY writes its part files only below the data roots too.
    if (req.copy !== undefined) this.dataRoots?.checkFile(req.copy.dir);
    const q = this.stateOf(req.queryId, queryConfig);
    const config: Config = {
      ...queryConfig,
      memory_limit: this.config.memory_limit, spill_dir: this.config.spill_dir,
      memory_high_watermark: this.config.memory_high_watermark, memory_low_watermark: this.config.memory_low_watermark,
    };
    configureObjectStores(config); // the task reads s3:// itself, with the query's S3 settings
    const taskSignal = signal ? AbortSignal.any([q.controller.signal, signal]) : q.controller.signal;
    const runner = new LocalTaskRunner({
      buffer: this.buffer, transport: this.transport, config, memory: this.pool, spill: q.spill, memoryTables: NO_TABLES, worker: this.address,
    });
    const started = new Date();
    const t0 = performance.now();
    const writerId = { queryId: req.queryId, stageId: req.stageId, task: req.task };
    const ids = { worker: this.address, queryId: req.queryId, stageId: req.stageId, task: req.task, attempt };
    const taskKey = `${req.stageId}/${req.task}`;
    const earlier = q.attempts.get(taskKey);
    // An abandoned attempt of the same task may still be unwinding here: let it finish first.
    if (earlier !== undefined) await settleWithin([earlier], this.config.network_timeout_ms);
    // A re-run (its earlier output was lost to the coordinator, or an attempt failed here).
    this.buffer.dropWriter(writerId);
    this.running++;
    this.metrics.tasksStarted.inc();
    const run = runner.runTask(req, taskSignal);
    q.tasks.add(run);
    q.attempts.set(taskKey, run);
    try {
      const result = await run;
      this.addSpillMetrics(req, result);
      const partitionRows = this.partitionRows(req);
      const rows = partitionRows.reduce((a, b) => a + b, 0);
      this.metrics.taskEnded((performance.now() - t0) / 1000, null);
      let received = 0;
      for (const m of Object.values(result.metrics)) received += m.extra.bytesReceived ?? 0;
      this.metrics.exchangeReceivedBytes.inc(received);
      const ms = Math.round(performance.now() - t0);
      this.logger.info({ ...ids, startedAt: started.toISOString(), rows, ms }, `${where} attempt ${attempt}: ok, ${rows} rows in ${ms} ms`);
      return { result: { ...result, memoryPeak: this.pool.peak }, partitionRows };
    } catch (e) {
      const cancelled = taskSignal.aborted || (e instanceof SpillwayError && e.kind === 'cancelled');
      const message = e instanceof Error ? e.message : String(e);
      const kind = cancelled ? 'cancelled' : errorKind(e);
      const ms = Math.round(performance.now() - t0);
      this.metrics.taskEnded(ms / 1000, kind);
      // Failures of the query itself (bad data, a bad cast) are the coordinator's to report: info.
      const level = QUERY_FAULTS.has(kind) ? 'info' : 'warn';
      this.logger[level]({ ...ids, startedAt: started.toISOString(), ms, outcome: cancelled ? 'cancelled' : 'failed', kind, error: message },
        `${where} attempt ${attempt}: ${cancelled ? 'cancelled' : 'failed'} after ${ms} ms: ${message}`);
      // Nobody reads a failed or cancelled attempt's output: free it now, not at release.
      this.buffer.dropWriter(writerId);
      if (cancelled && !(e instanceof SpillwayError && e.kind === 'cancelled')) {
        throw new SpillwayError('cancelled', `${where} cancelled on worker ${this.address}`, { cause: e });
      }
      throw e;
    } finally {
      this.running--;
      q.tasks.delete(run);
      if (q.attempts.get(taskKey) === run) q.attempts.delete(taskKey);
      if (q.renewedAt !== Number.POSITIVE_INFINITY) q.renewedAt = Date.now();
    }
  }

  /**
   * What the buffer spilled of this task's output while the task ran, under the writer's
   * metrics id: the spill fields, and extra.exchangeSpillBytes to tell them from an
   * operator's spills (spills of a finished output later on are not reported).
   */
  private addSpillMetrics(req: TaskRequest, result: TaskResult): void {
    const s = this.buffer.writer({ queryId: req.queryId, stageId: req.stageId, task: req.task })?.spillStats;
    if (s === undefined || s.files === 0) return;
    const id = String(req.writerMetricsId);
    const m = result.metrics[id] ?? (result.metrics[id] = emptyMetrics());
    m.spillCount += s.files;
    m.spillBytes += s.bytes;
    m.spillRows += s.rows;
    m.extra.exchangeSpillBytes = (m.extra.exchangeSpillBytes ?? 0) + s.bytes;
  }

  private partitionRows(req: TaskRequest): number[] {
    const rows: number[] = [];
    for (let p = 0; p < writerPartitionCount(req.output); p++) {
      try {
        rows.push(this.buffer.lookup({ queryId: req.queryId, stageId: req.stageId, task: req.task, partition: p })?.rows ?? 0);
      } catch {
        rows.push(0); // released meanwhile
      }
    }
    return rows;
  }

  /** Stop every task of the query on this worker (its output stays until releaseQuery). */
  cancelQuery(queryId: string, reason = 'cancelled by the coordinator'): void {
    this.queries.get(queryId)?.controller.abort(new SpillwayError('cancelled', `query ${queryId} ${reason}`));
  }

  /** Cancel the query's tasks, wait for them to stop, drop its buffers and spill folder. */
  async releaseQuery(queryId: string): Promise<void> {
    const q = this.queries.get(queryId);
    this.released.add(queryId);
    if (this.released.size > RELEASED_MEMORY) this.released.delete(this.released.values().next().value!);
    // Memory is freed at once; the buffer's spill files are deleted in the background.
    const dropped = this.buffer.releaseQuery(queryId);
    if (q === undefined) { await dropped; return; }
    q.controller.abort(new SpillwayError('cancelled', `query ${queryId} released`));
    // Operators stop at their next batch; bound the wait so a stuck one cannot hold the release.
    await settleWithin([...q.tasks], this.config.network_timeout_ms);
    this.queries.delete(queryId);
    await dropped;
    await q.spill.cleanup();
  }

  status(): WorkerStatusInfo {
    return {
      address: this.address,
      runningTasks: this.running,
      memoryUsed: this.pool.used,
      memoryLimit: this.pool.limit,
      exchangeBufferedBytes: this.buffer.bufferedBytes,
      uptimeMs: Date.now() - this.startedAt,
      queries: this.queries.size,
      exchangeWireBytesSent: this.buffer.served.wireBytes,
    };
  }

  /** Cancel everything and release every query (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.leaseTimer);
    await Promise.all([...this.queries.keys()].map((q) => this.releaseQuery(q)));
    await this.peers?.close();
  }
}

async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}
