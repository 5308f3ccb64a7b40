/**
 * Vectorized row hashing and key equality for hash aggregation, hash joins and the hash
 * exchange (partition = hash % n).
 *
 * The hash is a pure function of the key values: no per-process randomness, so every
 * worker sends a row to the same partition. Per-column value hashes are folded into a
 * running 32-bit state with the murmur3 round, then finished with fmix32:
 *
 *   h = seed
 *   for each key column c:   h = round(h, valueHash(c, row))
 *   hash[row] = fmix32(h ^ columnCount)
 *
 * Value hashes:
 *   int32, date32, int64, timestamp   the 64-bit value's two halves mixed, so an int32 and an
 *                                     int64 holding the same number hash alike
 *   float64                           the IEEE bits, with -0 folded into 0 and every NaN into one NaN
 *   time                              as float64 (its microseconds, an exact double)
 *   utf8, blob                        FNV-1a over the bytes, then fmix32 with the length
 *   interval                          its normalised months, days and micros (DuckDB's
 *                                     equality: `1 month` = `30 days`), each as float64
 *   bool                              0 or 1 mixed
 *   NULL (any type)                   a fixed constant
 *
 * Hash tables built on these hashes must not take bucket = hash & mask: after a hash
 * exchange with a power-of-two partition count, all rows of one partition share their low
 * bits. Use `bucketOf` (Fibonacci hashing, takes the high bits) instead.
 *
 * Integer key words (the specialised join and group tables): integer keys packed row-major
 * into 32-bit words, 1 per int32/date32 key and 2 (low, high half) per int64/timestamp key,
 * so hot loops compare plain Int32Array entries instead of boxed or BigInt values.
 * `hashWord1/2/N` hash such tuples for in-memory tables only (never for partitioning); take
 * the bucket from their high bits (`h >>> (32 - bits)`).
 */
import type { Column } from './column.js';
import { intervalsEqual, normalizedParts } from './interval.js';
import type { DataType } from '../common/types.js';
import { isNestedColumn, nestedEqual, nestedValueHashes } from './nested.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
/** Value hash of NULL: any fixed value works; this one is not the hash of a common value. */
export const NULL_HASH = 0x5bd1e995 | 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** One murmur3 round: fold a 32-bit value k into state h. */
function round(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Hash of a 64-bit integer given as two 32-bit halves. */
function hash64(lo: number, hi: number): number {
  return fmix32(round(round(0, lo), hi));
}

const f64Scratch = new Float64Array(1);
const f64Halves = new Int32Array(f64Scratch.buffer);

function hashFloat(v: number): number {
  // -0 and 0 are equal, and all NaNs are equal: hash them alike.
  f64Scratch[0] = v === 0 ? 0 : v !== v ? NaN : v;
  return hash64(f64Halves[0]!, f64Halves[1]!);
}

/** The murmur3 round and finisher, for nested.ts's list and struct hashes. */
export { round as hashRound, fmix32 as hashFinish };

/** A per-row hash of one column's values (NULL rows alike), for nested values' elements. */
export function columnValueHashes(c: Column, length: number): Int32Array {
  if (isNestedColumn(c)) return nestedValueHashes(c, length);
  const h = new Int32Array(length);
  foldColumn(h, c, length);
  return h;
}

function hashBytes(data: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = start; k < end; k++) h = Math.imul(h ^ data[k]!, 0x01000193);
  return fmix32(h ^ (end - start));
}

