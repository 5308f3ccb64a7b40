/**
 * DistributedExecutor: the QueryExecutor (session.ts) that runs queries on workers.
 *
 *   physical plan ─planStageDag (guards, split scans, exchanges, stages)─▶ StageDag
 *     a guard fired, or the plan reads in-memory tables ─▶ run here (executePlan)
 *     otherwise ─▶ runStageDag(dag, runner = ClusterTaskRunner) ─▶ result read from the
 *                  root task's worker through the exchange transport
 *
 * createExecutor({ workers, config }) picks the cluster:
 *   workers: ["host:port", …] ─▶ remote `spillway worker` processes (gRPC, GrpcTransport)
 *   workers: ["dns:NAME:PORT"] ─▶ the same, at every address NAME resolves to; re-resolved
 *                                before a query when no other runs (worker_discovery.ts)
 *   workers: N > 0            ─▶ N worker threads in this process (MessagePorts, PortTransport)
 *   workers: [] or 0          ─▶ LocalExecutor
 * Workers are contacted before the first query (an unreachable one is named in a warning
 * and left out). With none reachable a query fails with one line naming every address and
 * why, unless local_fallback is set (then it runs here, after one warning). In-memory
 * tables live in this process only, so plans that read them run here. Worker threads are
 * capped at MAX_THREADS_PER_CORE × cores.
 */
import { availableParallelism } from 'node:os';
import type { Batch } from '../columnar/column.js';
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { planStageDag } from '../distributed/distribute.js';
import { runStageDag, type RunStageDagOptions, type StageDagResult, type StageRunStats } from './stage_scheduler.js';
import type { QueryFigures } from '../common/figures.js';
import { planNodes } from '../plan/physical_tree.js';
import type { StageDag } from '../distributed/stage.js';
import type { ExchangeTransport } from '../exchange/transport.js';
import type { TaskContext } from '../exec/context.js';
import type { PartFileSpec } from '../exec/shuffle/part_file_writer.js';
import { executeAll } from '../exec/execute.js';
import { BatchChannel } from '../columnar/batch_channel.js';
import { childrenOf, type PhysicalPlan } from '../plan/physical.js';
import { withChildren } from '../plan/physical_tree.js';
import { LocalExecutor, type QueryExecutor } from './query_executor.js';
import { ThreadWorkers } from './thread_workers.js';
import { ClusterTaskRunner } from './cluster_task_runner.js';
import type { WorkerClient } from './worker_client.js';
import type { GrpcSecurity } from '../exchange/security.js';
import type { SpillwayMetrics } from '../observe/prometheus.js';
import { isDnsEntry, parseDnsEntry, WorkerDiscovery, type HostResolver } from './worker_discovery.js';

export interface ExecutorOptions {
  /** Remote worker addresses ("host:port"), or a number of worker threads. */
  workers: readonly string[] | number;
  /** Settings of the session (heartbeats, timeouts; threads also take memory_limit / N). */
  config: Config;
  /** Warnings about workers (default: stderr). */
  warn?: (message: string) => void;
  /** Worker threads: no per-task log lines (default true: the session owns stderr). */
  quiet?: boolean;
  /** Tasks one worker runs at once (default 2). */
  tasksPerWorker?: number;
  /** Token and TLS for worker processes (default none). */
  security?: GrpcSecurity;
  /** The coordinator's metrics (worker heartbeats). */
  metrics?: SpillwayMetrics;
  /** Worker threads: level of their logs (default: none, see quiet). */
  logLevel?: string;
  /** How dns:NAME:PORT entries resolve (default: the system's resolver). */
  resolveHost?: HostResolver;
}

/** How the last query ran, for EXPLAIN-like reports and tests. */
export interface DistributedRunInfo {
  queryId: string;
  /** null when it ran here; then `localReason` says why. */
  dag: StageDag | null;
  localReason: string | null;
  stages: StageRunStats[];
  /** Tasks that succeeded, per worker address. */
  tasksPerWorker: Record<string, number>;
  /** Task attempts started (retries and speculative copies included). */
  taskAttempts: number;
  /** The workers' memory pool peaks during the query, added up (0 when it ran here). */
  workerMemoryPeak?: number;
  /** Per stage and per exchange edge, once a distributed run finished. */
  figures?: QueryFigures;
}

interface Cluster {
  runner: ClusterTaskRunner;
  transport: ExchangeTransport;
  /** Worker threads of this process: their number (they are busy, not gone, when silent). */
  threads?: number;
  /** Worker threads: each thread's metrics as registry JSON (worker processes serve their own). */
  metrics?(): Promise<unknown[][]>;
  close(): Promise<void>;
}

