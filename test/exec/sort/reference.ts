/**
 * Reference ORDER BY for tests: a plain JS sort of scalar rows, written independently of
 * src/exec/sort (Buffer.compare for utf8 byte order, explicit NaN rule, stable sort).
 */
import fc from 'fast-check';
import type { Batch } from '../../../src/columnar/column.js';
import { batchFromRows } from '../../../src/columnar/kernels.js';
import type { SortKey } from '../../../src/expr/expr.js';
import { col } from '../../../src/expr/expr.js';
import type { DataType, Scalar, Schema } from '../../../src/common/types.js';

export interface RefKey { index: number; ascending: boolean; nullsFirst: boolean }

function compareNonNull(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') {
    const an = Number.isNaN(a), bn = Number.isNaN(b);
    if (an || bn) return an && bn ? 0 : an ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`cannot compare ${typeof a} with ${typeof b}`);
}

export function referenceCompare(x: readonly Scalar[], y: readonly Scalar[], keys: readonly RefKey[]): number {
  for (const k of keys) {
    const a = x[k.index]!, b = y[k.index]!;
    if (a === null || b === null) {
      if (a === null && b === null) continue;
      return (a === null) === k.nullsFirst ? -1 : 1;
    }
    const r = compareNonNull(a, b);
    if (r !== 0) return k.ascending ? r : -r;
  }
  return 0;
}

/** Stable (Array.prototype.sort is stable). */
export function referenceSort(rows: readonly Scalar[][], keys: readonly RefKey[]): Scalar[][] {
  return [...rows].sort((x, y) => referenceCompare(x, y, keys));
}

export function sortKeys(schema: Schema, keys: readonly RefKey[]): SortKey[] {
  return keys.map((k) => ({ expr: col(k.index, schema.fields[k.index]!.type), ascending: k.ascending, nullsFirst: k.nullsFirst }));
}

/** Cut rows into batches of the given sizes (cycled), with an empty batch in between now and then. */
export function toBatches(schema: Schema, rows: readonly Scalar[][], sizes: readonly number[]): Batch[] {
  const out: Batch[] = [];
  let pos = 0, k = 0;
  while (pos < rows.length) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    if (k % 3 === 1) out.push(batchFromRows(schema, []));
    out.push(batchFromRows(schema, rows.slice(pos, pos + n)));
    pos += n;
    k++;
  }
  return out;
}

/** Values of a type with many ties, the edge cases, and NULLs. */
export function valueArb(type: DataType): fc.Arbitrary<Scalar> {
  let v: fc.Arbitrary<Scalar>;
  switch (type) {
    case 'int32': v = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer()); break;
    case 'date32': v = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -1_000_000, max: 1_000_000 })); break;
    case 'int64': case 'timestamp':
      v = fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })); break;
    case 'float64':
      v = fc.oneof(fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, 1.5, -1.5), fc.double()); break;
    case 'utf8':
      v = fc.oneof(
        fc.constantFrom('', 'a', 'ab', 'abc', 'ab\0', 'abcd', 'abcde', 'abcdf', 'é', 'e\u0301', '日本', '😀', 'Z', 'ä'),
        fc.string({ unit: fc.constantFrom('a', 'b', 'é', '日', '😀', '\0', 'z'), maxLength: 7 }),
      );
      break;
    case 'bool': v = fc.boolean(); break;
    case 'null': return fc.constant(null);
    default: v = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer()); break; // a decimal's unscaled value
  }
  return fc.option(v, { nil: null, freq: 4 });
}
