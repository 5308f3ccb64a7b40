/**
 * ClusterTaskRunner: the TaskRunner (exec/task_runner.ts) that places a query's
 * tasks on workers — remote processes or worker threads, through WorkerClient.
 *
 *   runStageDag ──runTask(req)──▶ pick a worker: healthy, not tried yet for this task,
 *                                  least loaded (queued + running), then fewest tasks so far
 *                                 │
 *                 ┌───────────────┼────────────────┐
 *                 ▼               ▼                ▼
 *            p-queue w0      p-queue w1  …    one bounded queue per worker
 *            (concurrency = tasksPerWorker; priority = the task's scan bytes, largest first)
 *                 │
 *                 ▼ WorkerClient.runTask ── fails ──▶ retry once on another worker
 *                                            fails again ──▶ ONE error: query, stage, task,
 *                                                            worker(s), root cause
 *
 * Health: every heartbeat_interval_ms each worker is asked for its status. A worker not heard
 * from for `missedHeartbeats` intervals is unhealthy: it gets no new tasks (a busy worker may
 * just be slow, so its running tasks go on). Its running tasks are abandoned and retried
 * elsewhere when a call shows it is gone (connection refused/reset, thread exit) or after
 * network_timeout_ms of silence. It becomes healthy again when it answers, and is then told
 * to release the queries that ended while it was away.
 *
 * Cancellation: when a query's signal aborts, its in-flight calls are cancelled and every
 * worker gets CancelQuery; releaseQuery (runStageDag calls it at the end of every query,
 * whatever the outcome) sends ReleaseQuery to every worker. Every wait has a deadline
 * except a running task's own call, which is bounded by the heartbeats instead.
 */
import PQueue from 'p-queue';
import type { Config } from '../common/config.js';
import type { TaskRequest, TaskResult, TaskRunner } from '../exec/task_runner.js';
import { SpillwayError, type ErrorKind } from '../common/errors.js';
import { childrenOf, deserializePlan, type PhysicalPlan } from '../plan/physical.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';
import { WorkerCallError, type WorkerClient } from './worker_client.js';

export interface ClusterTaskRunnerOptions {
  /** heartbeat_interval_ms and network_timeout_ms come from here. */
  config: Config;
  /** Tasks one worker runs at once (default 2). */
  tasksPerWorker?: number;
  /** Heartbeat intervals without an answer before a worker is unhealthy (default 3). */
  missedHeartbeats?: number;
  /** Warnings (unreachable/unhealthy workers); default stderr. */
  warn?: (message: string) => void;
}

interface WorkerSlot {
  readonly client: WorkerClient;
  readonly queue: PQueue;
  healthy: boolean;
  /** Why it is unhealthy (for errors and warnings). */
  reason: string;
  lastSeen: number;
  status: WorkerStatusInfo | null;
  beating: boolean;
  /** Tasks placed here so far (tie-break: spread the work). */
  assigned: number;
  /** Controllers of this worker's in-flight task calls (aborted when it turns unhealthy). */
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
  cancelHooked: boolean;
}

/** Where a failed attempt ran and why it failed. */
interface Attempt {
  worker: string;
  error: unknown;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function workerLost(e: unknown): boolean {
  return e instanceof WorkerCallError ? e.workerLost : (e as { workerLost?: unknown } | null)?.workerLost === true;
}

/** A worker turned unhealthy under a running task. */
class AbandonedTask extends WorkerCallError {}

export class ClusterTaskRunner implements TaskRunner {
  private readonly slots: WorkerSlot[];
  private readonly queries = new Map<string, QueryState>();
  /** Per finished query: tasks run per worker (read once by the executor). */
  private readonly finished = new Map<string, Record<string, number>>();
  private readonly warn: (message: string) => void;
  private readonly tasksPerWorker: number;
  private readonly missLimitMs: number;
  private timer: NodeJS.Timeout | null = null;
  private connected: Promise<void> | null = null;

  constructor(clients: readonly WorkerClient[], private readonly opts: ClusterTaskRunnerOptions) {
    this.tasksPerWorker = Math.max(1, opts.tasksPerWorker ?? 2);
    this.missLimitMs = Math.max(1, opts.missedHeartbeats ?? 3) * Math.max(1, opts.config.heartbeat_interval_ms);
    this.warn = opts.warn ?? ((m: string) => { process.stderr.write(`spillway: warning: ${m}\n`); });
    this.slots = clients.map((client) => ({
      client, queue: new PQueue({ concurrency: this.tasksPerWorker }), healthy: false, reason: 'not contacted yet',
      lastSeen: 0, status: null, beating: false, assigned: 0, inflight: new Set(), unreleased: new Set(),
    }));
  }