export class DistributedExecutor implements QueryExecutor {
  private clusterPromise: Promise<Cluster> | null = null;
  private readonly start: (signal: AbortSignal) => Promise<Cluster>;
  /** Stops a start still under way when the executor closes (a warm-up nobody used). */
  private readonly starting = new AbortController();
  /** The cluster has started (until then, lazy worker threads are not waited for by a query the guards keep here). */
  private clusterReady = false;
  private readonly active = new Set<Promise<unknown>>();
  private readonly warn: (message: string) => void;
  private warnedLocal = false;
  lastRun: DistributedRunInfo | null = null;
  /**
   * The workers see this machine's files under the same paths (worker threads; worker
   * processes at loopback addresses), so a COPY's part files they write can be joined here
   * into one file instead of relaying the rows (copy.ts). Set by createExecutor.
   */
  sharesFiles = false;

  /**
   * `lazyWorkers`: for thread workers, their number; the threads then start only when the
   * first query that passes the guards needs them, so small queries never pay for them, or
   * earlier through warmUp(); until they are ready, a query the guards keep here does not wait.
   * Remote workers are contacted at once, so an unreachable one is reported up front.
   */
  constructor(
    start: (signal: AbortSignal) => Promise<Cluster>, warn?: (message: string) => void, private readonly lazyWorkers?: number,
    private readonly discovery?: WorkerDiscovery,
  ) {
    this.warn = warn ?? ((m: string) => { process.stderr.write(`spillway: warning: ${m}\n`); });
    this.start = start;
    if (lazyWorkers === undefined) void this.cluster();
  }

  private cluster(): Promise<Cluster> {
    if (!this.clusterPromise) {
      this.clusterPromise = this.start(this.starting.signal);
      this.clusterPromise.then(() => { this.clusterReady = true; }, () => {}); // a failure is reported by the first execute()
    }
    return this.clusterPromise;
  }

  /**
   * Workers found through DNS: when the names resolve to another set than the cluster's,
   * and no other query uses it, close it so the next cluster() contacts the new set. A
   * cluster that failed to start is dropped too, so the next query tries again.
   */
  private async refreshMembership(): Promise<void> {
    if (!this.discovery || this.clusterPromise === null || this.active.size > 1) return;
    const current = await this.clusterPromise.catch(() => null);
    if (current !== null && !(await this.discovery.changed())) return;
    this.clusterPromise = null;
    this.clusterReady = false;
    await current?.close();
  }

  /**
   * Worker threads not started yet: start them now, in the background (the session's tables
   * are large enough that its queries will likely use them), so the first such query finds
   * them ready instead of paying their start-up (each thread loads the engine's modules).
   */
  warmUp(): void {
    if (this.lazyWorkers !== undefined && !this.clusterReady) void this.cluster();
  }

  /** The workers were contacted, or are being (worker threads: started or starting). */
  get started(): boolean {
    return this.clusterPromise !== null;
  }

  /** The scheduler (worker health, states), once the workers were contacted. */
  async runner(): Promise<ClusterTaskRunner> {
    return (await this.cluster()).runner;
  }

  async execute(plan: PhysicalPlan, ctx: TaskContext): Promise<Batch[]> {
    const batches: Batch[] = [];
    await this.tracked(this.run(plan, ctx, async (b) => { batches.push(b); }));
    return batches;
  }

