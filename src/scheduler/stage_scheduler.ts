/**
 * runStageDag: the scheduler for a stage DAG. Runs every task of every stage through a
 * TaskRunner — by default a LocalTaskRunner in THIS process with one ExchangeBuffer and the
 * InProcessTransport — then reads the root stage's single output partition as the result.
 *
 *   stage 0 (4 tasks) ─┐                         a stage starts once all its input stages
 *   stage 1 (4 tasks) ─┼─▶ stage 2 (4 tasks) ─▶ stage 3 (1 task: result)
 *                      │       ▲ inputs: {0: workers[], 1: workers[]}  (+ range bounds)
 *   at most maxConcurrentTasks tasks run at once, over all stages
 *
 * After a range-partitioned stage, the bounds are computed here from its tasks' samples
 * (exec/shuffle/range_bounds.ts) and handed to its readers with its location.
 * The first task error aborts the rest and is reported once, naming stage and task; the
 * query's exchange buffers are released at the end whatever happened (success, error,
 * abort). Metrics: every task's MetricsSet merged, plus per-stage totals (StageRunStats).
 */
import type { Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { ExchangeBuffer } from '../exchange/exchange_buffer.js';
import { InProcessTransport } from '../exchange/in_process_transport.js';
import { recordStreamMetrics, type ExchangeTransport } from '../exchange/transport.js';
import type { TaskContext } from '../exec/context.js';
import { computeRangeBounds, type KeySample } from '../exec/shuffle/range_bounds.js';
import type { StageInputLocation } from '../exec/shuffle/task_exchange.js';
import { MetricsSet } from '../common/metrics.js';
import { serializePlan } from '../plan/physical.js';
import type { Stage, StageDag } from '../distributed/stage.js';
import { LocalTaskRunner, type TaskResult, type TaskRunner } from '../exec/task_runner.js';

export interface RunStageDagOptions {
  /** The query's context: id, settings, cancellation, memory, spill, in-memory tables. */
  ctx: TaskContext;
  /** Tasks running at once, over all stages (default 4). */
  maxConcurrentTasks?: number;
  /** Who runs the tasks; default a LocalTaskRunner over a fresh ExchangeBuffer. */
  runner?: TaskRunner;
  /** How the result is read from the root task; required with a custom runner. */
  transport?: ExchangeTransport;
  /** Producer streams one reader partition opens at once (LocalTaskRunner only; default 4). */
  maxStreams?: number;
}

export interface StageRunStats {
  stageId: number;
  tasks: number;
  rowsOut: number;
  batchesOut: number;
  /** In-memory bytes of the batches the stage's writers appended. */
  bytesOut: number;
  elapsedMs: number;
}

export interface StageDagResult {
  batches: Batch[];
  /** Every task's metrics merged, keyed by plan node id (writers under Stage.exchangeId). */
  metrics: MetricsSet;
  stages: StageRunStats[];
}

/** A counting semaphore for task slots. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) { this.free = Math.max(1, n); }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.free++;
    }
  }
}

export async function runStageDag(dag: StageDag, opts: RunStageDagOptions): Promise<StageDagResult> {
  const { ctx } = opts;
  let runner = opts.runner;
  let transport = opts.transport;
  if (runner === undefined) {
    const buffer = new ExchangeBuffer({ pool: ctx.memory, spill: ctx.spill });
    transport ??= new InProcessTransport({ buffers: buffer, credits: ctx.config.exchange_credits, networkTimeoutMs: ctx.config.network_timeout_ms });
    runner = new LocalTaskRunner({
      buffer, transport, config: ctx.config, memory: ctx.memory, spill: ctx.spill, memoryTables: ctx.memoryTables,
      ...(opts.maxStreams !== undefined ? { maxStreams: opts.maxStreams } : {}),
    });
  }
  if (transport === undefined) throw new Error('runStageDag: a custom TaskRunner needs the transport that reads its outputs');

  const queryId = ctx.queryId;
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });

  const metrics = new MetricsSet();
  const locations = new Map<number, StageInputLocation>();
  const elapsed = new Map<number, number>();
  const slots = new Slots(opts.maxConcurrentTasks ?? 4);
  let failure: Error | null = null;
  const fail = (e: unknown): void => {
    if (failure === null) {
      failure = e instanceof Error ? e : new Error(String(e));
      controller.abort(failure);
    }
  };

  const runTask = async (stage: Stage, plan: string, task: number, inputs: Record<string, StageInputLocation>): Promise<TaskResult> => {
    if (controller.signal.aborted) throw failure ?? cancelledError(controller.signal);
    try {
      const r = await runner.runTask({
        queryId, stageId: stage.id, task, plan, output: stage.output, writerMetricsId: stage.exchangeId, inputs,
      }, controller.signal);
      metrics.merge(r.metrics);
      return r;
    } catch (e) {
      fail(taskError(stage.id, task, e));
      throw e;
    }
  };

  const runStage = async (stage: Stage, ready: Promise<void>[]): Promise<void> => {
    await Promise.all(ready);
    const t0 = performance.now();
    const plan = serializePlan(stage.plan);
    const inputs: Record<string, StageInputLocation> = {};
    for (const i of stage.inputs) inputs[String(i)] = locations.get(i)!;
    const settled = await Promise.allSettled(
      Array.from({ length: stage.tasks }, (_x, t) => slots.run(() => runTask(stage, plan, t, inputs))),
    );
    const results: TaskResult[] = [];
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      results.push(s.value);
    }
    const location: StageInputLocation = { workers: results.map((r) => r.worker) };
    if (stage.output.kind === 'range') {
      const samples: KeySample[] = results.map((r) => r.sample ?? { rows: [], seen: 0 });
      location.bounds = computeRangeBounds(samples, stage.output.keys, stage.output.partitions);
    }
    locations.set(stage.id, location);
    elapsed.set(stage.id, performance.now() - t0);
  };

  try {
    const done = new Map<number, Promise<void>>();
    for (const stage of dag.stages) {
      const ready = stage.inputs.map((i) => {
        const p = done.get(i);
        if (p === undefined) throw new Error(`stage ${stage.id} reads stage ${i}, which does not run before it`);
        return p;
      });
      const p = runStage(stage, ready);
      p.catch(() => {}); // observed below; keeps an early rejection from being reported as unhandled
      done.set(stage.id, p);
    }
    await Promise.allSettled(done.values());
    if (failure !== null) throw failure;
    for (const p of done.values()) await p;

    const root = dag.stages.find((s) => s.id === dag.rootStageId)!;
    const where = locations.get(root.id)!;
    const stream = transport.open({
      queryId, stageId: root.id, task: 0, partition: 0, worker: where.workers[0] ?? null, compression: ctx.config.exchange_compression,
    }, controller.signal);
    const batches: Batch[] = [];
    for await (const b of stream) batches.push(b);
    recordStreamMetrics(metrics, root.exchangeId, stream.counters, 'received');
    return { batches, metrics, stages: dag.stages.map((s) => stageStats(s, metrics, elapsed.get(s.id) ?? 0)) };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await runner.releaseQuery(queryId);
  }
}

function stageStats(s: Stage, metrics: MetricsSet, elapsedMs: number): StageRunStats {
  const extra = metrics.byNode.get(s.exchangeId)?.extra ?? {};
  return {
    stageId: s.id, tasks: s.tasks, elapsedMs,
    rowsOut: extra.rowsSent ?? 0, batchesOut: extra.batchesSent ?? 0, bytesOut: extra.bytesSent ?? 0,
  };
}

function cancelledError(signal: AbortSignal): SpillwayError {
  const r: unknown = signal.reason;
  return r instanceof SpillwayError ? r : new SpillwayError('cancelled', 'query cancelled');
}

/** The root cause of a failed query, naming where it happened. */
function taskError(stageId: number, task: number, e: unknown): Error {
  const where = `stage ${stageId} task ${task}`;
  if (e instanceof SpillwayError) {
    return e.kind === 'cancelled' ? e : new SpillwayError(e.kind, `${where}: ${e.message}`, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new Error(`${where}: ${message}`, { cause: e });
}
