import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import { collect } from '../../../src/exec/execute.js';
import type { PhysicalExpr } from '../../../src/expr/expr.js';
import type { JoinType } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { and, cmp, JOIN_TYPES, nestedLoopJoinNode, referenceJoin, sortRows, sqlCmp, toBatches, type RowPredicate } from './reference.js';

const L = schema([field('a', 'int32'), field('s', 'utf8')]);
const R = schema([field('lo', 'int64'), field('hi', 'float64'), field('t', 'utf8')]);

const leftRows: Scalar[][] = Array.from({ length: 23 }, (_, i) => [i % 6 === 0 ? null : i * 3 - 10, i % 4 === 0 ? null : `s${i % 5}`]);
const rightRows: Scalar[][] = Array.from({ length: 17 }, (_, i) => [
  i % 7 === 0 ? null : BigInt(i * 4 - 20), i % 5 === 0 ? null : i * 4 - 20 + (i % 3) * 7.5, i % 3 === 0 ? null : `s${i % 4}`,
]);

async function run(
  t: JoinType, left: Batch[] | Batch[][], right: Batch[] | Batch[][], filter: PhysicalExpr | null, batchSize: number,
  parts: { left?: number; right?: number; node?: number } = {},
) {
  const ls = sourceNode(left, L, parts.left ?? 1);
  const rs = sourceNode(right, R, parts.right ?? 1);
  const node = nestedLoopJoinNode(ls, rs, t, filter, parts.node ?? ls.partitions);
  const ctx = testContext({ batch_size: batchSize });
  const out = await collect(node, ctx);
  for (const b of out) expect(b.length).toBeLessThanOrEqual(batchSize);
  expect(ctx.memory.used).toBe(0);
  return { rows: out.flatMap(batchRows), ctx, node };
}

// a BETWEEN lo AND hi, and a band join on text: non-equi conditions.
const between = and(cmp('>=', L, 0, R, 0), { kind: 'binary', op: '<=', type: 'bool', left: { kind: 'column', index: 0, type: 'int32' }, right: { kind: 'column', index: 3, type: 'float64' } });
const betweenRef: RowPredicate = (l, r) => sqlCmp('>=', l[0]!, r[0]!) && l[0] !== null && r[1] !== null && (l[0] as number) <= (r[1] as number);
const textLess = cmp('<', L, 1, R, 2);
const textLessRef: RowPredicate = (l, r) => sqlCmp('<', l[1]!, r[2]!);

describe.each(JOIN_TYPES)('NestedLoopJoin %s', (t) => {
  it('non-equi filter (BETWEEN) with NULLs across batch boundaries', async () => {
    const want = sortRows(referenceJoin(leftRows, rightRows, 2, 3, t, betweenRef));
    for (const batchSize of [1, 5, 1000]) {
      const { rows } = await run(t, toBatches(L, leftRows, [4, 1, 9]), toBatches(R, rightRows, [3, 8]), between, batchSize);
      expect(sortRows(rows)).toEqual(want);
    }
  });

  it('utf8 inequality filter', async () => {
    const { rows } = await run(t, toBatches(L, leftRows, [10]), toBatches(R, rightRows, [17]), textLess, 7);
    expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 2, 3, t, textLessRef)));
  });

  it('no filter: a cross join in blocks smaller than one left row\'s pairs', async () => {
    const { rows, ctx, node } = await run(t, toBatches(L, leftRows, [5]), toBatches(R, rightRows, [6]), null, 4);
    expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 2, 3, t, () => true)));
    expect(ctx.metrics.forNode(node.id).extra).toMatchObject({ buildRows: 17, probeRows: 23 });
  });

  it('empty right side and empty left side', async () => {
    const noRight = await run(t, toBatches(L, leftRows, [8]), [], between, 6);
    expect(sortRows(noRight.rows)).toEqual(sortRows(referenceJoin(leftRows, [], 2, 3, t, betweenRef)));
    const noLeft = await run(t, [batchFromRows(L, [])], toBatches(R, rightRows, [8]), between, 6);
    expect(sortRows(noLeft.rows)).toEqual(sortRows(referenceJoin([], rightRows, 2, 3, t, betweenRef)));
  });
});

describe('NestedLoopJoin partitions', () => {
  const leftParts = [toBatches(L, leftRows.slice(0, 9), [4]), toBatches(L, leftRows.slice(9), [5])];
  const rightParts = [toBatches(R, rightRows.slice(0, 5), [2]), toBatches(R, rightRows.slice(5), [5])];

  it('reads every right partition for each left partition', async () => {
    const inner = referenceJoin(leftRows, rightRows, 2, 3, 'inner', betweenRef).length;
    expect(inner).toBeGreaterThan(10); // the filter both keeps and drops pairs
    expect(inner).toBeLessThan(leftRows.length * rightRows.length / 2);
    for (const t of ['inner', 'left', 'semi', 'anti'] as JoinType[]) {
      const { rows } = await run(t, leftParts, rightParts, between, 8, { left: 2, right: 2 });
      expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 2, 3, t, betweenRef)));
    }
  });

  it('gathers every left partition into a single-partition node (right and full joins)', async () => {
    for (const t of ['right', 'full'] as JoinType[]) {
      const { rows } = await run(t, leftParts, rightParts, between, 8, { left: 2, right: 2, node: 1 });
      expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 2, 3, t, betweenRef)));
    }
  });

  it('refuses right and full joins over several partitions', async () => {
    await expect(run('full', leftParts, rightParts, between, 8, { left: 2, right: 2 })).rejects.toThrow(/needs a single partition/);
  });
});
