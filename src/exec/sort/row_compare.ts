/**
 * Row ordering for ORDER BY: sort the rows of one batch (sortIndices / sortBatchIndices) and
 * compare rows of two batches (compareRows, for k-way merges of sorted runs).
 *
 * Order, as PostgreSQL: NULLs go first or last per key regardless of direction; floats put
 * NaN above every number (NaN = NaN) and -0 = 0; utf8 compares bytes (= code point order);
 * bool false < true. Ties on every key keep input order (index tiebreak), so sorts are stable.
 *
 * Key columns are evaluated once per batch (evaluateSortKeys); comparators index their typed
 * arrays directly. No per-row objects. Large batches whose keys are all fixed-width take the
 * radix sort (radix.ts) instead, which yields the same order.
 *
 *   key columns ──▶ one closure per key (nulls wrapper ∘ direction ∘ typed compare)
 *                        │
 *   idx = 0..n-1 ──▶ idx.sort((a, b) => key0(a,b) || key1(a,b) || … || a - b) ──▶ Int32Array
 */
import type { Batch, Column, Utf8Column, VarColumn } from '../../columnar/column.js';
import { compareIntervalRows } from '../../columnar/interval.js';
import type { SortKey } from '../../expr/expr.js';
import { evaluate } from '../../expr/evaluate.js';
import { radixSortable, radixSortIndices } from './radix.js';
import { compareNested, isNestedColumn } from '../../columnar/nested.js';

/** Below this many rows the comparator sort is as fast as the radix sort's setup. */
export const RADIX_MIN_ROWS = 512;

/** Direction and NULL placement of one key (a SortKey carries both). */
export type SortOrder = Pick<SortKey, 'ascending' | 'nullsFirst'>;

/** Compares rows a and b of the batch the comparator was built for. */
type IndexComparator = (a: number, b: number) => number;

/** Evaluate each sort key expression over a batch: one key column per key. */
export function evaluateSortKeys(batch: Batch, keys: readonly SortKey[]): Column[] {
  return keys.map((k) => evaluate(k.expr, batch));
}

/** Sorted row order of a batch: evaluates the keys, then sortIndices. */
export function sortBatchIndices(batch: Batch, keys: readonly SortKey[]): Int32Array {
  return sortIndices(evaluateSortKeys(batch, keys), keys, batch.length);
}

/**
 * Row indices 0..length-1 ordered by the key columns (stable). keyColumns[k] is ordered
 * by orders[k].
 */
export function sortIndices(keyColumns: readonly Column[], orders: readonly SortOrder[], length: number): Int32Array {
  if (length >= RADIX_MIN_ROWS && radixSortable(keyColumns)) return radixSortIndices(keyColumns, orders, length);
  const idx = new Int32Array(length);
  for (let i = 0; i < length; i++) idx[i] = i;
  if (length < 2) return idx;
  const cmps: IndexComparator[] = [];
  for (let k = 0; k < keyColumns.length; k++) {
    const c = keyColumns[k]!;
    // An all-NULL column (ORDER BY NULL) orders nothing.
    if (c.type === 'null') continue;
    cmps.push(keyComparator(c, orders[k]!));
  }
  if (cmps.length === 0) return idx;
  if (cmps.length === 1) {
    const c0 = cmps[0]!;
    idx.sort((a, b) => c0(a, b) || a - b);
  } else if (cmps.length === 2) {
    const c0 = cmps[0]!, c1 = cmps[1]!;
    idx.sort((a, b) => c0(a, b) || c1(a, b) || a - b);
  } else {
    const n = cmps.length;
    idx.sort((a, b) => {
      for (let k = 0; k < n; k++) {
        const r = cmps[k]!(a, b);
        if (r !== 0) return r;
      }
      return a - b;
    });
  }
  return idx;
}

/** Comparator over one key column: typed compare, then direction, then NULL placement. */
function keyComparator(c: Exclude<Column, { type: 'null' }>, order: SortOrder): IndexComparator {
  const asc = ascendingComparator(c);
  const directed: IndexComparator = order.ascending ? asc : (a, b) => asc(b, a);
  const valid = c.validity;
  if (valid === null) return directed;
  const nullSide = order.nullsFirst ? -1 : 1;
  return (a, b) => {
    const va = valid[a]!, vb = valid[b]!;
    if ((va & vb) === 1) return directed(a, b);
    if (va === vb) return 0;
    return va === 0 ? nullSide : -nullSide;
  };
}

function ascendingComparator(c: Exclude<Column, { type: 'null' }>): IndexComparator {
  switch (c.type) {
    case 'bool': case 'int32': case 'date32': {
      const v = c.values;
      // Differences of int32 values fit a double exactly.
      return (a, b) => v[a]! - v[b]!;
    }
    case 'int64': case 'timestamp': {
      const v = c.values;
      return (a, b) => {
        const x = v[a]!, y = v[b]!;
        return x < y ? -1 : x > y ? 1 : 0;
      };
    }
    case 'float64': {
      const v = c.values;
      return (a, b) => compareFloat(v[a]!, v[b]!);
    }
    case 'utf8': case 'blob':
      return utf8Comparator(c);
    case 'interval':
      return (a, b) => compareIntervalRows(c, a, c, b);
    default: {
      if (isNestedColumn(c)) return (a, b) => compareNested(c, a, c, b);
      // Decimals: unscaled integers in either form.
      const v = c.values;
      return (a, b) => {
        const x = v[a]!, y = v[b]!;
        return x < y ? -1 : x > y ? 1 : 0;
      };
    }
  }
}

