import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import { collect } from '../../../src/exec/execute.js';
import type { PhysicalPlan, SortNode, TopKNode } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { RecordingPool } from '../recording_pool.js';
import { referenceSort, sortKeys, toBatches, valueArb, type RefKey } from './reference.js';

const S = schema([field('k', 'int32'), field('s', 'utf8'), field('f', 'float64'), field('id', 'int32', false)]);

function topKPlan(input: PhysicalPlan, keys: readonly RefKey[], fetch: number): TopKNode {
  return { kind: 'TopK', id: 2, schema: S, partitions: input.partitions, input, keys: sortKeys(S, keys), fetch };
}

const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);
const K0: RefKey[] = [{ index: 0, ascending: true, nullsFirst: false }];

describe('TopK', () => {
  const data: Scalar[][] = Array.from({ length: 30 }, (_, i): Scalar[] => [(i * 11) % 7, `s${i % 4}`, i % 5 === 0 ? null : i / 3, i]);

  it('keeps the best rows across many batches (ties keep input order)', async () => {
    const out = await collect(topKPlan(sourceNode(toBatches(S, data, [4, 3]), S), K0, 5), testContext({ batch_size: 4 }));
    expect(rowsOf(out)).toEqual(referenceSort(data, K0).slice(0, 5));
    expect(out.every((b) => b.length <= 4)).toBe(true);
  });

  it('returns all rows sorted when fetch exceeds the input', async () => {
    const keys: RefKey[] = [{ index: 2, ascending: false, nullsFirst: true }];
    const out = await collect(topKPlan(sourceNode(toBatches(S, data, [7]), S), keys, 100), testContext());
    expect(rowsOf(out)).toEqual(referenceSort(data, keys));
  });

  it('yields nothing for fetch 0 without reading its input, and for empty inputs', async () => {
    const src = sourceNode(toBatches(S, data, [7]), S);
    expect(await collect(topKPlan(src, K0, 0), testContext())).toEqual([]);
    expect(await collect(topKPlan(sourceNode([], S), K0, 3), testContext())).toEqual([]);
    expect(await collect(topKPlan(sourceNode([batchFromRows(S, [])], S), K0, 3), testContext())).toEqual([]);
  });

  it('handles one row and NULL keys', async () => {
    const one: Scalar[][] = [[null, null, null, 1]];
    expect(rowsOf(await collect(topKPlan(sourceNode([batchFromRows(S, one)], S), K0, 1), testContext()))).toEqual(one);
  });

  it('holds an unspillable TopK[p0] reservation bounded by about max(2*fetch, batch_size) rows', async () => {
    const pool = new RecordingPool();
    const big = Array.from({ length: 2000 }, (_, i): Scalar[] => [(i * 7919) % 2003, 'x', i, i]);
    const ctx = { ...testContext({ batch_size: 16 }), memory: pool };
    const out = await collect(topKPlan(sourceNode(toBatches(S, big, [16]), S), K0, 3), ctx);
    expect(rowsOf(out).map((r) => r[0])).toEqual([0, 1, 2]);
    expect(pool.registered.map((r) => [r.name, r.spillable])).toEqual([['TopK[p0]', false]]);
    // 2000 rows are ~60 KB; the buffer never holds more than a few batches of 16 rows.
    expect(pool.peak).toBeLessThan(4000);
    expect(pool.used).toBe(0);
  });

  it('equals Sort followed by LIMIT on random data with NULLs', async () => {
    const rowArb = fc.tuple(valueArb('int32'), valueArb('utf8'), valueArb('float64'));
    const keyArb = fc.record({ index: fc.integer({ min: 0, max: 2 }), ascending: fc.boolean(), nullsFirst: fc.boolean() });
    await fc.assert(fc.asyncProperty(
      fc.array(rowArb, { maxLength: 120 }),
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }),
      fc.array(keyArb, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 25 }),
      async (raw, sizes, keys, fetch, batchSize) => {
        const rows: Scalar[][] = raw.map((r, i) => [...r, i]);
        const ctx = testContext({ batch_size: batchSize });
        const batches = toBatches(S, rows, sizes);
        const top = rowsOf(await collect(topKPlan(sourceNode(batches, S), keys, fetch), ctx));
        const sortNode: SortNode = { kind: 'Sort', id: 3, schema: S, partitions: 1, input: sourceNode(batches, S), keys: sortKeys(S, keys) };
        const sorted = rowsOf(await collect(sortNode, ctx));
        expect(top).toEqual(sorted.slice(0, fetch));
        expect(top).toEqual(referenceSort(rows, keys).slice(0, fetch));
      },
    ), { numRuns: 150 });
  });
});
