import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { collect, executePlan } from '../../src/exec/execute.js';
import type { CoalesceNode, LimitNode, PhysicalPlan } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';
import { sourceNode, sourceStats } from '../helpers/source.js';

const S = schema([field('p', 'int32'), field('i', 'int32')]);
const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function coalescePlan(input: PhysicalPlan): CoalesceNode {
  return { kind: 'Coalesce', id: 1, schema: S, partitions: 1, input };
}

/** partitions × batchesEach batches, each one row [partition, index]. */
function partitioned(partitions: number, batchesEach: number): Batch[][] {
  return Array.from({ length: partitions }, (_, p) => Array.from({ length: batchesEach }, (_, i) => batchFromRows(S, [[p, i]])));
}

const sortRows = (rows: Scalar[][]): Scalar[][] => [...rows].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));

describe('Coalesce', () => {
  it('gathers every row of every partition, each partition in its own order', async () => {
    for (const async of [false, true]) {
      const out = rowsOf(await collect(coalescePlan(sourceNode(partitioned(3, 5), S, 3, { async })), testContext()));
      expect(sortRows(out)).toEqual(sortRows(partitioned(3, 5).flat().flatMap(batchRows)));
      for (let p = 0; p < 3; p++) expect(out.filter((r) => r[0] === p).map((r) => r[1])).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('interleaves concurrent inputs and never lets one run far ahead', async () => {
    const src = sourceNode(partitioned(2, 20), S, 2, { async: true });
    const it = executePlan(coalescePlan(src), 0, testContext());
    const first = await it.next();
    expect(first.done).toBe(false);
    // While the consumer holds one batch, the pumps can queue at most 2 per input.
    await new Promise((r) => setTimeout(r, 20));
    const stats = sourceStats(src);
    expect(stats.pulled[0]! + stats.pulled[1]!).toBeLessThanOrEqual(1 + 2 * 2 + 2);
    const rest: Batch[] = [];
    for await (const b of { [Symbol.asyncIterator]: () => it }) rest.push(b);
    const order = [first.value as Batch, ...rest].flatMap(batchRows).map((r) => r[0]);
    expect(order.length).toBe(40);
    // Both inputs contribute before either is exhausted.
    expect(order.slice(0, 10)).toContain(0);
    expect(order.slice(0, 10)).toContain(1);
  });

  it('handles empty partitions, zero-length batches and a single input partition', async () => {
    const mixed = sourceNode([[], [batchFromRows(S, []), batchFromRows(S, [[1, 0]])], []], S, 3);
    expect(rowsOf(await collect(coalescePlan(mixed), testContext()))).toEqual([[1, 0]]);
    expect(await collect(coalescePlan(sourceNode([[], []], S, 2)), testContext())).toEqual([]);
    expect(rowsOf(await collect(coalescePlan(sourceNode(partitioned(1, 3), S, 1)), testContext()))).toEqual([[0, 0], [0, 1], [0, 2]]);
  });

  it('fails with the first input error and closes every input', async () => {
    const src = sourceNode(partitioned(3, 10), S, 3, { async: true, failAt: { index: 2, error: new Error('disk on fire') } });
    await expect(collect(coalescePlan(src), testContext())).rejects.toThrow('disk on fire');
    expect(sourceStats(src).started).toBe(3);
    expect(sourceStats(src).closed).toBe(3);
  });

  it('closes all inputs when the consumer stops early (LIMIT above)', async () => {
    const src = sourceNode(partitioned(4, 50), S, 4, { async: true });
    const limit: LimitNode = { kind: 'Limit', id: 2, schema: S, partitions: 1, input: coalescePlan(src), skip: 0, fetch: 3 };
    expect(rowsOf(await collect(limit, testContext())).length).toBe(3);
    const stats = sourceStats(src);
    expect(stats.closed).toBe(4);
    expect(stats.pulled.reduce((a, b) => a + b, 0)).toBeLessThan(30);
  });

  it('rejects a node with more than one partition', async () => {
    const node: CoalesceNode = { ...coalescePlan(sourceNode(partitioned(2, 1), S, 2)), partitions: 2 };
    await expect(collect(node, testContext())).rejects.toThrow(/must have exactly 1 partition/);
  });
});
