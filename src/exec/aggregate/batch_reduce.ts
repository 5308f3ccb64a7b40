/**
 * Whole-batch reductions for the one group of an aggregate without GROUP BY: one plain loop
 * per array kind over a column's values and validity bytes (1 = valid), no group ids.
 *
 *   countValid        valid rows
 *   sumFloat64/Int32  running double sum of the valid values, continued from `start` in row
 *                     order (so the result is the same double a row-at-a-time fold gives)
 *   best*Row          the first valid row holding the batch's minimum / maximum, or -1: a
 *                     fold then compares that one row with the group's value and copies it
 *                     only when it is strictly better (the first of equal values stays)
 *
 * Floats order NaN above every other value (lessNumber), strings by their bytes (= code
 * point order for UTF-8).
 */
import { compareBytes } from '../../expr/compare.js';

/** NaN sorts above every other double (as in PostgreSQL). */
export function lessNumber(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** Rows of [0, n) whose validity byte is 1 (all n without a validity array). */
export function countValid(validity: Uint8Array | null, n: number): number {
  if (validity === null) return n;
  let k = 0;
  for (let r = 0; r < n; r++) k += validity[r]!;
  return k;
}

export function sumFloat64(vals: Float64Array, validity: Uint8Array | null, n: number, start: number): number {
  let s = start;
  if (validity === null) for (let r = 0; r < n; r++) s += vals[r]!;
  else for (let r = 0; r < n; r++) if (validity[r] === 1) s += vals[r]!;
  return s;
}

export function sumInt32(vals: Int32Array, validity: Uint8Array | null, n: number, start: number): number {
  let s = start;
  if (validity === null) for (let r = 0; r < n; r++) s += vals[r]!;
  else for (let r = 0; r < n; r++) if (validity[r] === 1) s += vals[r]!;
  return s;
}

export function bestFloat64Row(vals: Float64Array, validity: Uint8Array | null, n: number, isMax: boolean): number {
  let best = -1, b = 0;
  for (let r = 0; r < n; r++) {
    if (validity !== null && validity[r] === 0) continue;
    const x = vals[r]!;
    if (best < 0 || (isMax ? lessNumber(b, x) : lessNumber(x, b))) { best = r; b = x; }
  }
  return best;
}

/** int32, date32 and bool values (no NaN: plain comparisons). */
export function bestIntRow(vals: Int32Array | Uint8Array, validity: Uint8Array | null, n: number, isMax: boolean): number {
  let best = -1, b = 0;
  for (let r = 0; r < n; r++) {
    if (validity !== null && validity[r] === 0) continue;
    const x = vals[r]!;
    if (best < 0 || (isMax ? x > b : x < b)) { best = r; b = x; }
  }
  return best;
}

export function bestBigIntRow(vals: BigInt64Array, validity: Uint8Array | null, n: number, isMax: boolean): number {
  let best = -1, b = 0n;
  for (let r = 0; r < n; r++) {
    if (validity !== null && validity[r] === 0) continue;
    const x = vals[r]!;
    if (best < 0 || (isMax ? x > b : x < b)) { best = r; b = x; }
  }
  return best;
}

/**
 * utf8 and blob values (offsets + bytes). Values of at most one byte (flags, codes) without
 * NULLs take two passes with no data-dependent branch in the long one: the best first byte
 * (Math.max / Math.min, -1 for an empty value) and the longest length; then the first row
 * holding that byte. A branch per row that goes either way at random costs more than both.
 */
export function bestBytesRow(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | null, n: number, isMax: boolean): number {
  if (validity === null && n > 0) {
    const r = bestShortRow(offsets, data, n, isMax);
    if (r >= 0) return r;
  }
  let best = -1, bs = 0, be = 0;
  for (let r = 0; r < n; r++) {
    if (validity !== null && validity[r] === 0) continue;
    const s = offsets[r]!, e = offsets[r + 1]!;
    if (best < 0) { best = r; bs = s; be = e; continue; }
    // The first bytes decide most comparisons; two equal one-byte values need nothing more.
    let d: number;
    if (s < e && bs < be) {
      d = data[s]! - data[bs]!;
      if (d === 0 && (e - s > 1 || be - bs > 1)) d = compareBytes(data, s + 1, e, data, bs + 1, be);
    } else {
      d = (e - s) - (be - bs);
    }
    if (isMax ? d > 0 : d < 0) { best = r; bs = s; be = e; }
  }
  return best;
}

/** bestBytesRow over rows [0, n) (n > 0, no NULLs) when no value is longer than one byte, else -1. */
function bestShortRow(offsets: Int32Array, data: Uint8Array, n: number, isMax: boolean): number {
  const best = isMax ? maxFirstByte(offsets, data, n) : minFirstByte(offsets, data, n);
  if (best < -1) return -1;
  for (let r = 0; r < n; r++) {
    const s = offsets[r]!;
    if ((offsets[r + 1]! > s ? data[s]! : -1) === best) return r;
  }
  return -1;
}

/** The largest first byte of rows [0, n) (-1 for an empty value), or -2 when a value is longer than one byte. */
function maxFirstByte(offsets: Int32Array, data: Uint8Array, n: number): number {
  let best = -1, longest = 0;
  for (let r = 0; r < n; r++) {
    const s = offsets[r]!, len = offsets[r + 1]! - s;
    best = Math.max(best, len > 0 ? data[s]! : -1);
    longest = Math.max(longest, len);
  }
  return longest > 1 ? -2 : best;
}

/** The smallest first byte of rows [0, n) (-1 for an empty value), or -2 when a value is longer than one byte. */
function minFirstByte(offsets: Int32Array, data: Uint8Array, n: number): number {
  let best = 255, longest = 0;
  for (let r = 0; r < n; r++) {
    const s = offsets[r]!, len = offsets[r + 1]! - s;
    best = Math.min(best, len > 0 ? data[s]! : -1);
    longest = Math.max(longest, len);
  }
  return longest > 1 ? -2 : best;
}
