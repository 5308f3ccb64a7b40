import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows, takeBatch } from '../../../src/columnar/kernels.js';
import { radixSortable, radixSortIndices } from '../../../src/exec/sort/radix.js';
import { RADIX_MIN_ROWS, sortIndices } from '../../../src/exec/sort/row_compare.js';
import { field, schema, type DataType, type Scalar } from '../../../src/common/types.js';
import { referenceSort, valueArb, type RefKey } from './reference.js';

const FIXED: DataType[] = ['int32', 'int64', 'float64', 'date32', 'bool', 'timestamp'];
const orderArb = fc.record({ ascending: fc.boolean(), nullsFirst: fc.boolean() });

describe('radixSortIndices', () => {
  it('orders float edge cases as PostgreSQL (NaN last, -0 = 0, stable)', () => {
    const c = fixedColumn('float64', new Float64Array([NaN, 1, -Infinity, 0, Infinity, -0, -NaN, -1, 5e-324, -5e-324]));
    const asc = [...radixSortIndices([c], [{ ascending: true, nullsFirst: false }], c.length)];
    expect(asc).toEqual([2, 7, 9, 3, 5, 8, 1, 4, 0, 6]);
    const desc = [...radixSortIndices([c], [{ ascending: false, nullsFirst: false }], c.length)];
    expect(desc).toEqual([0, 6, 4, 1, 8, 3, 5, 9, 7, 2]);
  });

  it('is not used for utf8 keys', () => {
    expect(radixSortable([fixedColumn('int32', new Int32Array(1))])).toBe(true);
    expect(radixSortable([batchFromRows(schema([field('s', 'utf8')]), [['x']]).columns[0]!])).toBe(false);
  });

  it('gives exactly the comparator order on random fixed-width keys', () => {
    const s = schema(FIXED.map((t, i) => field(`c${i}`, t)));
    fc.assert(fc.property(
      fc.array(fc.tuple(...FIXED.map((t) => valueArb(t))), { maxLength: 60 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: FIXED.length - 1 }), orderArb), { minLength: 1, maxLength: 3 }),
      (rows, keySpec) => {
        const batch = batchFromRows(s, rows as Scalar[][]);
        const cols = keySpec.map(([i]) => batch.columns[i]!);
        const orders = keySpec.map(([, o]) => o);
        // Fewer rows than RADIX_MIN_ROWS: sortIndices takes the comparator path.
        expect([...radixSortIndices(cols, orders, batch.length)]).toEqual([...sortIndices(cols, orders, batch.length)]);
      },
    ), { numRuns: 300 });
  });

  it('is taken by sortIndices for large batches and matches the reference sort', () => {
    const s = schema([field('a', 'int32'), field('b', 'float64'), field('c', 'int64'), field('id', 'int32')]);
    const n = RADIX_MIN_ROWS * 3;
    const rowsArb = fc.array(fc.tuple(valueArb('int32'), valueArb('float64'), valueArb('int64')), { minLength: n, maxLength: n });
    fc.assert(fc.property(rowsArb, fc.array(orderArb, { minLength: 3, maxLength: 3 }), (raw, o) => {
      const rows: Scalar[][] = raw.map((r, i) => [...r, i]);
      const keys: RefKey[] = [{ index: 0, ...o[0]! }, { index: 1, ...o[1]! }, { index: 2, ...o[2]! }];
      const batch = batchFromRows(s, rows);
      const idx = sortIndices(batch.columns.slice(0, 3), keys, n);
      expect(batchRows(takeBatch(batch, idx))).toEqual(referenceSort(rows, keys));
    }), { numRuns: 8, endOnFailure: true });
  });
});
