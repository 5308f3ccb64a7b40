import { describe, expect, it } from 'vitest';
import { planStageDag } from '../../src/distributed/distribute.js';
import { runStageDag } from '../../src/scheduler/stage_scheduler.js';
import { decodeTaskMessage, encodeTaskMessage } from '../../src/protocol/task_codec.js';
import { LocalTaskRunner, type TaskRequest, type TaskResult, type TaskRunner } from '../../src/exec/task_runner.js';
import { SpillwayError } from '../../src/common/errors.js';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import { routeByRange } from '../../src/exec/shuffle/range_bounds.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import { field } from '../../src/common/types.js';
import { catalogOf, cells, contextFor, memoryTable, runSingle, singleNodePlan, testConfig } from '../distributed/harness.js';

const t = memoryTable({ name: 't', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 40 }, (_v, i) => [i % 5, i % 3 === 0 ? null : `b${i % 4}`]) }, [6]);
const catalog = catalogOf([t]);
const config = testConfig({ force_distribution: true, batch_size: 4 });

async function dag(sql: string, workers = 3) {
  return planStageDag(await singleNodePlan(sql, catalog, config), { config, workers, memoryTables: catalog.memoryTables() });
}

/** A LocalTaskRunner behind a JSON boundary, as a remote runner would see requests. */
function recordingRunner(opts: { failStage?: number; failTask?: number } = {}) {
  const ctx = contextFor(catalog, config);
  const buffer = new ExchangeBuffer({ pool: ctx.memory, rangeRouter: routeByRange });
  const transport = new InProcessTransport({ buffers: buffer, credits: 2, networkTimeoutMs: 1000 });
  const inner = new LocalTaskRunner({ buffer, transport, config, memory: ctx.memory, spill: ctx.spill, memoryTables: ctx.memoryTables, maxStreams: 1 });
  const requests: TaskRequest[] = [];
  const released: string[] = [];
  let running = 0, maxRunning = 0;
  const runner: TaskRunner = {
    async runTask(req, signal) {
      const shipped = decodeTaskMessage<TaskRequest>(encodeTaskMessage(req));
      requests.push(shipped);
      running++; maxRunning = Math.max(maxRunning, running);
      try {
        if (req.stageId === opts.failStage && req.task === opts.failTask) throw new SpillwayError('execution', 'division by zero in a test');
        return decodeTaskMessage<TaskResult>(encodeTaskMessage(await inner.runTask(shipped, signal)));
      } finally { running--; }
    },
    async releaseQuery(q) { released.push(q); await inner.releaseQuery(q); },
  };
  return { runner, transport, buffer, requests, released, ctx, maxRunning: () => maxRunning };
}

describe('runStageDag', () => {
  it('runs every task of every stage once, inputs before consumers, bounded concurrency, and releases buffers', async () => {
    const sql = 'select b, count(*), min(a) from t group by b order by b';
    const d = await dag(sql);
    const r = recordingRunner();
    const result = await runStageDag(d, { ctx: r.ctx, runner: r.runner, transport: r.transport, maxConcurrentTasks: 2 });
    const single = cells(await runSingle(await singleNodePlan(sql, catalog, config), catalog, config));
    expect(single.map((row) => row[0])).toEqual(['b0', 'b1', 'b2', 'b3', null]);
    expect(cells(result.batches)).toEqual(single);
    const expectedTasks = d.stages.reduce((n, s) => n + s.tasks, 0);
    expect(r.requests.length).toBe(expectedTasks);
    expect(r.maxRunning()).toBeLessThanOrEqual(2);
    const finished: number[] = [];
    for (const req of r.requests) {
      for (const i of Object.keys(req.inputs).map(Number)) expect(finished).toContain(i);
      if (r.requests.filter((q) => q.stageId === req.stageId).at(-1) === req) finished.push(req.stageId);
    }
    // The range stage's readers got bounds computed from the samples.
    const rangeStage = d.stages.find((s) => s.output.kind === 'range')!;
    const reader = r.requests.find((q) => q.inputs[String(rangeStage.id)] !== undefined)!;
    expect(reader.inputs[String(rangeStage.id)]!.bounds!.length).toBeGreaterThan(0);
    expect(r.released).toEqual([r.ctx.queryId]);
    expect(r.buffer.stats()).toEqual([]);
    // Metrics: writers report rows out per stage; the scan rows are all there.
    const scanStage = result.stages[0]!;
    expect(scanStage.rowsOut).toBeGreaterThan(0);
    expect(result.stages.at(-1)!.rowsOut).toBe(5);
    const scanId = [...result.metrics.byNode.entries()].find(([id]) => id === d.stages[0]!.plan.id);
    expect(scanId).toBeDefined();
  });

  it('reports the first task error once, naming stage and task, and still releases', async () => {
    const d = await dag('select b, count(*) from t group by b');
    const r = recordingRunner({ failStage: 0, failTask: 1 });
    const err = await runStageDag(d, { ctx: r.ctx, runner: r.runner, transport: r.transport }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('execution');
    expect((err as Error).message).toBe('stage 0 task 1: division by zero in a test');
    expect(r.requests.some((q) => q.stageId > 0)).toBe(false);
    expect(r.released).toEqual([r.ctx.queryId]);
    expect(r.buffer.stats()).toEqual([]);
  });

  it('stops on abort with a cancelled error and releases', async () => {
    const d = await dag('select b, count(*) from t group by b');
    const r = recordingRunner();
    const controller = new AbortController();
    controller.abort(new SpillwayError('cancelled', 'query cancelled by the test'));
    const err = await runStageDag(d, { ctx: { ...r.ctx, signal: controller.signal }, runner: r.runner, transport: r.transport }).catch((e: unknown) => e);
    expect((err as SpillwayError).kind).toBe('cancelled');
    expect(r.released.length).toBe(1);
  });

  it('runs a one-stage (guarded) DAG with the default in-process runner', async () => {
    const guarded = testConfig({ batch_size: 4 });
    const plan = await singleNodePlan('select count(*) from t', catalog, guarded);
    const d = await planStageDag(plan, { config: guarded, workers: 2, memoryTables: catalog.memoryTables() });
    expect(d.decision.distribute).toBe(false);
    const result = await runStageDag(d, { ctx: contextFor(catalog, guarded) });
    expect(cells(result.batches)).toEqual([[40]]);
  });
});