/** PostgreSQL float order: NaN above all numbers, NaN = NaN, -0 = 0. */
function compareFloat(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const xNaN = x !== x, yNaN = y !== y;
  return xNaN === yNaN ? 0 : xNaN ? 1 : -1;
}

/**
 * Byte-wise string order. The longest prefix common to all values is skipped (keys such as
 * 'Customer#000001234'), and the next 4 bytes of each value are packed big-endian into a
 * Uint32 once, so most comparisons finish without the byte loop; equal packed bytes (incl.
 * 'ab' vs 'ab\0') fall through to the full compare.
 */
function utf8Comparator(c: VarColumn): IndexComparator {
  const off = c.offsets, data = c.data;
  const n = c.length;
  const skip = commonPrefixLength(c);
  const prefix = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const s = off[i]! + skip, len = off[i + 1]! - s;
    let p = 0;
    for (let k = 0; k < 4; k++) p = (p << 8) | (k < len ? data[s + k]! : 0);
    prefix[i] = p >>> 0;
  }
  return (a, b) => {
    const pa = prefix[a]!, pb = prefix[b]!;
    if (pa !== pb) return pa < pb ? -1 : 1;
    return compareBytes(data, off[a]! + skip, off[a + 1]!, data, off[b]! + skip, off[b + 1]!);
  };
}

/** Bytes every non-NULL value starts with (NULL rows never reach the byte compare). */
function commonPrefixLength(c: VarColumn): number {
  const off = c.offsets, data = c.data, valid = c.validity;
  let first = -1, lcp = 0;
  for (let i = 0; i < c.length; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const s = off[i]!, len = off[i + 1]! - s;
    if (first < 0) { first = s; lcp = len; continue; }
    if (len < lcp) lcp = len;
    let k = 0;
    while (k < lcp && data[s + k] === data[first + k]) k++;
    lcp = k;
    if (lcp === 0) break;
  }
  return lcp;
}

function compareBytes(da: Uint8Array, sa: number, ea: number, db: Uint8Array, sb: number, eb: number): number {
  const la = ea - sa, lb = eb - sb;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const x = da[sa + k]!, y = db[sb + k]!;
    if (x !== y) return x - y;
  }
  return la - lb;
}

/**
 * Compare row i of one set of key columns with row j of another (same key types, e.g.
 * the heads of two sorted runs): negative when row i sorts first, 0 when tied on every key.
 */
export function compareRows(
  keysA: readonly Column[], i: number, keysB: readonly Column[], j: number, orders: readonly SortOrder[],
): number {
  for (let k = 0; k < orders.length; k++) {
    const r = compareValues(keysA[k]!, i, keysB[k]!, j, orders[k]!);
    if (r !== 0) return r;
  }
  return 0;
}

function compareValues(a: Column, i: number, b: Column, j: number, order: SortOrder): number {
  const nullA = a.type === 'null' || (a.validity !== null && a.validity[i] === 0);
  const nullB = b.type === 'null' || (b.validity !== null && b.validity[j] === 0);
  if (nullA || nullB) {
    if (nullA && nullB) return 0;
    const nullSide = order.nullsFirst ? -1 : 1;
    return nullA ? nullSide : -nullSide;
  }
  let r: number;
  switch (a.type) {
    case 'bool': case 'int32': case 'date32':
      r = a.values[i]! - (b as typeof a).values[j]!;
      break;
    case 'int64': case 'timestamp': {
      const x = a.values[i]!, y = (b as typeof a).values[j]!;
      r = x < y ? -1 : x > y ? 1 : 0;
      break;
    }
    case 'float64':
      r = compareFloat(a.values[i]!, (b as typeof a).values[j]!);
      break;
    case 'interval':
      r = compareIntervalRows(a, i, b as typeof a, j);
      break;
    case 'utf8': case 'blob': {
      const ub = b as Utf8Column;
      r = compareBytes(a.data, a.offsets[i]!, a.offsets[i + 1]!, ub.data, ub.offsets[j]!, ub.offsets[j + 1]!);
      break;
    }
    default: {
      if (isNestedColumn(a)) { r = compareNested(a, i, b as typeof a, j); break; }
      // Decimals of one type, in either form (a number and a bigint compare exactly).
      const x = (a as { values: Float64Array | BigInt64Array }).values[i]!, y = (b as { values: Float64Array | BigInt64Array }).values[j]!;
      r = x < y ? -1 : x > y ? 1 : 0;
    }
  }
  return order.ascending ? r : -r;
}
