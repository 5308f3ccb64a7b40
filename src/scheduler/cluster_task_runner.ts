/**
 * ClusterTaskRunner: the TaskRunner (exec/task_runner.ts) that places a query's
 * tasks on workers — remote processes or worker threads, through WorkerClient. One call of
 * runTask is ONE attempt; the stage scheduler decides about retries (scheduler/failures.ts).
 *
 *   runStageDag ──runTask(req, placement)──▶ pick a worker: healthy, not excluded (a worker
 *                                  running another copy of the task), preferably not one
 *                                  that failed it, least loaded, then fewest tasks so far
 *                 ┌───────────────┼────────────────┐
 *                 ▼               ▼                ▼
 *            p-queue w0      p-queue w1  …    one bounded queue per worker
 *            (concurrency = tasksPerWorker; priority = the task's scan bytes, largest first)
 *                 │
 *                 ▼ WorkerClient.runTask ── fails ──▶ the error as it is (the worker is marked
 *                                                     lost when the error says it is gone)
 *
 * Health: every heartbeat_interval_ms each worker is asked for its status (the heartbeat
 * names the queries running here, renewing their leases on that worker). A worker not heard
 * from for `missedHeartbeats` intervals is unhealthy: it gets no new tasks (it may just be
 * busy). After worker_heartbeat_timeout_ms of silence, or at once when a call shows it is
 * gone (connection refused/reset, thread exit) or a reader could not reach it, it is LOST:
 * its running tasks are abandoned (they fail as retryable) and onWorkerLost listeners are
 * told, so the outputs it held get recomputed elsewhere. It becomes healthy again when it
 * answers, and is then told to release the queries that ended while it was away.
 *
 * Cancellation: cancelQuery sends CancelQuery to every worker; an aborted task signal
 * cancels that call only. releaseQuery (runStageDag calls it at the end of every query,
 * whatever the outcome) sends ReleaseQuery to every worker. Every wait has a deadline
 * except a running task's own call, which is bounded by the heartbeats instead.
 */
import PQueue from 'p-queue';
import type { Config } from '../common/config.js';
import type { TaskRequest, TaskResult, TaskRunner } from '../exec/task_runner.js';
import { SpillwayError } from '../common/errors.js';
import { parseFetchFailure } from '../exec/shuffle/fetch_failure.js';
import { childrenOf, deserializePlan, type PhysicalPlan } from '../plan/physical.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';
import { InputsLostError, NoWorkerError } from './failures.js';
import { WorkerCallError, type WorkerClient } from './worker_client.js';

export interface ClusterTaskRunnerOptions {
  /** heartbeat_interval_ms, worker_heartbeat_timeout_ms and network_timeout_ms come from here. */
  config: Config;
  /** Tasks one worker runs at once (default 2). */
  tasksPerWorker?: number;
  /** Heartbeat intervals without an answer before a worker is unhealthy (default 3). */
  missedHeartbeats?: number;
  /** Warnings (unreachable/unhealthy workers); default stderr. Each distinct message once. */
  warn?: (message: string) => void;
  /** Told of every heartbeat's outcome (the coordinator's metrics). */
  onHeartbeat?: (worker: string, ok: boolean) => void;
}

/** Where one attempt may run (the stage scheduler's view of the task's copies and failures). */
export interface Placement {
  /** Workers that failed this task before: used only when no other worker is healthy. */
  avoid?: ReadonlySet<string>;
  /** Workers that must not get it (they run another copy of the task). */
  exclude?: ReadonlySet<string>;
  /** Attempt number, for the worker's log. */
  attempt?: number;
  /** Told the worker as soon as the task is placed. */
  onPlaced?: (worker: string) => void;
  /** Called when the worker's queue starts the call (the task's running time starts). */
  onStarted?: () => void;
}

export type WorkerLostListener = (worker: string, reason: string) => void;

