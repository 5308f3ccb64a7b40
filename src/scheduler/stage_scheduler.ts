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
 * Lineage: per stage, which task's output lives on which worker (StageRun.outputs). A
 * stage is "ensured" before any of its consumers' tasks runs: the tasks whose outputs are
 * missing run (all of them the first time); the root is ensured, then read.
 *
 *   worker W lost (runner.onWorkerLost, or a reader's fetch failure naming W)
 *     ─▶ every output on W is forgotten; running tasks reading from W are stopped
 *     ─▶ those tasks run again once their inputs are ensured again: just the producer tasks
 *        whose outputs were on W re-run on healthy workers (recursively, if their own
 *        inputs were on W too), then the consumers read the new locations
 *
 * Retries (scheduler/failures.ts; only with a runner that places tasks on workers, i.e.
 * one with onWorkerLost): a task failing for a retryable reason runs again on another
 * worker, up to max_task_attempts; a task whose inputs were lost waits for them, up to
 * max_stage_attempts times, as does a stage whose outputs are recomputed; both with
 * exponential backoff from retry_backoff_ms. User errors and cancellation fail at once.
 * Stragglers: a task running longer than speculation_multiplier × its stage's median (and
 * speculation_min_ms) gets a copy on another worker; the first to finish wins, the other is
 * cancelled (the worker drops a cancelled attempt's output).
 *
 * After a range-partitioned stage, the bounds are computed here from its tasks' samples
 * (exec/shuffle/range_bounds.ts) and handed to its readers with its location; recomputed
 * tasks keep the first bounds, so every reader splits the same way.
 * The first fatal error aborts the rest and is reported once, naming stage and task; the
 * query's exchange buffers are released at the end whatever happened (success, error,
 * abort). Metrics: every winning task's MetricsSet merged, plus per-stage totals (StageRunStats)
 * and the stage and exchange-edge figures (query_figures.ts).
 */
import type { Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { Scalar } from '../common/types.js';
import { ExchangeBuffer } from '../exchange/exchange_buffer.js';
import { InProcessTransport } from '../exchange/in_process_transport.js';
import { newStreamCounters, recordStreamMetrics, type ExchangeTransport } from '../exchange/transport.js';
import type { PartFileSpec } from '../exec/shuffle/part_file_writer.js';
import type { TaskContext } from '../exec/context.js';
import { isFetchFailure } from '../exec/shuffle/fetch_failure.js';
import { timedReads } from '../exec/shuffle/read_streams.js';
import type { QueryFigures } from '../common/figures.js';
import { queryFigures, type StageOutcome } from './query_figures.js';
import { computeRangeBounds, routeByRange, type KeySample } from '../exec/shuffle/range_bounds.js';
import { writerOutputs, type StageInputLocation } from '../exec/shuffle/task_exchange.js';
import { MetricsSet } from '../common/metrics.js';
import { deserializePlan, serializePlan } from '../plan/physical.js';
import type { Stage, StageDag } from '../distributed/stage.js';
import { adaptiveJoins, decideAdaptiveJoin, type AdaptiveJoin } from '../distributed/adaptive_join.js';
import { LocalTaskRunner, type TaskRequest, type TaskResult, type TaskRunner } from '../exec/task_runner.js';
import type { Placement, WorkerLostListener } from './cluster_task_runner.js';
import { backoffMs, classifyFailure, InputsLostError } from './failures.js';
import { stageInfoOf } from './progress_info.js';
import { planSkewSplits, splittableInputs, type SkewPiece, type SkewSplit } from './skew_split.js';

/** A runner that places tasks on workers that can be lost (ClusterTaskRunner). */
export interface RecoveringTaskRunner extends TaskRunner {
  runTask(request: TaskRequest, signal: AbortSignal, placement?: Placement): Promise<TaskResult>;
  onWorkerLost(listener: WorkerLostListener): () => void;
  /** Stop the query's tasks on every worker. */
  cancelQuery(queryId: string, reason: string): void;
  /** A read of that worker's output failed: treat it as lost. */
  reportLost(worker: string, reason: string): void;
}

function isRecovering(r: TaskRunner): r is RecoveringTaskRunner {
  return typeof (r as Partial<RecoveringTaskRunner>).onWorkerLost === 'function';
}

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
  /**
   * Hand each result batch here as it arrives (the caller's backpressure pauses the read)
   * instead of collecting them; `batches` of the result is then empty.
   */
  onBatch?: (b: Batch) => Promise<void>;
  /**
   * Distributed COPY: every task of the root stage writes its output as the part file
   * `part(task)` names (exec/shuffle/part_file_writer.ts), and nothing is read here;
   * `copiedRows` of the result adds up their rows.
   */
  copy?: { part: (task: number) => PartFileSpec };
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
  /** The workers' memory pool peaks during the query, added up. */
  workerMemoryPeak: number;
  /** Every task's metrics merged, keyed by plan node id (writers under Stage.exchangeId). */
  metrics: MetricsSet;
  stages: StageRunStats[];
  /** Per stage and per exchange edge (the result read by the coordinator included). */
  figures: QueryFigures;
  /** Distributed COPY: rows the root stage's tasks wrote to their part files. */
  copiedRows?: number;
}