  /**
   * The result's batches as the root stage produces them: the read pauses while the
   * caller does not pull, and stopping early cancels the query.
   */
  async *stream(plan: PhysicalPlan, ctx: TaskContext): AsyncGenerator<Batch> {
    const channel = new BatchChannel();
    const stop = new AbortController();
    const run = this.tracked(this.run(plan, { ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) }, (b) => channel.put(b)))
      .then(() => channel.close(), (e: unknown) => channel.fail(e));
    try {
      yield* channel;
    } finally {
      const early = new SpillwayError('cancelled', `query ${ctx.queryId}: the caller stopped reading its result`);
      stop.abort(early);
      channel.fail(early);
      await run;
    }
  }

  /**
   * Distributed COPY: the tasks of the query's last stage write the part files, on their
   * workers; nothing is read here. A root stage that only gathers (MergeGather, or a single
   * ExchangeRead) is dropped, so its input stage writes one file per task: for an ORDER BY,
   * one per range, in range order. Null when the query would run here (guards, in-memory
   * tables, no healthy worker).
   */
  async copyParts(plan: PhysicalPlan, ctx: TaskContext, part: (task: number) => PartFileSpec): Promise<{ rows: number; files: number } | null> {
    let done: { rows: number; files: number } | null = null;
    await this.tracked(this.copyRun(plan, ctx, part).then((r) => { done = r; }));
    return done;
  }

  private async copyRun(plan: PhysicalPlan, ctx: TaskContext, part: (task: number) => PartFileSpec): Promise<{ rows: number; files: number } | null> {
    if (planNodes(plan).some((n) => n.kind === 'MemoryScan')) return null;
    await this.refreshMembership();
    if (this.lazyWorkers !== undefined && !this.clusterReady) {
      const d = await planStageDag(plan, { config: ctx.config, workers: this.lazyWorkers, memoryTables: ctx.memoryTables, resultStaysOnWorkers: true });
      if (!d.decision.distribute) return null;
    }
    const cluster = await this.cluster();
    const healthy = cluster.runner.healthyWorkers();
    if (threadsMissing(cluster, healthy.length) !== null) return null; // worker threads: run here
    if (healthy.length === 0) {
      // As for a query: no silent local run unless local_fallback says so.
      if (!ctx.config.local_fallback) throw new SpillwayError('remote', `no worker is reachable: ${cluster.runner.describeUnreachable()} (SET local_fallback = true runs queries here instead)`);
      return null;
    }
    const planned = await planStageDag(plan, { config: ctx.config, workers: healthy.length, memoryTables: ctx.memoryTables, resultStaysOnWorkers: true });
    if (!planned.decision.distribute) return null;
    const dag = withoutGatherRoot(planned);
    const result = await this.runDag(dag, ctx, cluster, healthy.length, { copy: { part } });
    return { rows: result.copiedRows ?? 0, files: dag.stages.find((s) => s.id === dag.rootStageId)!.tasks };
  }

  private async tracked(run: Promise<void>): Promise<void> {
    this.active.add(run);
    try {
      await run;
    } finally {
      this.active.delete(run);
    }
  }

  private async run(plan: PhysicalPlan, ctx: TaskContext, sink: (b: Batch) => Promise<void>): Promise<void> {
    const local = async (): Promise<void> => {
      for await (const b of executeAll(plan, ctx)) await sink(b);
    };
    if (this.lazyWorkers !== undefined && !this.clusterReady) {
      // Decide with the planned worker count before starting any thread or waiting for them.
      const reason = planNodes(plan).some((n) => n.kind === 'MemoryScan')
        ? 'the query reads in-memory tables, which live in this process'
        : (await planStageDag(plan, { config: ctx.config, workers: this.lazyWorkers, memoryTables: ctx.memoryTables })).decision;
      if (typeof reason === 'string' || !reason.distribute) {
        this.lastRun = { queryId: ctx.queryId, dag: null, localReason: typeof reason === 'string' ? reason : reason.reason, stages: [], tasksPerWorker: {}, taskAttempts: 0 };
        return local();
      }
    }
    await this.refreshMembership();
    const cluster = await this.cluster();
    const healthy = cluster.runner.healthyWorkers();
    const runLocally = (reason: string): Promise<void> => {
      this.lastRun = { queryId: ctx.queryId, dag: null, localReason: reason, stages: [], tasksPerWorker: {}, taskAttempts: 0 };
      return local();
    };
    const threadsShort = threadsMissing(cluster, healthy.length);
    if (threadsShort !== null) return runLocally(threadsShort);
    if (healthy.length === 0) {
      const why = `no worker is reachable: ${cluster.runner.describeUnreachable()}`;
      if (!ctx.config.local_fallback) throw new SpillwayError('remote', `${why} (SET local_fallback = true runs queries here instead)`);
      if (!this.warnedLocal) this.warn(`${why}; queries run locally (local_fallback)`);
      this.warnedLocal = true;
      return runLocally('no healthy worker');
    }
    if (planNodes(plan).some((n) => n.kind === 'MemoryScan')) return runLocally('the query reads in-memory tables, which live in this process');

    const dag = await planStageDag(plan, { config: ctx.config, workers: healthy.length, memoryTables: ctx.memoryTables });
    if (!dag.decision.distribute) {
      this.lastRun = { queryId: ctx.queryId, dag, localReason: dag.decision.reason, stages: [], tasksPerWorker: {}, taskAttempts: 0 };
      return local();
    }
    await this.runDag(dag, ctx, cluster, healthy.length, { onBatch: sink });
  }

  /** Run a stage DAG on the cluster and record what it did as lastRun (also when it fails). */
  private async runDag(
    dag: StageDag, ctx: TaskContext, cluster: Cluster, workers: number, output: Pick<RunStageDagOptions, 'onBatch' | 'copy'>,
  ): Promise<StageDagResult> {
    cluster.runner.beginQuery(ctx.queryId, ctx.config);
    const result = await runStageDag(dag, {
      ctx, runner: cluster.runner, transport: cluster.transport,
      // Enough to keep every worker's queue busy, with a little backlog for the priorities.
      maxConcurrentTasks: workers * cluster.runner.slotsPerWorker * 2,
      ...output,
    }).finally(() => {
      const stats = cluster.runner.takeQueryStats(ctx.queryId);
      this.lastRun = {
        queryId: ctx.queryId, dag, localReason: null, stages: [], tasksPerWorker: stats?.tasksPerWorker ?? {}, taskAttempts: stats?.attempts ?? 0,
      };
    });
    this.lastRun!.stages = result.stages;
    this.lastRun!.workerMemoryPeak = result.workerMemoryPeak;
    this.lastRun!.figures = result.figures;
    ctx.metrics.merge(result.metrics);
    return result;
  }

  /** Metrics of the worker threads, once started (registry JSON each); none for worker processes. */
  async workerMetrics(): Promise<unknown[][]> {
    const cluster = this.clusterPromise ? await this.clusterPromise.catch(() => null) : null;
    return (await cluster?.metrics?.().catch(() => [])) ?? [];
  }

  /** The stage DAG a query would run as, with the guard decision (EXPLAIN). */
  async planDag(plan: PhysicalPlan, config: Config, memoryTables: TaskContext['memoryTables']): Promise<StageDag> {
    const workers = !this.clusterReady && this.lazyWorkers !== undefined
      ? this.lazyWorkers
      : (await this.cluster()).runner.healthyWorkers().length;
    return planStageDag(plan, { config, workers, memoryTables });
  }

  /** Wait for running queries to finish their release (bounded), then stop the workers. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active]);
    this.starting.abort();
    const cluster = this.clusterPromise ? await this.clusterPromise.catch(() => null) : null;
    await cluster?.close();
  }
}

/** The runner's options from the executor's. */
function runnerOptions(opts: ExecutorOptions): ConstructorParameters<typeof ClusterTaskRunner>[1] {
  const m = opts.metrics;
  return {
    config: opts.config, ...(opts.warn ? { warn: opts.warn } : {}), ...(opts.tasksPerWorker ? { tasksPerWorker: opts.tasksPerWorker } : {}),
    ...(m ? { onHeartbeat: (worker: string, ok: boolean) => m.heartbeats.inc({ worker, outcome: ok ? 'ok' : 'failed' }) } : {}),
  };
}

