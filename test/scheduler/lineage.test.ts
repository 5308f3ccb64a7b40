/**
 * runStageDag with a runner whose workers can be lost, in one process: each "worker" is an
 * ExchangeBuffer of an in-memory cluster; losing one drops its buffer (reads of it fail as
 * fetch failures) and tells the scheduler. Checks lineage recomputation, retries by
 * failure class and speculative copies of stragglers.
 */
import { describe, expect, it } from 'vitest';
import { planStageDag } from '../../src/distributed/distribute.js';
import { SpillwayError } from '../../src/common/errors.js';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import { routeByRange } from '../../src/exec/shuffle/range_bounds.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import { LocalTaskRunner, type TaskRequest, type TaskResult } from '../../src/exec/task_runner.js';
import { field } from '../../src/common/types.js';
import type { Placement, WorkerLostListener } from '../../src/scheduler/cluster_task_runner.js';
import { runStageDag, type RecoveringTaskRunner } from '../../src/scheduler/stage_scheduler.js';
import { catalogOf, cells, contextFor, memoryTable, runSingle, singleNodePlan, testConfig } from '../distributed/harness.js';

const t = memoryTable({ name: 't', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 60 }, (_v, i) => [i % 7, `b${i % 5}`]) }, [6]);
const catalog = catalogOf([t]);
const config = testConfig({ force_distribution: true, batch_size: 4, retry_backoff_ms: 1, speculation_multiplier: 0 });
const SQL = 'select b, count(*), sum(a) from t group by b order by b';

interface Attempt { stageId: number; task: number; worker: string; speculative: boolean }

class Cluster implements RecoveringTaskRunner {
  readonly buffers = new Map<string, ExchangeBuffer>();
  readonly transport: InProcessTransport;
  readonly attempts: Attempt[] = [];
  private readonly runners = new Map<string, LocalTaskRunner>();
  private readonly lost = new Set<string>();
  private readonly listeners = new Set<WorkerLostListener>();
  private next = 0;
  /** Called before a task runs: may throw, wait or lose workers. */
  before: (req: TaskRequest, worker: string, signal: AbortSignal) => Promise<void> = async () => {};

  constructor(readonly ctx: ReturnType<typeof contextFor>, readonly names = ['w0', 'w1', 'w2']) {
    for (const n of names) this.buffers.set(n, new ExchangeBuffer({ pool: ctx.memory, rangeRouter: routeByRange }));
    this.transport = new InProcessTransport({ buffers: this.buffers, credits: 2, networkTimeoutMs: 1000 });
    for (const n of names) {
      this.runners.set(n, new LocalTaskRunner({
        buffer: this.buffers.get(n)!, transport: this.transport, config: ctx.config, memory: ctx.memory, spill: ctx.spill,
        memoryTables: ctx.memoryTables, worker: n, maxStreams: 2,
      }));
    }
  }

  async runTask(req: TaskRequest, signal: AbortSignal, placement: Placement = {}): Promise<TaskResult> {
    const up = this.names.filter((n) => !this.lost.has(n) && !(placement.exclude?.has(n) ?? false));
    const fresh = up.filter((n) => !(placement.avoid?.has(n) ?? false));
    const pool = fresh.length > 0 ? fresh : up;
    if (pool.length === 0) throw new SpillwayError('remote', 'no worker');
    const worker = pool[this.next++ % pool.length]!;
    placement.onPlaced?.(worker);
    placement.onStarted?.();
    this.attempts.push({ stageId: req.stageId, task: req.task, worker, speculative: (placement.exclude?.size ?? 0) > 0 });
    await this.before(req, worker, signal);
    if (signal.aborted) throw signal.reason;
    return this.runners.get(worker)!.runTask(req, signal);
  }

  lose(worker: string): void {
    if (this.lost.has(worker)) return;
    this.lost.add(worker);
    this.buffers.delete(worker);
    for (const l of [...this.listeners]) l(worker, 'lost in a test');
  }

