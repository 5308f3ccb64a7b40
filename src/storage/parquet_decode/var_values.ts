/**
 * BYTE_ARRAY values written into a column chunk's rows as Int32Array offsets + one byte
 * buffer (Spillway's utf8 layout): PLAIN (length-prefixed), dictionary gather, and the
 * DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY encodings. No per-value string or view objects:
 * short values are copied by a byte loop, long ones by one set(). A dictionary whose values
 * all have the same length (flags, codes) is gathered without reading its offsets: the
 * slice's offsets are a progression and its bytes a fixed-width gather.
 */
import { deltaInt32 } from './delta.js';
import { badIndex, firstBadIndex } from './fixed_values.js';
import { uninitializedBytes } from './physical.js';

/** A decoded dictionary page of a BYTE_ARRAY column (or a page's values decoded densely). */
export interface VarDict {
  count: number;
  offsets: Int32Array;
  data: Uint8Array;
  /** The length of every value when they all have the same, else -1. */
  width: number;
}

/** A VarDict over `count` values laid out as offsets + bytes. */
export function varValues(count: number, offsets: Int32Array, data: Uint8Array): VarDict {
  let width = count > 0 ? offsets[1]! - offsets[0]! : -1;
  for (let i = 1; i < count && width >= 0; i++) if (offsets[i + 1]! - offsets[i]! !== width) width = -1;
  return { count, offsets, data, width };
}

function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, len: number): void {
  if (len < 24) {
    for (let i = 0; i < len; i++) dst[at + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + len), at);
  }
}

function readLength(page: Uint8Array, p: number, end: number): number {
  if (p + 4 > end) throw new Error('BYTE_ARRAY value length runs past the end of the page');
  return (page[p]! | (page[p + 1]! << 8) | (page[p + 2]! << 16) | (page[p + 3]! << 24)) >>> 0;
}

/** Unused capacity of a finished string buffer that is worth a copy to give back. */
const SLACK_BYTES = 4096;

export class VarOut {
  readonly offsets: Int32Array;
  data: Uint8Array;
  /** Bytes written so far (= offsets[rows decoded so far]). */
  used = 0;
  private rowsDone = 0;

  constructor(private readonly rows: number, capacityHint: number) {
    // every row's end offset is written, and only data[0, used) is ever read: no zeroing
    this.offsets = new Int32Array(uninitializedBytes(4 * (rows + 1)).buffer, 0, rows + 1);
    this.offsets[0] = 0;
    this.data = uninitializedBytes(Math.max(64, capacityHint));
  }

  private ensure(extra: number): void {
    const need = this.used + extra;
    if (need <= this.data.length) return;
    if (need > 0x7fffffff) throw new Error('a string column chunk holds more than 2 GiB');
    // grow towards the projected total, at least doubling
    const projected = this.rowsDone > 0 ? Math.ceil((need / this.rowsDone) * this.rows * 1.05) : 0;
    const cap = Math.min(0x7fffffff, Math.max(need, this.data.length * 2, projected));
    const next = uninitializedBytes(cap);
    next.set(this.data.subarray(0, this.used));
    this.data = next;
  }

  /** PLAIN values (4-byte length + bytes each) from page[p, end); returns the position after them. */
  plain(page: Uint8Array, p: number, end: number, rowPos: number, rows: number, validity: Uint8Array | null): number {
    const stop = rowPos + rows;
    // First pass: the bytes of these rows, so that the buffer grows to what they use (a
    // page often holds many more rows than a batch takes from it).
    let total = 0;
    for (let r = rowPos, q = p; r < stop; r++) {
      if (validity !== null && validity[r] === 0) continue;
      const len = readLength(page, q, end);
      q += 4 + len;
      if (q > end) throw new Error('BYTE_ARRAY value runs past the end of the page');
      total += len;
    }
    this.ensure(total);
    const offs = this.offsets;
    const data = this.data;
    let o = this.used;
    for (let r = rowPos; r < stop; r++) {
      if (validity !== null && validity[r] === 0) { offs[r + 1] = o; continue; }
      const len = readLength(page, p, end);
      p += 4;
      copyBytes(data, o, page, p, len);
      o += len;
      p += len;
      offs[r + 1] = o;
    }
    this.used = o;
    this.rowsDone = stop;
    return p;
  }

