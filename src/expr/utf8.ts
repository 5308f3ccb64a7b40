/** UTF-8 byte helpers for the string kernels, and a writer that builds offsets + bytes directly. */
import type { Utf8Column } from '../columnar/column.js';

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