  private get timeoutMs(): number {
    return this.opts.config.network_timeout_ms;
  }

  /**
   * Contact every worker once (deadline network_timeout_ms), warn about each unreachable one,
   * then start the heartbeats. Idempotent.
   */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      await Promise.all(this.slots.map(async (s) => {
        try {
          s.status = await s.client.heartbeat(this.timeoutMs);
          s.healthy = true;
          s.reason = '';
          s.lastSeen = Date.now();
        } catch (e) {
          s.healthy = false;
          s.reason = `unreachable: ${messageOf(e)}`;
        }
      }));
      const up = this.healthyWorkers();
      for (const s of this.slots) {
        if (s.healthy) continue;
        const rest = up.length > 0 ? `queries run on the other ${up.length} worker${up.length === 1 ? '' : 's'} (${up.join(', ')})` : 'no worker is reachable: queries run locally';
        this.warn(`worker ${s.client.address} is unreachable (${s.reason.replace(/^unreachable: /, '')}); ${rest}`);
      }
      this.timer = setInterval(() => this.beat(), Math.max(10, this.opts.config.heartbeat_interval_ms));
      this.timer.unref();
    })();
    return this.connected;
  }

  /** Addresses of the workers that get new tasks. */
  healthyWorkers(): string[] {
    return this.slots.filter((s) => s.healthy).map((s) => s.client.address);
  }

  /** Status of each worker as of its last heartbeat. */
  workerStates(): { address: string; healthy: boolean; reason: string; status: WorkerStatusInfo | null }[] {
    return this.slots.map((s) => ({ address: s.client.address, healthy: s.healthy, reason: s.reason, status: s.status }));
  }

  /** Ask every worker for its status now; null for a worker that does not answer in time. */
  async currentStatuses(): Promise<{ address: string; status: WorkerStatusInfo | null }[]> {
    return Promise.all(this.slots.map(async (s) => ({
      address: s.client.address,
      status: await s.client.heartbeat(this.timeoutMs).catch(() => null),
    })));
  }

  get slotsPerWorker(): number {
    return this.tasksPerWorker;
  }

  private beat(): void {
    const now = Date.now();
    for (const s of this.slots) {
      const silent = now - s.lastSeen;
      if (s.healthy && silent > this.missLimitMs) this.markUnhealthy(s, `no heartbeat answer for ${silent} ms`, false);
      // Slow is not dead: running tasks are given up only after network_timeout_ms of silence.
      if (!s.healthy && silent > this.timeoutMs && s.inflight.size > 0) this.abandon(s, `no heartbeat answer for ${silent} ms`);
      if (s.beating) continue;
      s.beating = true;
      s.client.heartbeat(Math.min(this.timeoutMs, this.missLimitMs)).then(
        (status) => {
          s.status = status;
          s.lastSeen = Date.now();
          if (!s.healthy) this.markHealthy(s);
        },
        () => {},
      ).finally(() => { s.beating = false; });
    }
  }

  /** No new tasks for `s`; with `abandonRunning` (the worker is gone) its running tasks are retried elsewhere. */
  private markUnhealthy(s: WorkerSlot, reason: string, abandonRunning: boolean): void {
    if (s.healthy) {
      s.healthy = false;
      s.reason = reason;
      this.warn(`worker ${s.client.address} is unhealthy (${reason}); it gets no new tasks`);
    }
    if (abandonRunning) this.abandon(s, reason);
  }

  private abandon(s: WorkerSlot, reason: string): void {
    const lost = new AbandonedTask('remote', `worker ${s.client.address} was lost while running the task (${reason})`, true);
    for (const c of s.inflight) c.abort(lost);
  }

  private markHealthy(s: WorkerSlot): void {
    s.healthy = true;
    s.reason = '';
    this.warn(`worker ${s.client.address} answers again; it gets new tasks`);
    for (const q of [...s.unreleased]) {
      s.client.releaseQuery(q, this.timeoutMs).then(() => s.unreleased.delete(q), () => {});
    }
  }

  /** Register a query's settings before its tasks run (the executor calls this). */
  beginQuery(queryId: string, config: Config): void {
    this.queries.set(queryId, { config, tasksOn: new Map(), scanBytes: new Map(), cancelHooked: false });
  }

  /** Tasks run per worker by a finished query (once; null when unknown). */
  takeQueryStats(queryId: string): Record<string, number> | null {
    const s = this.finished.get(queryId) ?? null;
    this.finished.delete(queryId);
    return s;
  }

  async runTask(req: TaskRequest, signal: AbortSignal): Promise<TaskResult> {
    const q = this.queries.get(req.queryId);
    if (q === undefined) throw new Error(`ClusterTaskRunner: query ${req.queryId} was not begun (beginQuery)`);
    this.hookCancel(req.queryId, q, signal);
    const priority = this.scanBytesOf(q, req);
    const attempts: Attempt[] = [];
    const tried = new Set<WorkerSlot>();
    for (let attempt = 0; attempt < 2; attempt++) {
      if (signal.aborted) throw cancelledError(signal, req.queryId);
      const slot = this.pick(tried);
      if (slot === null) break;
      tried.add(slot);
      slot.assigned++;
      try {
        const r = await this.runOn(slot, req, q.config, attempt, signal, priority);
        q.tasksOn.set(slot.client.address, (q.tasksOn.get(slot.client.address) ?? 0) + 1);
        return { ...r, worker: slot.client.address };
      } catch (e) {
        if (signal.aborted) throw cancelledError(signal, req.queryId);
        attempts.push({ worker: slot.client.address, error: e });
        if (workerLost(e)) this.markUnhealthy(slot, messageOf(e), true);
      }
    }
    throw this.taskFailure(req, attempts);
  }

  /** Least-loaded healthy worker not tried yet; a tried one only if no other is healthy. */
  private pick(tried: ReadonlySet<WorkerSlot>): WorkerSlot | null {
    const healthy = this.slots.filter((s) => s.healthy);
    const fresh = healthy.filter((s) => !tried.has(s));
    const pool = fresh.length > 0 ? fresh : healthy;
    let best: WorkerSlot | null = null;
    for (const s of pool) {
      if (best === null) { best = s; continue; }
      const load = s.queue.size + s.queue.pending, bestLoad = best.queue.size + best.queue.pending;
      if (load < bestLoad || (load === bestLoad && s.assigned < best.assigned)) best = s;
    }
    return best;
  }

  private async runOn(slot: WorkerSlot, req: TaskRequest, config: Config, attempt: number, signal: AbortSignal, priority: number): Promise<TaskResult> {
    const call = new AbortController();
    const onAbort = () => call.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    slot.inflight.add(call);
    try {
      return await slot.queue.add(async () => {
        if (!slot.healthy) throw new AbandonedTask('remote', `worker ${slot.client.address} became unhealthy before the task started (${slot.reason})`, true);
        return slot.client.runTask(req, config, attempt, call.signal);
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

  private taskFailure(req: TaskRequest, attempts: readonly Attempt[]): SpillwayError {
    const last = attempts[attempts.length - 1];
    if (last === undefined) {
      const states = this.slots.map((s) => `${s.client.address}: ${s.reason || 'healthy'}`).join('; ');
      return new SpillwayError('remote', `query ${req.queryId}: no healthy worker to run the task (${states})`);
    }
    const root = last.error;
    const kind: ErrorKind = root instanceof SpillwayError && root.kind !== 'cancelled' ? root.kind : 'remote';
    const earlier = attempts.slice(0, -1).map((a) => `; first attempt on worker ${a.worker} failed: ${messageOf(a.error)}`).join('');
    return new SpillwayError(kind, `query ${req.queryId} on worker ${last.worker}: ${messageOf(root)}${earlier}`, { cause: root });
  }

  private hookCancel(queryId: string, q: QueryState, signal: AbortSignal): void {
    if (q.cancelHooked) return;
    q.cancelHooked = true;
    const cancel = () => {
      const reason = messageOf(signal.reason ?? 'cancelled');
      for (const s of this.slots) s.client.cancelQuery(queryId, reason, this.timeoutMs).catch(() => {});
    };
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  }

  /** Bytes the task scans (Parquet slices of its partition), cached per stage. */
  private scanBytesOf(q: QueryState, req: TaskRequest): number {
    let perTask = q.scanBytes.get(req.stageId);
    if (perTask === undefined) {
      perTask = [];
      const visit = (p: PhysicalPlan): void => {
        if (p.kind === 'ParquetScan') {
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
    if (q !== undefined) this.finished.set(queryId, Object.fromEntries(q.tasksOn));
    await Promise.all(this.slots.map(async (s) => {
      try {
        await s.client.releaseQuery(queryId, s.healthy ? this.timeoutMs : Math.min(this.timeoutMs, 1000));
      } catch {
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

function cancelledError(signal: AbortSignal, queryId: string): SpillwayError {
  const r: unknown = signal.reason;
  if (r instanceof SpillwayError) return r;
  return new SpillwayError('cancelled', `query ${queryId} cancelled`);
}