  /** Resolve dictionary indices idx[0..k) into rows [rowPos, rowPos + rows). */
  gather(dict: VarDict, idx: Int32Array, rowPos: number, rows: number, validity: Uint8Array | null): void {
    if (validity === null && dict.width >= 0) { this.gatherUniform(dict, idx, rowPos, rows); return; }
    // Small functions, one per pass and case: each loop stays optimized for its own shape.
    const end = validity === null
      ? gatherOffsets(dict, idx, this.offsets, rowPos, rows, this.used)
      : gatherOffsetsValid(dict, idx, this.offsets, rowPos, rows, this.used, validity);
    this.ensure(end - this.used);
    if (validity === null) gatherBytes(dict, idx, this.offsets, this.data, rowPos, rows);
    else gatherBytesValid(dict, idx, this.offsets, this.data, rowPos, rows, validity);
    this.used = end;
    this.rowsDone = rowPos + rows;
  }

  /** Every row valid, every dictionary value `dict.width` bytes long. */
  private gatherUniform(dict: VarDict, idx: Int32Array, rowPos: number, rows: number): void {
    const w = dict.width, start = this.used;
    this.ensure(rows * w);
    if (w === 1) {
      // one pass for the check, the offsets and the bytes: the common case (flags, codes)
      if (!gatherBytes1(dict.data, dict.offsets[0]!, dict.count, idx, this.offsets, rowPos, this.data, start, rows)) {
        const bad = firstBadIndex(idx, rows, dict.count);
        throw badIndex(idx[bad]!, dict.count);
      }
    } else {
      const bad = firstBadIndex(idx, rows, dict.count);
      if (bad >= 0) throw badIndex(idx[bad]!, dict.count);
      progression(this.offsets, rowPos + 1, rows, start + w, w);
      if (w > 1) gatherBytesW(dict.data, dict.offsets[0]!, w, idx, this.data, start, rows);
    }
    this.used = start + rows * w;
    this.rowsDone = rowPos + rows;
  }

  /** DELTA_LENGTH_BYTE_ARRAY: `k` delta-packed lengths, then the values' bytes back to back. */
  deltaLength(page: Uint8Array, p: number, end: number, k: number, rowPos: number, rows: number, validity: Uint8Array | null): number {
    const lens = new Int32Array(k);
    p = deltaInt32(page, p, end, k, lens);
    let total = 0;
    for (let j = 0; j < k; j++) {
      if (lens[j]! < 0) throw new Error('negative BYTE_ARRAY length');
      total += lens[j]!;
    }
    if (p + total > end) throw new Error('DELTA_LENGTH_BYTE_ARRAY values run past the end of the page');
    this.ensure(total);
    this.data.set(page.subarray(p, p + total), this.used);
    const offs = this.offsets;
    let o = this.used;
    let j = 0;
    for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
      if (validity === null || validity[r] !== 0) o += lens[j++]!;
      offs[r + 1] = o;
    }
    this.used = o;
    this.rowsDone = rowPos + rows;
    return p + total;
  }

  /** DELTA_BYTE_ARRAY: value = previous value's first prefix[j] bytes + suffix j. */
  deltaByteArray(page: Uint8Array, p: number, end: number, k: number, rowPos: number, rows: number, validity: Uint8Array | null): number {
    const prefix = new Int32Array(k);
    p = deltaInt32(page, p, end, k, prefix);
    const suffix = new Int32Array(k);
    p = deltaInt32(page, p, end, k, suffix);
    let total = 0;
    let suffixTotal = 0;
    for (let j = 0; j < k; j++) {
      if (prefix[j]! < 0 || suffix[j]! < 0) throw new Error('negative DELTA_BYTE_ARRAY length');
      total += prefix[j]! + suffix[j]!;
      suffixTotal += suffix[j]!;
    }
    if (p + suffixTotal > end) throw new Error('DELTA_BYTE_ARRAY values run past the end of the page');
    this.ensure(total);
    const data = this.data;
    const offs = this.offsets;
    let o = this.used;
    let prevStart = -1;
    let prevLen = 0;
    let j = 0;
    for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
      if (validity !== null && validity[r] === 0) { offs[r + 1] = o; continue; }
      const pre = prefix[j]!;
      const suf = suffix[j]!;
      j++;
      if (pre > 0) {
        if (pre > prevLen) throw new Error('DELTA_BYTE_ARRAY prefix is longer than the previous value');
        data.copyWithin(o, prevStart, prevStart + pre);
      }
      copyBytes(data, o + pre, page, p, suf);
      p += suf;
      prevStart = o;
      prevLen = pre + suf;
      o += prevLen;
      offs[r + 1] = o;
    }
    this.used = o;
    this.rowsDone = rowPos + rows;
    return p;
  }

  /**
   * The finished column: offsets + bytes. A byte buffer grown well past what was written is
   * copied to its exact size: a view would keep the whole buffer alive in the batch, unseen
   * by the memory pool, which counts the view.
   */
  finish(): { offsets: Int32Array; data: Uint8Array } {
    const slack = this.data.length - this.used;
    if (slack > SLACK_BYTES && slack > this.used >> 3) this.data = this.data.slice(0, this.used);
    return { offsets: this.offsets, data: this.data.subarray(0, this.used) };
  }
}

