import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { collect } from '../../src/exec/execute.js';
import { col, lit, type PhysicalExpr } from '../../src/expr/expr.js';
import type { FilterNode, PhysicalPlan } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';
import { sourceNode } from '../helpers/source.js';

const S = schema([field('keep', 'bool'), field('v', 'utf8')]);
const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function filterPlan(input: PhysicalPlan, predicate: PhysicalExpr): FilterNode {
  return { kind: 'Filter', id: 1, schema: S, partitions: input.partitions, input, predicate };
}

describe('Filter', () => {
  const b1 = batchFromRows(S, [[true, 'a'], [false, 'b'], [null, 'c'], [true, null]]);
  const b2 = batchFromRows(S, [[false, 'd'], [null, 'e']]);
  const b3 = batchFromRows(S, [[true, 'f']]);

  it('keeps TRUE rows only (NULL and FALSE drop) across batches, skipping emptied batches', async () => {
    const out = await collect(filterPlan(sourceNode([b1, b2, b3], S), col(0, 'bool')), testContext());
    expect(out.map((b) => b.length)).toEqual([2, 1]);
    expect(rowsOf(out)).toEqual([[true, 'a'], [true, null], [true, 'f']]);
  });

  it('keeps everything for a TRUE literal and nothing for FALSE or NULL literals', async () => {
    const src = (): PhysicalPlan => sourceNode([b1, b2], S);
    expect(rowsOf(await collect(filterPlan(src(), lit(true, 'bool')), testContext()))).toEqual([...batchRows(b1), ...batchRows(b2)]);
    expect(await collect(filterPlan(src(), lit(false, 'bool')), testContext())).toEqual([]);
    expect(await collect(filterPlan(src(), lit(null, 'bool')), testContext())).toEqual([]);
    expect(await collect(filterPlan(src(), lit(null, 'null')), testContext())).toEqual([]);
  });

  it('handles zero batches, zero-length batches and a single row', async () => {
    expect(await collect(filterPlan(sourceNode([], S), col(0, 'bool')), testContext())).toEqual([]);
    expect(await collect(filterPlan(sourceNode([batchFromRows(S, []), batchFromRows(S, [])], S), col(0, 'bool')), testContext())).toEqual([]);
    expect(rowsOf(await collect(filterPlan(sourceNode([b3], S), col(0, 'bool')), testContext()))).toEqual([[true, 'f']]);
  });

  it('evaluates a comparison predicate', async () => {
    const s = schema([field('x', 'int32')]);
    const input = sourceNode([batchFromRows(s, [[1], [5], [null], [7]]), batchFromRows(s, [[3], [9]])], s);
    const pred: PhysicalExpr = { kind: 'binary', op: '>', left: col(0, 'int32'), right: lit(4, 'int32'), type: 'bool' };
    const node: FilterNode = { kind: 'Filter', id: 1, schema: s, partitions: 1, input, predicate: pred };
    expect(rowsOf(await collect(node, testContext()))).toEqual([[5], [7], [9]]);
  });

  it('runs each partition of its input', async () => {
    const node = filterPlan(sourceNode([[b1], [b3]], S, 2), col(0, 'bool'));
    const ctx = testContext();
    expect(await collect(node, ctx).then(rowsOf)).toEqual([[true, 'a'], [true, null], [true, 'f']]);
  });
});