/** A counting semaphore for task slots. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) { this.free = Math.max(1, n); }
  /** Take a slot; call the returned function once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next(); else this.free++;
    };
  }
}

/** One running attempt of a task. */
interface Copy {
  readonly controller: AbortController;
  /** Where it runs, once placed. */
  worker: string | null;
  /** Workers holding the inputs it reads. */
  readonly inputs: ReadonlySet<string | null>;
  /** When the worker started it (placement time until then). */
  started: number;
  /** The same moment on performance.now()'s clock (stage figures). */
  startedPerf: number;
}

/** A stage's lineage and progress. */
class StageRun {
  /** The stage's plan as shipped; an adaptive join may re-plan a stage before it runs. */
  plan: string;
  /** Where each task's output is; undefined = not computed yet, or lost. */
  readonly outputs: (TaskResult | undefined)[];
  readonly samples: (KeySample | undefined)[];
  bounds: Scalar[][] | undefined;
  /** Every task finished once (bounds fixed). */
  complete = false;
  filling: Promise<void> | null = null;
  /** Runs after the first (outputs lost and recomputed). */
  rounds = 0;
  t0 = 0;
  elapsedMs = 0;
  /** performance.now() when the first winning task started and the last one finished (figures). */
  firstTaskStart = Number.POSITIVE_INFINITY;
  lastTaskEnd = 0;
  readonly running = new Map<number, Set<Copy>>();
  readonly speculated = new Set<number>();
  /** Durations of finished tasks (ms), for the straggler test. */
  readonly durations: number[] = [];
  /** Skewed partitions split across tasks (skew_split.ts), decided once before the first task. */
  skewChecked = false;
  readonly pieces = new Map<number, SkewPiece>();
  skewSplits: SkewSplit[] = [];
  constructor(public stage: Stage) {
    this.plan = serializePlan(stage.plan);
    this.outputs = new Array<TaskResult | undefined>(stage.tasks).fill(undefined);
    this.samples = new Array<KeySample | undefined>(stage.tasks).fill(undefined);
  }
  get whole(): boolean { return this.complete && this.outputs.every((o) => o !== undefined); }
}

type CopyOutcome = { ok: true } | { ok: false; error: unknown; worker: string | null };