interface WorkerSlot {
  readonly client: WorkerClient;
  readonly queue: PQueue;
  healthy: boolean;
  /** Declared lost (silent past the heartbeat timeout, or gone): its outputs are recomputed. */
  lost: boolean;
  /** Why it is unhealthy (for errors and warnings). */
  reason: string;
  lastSeen: number;
  status: WorkerStatusInfo | null;
  beating: boolean;
  /** Tasks placed here so far (tie-break: spread the work). */
  assigned: number;
  /** Controllers of this worker's in-flight task calls (aborted when it is lost). */
  readonly inflight: Set<AbortController>;
  /** Queries that ended while it was unreachable: released when it is back. */
  readonly unreleased: Set<string>;
}

interface QueryState {
  config: Config;
  /** Tasks that succeeded, per worker address. */
  readonly tasksOn: Map<string, number>;
  /** Scan bytes per task, by stage id (the queue priority). */
  readonly scanBytes: Map<number, number[]>;
  /** Task attempts started (every try of every task, speculative copies included). */
  attempts: number;
}

/** What a finished query did on the cluster. */
export interface QueryRunStats {
  /** Tasks that succeeded, per worker address. */
  tasksPerWorker: Record<string, number>;
  /** Task attempts started, retries and speculative copies included. */
  attempts: number;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function workerLost(e: unknown): boolean {
  return e instanceof WorkerCallError ? e.workerLost : (e as { workerLost?: unknown } | null)?.workerLost === true;
}

/** A worker was lost under a running task. */
class AbandonedTask extends WorkerCallError {}

export class ClusterTaskRunner implements TaskRunner {
  private readonly slots: WorkerSlot[];
  private readonly queries = new Map<string, QueryState>();
  /** Per finished query: what it did (read once by the executor). */
  private readonly finished = new Map<string, QueryRunStats>();
  private readonly lostListeners = new Set<WorkerLostListener>();
  private readonly warned = new Set<string>();
  private readonly warnSink: (message: string) => void;
  private readonly tasksPerWorker: number;
  private readonly missLimitMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** When the last heartbeat tick ran (its lateness is time this thread could not read answers). */
  private lastTick = 0;
  private connected: Promise<void> | null = null;

  constructor(clients: readonly WorkerClient[], private readonly opts: ClusterTaskRunnerOptions) {
    this.tasksPerWorker = Math.max(1, opts.tasksPerWorker ?? 2);
    this.missLimitMs = Math.max(1, opts.missedHeartbeats ?? 3) * Math.max(1, opts.config.heartbeat_interval_ms);
    this.warnSink = opts.warn ?? ((m: string) => { process.stderr.write(`spillway: warning: ${m}\n`); });
    this.slots = clients.map((client) => ({
      client, queue: new PQueue({ concurrency: this.tasksPerWorker }), healthy: false, lost: false, reason: 'not contacted yet',
      lastSeen: 0, status: null, beating: false, assigned: 0, inflight: new Set(), unreleased: new Set(),
    }));
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warnSink(message);
  }

  private get timeoutMs(): number {
    return this.opts.config.network_timeout_ms;
  }

  private get lostAfterMs(): number {
    return Math.max(this.missLimitMs, this.opts.config.worker_heartbeat_timeout_ms);
  }

