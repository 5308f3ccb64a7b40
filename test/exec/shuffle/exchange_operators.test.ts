/** ShuffleWriter, ExchangeRead and MergeGather over one in-process ExchangeBuffer. */
import { describe, expect, it } from 'vitest';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import type { Batch } from '../../../src/columnar/column.js';
import { hashColumns } from '../../../src/columnar/hash.js';
import { ExchangeBuffer } from '../../../src/exchange/exchange_buffer.js';
import { routeByRange } from '../../../src/exec/shuffle/range_bounds.js';
import { InProcessTransport } from '../../../src/exchange/in_process_transport.js';
import { col } from '../../../src/expr/expr.js';
import type { TaskContext } from '../../../src/exec/context.js';
import { executePlan } from '../../../src/exec/execute.js';
import { runShuffleWriter } from '../../../src/exec/shuffle/shuffle_writer.js';
import type { StageInputLocation } from '../../../src/exec/shuffle/task_exchange.js';
import type { ExchangeReadNode, MergeGatherNode, Partitioning, PhysicalPlan } from '../../../src/plan/physical.js';
import { field, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';

const S = { fields: [field('k', 'int32'), field('v', 'utf8')] };

function values(rows: Scalar[][], partitions: number): PhysicalPlan {
  return { kind: 'Values', id: 1, schema: S, partitions, rows };
}

function setup(inputs: Map<number, StageInputLocation> = new Map(), batchSize = 3) {
  const base = testContext({ batch_size: batchSize });
  const buffer = new ExchangeBuffer({ pool: base.memory, rangeRouter: routeByRange });
  const transport = new InProcessTransport({ buffers: buffer, credits: 2, networkTimeoutMs: 1000 });
  const ctx: TaskContext = { ...base, exchange: { transport, inputs, compression: 'none', maxStreams: 2 } };
  return { ctx, buffer };
}

async function drain(it: AsyncIterable<Batch>): Promise<Scalar[][]> {
  const rows: Scalar[][] = [];
  for await (const b of it) rows.push(...batchRows(b));
  return rows;
}

const ROWS: Scalar[][] = Array.from({ length: 20 }, (_v, i) => [i % 5 === 0 ? null : i % 7, `v${i}`]);

async function writeStage(ctx: TaskContext, buffer: ExchangeBuffer, output: Partitioning, tasks: number, rows = ROWS) {
  const samples = [];
  for (let t = 0; t < tasks; t++) {
    const r = await runShuffleWriter({ stageId: 0, task: t, plan: values(rows, tasks), output, metricsNodeId: 99 }, buffer, ctx);
    samples.push(r.sample);
  }
  return samples;
}

function reader(partitioning: Partitioning, partitions: number, producerTasks: number): ExchangeReadNode {
  return { kind: 'ExchangeRead', id: 5, schema: S, partitions, stageId: 0, partitioning, producerTasks };
}

const sortRows = (rows: Scalar[][]) => [...rows].sort((a, b) => String(a[1]).localeCompare(String(b[1])));

describe('ShuffleWriter + ExchangeRead', () => {
  it('hash: every row reaches exactly the reader of hash % n, across writer tasks', async () => {
    const inputs = new Map([[0, { workers: [null, null, null] }]]);
    const { ctx, buffer } = setup(inputs);
    const keys = [col(0, 'int32')];
    await writeStage(ctx, buffer, { kind: 'hash', keys, partitions: 4 }, 3);
    const node = reader({ kind: 'hash', keys, partitions: 4 }, 4, 3);
    const all: Scalar[][] = [];
    for (let p = 0; p < 4; p++) {
      const rows = await drain(executePlan(node, p, ctx));
      for (const r of rows) {
        const b = batchFromRows(S, [r]);
        expect(hashColumns([b.columns[0]!], 1)[0]! % 4).toBe(p);
      }
      all.push(...rows);
    }
    expect(sortRows(all)).toEqual(sortRows(ROWS));
    const m = ctx.metrics.byNode.get(5)!.extra;
    expect(m.rowsReceived).toBe(20);
    expect(ctx.metrics.byNode.get(99)!.extra.rowsSent).toBe(20);
  });

  it('hash: small pieces of one output partition are gathered up to batch_size rows before they are sent', async () => {
    const inputs = new Map([[0, { workers: [null] }]]);
    const { ctx, buffer } = setup(inputs, 10);
    const keys = [col(0, 'int32')];
    const rows: Scalar[][] = Array.from({ length: 400 }, (_v, i) => [i, `v${i}`]);
    const r = await runShuffleWriter({ stageId: 0, task: 0, plan: values(rows, 1), output: { kind: 'hash', keys, partitions: 4 }, metricsNodeId: 99 }, buffer, ctx);
    // 40 input batches of 10 rows, each split four ways: ~160 pieces, sent as ~40 batches.
    expect(r.counters.rows).toBe(400);
    expect(r.counters.batches).toBeLessThanOrEqual(44);
    const got: Scalar[][] = [];
    for (let p = 0; p < 4; p++) got.push(...await drain(executePlan(reader({ kind: 'hash', keys, partitions: 4 }, 4, 1), p, ctx)));
    expect(sortRows(got)).toEqual(sortRows(rows));
    expect(ctx.memory.used).toBe(buffer.bufferedBytes);
  });

  it('round robin and single deliver every row once; broadcast gives every reader everything', async () => {
    for (const output of [{ kind: 'round_robin', partitions: 3 }, { kind: 'single' }, { kind: 'broadcast' }] as Partitioning[]) {
      const inputs = new Map([[0, { workers: [null, null] }]]);
      const { ctx, buffer } = setup(inputs, 2);
      await writeStage(ctx, buffer, output, 2);
      const parts = output.kind === 'round_robin' ? 3 : 1;
      const node = reader(output, parts, 2);
      const all: Scalar[][] = [];
      for (let p = 0; p < parts; p++) all.push(...await drain(executePlan(node, p, ctx)));
      expect(sortRows(all)).toEqual(sortRows(ROWS));
    }
  });

  it('range: readers split by the bounds; a MergeGather of sorted partitions is in order', async () => {
    const keys = [{ expr: col(0, 'int32'), ascending: true, nullsFirst: false }];
    const inputs = new Map<number, StageInputLocation>([[0, { workers: [null, null], bounds: [[2], [2], [5]] }]]);
    const { ctx, buffer } = setup(inputs);
    const samples = await writeStage(ctx, buffer, { kind: 'range', keys, partitions: 4 }, 2);
    expect(samples.reduce((n, s) => n + s!.seen, 0)).toBe(20);
    const node = reader({ kind: 'range', keys, partitions: 4 }, 4, 2);
    const byPartition: Scalar[][][] = [];
    for (let p = 0; p < 4; p++) byPartition.push(await drain(executePlan(node, p, ctx)));
    expect(byPartition[1]).toEqual([]);
    expect(byPartition[0]!.every((r) => r[0] !== null && (r[0] as number) <= 2)).toBe(true);
    expect(byPartition[2]!.every((r) => (r[0] as number) > 2 && (r[0] as number) <= 5)).toBe(true);
    expect(byPartition[3]!.every((r) => r[0] === null || (r[0] as number) > 5)).toBe(true);
    expect(sortRows(byPartition.flat())).toEqual(sortRows(ROWS));

    // Stage 1: each writer task holds one sorted range, in key order.
    const sorted = [[[1, 'a'], [2, 'b']], [[3, 'c']], [], [[9, 'd'], [null, 'e']]] as Scalar[][][];
    const union: PhysicalPlan = {
      kind: 'UnionAll', id: 2, schema: S, partitions: 4,
      inputs: sorted.map((rows, i): PhysicalPlan => ({ kind: 'Values', id: 10 + i, schema: S, partitions: 1, rows })),
    };
    for (let t = 0; t < 4; t++) {
      await runShuffleWriter({ stageId: 1, task: t, plan: union, output: { kind: 'single' }, metricsNodeId: 98 }, buffer, ctx);
    }
    const gatherCtx: TaskContext = { ...ctx, exchange: { ...ctx.exchange!, inputs: new Map([[1, { workers: [null, null, null, null] }]]) } };
    const gather: MergeGatherNode = { kind: 'MergeGather', id: 6, schema: S, partitions: 1, stageId: 1, keys, producerTasks: 4 };
    expect(await drain(executePlan(gather, 0, gatherCtx))).toEqual(sorted.flat());
  });

  it('a failing stage plan fails its writer, and readers get the error', async () => {
    const inputs = new Map([[0, { workers: [null] }]]);
    const { ctx, buffer } = setup(inputs);
    const bad: PhysicalPlan = { kind: 'MemoryScan', id: 1, schema: S, partitions: 1, table: 'missing', projection: [0, 1] };
    await expect(runShuffleWriter({ stageId: 0, task: 0, plan: bad, output: { kind: 'single' }, metricsNodeId: 9 }, buffer, ctx)).rejects.toThrow(/missing/);
    await expect(drain(executePlan(reader({ kind: 'single' }, 1, 1), 0, ctx))).rejects.toThrow(/writer task failed/);
  });

  it('explains a missing exchange context or input location', async () => {
    const node = reader({ kind: 'single' }, 1, 1);
    await expect(drain(executePlan(node, 0, testContext()))).rejects.toThrow(/outside a distributed task/);
    const { ctx } = setup(new Map());
    await expect(drain(executePlan(node, 0, ctx))).rejects.toThrow(/no location for input stage 0/);
  });

  it('an uncut Exchange cannot run', async () => {
    const ex: PhysicalPlan = { kind: 'Exchange', id: 3, schema: S, partitions: 1, input: values(ROWS, 1), partitioning: { kind: 'single' } };
    await expect(drain(executePlan(ex, 0, testContext()))).rejects.toThrow(/cut into stages/);
  });
});
