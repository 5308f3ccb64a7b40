import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Column, fixedColumn, nullColumn, type Column } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows, takeBatch } from '../../../src/columnar/kernels.js';
import { compareRows, sortBatchIndices, sortIndices } from '../../../src/exec/sort/row_compare.js';
import { field, schema, type DataType, type Scalar } from '../../../src/common/types.js';
import { referenceCompare, referenceSort, sortKeys, valueArb, type RefKey } from './reference.js';

const ASC_NULLS_LAST = { ascending: true, nullsFirst: false };

function order(c: Column, o = ASC_NULLS_LAST): number[] {
  return [...sortIndices([c], [o], c.length)];
}

describe('sortIndices', () => {
  it('orders floats as PostgreSQL: NaN above +Infinity, -0 equal to 0 (stable)', () => {
    const c = fixedColumn('float64', new Float64Array([NaN, 1, -Infinity, 0, Infinity, -0, NaN, -1]));
    expect(order(c)).toEqual([2, 7, 3, 5, 1, 4, 0, 6]);
    expect(order(c, { ascending: false, nullsFirst: true })).toEqual([0, 6, 4, 1, 3, 5, 7, 2]);
  });

  it('orders utf8 by bytes: prefixes first, multi-byte after ASCII, NUL after the prefix', () => {
    const c = utf8Column(['abc', 'ab', 'é', 'ab\0', 'Z', '', 'abcd', '😀', '日本', 'abd']);
    const sorted = order(c).map((i) => ['abc', 'ab', 'é', 'ab\0', 'Z', '', 'abcd', '😀', '日本', 'abd'][i]);
    expect(sorted).toEqual(['', 'Z', 'ab', 'ab\0', 'abc', 'abcd', 'abd', 'é', '日本', '😀']);
  });

  it('places NULLs first or last independently of direction', () => {
    const c = fixedColumn('int32', new Int32Array([3, 0, 1, 0]), new Uint8Array([1, 0, 1, 0]));
    expect(order(c, { ascending: true, nullsFirst: false })).toEqual([2, 0, 1, 3]);
    expect(order(c, { ascending: true, nullsFirst: true })).toEqual([1, 3, 2, 0]);
    expect(order(c, { ascending: false, nullsFirst: false })).toEqual([0, 2, 1, 3]);
    expect(order(c, { ascending: false, nullsFirst: true })).toEqual([1, 3, 0, 2]);
  });

  it('orders int64 beyond 2^53 exactly and bool false < true', () => {
    const big = fixedColumn('int64', new BigInt64Array([2n ** 62n + 1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]));
    expect(order(big)).toEqual([2, 1, 0, 3]);
    const b = fixedColumn('bool', new Uint8Array([1, 0, 1, 0]));
    expect(order(b)).toEqual([1, 3, 0, 2]);
  });

  it('keeps input order for a NULL-typed key, zero rows and one row', () => {
    expect(order(nullColumn(3))).toEqual([0, 1, 2]);
    expect(order(fixedColumn('int32', new Int32Array(0)))).toEqual([]);
    expect(order(utf8Column(['x']))).toEqual([0]);
  });

  const types: DataType[] = ['int32', 'int64', 'float64', 'utf8', 'date32', 'bool', 'timestamp'];
  for (const type of types) {
    it(`matches a reference sort on random ${type} keys (multi-key, both directions, both NULL placements)`, () => {
      const s = schema([field('k', type), field('k2', 'int32'), field('id', 'int32')]);
      fc.assert(fc.property(
        fc.array(fc.tuple(valueArb(type), valueArb('int32')), { maxLength: 60 }),
        fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(),
        (pairs, asc1, nf1, asc2, nf2) => {
          const rows: Scalar[][] = pairs.map(([a, b], i) => [a, b, i]);
          const keys: RefKey[] = [{ index: 0, ascending: asc1, nullsFirst: nf1 }, { index: 1, ascending: asc2, nullsFirst: nf2 }];
          const batch = batchFromRows(s, rows);
          const got = batchRows(takeBatch(batch, sortBatchIndices(batch, sortKeys(s, keys))));
          expect(got).toEqual(referenceSort(rows, keys));
        },
      ), { numRuns: 150 });
    });
  }
});

describe('compareRows', () => {
  it('agrees in sign with the reference across two batches', () => {
    const s = schema([field('f', 'float64'), field('s', 'utf8'), field('i', 'int64')]);
    fc.assert(fc.property(
      fc.array(fc.tuple(valueArb('float64'), valueArb('utf8'), valueArb('int64')), { minLength: 1, maxLength: 20 }),
      fc.array(fc.tuple(valueArb('float64'), valueArb('utf8'), valueArb('int64')), { minLength: 1, maxLength: 20 }),
      fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      (ra, rb, flags) => {
        const keys: RefKey[] = [0, 1, 2].map((index) => ({ index, ascending: flags[index]!, nullsFirst: flags[index + 3]! }));
        const a = batchFromRows(s, ra), b = batchFromRows(s, rb);
        for (let i = 0; i < ra.length; i++) {
          for (let j = 0; j < rb.length; j++) {
            const got = Math.sign(compareRows(a.columns, i, b.columns, j, keys));
            expect(got).toBe(Math.sign(referenceCompare(ra[i]!, rb[j]!, keys)));
          }
        }
      },
    ), { numRuns: 100 });
  });

  it('treats a NULL-typed key column as all NULL', () => {
    const a = [nullColumn(1)], b = [fixedColumn('int32', new Int32Array([5]))];
    expect(compareRows(a, 0, b, 0, [{ ascending: true, nullsFirst: true }])).toBe(-1);
    expect(compareRows(a, 0, b, 0, [{ ascending: false, nullsFirst: false }])).toBe(1);
    expect(compareRows(a, 0, a, 0, [ASC_NULLS_LAST])).toBe(0);
  });
});
