import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { collect, executePlan } from '../../src/exec/execute.js';
import { unionInputPartition, unionPartitions } from '../../src/exec/union_all.js';
import type { PhysicalPlan, UnionAllNode } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';
import { sourceNode } from '../helpers/source.js';

const S = schema([field('n', 'int32'), field('s', 'utf8')]);
const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function unionPlan(inputs: PhysicalPlan[]): UnionAllNode {
  return { kind: 'UnionAll', id: 1, schema: S, partitions: unionPartitions(inputs), inputs };
}

async function partitionRows(node: PhysicalPlan, p: number): Promise<Scalar[][]> {
  const out: Batch[] = [];
  for await (const b of executePlan(node, p, testContext())) out.push(b);
  return rowsOf(out);
}

describe('UnionAll', () => {
  const other = schema([field('x', 'int32'), field('y', 'utf8')]);
  const a0 = batchFromRows(other, [[1, 'a'], [null, 'b']]);
  const a1 = batchFromRows(other, [[2, null]]);
  const b0 = batchFromRows(S, [[3, 'c']]);

  it('lays the inputs\' partitions side by side, in order', async () => {
    const node = unionPlan([sourceNode([[a0], [a1]], other, 2), sourceNode([], S), sourceNode([b0, batchFromRows(S, [])], S)]);
    expect(node.partitions).toBe(4);
    expect(unionInputPartition(node.inputs, 0)).toEqual({ input: 0, partition: 0 });
    expect(unionInputPartition(node.inputs, 1)).toEqual({ input: 0, partition: 1 });
    expect(unionInputPartition(node.inputs, 2)).toEqual({ input: 1, partition: 0 });
    expect(unionInputPartition(node.inputs, 3)).toEqual({ input: 2, partition: 0 });
    expect(await partitionRows(node, 0)).toEqual([[1, 'a'], [null, 'b']]);
    expect(await partitionRows(node, 1)).toEqual([[2, null]]);
    expect(await partitionRows(node, 2)).toEqual([]);
    expect(await partitionRows(node, 3)).toEqual([[3, 'c']]);
    const all = await collect(node, testContext());
    expect(all.every((b) => b.schema === S)).toBe(true);
    expect(rowsOf(all)).toEqual([[1, 'a'], [null, 'b'], [2, null], [3, 'c']]);
  });

  it('unions two single-partition inputs into two partitions', async () => {
    const node = unionPlan([sourceNode([b0], S), sourceNode([a1], other)]);
    expect(node.partitions).toBe(2);
    expect(rowsOf(await collect(node, testContext()))).toEqual([[3, 'c'], [2, null]]);
  });

  it('rejects an input whose column types disagree', async () => {
    const wrong = schema([field('n', 'utf8'), field('s', 'utf8')]);
    const node = unionPlan([sourceNode([b0], S), sourceNode([batchFromRows(wrong, [['1', 'x']])], wrong)]);
    await expect(collect(node, testContext())).rejects.toThrow(/column "n" is utf8, schema says int32/);
  });
});