/** Fold the value hashes of column c into the running states h[0..length). */
function foldColumn(h: Int32Array, c: Column, length: number): void {
  const valid = c.validity;
  switch (c.type) {
    case 'null':
      for (let i = 0; i < length; i++) h[i] = round(h[i]!, NULL_HASH);
      return;
    case 'bool': {
      const v = c.values;
      for (let i = 0; i < length; i++) {
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : fmix32(v[i]! + 0x3c6ef372));
      }
      return;
    }
    case 'int32': case 'date32': {
      const v = c.values;
      for (let i = 0; i < length; i++) {
        const x = v[i]!;
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hash64(x, x >> 31));
      }
      return;
    }
    case 'int64': case 'timestamp': {
      const v = c.values;
      const halves = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      for (let i = 0; i < length; i++) {
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hash64(halves[2 * i]!, halves[2 * i + 1]!));
      }
      return;
    }
    case 'float64': case 'time': {
      const v = c.values;
      for (let i = 0; i < length; i++) {
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hashFloat(v[i]!));
      }
      return;
    }
    case 'interval': {
      const { months, days, micros } = normalizedParts(c);
      for (let i = 0; i < length; i++) {
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH
          : round(round(hashFloat(months[i]!), hashFloat(days[i]!)), hashFloat(micros[i]!)));
      }
      return;
    }
    case 'utf8': case 'blob': {
      const o = c.offsets, d = c.data;
      for (let i = 0; i < length; i++) {
        h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hashBytes(d, o[i]!, o[i + 1]!));
      }
      return;
    }
    default: {
      if (isNestedColumn(c)) {
        const vh = nestedValueHashes(c, length);
        for (let i = 0; i < length; i++) h[i] = round(h[i]!, vh[i]!);
        return;
      }
      // Decimals hash their unscaled value as an int64, whichever form holds it.
      const v = c.values;
      if (v instanceof BigInt64Array) {
        const halves = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
        for (let i = 0; i < length; i++) {
          h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hash64(halves[2 * i]!, halves[2 * i + 1]!));
        }
      } else {
        for (let i = 0; i < length; i++) {
          const x = v[i]!, hi = Math.floor(x / 4294967296);
          h[i] = round(h[i]!, valid !== null && valid[i] === 0 ? NULL_HASH : hash64((x - hi * 4294967296) | 0, hi | 0));
        }
      }
      return;
    }
  }
}

/**
 * Hash rows 0..length of the given key columns. Deterministic across processes and
 * platforms; equal keys (per keysEqual with NULLs equal) always hash alike.
 */
export function hashColumns(cols: readonly Column[], length: number, seed = 0): Uint32Array {
  const h = new Int32Array(length);
  if (seed !== 0) h.fill(seed | 0);
  for (const c of cols) foldColumn(h, c, length);
  const n = cols.length;
  for (let i = 0; i < length; i++) h[i] = fmix32(h[i]! ^ n);
  return new Uint32Array(h.buffer, 0, length);
}

/** Bucket of a hash in a table of 2^bits buckets, from the hash's high bits (see header). */
export function bucketOf(hash: number, bits: number): number {
  return bits === 0 ? 0 : Math.imul(hash, 0x9e3779b1) >>> (32 - bits);
}

/** Whether value i of a equals value j of b; both non-NULL, same type. Floats: -0 = 0, NaN = NaN. */
export function valuesEqual(a: Column, i: number, b: Column, j: number): boolean {
  switch (a.type) {
    case 'null': return true;
    case 'interval': return intervalsEqual(a, i, b as typeof a, j);
    case 'utf8': case 'blob': {
      const bb = b as typeof a;
      const s1 = a.offsets[i]!, e1 = a.offsets[i + 1]!, s2 = bb.offsets[j]!, e2 = bb.offsets[j + 1]!;
      if (e1 - s1 !== e2 - s2) return false;
      const d1 = a.data, d2 = bb.data;
      for (let k = 0; k < e1 - s1; k++) if (d1[s1 + k] !== d2[s2 + k]) return false;
      return true;
    }
    case 'float64': case 'time': {
      const x = a.values[i]!, y = (b as typeof a).values[j]!;
      return x === y || (x !== x && y !== y);
    }
    case 'bool':
      return a.values[i] === (b as typeof a).values[j];
    default: {
      if (isNestedColumn(a)) return nestedEqual(a, i, b as typeof a, j);
      const x = a.values[i]!, y = (b as typeof a).values[j]!;
      // int32 against int64 (same number hashes alike): compare as bigint.
      return x === y || (typeof x !== typeof y && BigInt(x) === BigInt(y));
    }
  }
}

/**
 * Whether row i of colsA equals row j of colsB on every column (columns pairwise of the same
 * type). nullsEqual = true (grouping, DISTINCT): NULL equals NULL. nullsEqual = false
 * (join keys): a NULL on either side never matches.
 */
