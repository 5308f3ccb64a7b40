import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { collect } from '../../src/exec/execute.js';
import { col, lit, type PhysicalExpr } from '../../src/expr/expr.js';
import type { PhysicalPlan, ProjectionNode } from '../../src/plan/physical.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';
import { sourceNode } from '../helpers/source.js';

const S = schema([field('a', 'int32'), field('b', 'utf8'), field('c', 'int64')]);
const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function projectionPlan(input: PhysicalPlan, exprs: PhysicalExpr[], out: Schema): ProjectionNode {
  return { kind: 'Projection', id: 1, schema: out, partitions: input.partitions, input, exprs };
}

describe('Projection', () => {
  const b1 = batchFromRows(S, [[1, 'x', 10n], [null, null, null]]);
  const b2 = batchFromRows(S, [[3, 'z', -1n]]);

  it('reorders and duplicates columns, adds literals, relabels with the node schema', async () => {
    const out = schema([field('c2', 'int64'), field('a2', 'int32'), field('k', 'utf8'), field('a3', 'int32')]);
    const node = projectionPlan(sourceNode([b1, batchFromRows(S, []), b2], S), [col(2, 'int64'), col(0, 'int32'), lit('k', 'utf8'), col(0, 'int32')], out);
    const batches = await collect(node, testContext());
    expect(batches.every((b) => b.schema === out)).toBe(true);
    expect(rowsOf(batches)).toEqual([[10n, 1, 'k', 1], [null, null, 'k', null], [-1n, 3, 'k', 3]]);
  });

  it('computes expressions and widens an all-NULL literal to the field type', async () => {
    const out = schema([field('sum', 'int32'), field('n', 'utf8')]);
    const plus: PhysicalExpr = { kind: 'binary', op: '+', left: col(0, 'int32'), right: lit(1, 'int32'), type: 'int32' };
    const node = projectionPlan(sourceNode([b1, b2], S), [plus, lit(null, 'null')], out);
    const batches = await collect(node, testContext());
    expect(batches.every((b) => b.columns[1]!.type === 'utf8')).toBe(true);
    expect(rowsOf(batches)).toEqual([[2, null], [null, null], [4, null]]);
  });

  it('keeps the row count with zero output columns', async () => {
    const node = projectionPlan(sourceNode([b1, b2], S), [], schema([]));
    const batches = await collect(node, testContext());
    expect(batches.map((b) => b.length)).toEqual([2, 1]);
  });

  it('yields nothing for empty inputs', async () => {
    const node = projectionPlan(sourceNode([], S), [col(1, 'utf8')], schema([field('b', 'utf8')]));
    expect(await collect(node, testContext())).toEqual([]);
  });

  it('rejects an expression whose type disagrees with the schema', async () => {
    const node = projectionPlan(sourceNode([b1], S), [col(1, 'utf8')], schema([field('b', 'int32')]));
    await expect(collect(node, testContext())).rejects.toThrow(/column "b" is utf8, schema says int32/);
  });
});
