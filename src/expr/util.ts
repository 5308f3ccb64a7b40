/**
 * Shared helpers for the expression kernels: broadcast masks, validity merging, a utf8
 * writer that builds offsets + bytes directly, numeric views and result assembly.
 *
 * Broadcast convention: a kernel input is either a full column (length n) or a constant
 * (length 1). Kernels index `values[i & m]` where m = maskOf(column, n) is -1 for a full
 * column and 0 for a constant, so one loop serves both shapes without copying the constant.
 */
import { allocValues, fixedColumn, nullColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';

/** -1 when the column has one value per row, 0 when it is a broadcast constant. */
export function maskOf(c: Column, n: number): number {
  return c.length === n ? -1 : 0;
}

/** Validity of a column, treating the 'null' type as all NULL (a one-byte zero for constants). */
export function validityOf(c: Column): Uint8Array | null {
  if (c.type === 'null') return new Uint8Array(c.length === 0 ? 1 : c.length);
  return c.validity;
}

/** Row-wise AND of two (possibly broadcast) validities; null when every row is valid. */
export function andValidity(a: Uint8Array | null, am: number, b: Uint8Array | null, bm: number, n: number): Uint8Array | null {
  if (a === null && b === null) return null;
  const out = new Uint8Array(n);
  if (a === null) { for (let i = 0; i < n; i++) out[i] = b![i & bm]!; return out; }
  if (b === null) { for (let i = 0; i < n; i++) out[i] = a[i & am]!; return out; }
  for (let i = 0; i < n; i++) out[i] = a[i & am]! & b[i & bm]!;
  return out;
}

/** A column of n NULLs of the given type. */
export function allNull(type: DataType, n: number): Column {
  if (type === 'null') return nullColumn(n);
  const validity = new Uint8Array(n);
  if (type === 'utf8') return { type, length: n, validity, offsets: new Int32Array(n + 1), data: new Uint8Array(0) };
  return fixedColumn(type, allocValues(type, n), validity);
}

/** True when every byte in data[s, e) is ASCII, so characters and bytes coincide. */
export function isAsciiRange(d: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (d[i]! >= 0x80) return false;
  return true;
}

/** True when a whole utf8 column is ASCII (one pass; enables byte-indexed fast paths). */
export function isAsciiColumn(c: Utf8Column): boolean {
  return isAsciiRange(c.data, c.offsets[0]!, c.offsets[c.length]!);
}

/** Number of bytes in the UTF-8 sequence that starts with byte b (1 for stray bytes). */
export function utf8SeqLen(b: number): number {
  return b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** Number of code points in data[s, e). */
export function countChars(d: Uint8Array, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if ((d[i]! & 0xc0) !== 0x80) n++;
  return n;
}

/** Byte position after skipping k code points from s (clamped to e). */
export function skipChars(d: Uint8Array, s: number, e: number, k: number): number {
  let p = s;
  while (k > 0 && p < e) { p += utf8SeqLen(d[p]!); k--; }
  return p > e ? e : p;
}

const utf8Decoder = new TextDecoder();

/** Decode data[s, e) to a JS string; short ASCII strings avoid the TextDecoder call. */
export function decodeRange(d: Uint8Array, s: number, e: number): string {
  if (e - s <= 32 && isAsciiRange(d, s, e)) {
    let out = '';
    for (let i = s; i < e; i++) out += String.fromCharCode(d[i]!);
    return out;
  }
  return utf8Decoder.decode(d.subarray(s, e));
}

const encoder = new TextEncoder();

/**
 * Builds a utf8 column row by row into offsets + bytes. Rows are appended in order:
 * push bytes for the current row, then endRow() or endNull().
 */
export class Utf8Writer {
  private readonly offsets: Int32Array;
  private data: Uint8Array;
  private validity: Uint8Array | null = null;
  private pos = 0;
  private row = 0;
  private readonly n: number;

  constructor(n: number, byteCapacity = 16) {
    this.n = n;
    this.offsets = new Int32Array(n + 1);
    this.data = new Uint8Array(Math.max(16, byteCapacity));
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.data.length) return;
    const grown = new Uint8Array(Math.max(need, this.data.length * 2));
    grown.set(this.data.subarray(0, this.pos));
    this.data = grown;
  }

  pushBytes(src: Uint8Array, s: number, e: number): void {
    const k = e - s;
    if (k <= 0) return;
    this.ensure(k);
    if (k < 16) { const d = this.data; let p = this.pos; for (let i = s; i < e; i++) d[p++] = src[i]!; }
    else this.data.set(src.subarray(s, e), this.pos);
    this.pos += k;
  }

  pushByte(b: number): void {
    this.ensure(1);
    this.data[this.pos++] = b;
  }

  /** Append a JS string (ASCII written directly, anything else through TextEncoder). */
  pushString(s: string): void {
    const len = s.length;
    this.ensure(len);
    let p = this.pos;
    const d = this.data;
    for (let i = 0; i < len; i++) {
      const ch = s.charCodeAt(i);
      if (ch >= 0x80) { this.pos = p; const b = encoder.encode(s.slice(i)); this.pushBytes(b, 0, b.length); return; }
      d[p++] = ch;
    }
    this.pos = p;
  }

  endRow(): void {
    this.offsets[++this.row] = this.pos;
  }

  endNull(): void {
    this.validity ??= new Uint8Array(this.n).fill(1);
    this.validity[this.row] = 0;
    this.offsets[++this.row] = this.pos;
  }

  finish(): Utf8Column {
    if (this.row !== this.n) throw new Error(`Utf8Writer: ${this.row} rows written, ${this.n} expected`);
    const data = this.data.length === this.pos ? this.data : this.data.slice(0, this.pos);
    return { type: 'utf8', length: this.n, validity: this.validity, offsets: this.offsets, data };
  }
}

/** Numeric values of an int32/int64/float64/date32 column as doubles (int64 converted once). */
export function asDoubles(c: Column): Int32Array | Float64Array | Uint8Array {
  switch (c.type) {
    case 'int32': case 'date32': case 'float64': case 'bool': return c.values;
    case 'int64': case 'timestamp': {
      const out = new Float64Array(c.length);
      const v = c.values;
      for (let i = 0; i < out.length; i++) out[i] = Number(v[i]!);
      return out;
    }
    default: return new Float64Array(c.length);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Turn doubles computed by a kernel into a column of the requested numeric type.
 * Values are expected to be integral when the type is an integer type.
 */
export function doublesToColumn(vals: Float64Array, validity: Uint8Array | null, type: DataType): Column {
  const n = vals.length;
  switch (type) {
    case 'float64': return fixedColumn('float64', vals, validity);
    case 'int32': case 'date32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = vals[i]!;
        if (v < INT32_MIN || v > INT32_MAX) {
          if (validity === null || validity[i] === 1) throw outOfRange(type);
          continue;
        }
        out[i] = v;
      }
      return fixedColumn(type, out, validity);
    }
    case 'int64': case 'timestamp': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = vals[i]!;
        if (!Number.isFinite(v)) { if (validity === null || validity[i] === 1) throw outOfRange(type); continue; }
        if (v >= 9223372036854775808 || v < -9223372036854775808) {
          if (validity === null || validity[i] === 1) throw outOfRange(type);
          continue;
        }
        out[i] = BigInt(v);
      }
      return fixedColumn(type, out, validity);
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = vals[i] !== 0 ? 1 : 0;
      return fixedColumn('bool', out, validity);
    }
    case 'null': return nullColumn(n);
    default: throw new Error(`doublesToColumn: unexpected type ${type}`);
  }
}