/** out[at + j] = first + j * step for j in [0, n). */
function progression(out: Int32Array, at: number, n: number, first: number, step: number): void {
  for (let j = 0, v = first; j < n; j++, v += step) out[at + j] = v;
}

/**
 * One-byte values of rows [rowPos, rowPos + n): byte idx[j] of the dictionary's `count` bytes
 * (from `base`) to out[start + j], and the rows' end offsets; false when an index is out of
 * range (what was written is then garbage).
 */
function gatherBytes1(
  src: Uint8Array, base: number, count: number, idx: Int32Array, offs: Int32Array, rowPos: number, out: Uint8Array, start: number, n: number,
): boolean {
  let bad = 0;
  for (let j = 0; j < n; j++) {
    const d = idx[j]!;
    bad |= (count - 1 - d) | d;
    out[start + j] = src[base + d]!;
    offs[rowPos + j + 1] = start + j + 1;
  }
  return bad >= 0;
}

/** `w`-byte values: value idx[j] of the dictionary to out[start + j * w]. */
function gatherBytesW(src: Uint8Array, base: number, w: number, idx: Int32Array, out: Uint8Array, start: number, n: number): void {
  for (let j = 0, t = start; j < n; j++, t += w) {
    const s = base + idx[j]! * w;
    if (w < 24) for (let i = 0; i < w; i++) out[t + i] = src[s + i]!;
    else out.set(src.subarray(s, s + w), t);
  }
}

/** Offsets of rows [rowPos, rowPos + rows), every row valid, from byte `start`; returns the end. */
function gatherOffsets(dict: VarDict, idx: Int32Array, offs: Int32Array, rowPos: number, rows: number, start: number): number {
  const dOff = dict.offsets;
  const n = dict.count;
  let o = start;
  for (let j = 0; j < rows; j++) {
    const d = idx[j]!;
    if (d >>> 0 >= n) throw badIndex(d, n);
    o += dOff[d + 1]! - dOff[d]!;
    offs[rowPos + j + 1] = o;
  }
  return o;
}

function gatherOffsetsValid(
  dict: VarDict, idx: Int32Array, offs: Int32Array, rowPos: number, rows: number, start: number, validity: Uint8Array,
): number {
  const dOff = dict.offsets;
  const n = dict.count;
  let o = start;
  let j = 0;
  for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
    if (validity[r] !== 0) {
      const d = idx[j++]!;
      if (d >>> 0 >= n) throw badIndex(d, n);
      o += dOff[d + 1]! - dOff[d]!;
    }
    offs[r + 1] = o;
  }
  return o;
}

/** The bytes of rows whose offsets gatherOffsets wrote (indices already checked). */
function gatherBytes(dict: VarDict, idx: Int32Array, offs: Int32Array, data: Uint8Array, rowPos: number, rows: number): void {
  const dOff = dict.offsets;
  const src = dict.data;
  for (let j = 0; j < rows; j++) {
    const d = idx[j]!;
    const s = dOff[d]!;
    const len = dOff[d + 1]! - s;
    const t = offs[rowPos + j]!;
    if (len === 1) data[t] = src[s]!;
    else if (len < 24) for (let i = 0; i < len; i++) data[t + i] = src[s + i]!;
    else data.set(src.subarray(s, s + len), t);
  }
}

function gatherBytesValid(
  dict: VarDict, idx: Int32Array, offs: Int32Array, data: Uint8Array, rowPos: number, rows: number, validity: Uint8Array,
): void {
  const dOff = dict.offsets;
  const src = dict.data;
  let j = 0;
  for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
    if (validity[r] === 0) continue;
    const d = idx[j++]!;
    const s = dOff[d]!;
    const len = dOff[d + 1]! - s;
    const t = offs[r]!;
    if (len < 24) for (let i = 0; i < len; i++) data[t + i] = src[s + i]!;
    else data.set(src.subarray(s, s + len), t);
  }
}

/** Decode a PLAIN BYTE_ARRAY dictionary page of `count` entries. */
export function varDict(page: Uint8Array, count: number): VarDict {
  const out = new VarOut(count, page.length);
  out.plain(page, 0, page.length, 0, count, null);
  const { offsets, data } = out.finish();
  return varValues(count, offsets, data);
}