  /**
   * Contact every worker once (deadline: the smaller of network_timeout_ms and
   * worker_heartbeat_timeout_ms), warn about each unreachable one, then start the
   * heartbeats. Idempotent.
   */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      const deadline = Math.min(this.timeoutMs, this.opts.config.worker_heartbeat_timeout_ms);
      await Promise.all(this.slots.map(async (s) => {
        try {
          s.status = await s.client.heartbeat(deadline, []);
          s.healthy = true;
          s.reason = '';
          s.lastSeen = Date.now();
        } catch (e) {
          s.healthy = false;
          s.reason = `unreachable: ${causeOf(e)}`;
        }
      }));
      const up = this.healthyWorkers();
      if (up.length > 0) {
        for (const s of this.slots) {
          if (s.healthy) continue;
          this.warn(`worker ${s.client.address} is unreachable (${s.reason.replace(/^unreachable: /, '')}); queries run on the other ${up.length} worker${up.length === 1 ? '' : 's'} (${up.join(', ')})`);
        }
      }
      this.lastTick = Date.now();
      this.timer = setInterval(() => this.beat(), Math.max(10, this.opts.config.heartbeat_interval_ms));
      this.timer.unref();
    })();
    return this.connected;
  }

  /** Addresses of the workers that get new tasks. */
  healthyWorkers(): string[] {
    return this.slots.filter((s) => s.healthy).map((s) => s.client.address);
  }

  /** One line naming every worker and why it cannot take tasks. */
  describeUnreachable(): string {
    return this.slots.map((s) => `${s.client.address} (${s.reason.replace(/^unreachable: /, '') || 'healthy'})`).join(', ');
  }

  /** Status of each worker as of its last heartbeat. */
  workerStates(): { address: string; healthy: boolean; lost: boolean; reason: string; status: WorkerStatusInfo | null }[] {
    return this.slots.map((s) => ({ address: s.client.address, healthy: s.healthy, lost: s.lost, reason: s.reason, status: s.status }));
  }

  /** Ask every worker for its status now; null for a worker that does not answer in time. */
  async currentStatuses(): Promise<{ address: string; status: WorkerStatusInfo | null }[]> {
    return Promise.all(this.slots.map(async (s) => ({
      address: s.client.address,
      status: await s.client.heartbeat(this.timeoutMs, this.activeQueries()).catch(() => null),
    })));
  }

  get slotsPerWorker(): number {
    return this.tasksPerWorker;
  }

  /** Told whenever a worker is declared lost; returns the unsubscribe function. */
  onWorkerLost(listener: WorkerLostListener): () => void {
    this.lostListeners.add(listener);
    return () => { this.lostListeners.delete(listener); };
  }

  /** True when the worker is lost (its outputs must not be read). */
  isLost(worker: string): boolean {
    return this.slots.some((s) => s.client.address === worker && s.lost);
  }

  private activeQueries(): string[] {
    return [...this.queries.keys()];
  }

  private beat(): void {
    const now = Date.now();
    // A tick that comes late found this thread busy (a long local query, a loaded machine):
    // answers that arrived meanwhile wait behind this timer, so that stretch is not the
    // workers' silence. Without this, idle worker threads read as unhealthy after every
    // long stretch of work in the calling thread.
    const stalled = Math.max(0, now - this.lastTick - Math.max(10, this.opts.config.heartbeat_interval_ms));
    this.lastTick = now;
    const queries = this.activeQueries();
    for (const s of this.slots) {
      if (s.lastSeen > 0) s.lastSeen = Math.min(now, s.lastSeen + stalled);
      const silent = now - s.lastSeen;
      if (s.healthy && silent > this.missLimitMs) this.markUnhealthy(s, `no heartbeat answer for ${silent} ms`);
      if (!s.lost && s.lastSeen > 0 && silent > this.lostAfterMs) this.markLost(s, `no heartbeat answer for ${silent} ms`);
      if (s.beating) continue;
      s.beating = true;
      s.client.heartbeat(Math.min(this.timeoutMs, this.missLimitMs), queries).then(
        (status) => {
          s.status = status;
          s.lastSeen = Date.now();
          if (!s.healthy) this.markHealthy(s);
          this.opts.onHeartbeat?.(s.client.address, true);
        },
        () => { this.opts.onHeartbeat?.(s.client.address, false); },
      ).finally(() => { s.beating = false; });
    }
  }

  /** No new tasks for `s` (it may only be busy). */
  private markUnhealthy(s: WorkerSlot, reason: string): void {
    if (!s.healthy) return;
    s.healthy = false;
    s.reason = reason;
    this.warn(`worker ${s.client.address} is unhealthy (${reason}); it gets no new tasks`);
  }

  /** `s` is gone: abandon its running tasks and have its outputs recomputed. */
  private markLost(s: WorkerSlot, reason: string): void {
    s.healthy = false;
    if (s.lost) return;
    s.lost = true;
    s.reason = reason;
    // lastSeen 0 = "not heard from since": it must answer a heartbeat to come back.
    s.lastSeen = 0;
    this.warn(`worker ${s.client.address} is lost (${firstLine(reason)}); its tasks and outputs move to the other workers`);
    const lost = new AbandonedTask('remote', `worker ${s.client.address} was lost while running the task (${reason})`, true);
    for (const c of s.inflight) c.abort(lost);
    for (const l of [...this.lostListeners]) l(s.client.address, reason);
  }

  /** A reader reported it cannot reach `address` (FetchFailedError): treat that worker as lost. */
  reportLost(address: string, reason: string): void {
    const s = this.slots.find((x) => x.client.address === address);
    if (s !== undefined) this.markLost(s, reason);
  }

  private markHealthy(s: WorkerSlot): void {
    const wasLost = s.lost;
    s.healthy = true;
    s.lost = false;
    s.reason = '';
    if (wasLost) this.warned.clear(); // a later loss of the same worker is news again
    for (const q of [...s.unreleased]) {
      s.client.releaseQuery(q, this.timeoutMs).then(() => s.unreleased.delete(q), () => {});
    }
  }

  /** Register a query's settings before its tasks run (the executor calls this). */
  beginQuery(queryId: string, config: Config): void {
    this.queries.set(queryId, { config, tasksOn: new Map(), scanBytes: new Map(), attempts: 0 });
  }

  /** What a finished query did (once; null when unknown). */
  takeQueryStats(queryId: string): QueryRunStats | null {
    const s = this.finished.get(queryId) ?? null;
    this.finished.delete(queryId);
    return s;
  }

  /** One attempt of one task on one worker; rejects with the failure as it is. */
  async runTask(req: TaskRequest, signal: AbortSignal, placement: Placement = {}): Promise<TaskResult> {
    const q = this.queries.get(req.queryId);
    if (q === undefined) throw new Error(`ClusterTaskRunner: query ${req.queryId} was not begun (beginQuery)`);
    if (signal.aborted) throw cancelledError(signal, req.queryId);
    const lostInputs = this.lostInputs(req);
    if (lostInputs.length > 0) throw new InputsLostError(lostInputs, `inputs of stage ${req.stageId} task ${req.task} are on lost worker(s) ${lostInputs.join(', ')}`);
    const slot = this.pick(placement);
    if (slot === null) {
      const excluded = placement.exclude !== undefined && placement.exclude.size > 0 ? ` besides ${[...placement.exclude].join(', ')}` : '';
      throw new NoWorkerError(`query ${req.queryId}: no healthy worker${excluded} to run the task (${this.describeUnreachable()})`);
    }
    slot.assigned++;
    q.attempts++;
    placement.onPlaced?.(slot.client.address);
    try {
      const r = await this.runOn(slot, req, q.config, placement, signal, this.scanBytesOf(q, req));
      q.tasksOn.set(slot.client.address, (q.tasksOn.get(slot.client.address) ?? 0) + 1);
      return { ...r, worker: slot.client.address };
    } catch (e) {
      if (signal.aborted) throw cancelledError(signal, req.queryId);
      if (workerLost(e)) this.markLost(slot, messageOf(e));
      const fetch = parseFetchFailure(messageOf(e));
      // A reader that could not reach a worker (refused, silent): that worker is gone.
      if (fetch !== null && !/the query was released|only \d+ output partitions/.test(messageOf(e))) this.reportLost(fetch.worker, messageOf(e));
      throw e;
    }
  }

  /** Input locations of `req` on lost workers. */
  private lostInputs(req: TaskRequest): string[] {
    const lost = new Set<string>();
    for (const loc of Object.values(req.inputs)) {
      for (const w of loc.workers) if (w !== null && this.isLost(w)) lost.add(w);
    }
    return [...lost];
  }

  /** Least-loaded healthy worker not excluded; one to avoid only if no other is healthy. */
  private pick(p: Placement): WorkerSlot | null {
    const healthy = this.slots.filter((s) => s.healthy && !(p.exclude?.has(s.client.address) ?? false));
    const fresh = healthy.filter((s) => !(p.avoid?.has(s.client.address) ?? false));
    const pool = fresh.length > 0 ? fresh : healthy;
    let best: WorkerSlot | null = null;
    for (const s of pool) {
      if (best === null) { best = s; continue; }
      const load = s.queue.size + s.queue.pending, bestLoad = best.queue.size + best.queue.pending;
      if (load < bestLoad || (load === bestLoad && s.assigned < best.assigned)) best = s;
    }
    return best;
  }

  private async runOn(slot: WorkerSlot, req: TaskRequest, config: Config, placement: Placement, signal: AbortSignal, priority: number): Promise<TaskResult> {
    const call = new AbortController();
    const onAbort = () => call.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    slot.inflight.add(call);
    try {
      return await slot.queue.add(async () => {
        if (!slot.healthy) throw new AbandonedTask('remote', `worker ${slot.client.address} became unhealthy before the task started (${slot.reason})`, slot.lost);
        placement.onStarted?.();
        return slot.client.runTask(req, config, placement.attempt ?? 0, call.signal);
      }, { priority, signal: call.signal });
    } catch (e) {
      // p-queue rejects a queued task with the abort reason; a running one fails its call.
      if (call.signal.aborted && !signal.aborted) throw call.signal.reason;
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      slot.inflight.delete(call);
    }
  }

  /** Tell every worker to stop the query's tasks (their outputs stay until releaseQuery). */
  cancelQuery(queryId: string, reason: string): void {
    for (const s of this.slots) {
      if (!s.lost) s.client.cancelQuery(queryId, reason, Math.min(this.timeoutMs, 5000)).catch(() => {});
    }
  }

  /** Bytes the task scans (Parquet slices of its partition), cached per stage. */
  private scanBytesOf(q: QueryState, req: TaskRequest): number {
    let perTask = q.scanBytes.get(req.stageId);
    if (perTask === undefined) {
      perTask = [];
      const visit = (p: PhysicalPlan): void => {
        if (p.kind === 'ParquetScan' || p.kind === 'CsvScan') {
          p.slices.forEach((slices, t) => { perTask![t] = (perTask![t] ?? 0) + slices.reduce((n, s) => n + s.bytes, 0); });
        }
        for (const c of childrenOf(p)) visit(c);
      };
      try {
        visit(deserializePlan(req.plan));
      } catch {
        // A priority only: an unreadable plan fails on the worker with a proper message.
      }
      q.scanBytes.set(req.stageId, perTask);
    }
    return perTask[req.task] ?? 0;
  }

  /** Release the query on every worker (success, error or cancel alike). */
  async releaseQuery(queryId: string): Promise<void> {
    const q = this.queries.get(queryId);
    this.queries.delete(queryId);
    if (q !== undefined) this.finished.set(queryId, { tasksPerWorker: Object.fromEntries(q.tasksOn), attempts: q.attempts });
    await Promise.all(this.slots.map(async (s) => {
      try {
        await s.client.releaseQuery(queryId, s.healthy ? this.timeoutMs : Math.min(this.timeoutMs, 1000));
      } catch {
        // Retried when it answers again; its lease on the query expires meanwhile.
        s.unreleased.add(queryId);
      }
    }));
  }

  /** Stop the heartbeats and close every client. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.slots) s.queue.clear();
    await Promise.all(this.slots.map((s) => s.client.close().catch(() => {})));
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** The useful part of a connection error: gRPC appends empty "Resolution note:" lines. */
export function causeOf(e: unknown): string {
  return firstLine(messageOf(e))
    .replace(/\s*Resolution note:\s*$/, '')
    .replace(/^worker \S+ (?:is unreachable )?\(\w+\): /, '')
    .replace(/^No connection established\. Last error: (?:Error: )?/, '')
    .replace(/\.$/, '')
    .trim();
}

function cancelledError(signal: AbortSignal, queryId: string): SpillwayError {
  const r: unknown = signal.reason;
  if (r instanceof SpillwayError) return r;
  return new SpillwayError('cancelled', `query ${queryId} cancelled`);
}