export async function runStageDag(dag: StageDag, opts: RunStageDagOptions): Promise<StageDagResult> {
  const { ctx } = opts;
  const cfg = ctx.config;
  let runner = opts.runner;
  let transport = opts.transport;
  if (runner === undefined) {
    const buffer = new ExchangeBuffer({ pool: ctx.memory, spill: ctx.spill, rangeRouter: routeByRange });
    transport ??= new InProcessTransport({ buffers: buffer, credits: cfg.exchange_credits, networkTimeoutMs: cfg.network_timeout_ms });
    runner = new LocalTaskRunner({
      buffer, transport, config: cfg, memory: ctx.memory, spill: ctx.spill, memoryTables: ctx.memoryTables,
      ...(opts.maxStreams !== undefined ? { maxStreams: opts.maxStreams } : {}),
    });
  }
  if (transport === undefined) throw new Error('runStageDag: a custom TaskRunner needs the transport that reads its outputs');
  const taskRunner: TaskRunner = runner;
  const recovering = isRecovering(taskRunner) ? taskRunner : null;
  const maxTaskAttempts = recovering ? Math.max(1, cfg.max_task_attempts) : 1;
  const maxStageAttempts = recovering ? Math.max(1, cfg.max_stage_attempts) : 1;

  const queryId = ctx.queryId;
  const controller = new AbortController();
  const copies = new Set<Copy>();
  const sleepers = new Set<() => void>();
  // One listener on the query's signal and one on ours; they fan out to every task and wait.
  const onAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  controller.signal.addEventListener('abort', () => {
    const reason: unknown = controller.signal.reason;
    for (const c of copies) c.controller.abort(reason);
    for (const wake of [...sleepers]) wake();
    if (!finished) recovering?.cancelQuery(queryId, reason instanceof Error ? reason.message : 'cancelled');
  }, { once: true });

  const metrics = new MetricsSet();
  /** Each worker's memory pool peak, as its tasks reported it. */
  const workerPeaks = new Map<string, number>();
  const runs = new Map<number, StageRun>();
  for (const stage of dag.stages) runs.set(stage.id, new StageRun(stage));
  const slots = new Slots(opts.maxConcurrentTasks ?? 4);
  // Progress (observe/progress.ts): the stages, each task attempt's start and end, the result read.
  const observer = ctx.observer;
  observer?.stagesPlanned(dag.stages.map(stageInfoOf), dag.rootStageId);
  let failure: Error | null = null;
  const fail = (e: unknown): Error => {
    if (failure === null) {
      failure = e instanceof Error ? e : new Error(String(e));
      controller.abort(failure);
    }
    return failure;
  };
  const checkAborted = (): void => {
    if (controller.signal.aborted) throw failure ?? cancelledError(controller.signal);
  };
  const sleep = (ms: number): Promise<void> => {
    if (ms <= 0 || controller.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  };

  /** Forget every output held by `worker`; stop running tasks that read from it. */
  const invalidate = (worker: string, reason: string): void => {
    for (const run of runs.values()) {
      run.outputs.forEach((o, t) => { if (o?.worker === worker) run.outputs[t] = undefined; });
      for (const set of run.running.values()) {
        for (const c of set) {
          if (c.inputs.has(worker)) c.controller.abort(new InputsLostError([worker], `worker ${worker} holding inputs of stage ${run.stage.id} was lost (${reason})`));
        }
      }
    }
  };
  const unsubscribe = recovering?.onWorkerLost((worker, reason) => invalidate(worker, reason)) ?? null;

  const inputsOf = (stage: Stage): Record<string, StageInputLocation> | null => {
    const inputs: Record<string, StageInputLocation> = {};
    for (const i of stage.inputs) {
      const r = runs.get(i)!;
      if (!r.whole) return null;
      const loc: StageInputLocation = { workers: r.outputs.slice(0, r.stage.tasks).map((o) => o!.worker) };
      if (r.outputs.length > r.stage.tasks) loc.extra = r.outputs.slice(r.stage.tasks).map((o, j) => ({ task: r.stage.tasks + j, worker: o!.worker }));
      if (r.bounds !== undefined) loc.bounds = r.bounds;
      inputs[String(i)] = loc;
    }
    return inputs;
  };

  /** Resolves once every output of stage `id` is available. */
  const ensure = async (id: number): Promise<void> => {
    const gate = gates.get(id);
    if (gate !== undefined) await gate;
    if (merged.has(id)) return; // an adaptive join ran this stage's plan inside its own
    const run = runs.get(id);
    if (run === undefined) throw new Error(`stage ${id} is read but not in the DAG`);
    for (;;) {
      checkAborted();
      if (run.filling !== null) {
        await run.filling;
        continue;
      }
      if (run.whole) return;
      const filling = fill(run);
      run.filling = filling;
      try {
        await filling;
      } finally {
        if (run.filling === filling) run.filling = null;
      }
    }
  };

  /** Run the tasks of `run` whose outputs are missing. */
  const fill = async (run: StageRun): Promise<void> => {
    const id = run.stage.id;
    if (run.complete) {
      run.rounds++;
      if (run.rounds >= maxStageAttempts) {
        throw fail(new SpillwayError('remote', `query ${queryId} stage ${id}: its outputs were lost ${run.rounds} times (max_stage_attempts = ${maxStageAttempts})`));
      }
      await sleep(backoffMs(cfg.retry_backoff_ms, run.rounds));
    } else {
      run.t0 = performance.now();
    }
    if (!run.skewChecked) {
      run.skewChecked = true;
      await splitSkewedPartitions(run);
    }
    const missing: number[] = [];
    run.outputs.forEach((o, t) => { if (o === undefined && !run.running.has(t)) missing.push(t); });
    await Promise.all(missing.map((t) => runToCompletion(run, t).catch((e: unknown) => { throw fail(e); })));
    // Tasks started by an earlier round that are still running (a speculative race).
    while (run.running.size > 0 && !controller.signal.aborted) await sleep(20);
    if (!run.complete && run.outputs.every((o) => o !== undefined)) {
      if (run.stage.output.kind === 'range') {
        const samples = run.samples.map((x) => x ?? { rows: [], seen: 0 });
        run.bounds = computeRangeBounds(samples, run.stage.output.keys, run.stage.output.partitions);
      }
      run.complete = true;
      run.elapsedMs = performance.now() - run.t0;
    }
  };

  /**
   * Before a stage's first task: split its skewed partitions (skew_split.ts) into pieces,
   * each a task of its own; the outputs of the extra pieces follow the stage's tasks.
   */
  const splitSkewedPartitions = async (run: StageRun): Promise<void> => {
    if (!(cfg.skew_split_factor > 0) || run.stage.id === dag.rootStageId || gates.has(run.stage.id) || run.stage.tasks < 2) return;
    const candidates = splittableInputs(deserializePlan(run.plan));
    if (candidates.length === 0) return;
    await Promise.all(run.stage.inputs.map((i) => ensure(i)));
    const writerBytes = new Map<number, (readonly number[] | undefined)[]>();
    for (const i of candidates) {
      const r = runs.get(i);
      if (r !== undefined && r.outputs.length === r.stage.tasks) writerBytes.set(i, r.outputs.map((o) => o?.partitionBytes));
    }
    const { splits, pieces } = planSkewSplits(run.stage.tasks, writerBytes, {
      factor: cfg.skew_split_factor, minBytes: cfg.skew_split_min_bytes, maxPieces: cfg.skew_split_max_pieces,
    });
    if (splits.length === 0) return;
    run.skewSplits = splits;
    for (const [t, piece] of pieces) run.pieces.set(t, piece);
    const tasks = run.stage.tasks + pieces.size - splits.length;
    while (run.outputs.length < tasks) { run.outputs.push(undefined); run.samples.push(undefined); }
  };

  /** Run one attempt of task t; the first copy to succeed records the output. */
  const runCopy = async (run: StageRun, t: number, placement: Placement): Promise<CopyOutcome> => {
    let release: (() => void) | null = null;
    let inputs: Record<string, StageInputLocation> | null = null;
    try {
      for (;;) {
        await Promise.all(run.stage.inputs.map((i) => ensure(i)));
        release = await slots.acquire();
        checkAborted();
        inputs = inputsOf(run.stage);
        if (run.outputs[t] !== undefined) { release(); return { ok: true }; } // another copy won meanwhile
        if (inputs !== null) break;
        release();
        release = null;
      }
    } catch (error) {
      release?.();
      return { ok: false, error, worker: null };
    }
    const piece = run.pieces.get(t);
    if (piece !== undefined) inputs = { ...inputs, [String(piece.input)]: { ...inputs[String(piece.input)]!, only: piece.only } };
    const readFrom = new Set<string | null>();
    for (const loc of Object.values(inputs)) for (const w of writerOutputs(loc)) readFrom.add(w.worker);
    const copy: Copy = { controller: new AbortController(), worker: null, inputs: readFrom, started: Date.now(), startedPerf: performance.now() };
    let set = run.running.get(t);
    if (set === undefined) run.running.set(t, set = new Set());
    set.add(copy);
    copies.add(copy);
    const others = new Set<string>();
    for (const c of set) if (c !== copy && c.worker !== null) others.add(c.worker);
    observer?.taskStarted(run.stage.id, t, null);
    try {
      const req: TaskRequest = {
        queryId, stageId: run.stage.id, task: t, plan: run.plan, output: run.stage.output, writerMetricsId: run.stage.exchangeId, inputs,
        ...(piece !== undefined ? { partition: piece.partition } : {}),
        ...(opts.copy !== undefined && run.stage.id === dag.rootStageId ? { copy: opts.copy.part(t) } : {}),
      };
      const r = recovering
        ? await recovering.runTask(req, copy.controller.signal, {
          ...placement, exclude: others, onPlaced: (w) => { copy.worker = w; }, onStarted: () => { copy.started = Date.now(); copy.startedPerf = performance.now(); },
        })
        : await taskRunner.runTask(req, copy.controller.signal);
      if (run.outputs[t] === undefined) {
        run.outputs[t] = r;
        if (r.sample !== undefined) run.samples[t] = r.sample;
        run.durations.push(Date.now() - copy.started);
        run.firstTaskStart = Math.min(run.firstTaskStart, copy.startedPerf);
        run.lastTaskEnd = Math.max(run.lastTaskEnd, performance.now());
        metrics.merge(r.metrics);
        observer?.taskFinished(run.stage.id, t, r.worker, r.metrics, Date.now() - copy.started);
        if (r.worker !== null && r.memoryPeak !== undefined) workerPeaks.set(r.worker, Math.max(workerPeaks.get(r.worker) ?? 0, r.memoryPeak));
        for (const c of set) {
          if (c !== copy) c.controller.abort(new SpillwayError('cancelled', `stage ${run.stage.id} task ${t}: another copy finished first`));
        }
      }
      return { ok: true };
    } catch (error) {
      observer?.taskFailed(run.stage.id, t, copy.worker, error, Date.now() - copy.started);
      return { ok: false, error, worker: copy.worker };
    } finally {
      set.delete(copy);
      if (set.size === 0) run.running.delete(t);
      copies.delete(copy);
      release();
    }
  };

  /** Task t of `run` until it has an output; throws the error that ends the query. */
  const runToCompletion = async (run: StageRun, t: number): Promise<void> => {
    const id = run.stage.id;
    let taskFailures = 0, inputLosses = 0;
    const failed: { worker: string | null; error: unknown }[] = [];
    const avoid = new Set<string>();
    for (;;) {
      if (run.outputs[t] !== undefined) return;
      checkAborted();
      const out = await runCopy(run, t, { avoid, attempt: taskFailures + inputLosses });
      if (out.ok || run.outputs[t] !== undefined) return;
      checkAborted();
      const cls = recovering ? classifyFailure(out.error) : { kind: 'fatal' as const };
      if (cls.kind === 'fatal') throw taskError(id, t, out.error, recovering ? { queryId, worker: out.worker } : null);
      if (cls.kind === 'inputs_lost') {
        for (const w of cls.workers) {
          recovering!.reportLost(w, messageOf(out.error));
          invalidate(w, messageOf(out.error));
        }
        inputLosses++;
        failed.push({ worker: out.worker, error: out.error });
        if (inputLosses >= maxStageAttempts) throw exhausted(id, t, queryId, failed, `its inputs were lost ${inputLosses} times (max_stage_attempts = ${maxStageAttempts})`);
        await sleep(backoffMs(cfg.retry_backoff_ms, inputLosses));
        continue;
      }
      taskFailures++;
      failed.push({ worker: out.worker, error: out.error });
      if (out.worker !== null) avoid.add(out.worker);
      if (taskFailures >= maxTaskAttempts) throw exhausted(id, t, queryId, failed, `failed ${taskFailures} times (max_task_attempts = ${maxTaskAttempts})`);
      await sleep(backoffMs(cfg.retry_backoff_ms, taskFailures));
    }
  };

  /** Stragglers: a copy elsewhere for tasks running far longer than their stage's median. */
  const speculate = (): void => {
    const now = Date.now();
    for (const run of runs.values()) {
      const n = run.durations.length;
      if (n === 0 || n * 2 < run.stage.tasks) continue;
      const sorted = [...run.durations].sort((a, b) => a - b);
      const median = sorted[Math.floor((n - 1) / 2)]!;
      const limit = Math.max(cfg.speculation_multiplier * median, cfg.speculation_min_ms);
      for (const [t, set] of run.running) {
        if (set.size !== 1 || run.speculated.has(t) || run.outputs[t] !== undefined) continue;
        const only = [...set][0]!;
        if (only.worker === null || now - only.started <= limit) continue;
        run.speculated.add(t);
        void runCopy(run, t, { attempt: 0 }); // its failure leaves the original running
      }
    }
  };
  const speculation = recovering && cfg.speculation_multiplier > 0
    ? setInterval(speculate, Math.max(50, Math.min(1000, Math.floor(cfg.speculation_min_ms / 4))))
    : null;
  speculation?.unref();

  // Adaptive joins (distributed/adaptive_join.ts): the stages a decision rewrites (the join's,
  // and the probe side's of a partitioned join) wait until the build side's stage ran; its
  // measured bytes decide the strategy.
  const gates = new Map<number, Promise<void>>();
  const merged = new Set<number>();
  const decide = async (c: AdaptiveJoin): Promise<void> => {
    await ensure(c.buildStage);
    checkAborted();
    const measured = metrics.byNode.get(runs.get(c.buildStage)!.stage.exchangeId)?.extra.bytesSent ?? 0;
    const next = decideAdaptiveJoin(dag, c, measured);
    for (const s of next.dag.stages) {
      const run = runs.get(s.id);
      if (run?.stage === s) continue;
      // New stages, and the join's stage (not started: it waited for this decision), run as planned now.
      if (run === undefined || s.id === c.joinStage) runs.set(s.id, new StageRun(s));
      else { run.stage = s; run.plan = serializePlan(s.plan); } // a consumer: only its readers' task counts changed
    }
    for (const old of dag.stages) {
      if (!next.dag.stages.some((s) => s.id === old.id)) { merged.add(old.id); runs.delete(old.id); }
    }
    // In place, so the caller's EXPLAIN ANALYZE shows the plan that ran.
    dag.stages = next.dag.stages;
  };
  if (cfg.adaptive_join) {
    for (const c of adaptiveJoins(dag)) {
      const decided = decide(c);
      decided.catch(() => {}); // reported by whoever waits on the gate
      gates.set(c.joinStage, decided);
      if (c.probeStage !== null) gates.set(c.probeStage, decided);
    }
  }

  try {
    // Every stage, inputs first (ensure recurses), so independent stages run side by side.
    await Promise.all(dag.stages.map((s) => ensure(s.id).catch((e: unknown) => { throw fail(e); })))
      .catch(() => { throw failure ?? cancelledError(controller.signal); });

    const root = runs.get(dag.rootStageId)!;
    if (opts.copy !== undefined) return copiedResult(dag, runs, metrics, workerPeaks);
    let delivered = 0;
    for (let round = 1; ; round++) {
      await ensure(root.stage.id);
      const where = root.outputs[0]!.worker;
      try {
        const stream = transport.open({
          queryId, stageId: root.stage.id, task: 0, partition: 0, worker: where, compression: cfg.exchange_compression,
        }, controller.signal);
        const batches: Batch[] = [];
        const wait = { ms: 0 };
        for await (const b of timedReads(stream, wait)) {
          if (opts.onBatch === undefined) batches.push(b);
          else { delivered++; await opts.onBatch(b); }
        }
        recordStreamMetrics(metrics, root.stage.exchangeId, stream.counters, 'received');
        observer?.resultRead(stream.counters.rawBytes);
        let workerMemoryPeak = 0;
        for (const p of workerPeaks.values()) workerMemoryPeak += p;
        const outcomes = new Map<number, StageOutcome>();
        for (const [id, r] of runs) outcomes.set(id, { stage: r.stage, results: r.outputs, wallMs: Math.max(0, r.lastTaskEnd - r.firstTaskStart), skewSplits: r.skewSplits });
        return {
          batches, metrics, workerMemoryPeak, stages: dag.stages.map((s) => stageStats(s, metrics, runs.get(s.id)!.elapsedMs)),
          figures: queryFigures(dag, outcomes, { counters: stream.counters, waitMs: wait.ms }),
        };
      } catch (e) {
        checkAborted();
        // Batches already handed on cannot be taken back: a re-read would repeat them.
        if (recovering === null || where === null || !isFetchFailure(e) || round >= maxStageAttempts || delivered > 0) throw e;
        recovering.reportLost(where, messageOf(e));
        invalidate(where, messageOf(e));
        await sleep(backoffMs(cfg.retry_backoff_ms, round));
      }
    }
  } catch (e) {
    throw failure ?? e;
  } finally {
    if (speculation !== null) clearInterval(speculation);
    unsubscribe?.();
    ctx.signal.removeEventListener('abort', onAbort);
    finished = true;
    // Stops what is left (a speculative copy that lost, a backoff); release cleans up the workers.
    if (!controller.signal.aborted) controller.abort(new SpillwayError('cancelled', `query ${queryId} finished`));
    await taskRunner.releaseQuery(queryId);
  }
}

/** The result of a distributed COPY: nothing was read here; the root tasks' part files hold the rows. */
function copiedResult(dag: StageDag, runs: ReadonlyMap<number, StageRun>, metrics: MetricsSet, workerPeaks: ReadonlyMap<string, number>): StageDagResult {
  let workerMemoryPeak = 0;
  for (const p of workerPeaks.values()) workerMemoryPeak += p;
  const outcomes = new Map<number, StageOutcome>();
  for (const [id, r] of runs) outcomes.set(id, { stage: r.stage, results: r.outputs, wallMs: Math.max(0, r.lastTaskEnd - r.firstTaskStart), skewSplits: r.skewSplits });
  let copiedRows = 0;
  for (const o of runs.get(dag.rootStageId)!.outputs) copiedRows += o?.copied?.rows ?? 0;
  return {
    batches: [], metrics, workerMemoryPeak, copiedRows,
    stages: dag.stages.map((s) => stageStats(s, metrics, runs.get(s.id)!.elapsedMs)),
    figures: queryFigures(dag, outcomes, { counters: newStreamCounters(), waitMs: 0 }),
  };
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

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The root cause of a failed query, naming where it happened (and on which worker). */
function taskError(stageId: number, task: number, e: unknown, on: { queryId: string; worker: string | null } | null): Error {
  let where = `stage ${stageId} task ${task}`;
  if (on !== null) where += `: query ${on.queryId}${on.worker !== null ? ` on worker ${on.worker}` : ''}`;
  if (e instanceof SpillwayError) {
    return e.kind === 'cancelled' ? e : new SpillwayError(e.kind, `${where}: ${e.message}`, { cause: e });
  }
  return new Error(`${where}: ${messageOf(e)}`, { cause: e });
}

/** A task that used up its attempts: the last failure, then the earlier ones. */
function exhausted(stageId: number, task: number, queryId: string, failed: readonly { worker: string | null; error: unknown }[], why: string): SpillwayError {
  const last = failed[failed.length - 1]!;
  const kind = last.error instanceof SpillwayError && last.error.kind !== 'cancelled' ? last.error.kind : 'remote';
  const on = (w: string | null) => (w !== null ? ` on worker ${w}` : '');
  const earlier = failed.slice(0, -1).map((f, i) => `; attempt ${i + 1}${on(f.worker)}: ${messageOf(f.error)}`).join('');
  return new SpillwayError(kind, `stage ${stageId} task ${task}: query ${queryId} ${why}; last${on(last.worker)}: ${messageOf(last.error)}${earlier}`, { cause: last.error });
}
