import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { collect, executePlan } from '../../src/exec/execute.js';
import type { LimitNode, PhysicalPlan } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';
import { sourceNode, sourceStats } from '../helpers/source.js';

const S = schema([field('n', 'int32'), field('s', 'utf8')]);
const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function limitPlan(input: PhysicalPlan, skip: number, fetch: number | null): LimitNode {
  return { kind: 'Limit', id: 1, schema: S, partitions: input.partitions, input, skip, fetch };
}

/** Batches of sizes 3, 0, 4, 1, 2: rows n = 0..9, with a NULL string every third row. */
function input(): PhysicalPlan {
  const rows: Scalar[][] = Array.from({ length: 10 }, (_, i) => [i, i % 3 === 0 ? null : `v${i}`]);
  const cuts = [[0, 3], [3, 3], [3, 7], [7, 8], [8, 10]];
  return sourceNode(cuts.map(([a, b]) => batchFromRows(S, rows.slice(a, b))), S);
}

const ns = (bs: readonly Batch[]): Scalar[] => rowsOf(bs).map((r) => r[0]!);

describe('Limit', () => {
  it('applies skip and fetch across batch boundaries', async () => {
    expect(ns(await collect(limitPlan(input(), 2, 5), testContext()))).toEqual([2, 3, 4, 5, 6]);
    expect(ns(await collect(limitPlan(input(), 3, 4), testContext()))).toEqual([3, 4, 5, 6]);
    expect(ns(await collect(limitPlan(input(), 0, 3), testContext()))).toEqual([0, 1, 2]);
    expect(ns(await collect(limitPlan(input(), 7, null), testContext()))).toEqual([7, 8, 9]);
    expect(ns(await collect(limitPlan(input(), 0, null), testContext()))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rowsOf(await collect(limitPlan(input(), 5, 2), testContext()))).toEqual([[5, 'v5'], [6, null]]);
  });

  it('yields nothing when skip reaches past the input or fetch is 0', async () => {
    expect(await collect(limitPlan(input(), 10, 5), testContext())).toEqual([]);
    expect(await collect(limitPlan(input(), 50, null), testContext())).toEqual([]);
    const src = input();
    expect(await collect(limitPlan(src, 0, 0), testContext())).toEqual([]);
    expect(sourceStats(src).started).toBe(0);
  });

  it('stops pulling its input once fetch rows are out, closing the input', async () => {
    const src = input();
    expect(ns(await collect(limitPlan(src, 1, 2), testContext()))).toEqual([1, 2]);
    expect(sourceStats(src).pulled).toEqual([1]);
    expect(sourceStats(src).closed).toBe(1);

    const src2 = input();
    const it = executePlan(limitPlan(src2, 0, 4), 0, testContext());
    const seen: number[] = [];
    for await (const b of it) seen.push(b.length);
    expect(seen).toEqual([3, 1]);
    expect(sourceStats(src2).pulled).toEqual([3]);
  });

  it('returns fewer rows when the input is short, and handles empty inputs', async () => {
    expect(ns(await collect(limitPlan(input(), 8, 100), testContext()))).toEqual([8, 9]);
    expect(await collect(limitPlan(sourceNode([], S), 0, 5), testContext())).toEqual([]);
    expect(await collect(limitPlan(sourceNode([batchFromRows(S, [])], S), 0, 5), testContext())).toEqual([]);
    expect(rowsOf(await collect(limitPlan(sourceNode([batchFromRows(S, [[1, 'x']])], S), 0, 1), testContext()))).toEqual([[1, 'x']]);
  });
});
