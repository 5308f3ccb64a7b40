/**
 * Fixed-width values (INT32, INT64, INT96, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY) written into a
 * column chunk's row slots: dense runs copied once, NULL rows skipped by a scatter over the
 * validity bytes, dictionary indices resolved by a typed gather (one 64-bit element per value
 * for 8-byte values, 32-bit words when the width allows it, bytes otherwise). 8-byte values
 * move as BigInt64Array elements, never as doubles: an INT64 whose bits read as a NaN must
 * come out unchanged, and optimized code copies BigInt64Array elements without making bigints.
 */

import { uninitializedBytes } from './physical.js';

/** A decoded dictionary page of a fixed-width column (8-byte aligned copy). */
export interface FixedDict {
  count: number;
  bytes: Uint8Array;
  /** Same memory as 32-bit words when the width is a multiple of 4. */
  words: Int32Array | null;
  /** Same memory as 64-bit elements when the width is 8. */
  longs: BigInt64Array | null;
}

function alignedWords(bytes: Uint8Array, width: number): Int32Array | null {
  if (width % 4 !== 0 || bytes.byteOffset % 4 !== 0) return null;
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
}

function alignedLongs(bytes: Uint8Array, width: number): BigInt64Array | null {
  if (width !== 8 || bytes.byteOffset % 8 !== 0) return null;
  return new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3);
}

/** Copy `count` PLAIN values into an aligned dictionary. */
export function fixedDict(src: Uint8Array, count: number, width: number): FixedDict {
  const need = count * width;
  if (src.length < need) throw new Error(`dictionary page holds ${src.length} bytes, ${need} needed`);
  const bytes = new Uint8Array(new ArrayBuffer(Math.ceil(need / 8) * 8), 0, need);
  bytes.set(src.subarray(0, need));
  return { count, bytes, words: alignedWords(bytes, width), longs: alignedLongs(bytes, width) };
}

export class FixedOut {
  readonly bytes: Uint8Array;
  private readonly words: Int32Array | null;
  private readonly longs: BigInt64Array | null;
  private readonly w32: number;

  /** `filled`: every row will be written (no NULLs to skip), so the buffer need not be zeroed first. */
  constructor(rows: number, readonly width: number, filled = false) {
    // 8-byte aligned so BigInt64Array / Float64Array views over it are valid
    const size = Math.ceil((rows * width) / 8) * 8;
    this.bytes = filled ? uninitializedBytes(size).subarray(0, rows * width) : new Uint8Array(new ArrayBuffer(size), 0, rows * width);
    this.words = alignedWords(this.bytes, width);
    this.longs = alignedLongs(this.bytes, width);
    this.w32 = width >> 2;
  }

  /**
   * `k` packed values at src (any alignment) into rows [rowPos, rowPos + rows), skipping rows
   * whose validity byte is 0 (k = number of valid rows).
   */
  placeDense(src: Uint8Array, k: number, rowPos: number, rows: number, validity: Uint8Array | null): void {
    const w = this.width;
    if (src.length < k * w) throw new Error(`page holds ${src.length} value bytes, ${k * w} needed`);
    if (validity === null || k === rows) {
      this.bytes.set(src.subarray(0, k * w), rowPos * w);
      return;
    }
    const out = this.words;
    if (out !== null) {
      const srcWords = src.byteOffset % 4 === 0
        ? new Int32Array(src.buffer, src.byteOffset, k * this.w32)
        : new Int32Array(src.slice(0, k * w).buffer);
      const W = this.w32;
      let j = 0;
      const end = rowPos + rows;
      if (W === 1) {
        for (let r = rowPos; r < end; r++) if (validity[r] !== 0) out[r] = srcWords[j++]!;
      } else if (W === 2) {
        for (let r = rowPos; r < end; r++) {
          if (validity[r] !== 0) { out[2 * r] = srcWords[2 * j]!; out[2 * r + 1] = srcWords[2 * j + 1]!; j++; }
        }
      } else {
        for (let r = rowPos; r < end; r++) {
          if (validity[r] !== 0) { for (let t = 0; t < W; t++) out[r * W + t] = srcWords[j * W + t]!; j++; }
        }
      }
      return;
    }
    const bytes = this.bytes;
    let s = 0;
    for (let r = rowPos, end = rowPos + rows; r < end; r++) {
      if (validity[r] === 0) continue;
      const o = r * w;
      for (let t = 0; t < w; t++) bytes[o + t] = src[s + t]!;
      s += w;
    }
  }

