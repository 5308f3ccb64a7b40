import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../../src/columnar/kernels.js';
import { col } from '../../../src/expr/expr.js';
import type { SortKey } from '../../../src/expr/expr.js';
import { computeRangeBounds, KeySampler, RangeRouter } from '../../../src/exec/shuffle/range_bounds.js';
import { field, type Scalar } from '../../../src/common/types.js';

const S = { fields: [field('a', 'int32'), field('s', 'utf8')] };
const ASC: SortKey[] = [{ expr: col(0, 'int32'), ascending: true, nullsFirst: false }];
const batch = (vals: Scalar[]) => batchFromRows(S, vals.map((v) => [v, 'x']));

describe('KeySampler', () => {
  it('keeps every key while under capacity and counts all rows', () => {
    const s = new KeySampler(ASC, 10, 1);
    s.add(batch([3, null, 1]));
    s.add(batch([]));
    s.add(batch([7]));
    expect(s.result()).toEqual({ rows: [[3], [null], [1], [7]], seen: 4 });
  });

  it('keeps at most capacity keys, drawn from the whole input', () => {
    const s = new KeySampler(ASC, 50, 7);
    for (let b = 0; b < 100; b++) s.add(batch(Array.from({ length: 100 }, (_v, i) => b * 100 + i)));
    const r = s.result();
    expect(r.seen).toBe(10_000);
    expect(r.rows.length).toBe(50);
    // A reservoir over 10,000 rows picks from the back half too, not only the first 50.
    expect(r.rows.some((row) => (row[0] as number) >= 5000)).toBe(true);
  });
});

describe('computeRangeBounds', () => {
  it('picks weighted quantiles', () => {
    // Task A saw 100 rows (sample 0..9 → weight 10 each); task B saw 10 rows of 100 (weight 1).
    const a = { rows: Array.from({ length: 10 }, (_v, i): Scalar[] => [i]), seen: 100 };
    const b = { rows: Array.from({ length: 10 }, (): Scalar[] => [100]), seen: 10 };
    const bounds = computeRangeBounds([a, b], ASC, 2);
    expect(bounds).toEqual([[5]]);
  });

  it('gives no bounds without samples and keeps duplicate bounds', () => {
    expect(computeRangeBounds([{ rows: [], seen: 0 }], ASC, 4)).toEqual([]);
    const heavy = { rows: Array.from({ length: 20 }, (_v, i): Scalar[] => [i < 18 ? 5 : 9]), seen: 20 };
    expect(computeRangeBounds([heavy], ASC, 4)).toEqual([[5], [5], [5]]);
  });
});

describe('RangeRouter', () => {
  it('sends a row to the first partition whose bound is >= its key', () => {
    const r = new RangeRouter(ASC, [[2], [5], [5], [8]]);
    expect([...r.route(batch([1, 2, 3, 5, 6, 8, 9, null]))]).toEqual([0, 0, 1, 1, 3, 3, 4, 4]);
  });

  it('routes equal keys together, NULLs by their sort position, DESC order respected', () => {
    const desc: SortKey[] = [{ expr: col(0, 'int32'), ascending: false, nullsFirst: true }];
    const r = new RangeRouter(desc, [[null], [7], [3]]);
    expect([...r.route(batch([null, 9, 7, 7, 4, 3, 0]))]).toEqual([0, 1, 1, 1, 2, 2, 3]);
  });

  it('routes everything to partition 0 without bounds', () => {
    expect([...new RangeRouter(ASC, []).route(batch([4, null]))]).toEqual([0, 0]);
  });
});