async function remoteCluster(addresses: readonly string[], opts: ExecutorOptions): Promise<Cluster> {
  // gRPC is loaded here, by sessions with worker processes only (embedded ones never need it).
  const [{ GrpcWorkerClient }, { GrpcTransport }] = await Promise.all([import('./grpc_worker_client.js'), import('../exchange/grpc_transport.js')]);
  const clients: WorkerClient[] = addresses.map((a) => new GrpcWorkerClient(a, opts.security));
  const runner = new ClusterTaskRunner(clients, runnerOptions(opts));
  await runner.connect();
  const transport = new GrpcTransport({ credits: opts.config.exchange_credits, networkTimeoutMs: opts.config.network_timeout_ms, security: opts.security });
  return {
    runner, transport,
    close: async () => { await runner.close(); await transport.close(); },
  };
}

async function threadCluster(count: number, opts: ExecutorOptions, signal: AbortSignal): Promise<Cluster> {
  const threads = await ThreadWorkers.start({ count, config: opts.config, quiet: opts.quiet ?? true, signal, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}) });
  const runner = new ClusterTaskRunner(threads.workers, runnerOptions(opts));
  await runner.connect();
  return {
    runner, transport: threads.transport, threads: count,
    metrics: () => Promise.all(threads.workers.filter((w) => w.alive).map((w) => w.metrics())),
    close: async () => { await runner.close(); await threads.close(); },
  };
}