export function keysEqual(colsA: readonly Column[], i: number, colsB: readonly Column[], j: number, nullsEqual = true): boolean {
  for (let k = 0; k < colsA.length; k++) {
    const a = colsA[k]!, b = colsB[k]!;
    const aNull = a.type === 'null' || (a.validity !== null && a.validity[i] === 0);
    const bNull = b.type === 'null' || (b.validity !== null && b.validity[j] === 0);
    if (aNull || bNull) {
      if (!nullsEqual || aNull !== bNull) return false;
      continue;
    }
    if (!valuesEqual(a, i, b, j)) return false;
  }
  return true;
}

/** 1 where any of the columns is NULL at that row (join keys that can never match). */
export function anyNullMask(cols: readonly Column[], length: number): Uint8Array | null {
  let mask: Uint8Array | null = null;
  for (const c of cols) {
    if (c.type === 'null') return new Uint8Array(length).fill(1);
    const v = c.validity;
    if (v === null) continue;
    mask ??= new Uint8Array(length);
    for (let i = 0; i < length; i++) mask[i] |= v[i]! ^ 1;
  }
  return mask;
}

/** 32-bit words a key of type t takes in a packed integer tuple: 1, 2, or 0 for a non-integer type. */
export function intKeyWidth(t: DataType): number {
  if (t === 'int32' || t === 'date32') return 1;
  if (t === 'int64' || t === 'timestamp') return 2;
  return 0;
}

/**
 * Pack integer key columns into words: row i's tuple is out[i*W .. i*W+W), W = sum of widths,
 * key k taking widths[k] words. An int32 value in a 2-word slot is sign-extended; an int64 value
 * in a 1-word slot keeps its low word, and rows where it does not fit in int32 get 1 in
 * `outOfRange` when given. NULL values (and 'null' columns) are packed as whatever their slot
 * holds: callers look at validity. A lone int32 key is returned as its values, a lone int64 key
 * as a view of its halves (no copy).
 */
export function packIntKeys(cols: readonly Column[], widths: readonly number[], length: number, outOfRange?: Uint8Array): Int32Array {
  let w = 0;
  for (const x of widths) w += x;
  if (cols.length === 1) {
    const c = cols[0]!;
    if (w === 1 && (c.type === 'int32' || c.type === 'date32')) return c.values;
    if (w === 2 && (c.type === 'int64' || c.type === 'timestamp')) return new Int32Array(c.values.buffer, c.values.byteOffset, c.values.length * 2);
  }
  const out = new Int32Array(length * w);
  let off = 0;
  for (let k = 0; k < cols.length; k++) {
    const c = cols[k]!, width = widths[k]!;
    if (c.type === 'int32' || c.type === 'date32') {
      const v = c.values;
      if (width === 1) for (let i = 0, p = off; i < length; i++, p += w) out[p] = v[i]!;
      else for (let i = 0, p = off; i < length; i++, p += w) { const x = v[i]!; out[p] = x; out[p + 1] = x >> 31; }
    } else if (c.type === 'int64' || c.type === 'timestamp') {
      const h = new Int32Array(c.values.buffer, c.values.byteOffset, c.values.length * 2);
      if (width === 2) for (let i = 0, p = off; i < length; i++, p += w) { out[p] = h[2 * i]!; out[p + 1] = h[2 * i + 1]!; }
      else {
        for (let i = 0, p = off; i < length; i++, p += w) {
          const lo = h[2 * i]!;
          out[p] = lo;
          if (outOfRange !== undefined && h[2 * i + 1] !== lo >> 31) outOfRange[i] = 1;
        }
      }
    } else if (c.type !== 'null') {
      throw new Error(`packIntKeys: ${c.type} is not an integer key`);
    }
    off += width;
  }
  return out;
}

/** Hash of a 1-word tuple; the bucket is its high bits. */
export function hashWord1(x: number): number {
  let h = Math.imul(x, 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca6b);
}

/** Hash of a 2-word tuple (a, b); the bucket is its high bits. */
export function hashWord2(a: number, b: number): number {
  let h = Math.imul(b, 0x9e3779b1);
  h = ((h ^ (h >>> 15)) + a) | 0;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35);
}

/** Hash of the w-word tuple words[at .. at+w); hashWordN(words, at, 1 or 2) equals hashWord1/2. */
export function hashWordN(words: Int32Array, at: number, w: number): number {
  if (w === 1) return hashWord1(words[at]!);
  let h = hashWord2(words[at]!, words[at + 1]!);
  for (let k = 2; k < w; k++) h = hashWord2(h, words[at + k]!);
  return h;
}