  onWorkerLost(listener: WorkerLostListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  reportLost(worker: string): void { this.lose(worker); }
  cancelQuery(): void {}
  async releaseQuery(queryId: string): Promise<void> {
    for (const b of this.buffers.values()) await b.releaseQuery(queryId);
  }
}

async function setup(over: Parameters<typeof testConfig>[0] = {}) {
  const cfg = { ...config, ...over };
  const plan = await singleNodePlan(SQL, catalog, cfg);
  const dag = await planStageDag(plan, { config: cfg, workers: 3, memoryTables: catalog.memoryTables() });
  const expected = cells(await runSingle(plan, catalog, cfg));
  const cluster = new Cluster(contextFor(catalog, cfg));
  return { dag, expected, cluster, run: () => runStageDag(dag, { ctx: cluster.ctx, runner: cluster, transport: cluster.transport, maxConcurrentTasks: 3 }) };
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

describe('runStageDag with workers that can be lost', () => {
  it('recomputes just the lost producer outputs, then the consumers finish: same answer', async () => {
    const { dag, expected, cluster, run } = await setup();
    const first = dag.stages[0]!.id;
    let lostW1 = false;
    cluster.before = async (req) => {
      // Once the first consumer task starts, w1 (holding outputs of the scan stage) is lost.
      if (!lostW1 && req.stageId !== first) { lostW1 = true; cluster.lose('w1'); }
    };
    const result = await run();
    expect(cells(result.batches)).toEqual(expected);
    const scans = cluster.attempts.filter((a) => a.stageId === first);
    const firstRound = scans.slice(0, dag.stages[0]!.tasks);
    const rerun = scans.slice(dag.stages[0]!.tasks);
    // Only the tasks whose output was on w1 ran again, elsewhere.
    expect(rerun.map((a) => a.task).sort()).toEqual(firstRound.filter((a) => a.worker === 'w1').map((a) => a.task).sort());
    expect(rerun.every((a) => a.worker !== 'w1')).toBe(true);
    expect(cluster.attempts.filter((a) => a.stageId !== first && a.worker === 'w1').length).toBeLessThanOrEqual(1);
  });

  it('a user error fails at once with one attempt; resources exhausted is retried elsewhere', async () => {
    const a = await setup();
    a.cluster.before = async (req) => { if (req.stageId === a.dag.stages[0]!.id && req.task === 0) throw new SpillwayError('type', 'cannot add int and text'); };
    const err = await a.run().catch((e: unknown) => e);
    expect((err as SpillwayError).kind).toBe('type');
    expect((err as Error).message).toContain('cannot add int and text');
    expect(a.cluster.attempts.filter((x) => x.stageId === a.dag.stages[0]!.id && x.task === 0)).toHaveLength(1);

    const b = await setup();
    let refused = 0;
    b.cluster.before = async (req, worker) => {
      if (req.stageId === b.dag.stages[0]!.id && req.task === 0 && refused++ === 0) throw new SpillwayError('resources', `memory exhausted on ${worker}`);
    };
    const result = await b.run();
    expect(cells(result.batches)).toEqual(b.expected);
    const tries = b.cluster.attempts.filter((x) => x.stageId === b.dag.stages[0]!.id && x.task === 0);
    expect(tries).toHaveLength(2);
    expect(tries[1]!.worker).not.toBe(tries[0]!.worker);

    const c = await setup({ max_task_attempts: 3 });
    c.cluster.before = async (req) => { if (req.stageId === c.dag.stages[0]!.id && req.task === 1) throw new SpillwayError('resources', 'memory exhausted'); };
    const exhausted = await c.run().catch((e: unknown) => e);
    expect((exhausted as Error).message).toMatch(/stage \d+ task 1: query q1 failed 3 times \(max_task_attempts = 3\)/);
    expect(c.cluster.attempts.filter((x) => x.stageId === c.dag.stages[0]!.id && x.task === 1)).toHaveLength(3);
  });

  it('a straggler gets a speculative copy on another worker; the first to finish wins', async () => {
    const { dag, expected, cluster, run } = await setup({ speculation_multiplier: 1.5, speculation_min_ms: 200 });
    const first = dag.stages[0]!.id;
    let slowed = false;
    cluster.before = async (req, _worker, signal) => {
      if (!slowed && req.stageId === first && req.task === 0) { slowed = true; await sleep(10_000, signal); }
    };
    const t0 = Date.now();
    const result = await run();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(cells(result.batches)).toEqual(expected);
    const copies = cluster.attempts.filter((a) => a.stageId === first && a.task === 0);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.speculative).toBe(true);
    expect(copies[1]!.worker).not.toBe(copies[0]!.worker);
  });
});