/**
 * Why a query on worker threads runs in the calling thread instead, or null: a thread that
 * misses heartbeats is busy (a long stretch of work on a loaded machine) rather than gone,
 * and with fewer than two threads answering a distributed run would not run in parallel,
 * only pay for its exchanges; so the default mode runs the query here, never failing it
 * for want of a thread (`--workers 1` asks for one thread: it runs there while it answers).
 */
function threadsMissing(cluster: Cluster, healthy: number): string | null {
  if (cluster.threads === undefined || healthy >= Math.min(2, cluster.threads)) return null;
  return `${healthy} of ${cluster.threads} worker threads answer heartbeats (${cluster.runner.describeUnreachable()}): the query runs in this thread`;
}

/** Worker threads per core at most (each thread holds a runtime, a pool and its own heap). */
export const MAX_THREADS_PER_CORE = 4;

const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** Parse "host:port,dns:name:port" (the CLI's --workers) into entries; a number → thread count. */
export function parseWorkersFlag(text: string): string[] | number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const addresses = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const a of addresses) {
    if (isDnsEntry(a)) { parseDnsEntry(a); continue; }
    const port = Number(a.slice(a.lastIndexOf(':') + 1));
    if (!ADDRESS.test(a) || port < 1 || port > 65535) {
      throw new SpillwayError('config', `--workers: "${a}" is not a worker address; expected a number of threads, host:port,host:port or dns:NAME:PORT`);
    }
  }
  return addresses;
}

/** The executor for `workers` (see the header). */
export function createExecutor(opts: ExecutorOptions): QueryExecutor {
  const w = opts.workers;
  if (typeof w === 'number') {
    if (!(w > 0)) return new LocalExecutor();
    const cap = MAX_THREADS_PER_CORE * availableParallelism();
    let n = Math.floor(w);
    if (n > cap) {
      (opts.warn ?? ((m: string) => { process.stderr.write(`spillway: warning: ${m}\n`); }))(
        `${n} worker threads asked for; using ${cap} (at most ${MAX_THREADS_PER_CORE} per core on this machine's ${availableParallelism()} cores)`);
      n = cap;
    }
    const threads = new DistributedExecutor((signal) => threadCluster(n, { ...opts, workers: n }, signal), opts.warn, n);
    threads.sharesFiles = true;
    return threads;
  }
  if (w.length === 0) return new LocalExecutor();
  if (w.some(isDnsEntry)) {
    // Workers found through DNS run elsewhere: they share no files with this process.
    const discovery = new WorkerDiscovery(w, opts.resolveHost);
    return new DistributedExecutor(async () => remoteCluster(await discovery.addresses(), opts), opts.warn, undefined, discovery);
  }
  const remote = new DistributedExecutor(() => remoteCluster(w, opts), opts.warn);
  remote.sharesFiles = w.every(isLoopbackAddress);
  return remote;
}

/** host:port on this machine by name: localhost, 127.x.x.x or [::1]. */
function isLoopbackAddress(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `dag` without its root stage when that stage only gathers the stage below it: its plan is
 * a MergeGather (or an ExchangeRead of a single-partition exchange) under nothing but
 * Projections and Filters, which keep partitioning and order. Those move onto the stage
 * below, which becomes the root: each of its tasks one part of the result, in order.
 */
function withoutGatherRoot(dag: StageDag): StageDag {
  const root = dag.stages.find((s) => s.id === dag.rootStageId)!;
  if (root.inputs.length !== 1) return dag;
  const below = dag.stages.find((s) => s.id === root.inputs[0])!;
  const chain: PhysicalPlan[] = [];
  let p = root.plan;
  while (p.kind === 'Projection' || p.kind === 'Filter') { chain.push(p); p = childrenOf(p)[0]!; }
  if (!(p.kind === 'MergeGather' || (p.kind === 'ExchangeRead' && p.partitioning.kind === 'single'))) return dag;
  if (chain.length === 0) {
    // The gather relabels columns; the part files must carry the result's names.
    const names = (fields: readonly { name: string; type: string }[]) => fields.map((f) => `${f.name}:${f.type}`).join(',');
    if (names(below.plan.schema.fields) !== names(p.schema.fields)) return dag;
  }
  let plan = below.plan;
  for (let i = chain.length - 1; i >= 0; i--) plan = { ...withChildren(chain[i]!, [plan]), partitions: below.tasks } as PhysicalPlan;
  const moved = { ...below, plan };
  return { ...dag, stages: dag.stages.filter((s) => s !== root).map((s) => (s === below ? moved : s)), rootStageId: below.id };
}
