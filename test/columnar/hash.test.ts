import { describe, expect, it } from 'vitest';
import { fixedColumn, nullColumn, utf8Column, type Column } from '../../src/columnar/column.js';
import { anyNullMask, bucketOf, hashColumns, keysEqual } from '../../src/columnar/hash.js';
import { columnFromScalars, sliceColumn } from '../../src/columnar/kernels.js';
import type { DataType, Scalar } from '../../src/common/types.js';

const colOf = (type: DataType, values: Scalar[]): Column => columnFromScalars(type, values);

describe('hashColumns', () => {
  it('is stable across processes (golden values)', () => {
    const a = colOf('int32', [0, 1, -1, 2147483647, null]);
    const b = colOf('utf8', ['', 'a', 'hello', 'héllo', null]);
    const c = colOf('float64', [0, 1.5, NaN, -Infinity, null]);
    expect(Array.from(hashColumns([a, b, c], 5))).toEqual([1657777193, 3923686905, 3640163446, 1656496676, 787751496]);
    expect(Array.from(hashColumns([b], 5))).toEqual([698267103, 114621449, 980055679, 1968043184, 894788479]);
  });

  it('hashes equal values alike regardless of where they sit in their buffers', () => {
    const big = utf8Column(['x', 'abc', 'déf', null, '']);
    const sliced = sliceColumn(big, 1, 5);
    const fresh = utf8Column(['abc', 'déf', null, '']);
    expect(Array.from(hashColumns([sliced], 4))).toEqual(Array.from(hashColumns([fresh], 4)));
  });

  it('folds -0 into 0 and all NaNs into one', () => {
    const weirdNaN = new Float64Array(1);
    new Uint32Array(weirdNaN.buffer)[1] = 0x7ff80001; // a NaN with a different payload
    const a = fixedColumn('float64', new Float64Array([0, NaN, 3]));
    const b = fixedColumn('float64', new Float64Array([-0, weirdNaN[0]!, 3]));
    expect(Number.isNaN(weirdNaN[0]!)).toBe(true);
    expect(Array.from(hashColumns([a], 3))).toEqual(Array.from(hashColumns([b], 3)));
    expect(keysEqual([a], 0, [b], 0)).toBe(true);
    expect(keysEqual([a], 1, [b], 1)).toBe(true);
  });

  it('hashes an int32 and an int64 holding the same number alike', () => {
    const a = colOf('int32', [0, -5, 123456, -2147483648]);
    const b = colOf('int64', [0n, -5n, 123456n, -2147483648n]);
    expect(Array.from(hashColumns([a], 4))).toEqual(Array.from(hashColumns([b], 4)));
    expect(keysEqual([a], 2, [b], 2)).toBe(true);
    expect(keysEqual([a], 1, [b], 2)).toBe(false);
  });

  it('gives NULL one hash in every type and row', () => {
    const types: DataType[] = ['bool', 'int32', 'int64', 'float64', 'utf8', 'date32', 'timestamp'];
    const hashes = types.map((t) => hashColumns([colOf(t, [null, null])], 2));
    for (const h of hashes) { expect(h[0]).toBe(hashes[0]![0]); expect(h[1]).toBe(h[0]); }
    expect(hashColumns([nullColumn(1)], 1)[0]).toBe(hashes[0]![0]);
  });

  it('distinguishes column order, seeds and nearby values', () => {
    const a = colOf('int32', [1]);
    const b = colOf('int32', [2]);
    expect(hashColumns([a, b], 1)[0]).not.toBe(hashColumns([b, a], 1)[0]);
    expect(hashColumns([a], 1, 7)[0]).not.toBe(hashColumns([a], 1)[0]);
    const bools = colOf('bool', [true, false, null]);
    const h = hashColumns([bools], 3);
    expect(new Set(h).size).toBe(3);
    const ints = colOf('int32', Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(hashColumns([ints], 1000)).size).toBe(1000);
  });

  it('spreads sequential keys evenly over partitions (hash % n)', () => {
    const n = 20_000;
    const keys = fixedColumn('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)));
    const h = hashColumns([keys], n);
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < n; i++) counts[h[i]! % 16]!++;
    for (const c of counts) { expect(c).toBeGreaterThan(1100); expect(c).toBeLessThan(1400); }
  });

  it('bucketOf spreads rows of one hash partition over the buckets', () => {
    // All rows of partition 0 of 8 share their low 3 hash bits; buckets must still be used evenly.
    const n = 40_000;
    const keys = fixedColumn('int32', Int32Array.from({ length: n }, (_, i) => i));
    const h = hashColumns([keys], n);
    const used = new Set<number>();
    let inPartition = 0;
    for (let i = 0; i < n; i++) {
      if (h[i]! % 8 !== 0) continue;
      inPartition++;
      used.add(bucketOf(h[i]!, 10));
    }
    expect(Math.min(...used)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...used)).toBeLessThan(1024);
    expect(inPartition).toBeGreaterThan(4000);
    expect(used.size).toBeGreaterThan(950);
    expect(bucketOf(h[0]!, 0)).toBe(0);
  });
});

describe('keysEqual', () => {
  const a = [colOf('int32', [1, null, 3]), colOf('utf8', ['x', 'y', null])];
  const b = [colOf('int32', [1, null, 3]), colOf('utf8', ['x', 'y', 'z'])];

  it('treats NULL = NULL as equal for grouping', () => {
    expect(keysEqual(a, 0, b, 0)).toBe(true);
    expect(keysEqual(a, 1, b, 1)).toBe(true);
    expect(keysEqual(a, 2, b, 2)).toBe(false);
    expect(keysEqual(a, 0, b, 1)).toBe(false);
  });

  it('never matches NULL when nullsEqual is false (joins)', () => {
    expect(keysEqual(a, 0, b, 0, false)).toBe(true);
    expect(keysEqual(a, 1, b, 1, false)).toBe(false);
    expect(keysEqual([nullColumn(1)], 0, [nullColumn(1)], 0, false)).toBe(false);
    expect(keysEqual([nullColumn(1)], 0, [nullColumn(1)], 0, true)).toBe(true);
  });

  it('compares utf8 by bytes, including prefixes and empty strings', () => {
    const s = colOf('utf8', ['ab', 'abc', '', 'é']);
    expect(keysEqual([s], 0, [s], 1)).toBe(false);
    expect(keysEqual([s], 2, [colOf('utf8', [''])], 0)).toBe(true);
    expect(keysEqual([s], 3, [colOf('utf8', ['é'])], 0)).toBe(true);
  });

  it('anyNullMask marks rows with a NULL in any column', () => {
    expect(anyNullMask([colOf('int32', [1, 2])], 2)).toBeNull();
    expect(Array.from(anyNullMask(a, 3)!)).toEqual([0, 1, 1]);
    expect(Array.from(anyNullMask([nullColumn(2)], 2)!)).toEqual([1, 1]);
  });
});