export function outOfRange(type: DataType): SpillwayError {
  switch (type) {
    case 'int32': return new SpillwayError('execution', 'integer out of range');
    case 'int64': return new SpillwayError('execution', 'bigint out of range');
    case 'date32': return new SpillwayError('execution', 'date out of range');
    case 'timestamp': return new SpillwayError('execution', 'timestamp out of range');
    default: return new SpillwayError('execution', `${type} value out of range`);
  }
}

/**
 * Assemble one column from pieces: row i takes row rowInPiece[i] of pieces[pieceOfRow[i]],
 * or NULL when pieceOfRow[i] is -1. Used by CASE and COALESCE, which evaluate each branch
 * only over the rows that reach it.
 */
export function assemble(type: DataType, pieces: readonly Column[], pieceOfRow: Int32Array, rowInPiece: Int32Array, n: number): Column {
  if (type === 'null') return nullColumn(n);
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const p = pieceOfRow[i]!;
    const ok = p >= 0 && (pieces[p]!.validity === null || pieces[p]!.validity![rowInPiece[i]!] === 1) && pieces[p]!.type !== 'null';
    if (!ok) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; }
  }
  if (type === 'utf8') {
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = pieceOfRow[i]!;
      if (p >= 0 && (validity === null || validity[i] === 1)) {
        const c = pieces[p] as Utf8Column;
        const r = rowInPiece[i]!;
        total += c.offsets[r + 1]! - c.offsets[r]!;
      }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const len = offsets[i + 1]! - offsets[i]!;
      if (len === 0) continue;
      const c = pieces[pieceOfRow[i]!] as Utf8Column;
      const r = rowInPiece[i]!;
      data.set(c.data.subarray(c.offsets[r]!, c.offsets[r + 1]!), offsets[i]!);
    }
    return { type: 'utf8', length: n, validity, offsets, data };
  }
  const out = allocValues(type, n);
  for (let i = 0; i < n; i++) {
    const p = pieceOfRow[i]!;
    if (p < 0) continue;
    const c = pieces[p]!;
    if (c.type === 'null' || c.type === 'utf8') continue;
    (out as Int32Array)[i] = (c.values as Int32Array)[rowInPiece[i]!]!;
  }
  return fixedColumn(type, out, validity);
}