  /** Resolve `k` dictionary indices into rows [rowPos, rowPos + rows). */
  gather(dict: FixedDict, idx: Int32Array, k: number, rowPos: number, rows: number, validity: Uint8Array | null): void {
    const n = dict.count;
    const out = this.words;
    const dw = dict.words;
    // One small function per case: V8 keeps each loop optimized for its own case instead
    // of deoptimizing one shared function whenever a chunk takes another branch.
    const longs = this.longs, dl = dict.longs;
    if (validity !== null && k !== rows) {
      if (longs !== null && dl !== null) gatherLongsValid(dl, n, idx, longs, rowPos, rows, validity);
      else if (out !== null && dw !== null) gatherWordsValid(dw, n, this.w32, idx, out, rowPos, rows, validity);
      else gatherBytesValid(dict.bytes, n, this.width, idx, this.bytes, rowPos, rows, validity);
      return;
    }
    // 4-byte values check their indices as they go (a bad one reads as 0, and fails after)
    if (this.w32 === 1 && out !== null && dw !== null) {
      if (!gather32(dw, n, idx, k, out, rowPos)) throw badIndex(idx[firstBadIndex(idx, k, n)]!, n);
      return;
    }
    const bad = firstBadIndex(idx, k, n);
    if (bad >= 0) throw badIndex(idx[bad]!, n);
    if (longs !== null && dl !== null) gather64(dl, idx, k, longs, rowPos);
    else if (out === null || dw === null) gatherBytes(dict.bytes, this.width, idx, k, this.bytes, rowPos);
    else gatherWords(dw, this.w32, idx, k, out, rowPos);
  }
}

/** Position of the first index outside [0, n), or -1. */
export function firstBadIndex(idx: Int32Array, k: number, n: number): number {
  let bad = 0;
  for (let j = 0; j < k; j++) bad |= (n - 1 - idx[j]!) | idx[j]!;
  if (bad >= 0) return -1;
  for (let j = 0; j < k; j++) if (idx[j]! >>> 0 >= n) return j;
  return -1;
}

/** False when an index is outside [0, n) (what was written is then garbage). */
function gather32(dw: Int32Array, n: number, idx: Int32Array, k: number, out: Int32Array, rowPos: number): boolean {
  let bad = 0;
  for (let j = 0; j < k; j++) {
    const d = idx[j]!;
    bad |= (n - 1 - d) | d;
    out[rowPos + j] = dw[d]!;
  }
  return bad >= 0;
}

function gather64(dl: BigInt64Array, idx: Int32Array, k: number, out: BigInt64Array, rowPos: number): void {
  for (let j = 0; j < k; j++) out[rowPos + j] = dl[idx[j]!]!;
}

function gatherWords(dw: Int32Array, W: number, idx: Int32Array, k: number, out: Int32Array, rowPos: number): void {
  for (let j = 0; j < k; j++) {
    const d = idx[j]! * W;
    const o = (rowPos + j) * W;
    for (let t = 0; t < W; t++) out[o + t] = dw[d + t]!;
  }
}

function gatherBytes(db: Uint8Array, w: number, idx: Int32Array, k: number, bytes: Uint8Array, rowPos: number): void {
  for (let j = 0; j < k; j++) {
    const d = idx[j]! * w;
    const o = (rowPos + j) * w;
    for (let t = 0; t < w; t++) bytes[o + t] = db[d + t]!;
  }
}

/** Rows with validity 0 are skipped; idx holds the valid rows' indices in order. */
function gatherWordsValid(
  dw: Int32Array, n: number, W: number, idx: Int32Array, out: Int32Array, rowPos: number, rows: number, validity: Uint8Array,
): void {
  let j = 0;
  for (let r = rowPos, end = rowPos + rows; r < end; r++) {
    if (validity[r] === 0) continue;
    const d = idx[j++]!;
    if (d >>> 0 >= n) throw badIndex(d, n);
    for (let t = 0; t < W; t++) out[r * W + t] = dw[d * W + t]!;
  }
}

function gatherLongsValid(
  dl: BigInt64Array, n: number, idx: Int32Array, out: BigInt64Array, rowPos: number, rows: number, validity: Uint8Array,
): void {
  let j = 0;
  for (let r = rowPos, end = rowPos + rows; r < end; r++) {
    if (validity[r] === 0) continue;
    const d = idx[j++]!;
    if (d >>> 0 >= n) throw badIndex(d, n);
    out[r] = dl[d]!;
  }
}

function gatherBytesValid(
  db: Uint8Array, n: number, w: number, idx: Int32Array, bytes: Uint8Array, rowPos: number, rows: number, validity: Uint8Array,
): void {
  let j = 0;
  for (let r = rowPos, end = rowPos + rows; r < end; r++) {
    if (validity[r] === 0) continue;
    const d = idx[j++]!;
    if (d >>> 0 >= n) throw badIndex(d, n);
    for (let t = 0; t < w; t++) bytes[r * w + t] = db[d * w + t]!;
  }
}

export function badIndex(d: number, n: number): Error {
  return new Error(`dictionary index ${d} is out of range (the dictionary has ${n} entries)`);
}

/** BYTE_STREAM_SPLIT: byte b of value i sits at src[b * k + i]; returns the `k` values packed. */
export function unsplitByteStream(src: Uint8Array, k: number, width: number): Uint8Array {
  if (src.length < k * width) throw new Error(`BYTE_STREAM_SPLIT page holds ${src.length} bytes, ${k * width} needed`);
  const out = new Uint8Array(k * width);
  for (let b = 0; b < width; b++) {
    const base = b * k;
    for (let i = 0; i < k; i++) out[i * width + b] = src[base + i]!;
  }
  return out;
}
