/**
 * Stable LSD radix sort of a row index by fixed-width keys (bool, int32, date32, int64,
 * timestamp, float64): several times faster than a comparator sort for large batches.
 * Gives exactly the order of the comparator sort in row_compare.ts, ties in input order.
 *
 * Each key value becomes one or two 32-bit words whose unsigned order is the SQL order
 * (sign bit flipped; floats: negatives bit-inverted, NaN = all ones, -0 = +0; DESC inverts
 * all bits). Keys are applied last to first, each word low then high, 11 bits per pass;
 * a stable partition on validity then places the NULLs of that key.
 *
 *   for key = last … first:            idx ─▶ [word lo: 3 passes] ─▶ [word hi: 3 passes]
 *                                          ─▶ stable partition NULLs first/last ─▶ idx
 */
import type { Column, FixedColumn } from '../../columnar/column.js';
import type { SortOrder } from './row_compare.js';
import { isNestedColumn } from '../../columnar/nested.js';

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;

/** True when every key column can be radix sorted (no utf8, blob or interval). */
export function radixSortable(keyColumns: readonly Column[]): boolean {
  return keyColumns.every((c) => c.type !== 'utf8' && c.type !== 'blob' && c.type !== 'interval' && !isNestedColumn(c));
}

/** Row indices 0..length-1 in key order (stable); keys must satisfy radixSortable. */
export function radixSortIndices(keyColumns: readonly Column[], orders: readonly SortOrder[], length: number): Int32Array {
  let idx: Int32Array = new Int32Array(length);
  for (let i = 0; i < length; i++) idx[i] = i;
  const scratch = { idx: new Int32Array(length), keys: new Uint32Array(length), keys2: new Uint32Array(length) };
  for (let k = keyColumns.length - 1; k >= 0; k--) {
    const c = keyColumns[k]!;
    if (c.type === 'null' || c.type === 'utf8' || c.type === 'blob' || c.type === 'interval' || isNestedColumn(c)) continue;
    for (const word of keyWords(c, orders[k]!.ascending)) idx = sortByWord(idx, word, scratch);
    if (c.validity !== null) idx = partitionNulls(idx, c.validity, orders[k]!.nullsFirst, scratch.idx);
  }
  return idx;
}

/** The key's 32-bit words by row, least significant first. */
function keyWords(c: FixedColumn, ascending: boolean): Uint32Array[] {
  const n = c.length;
  const flip = ascending ? 0 : 0xffffffff;
  switch (c.type) {
    case 'bool': case 'int32': case 'date32': {
      const v = c.values, w = new Uint32Array(n);
      const bias = c.type === 'bool' ? 0 : 0x80000000;
      for (let i = 0; i < n; i++) w[i] = ((v[i]! ^ bias) ^ flip) >>> 0;
      return [w];
    }
    case 'int64': case 'timestamp': {
      const u = new Uint32Array(c.values.buffer, c.values.byteOffset, 2 * n);
      const lo = new Uint32Array(n), hi = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        lo[i] = (u[2 * i]! ^ flip) >>> 0;
        hi[i] = ((u[2 * i + 1]! ^ 0x80000000) ^ flip) >>> 0;
      }
      return [lo, hi];
    }
    case 'float64': {
      const v = c.values;
      const u = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
      const lo = new Uint32Array(n), hi = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        let l: number, h: number;
        if (x !== x) { l = 0xffffffff; h = 0xffffffff; }
        else if (x === 0) { l = 0; h = 0x80000000; }
        else {
          l = u[2 * i]!; h = u[2 * i + 1]!;
          if (h & 0x80000000) { l = ~l; h = ~h; } else h ^= 0x80000000;
        }
        lo[i] = (l ^ flip) >>> 0;
        hi[i] = (h ^ flip) >>> 0;
      }
      return [lo, hi];
    }
    default: {
      // Decimals: integer doubles order as float64, bigints as int64.
      const v = c.values;
      return keyWords(v instanceof Float64Array ? { type: 'float64', values: v, validity: c.validity, length: n } : { type: 'int64', values: v, validity: c.validity, length: n }, ascending);
    }
  }
}

/** Stable sort of idx by word[idx[i]], three 11-bit passes (skipped when one bucket holds all). */
function sortByWord(idx: Int32Array, word: Uint32Array, scratch: { idx: Int32Array; keys: Uint32Array; keys2: Uint32Array }): Int32Array {
  const n = idx.length;
  // Carry the key beside the index so passes read sequentially.
  let keys = scratch.keys, keysOut = scratch.keys2;
  for (let i = 0; i < n; i++) keys[i] = word[idx[i]!]!;
  let from = idx, to = scratch.idx;
  const count = new Int32Array(BUCKETS);
  for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & (BUCKETS - 1)]++;
    if (count[(keys[0]! >>> shift) & (BUCKETS - 1)] === n) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) { const c = count[b]!; count[b] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const p = count[(key >>> shift) & (BUCKETS - 1)]++;
      to[p] = from[i]!;
      keysOut[p] = key;
    }
    [from, to] = [to, from];
    [keys, keysOut] = [keysOut, keys];
  }
  scratch.idx = to;
  scratch.keys = keys;
  scratch.keys2 = keysOut;
  return from;
}

/** Stable partition: rows whose key is NULL move to the front or the back. */
function partitionNulls(idx: Int32Array, validity: Uint8Array, nullsFirst: boolean, out: Int32Array): Int32Array {
  const n = idx.length;
  let nulls = 0;
  for (let i = 0; i < n; i++) nulls += validity[idx[i]!]! ^ 1;
  if (nulls === 0) return idx;
  let pNull = nullsFirst ? 0 : n - nulls;
  let pValid = nullsFirst ? nulls : 0;
  for (let i = 0; i < n; i++) {
    const j = idx[i]!;
    if (validity[j] === 1) out[pValid++] = j; else out[pNull++] = j;
  }
  idx.set(out);
  return idx;
}
