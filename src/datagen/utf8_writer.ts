/**
 * Utf8ColumnWriter: builds one utf8 column for a chunk of generated rows, byte by byte.
 *
 * A value is composed from pieces (bytes(), byte(), digits()) and closed with end(); the
 * buffer doubles when full. Generators write ASCII only, so bytes are UTF-8 as they are.
 */
import type { Utf8Column } from '../columnar/column.js';

export class Utf8ColumnWriter {
  private data: Uint8Array;
  private readonly offsets: Int32Array;
  private pos = 0;
  private rows = 0;

  constructor(readonly capacityRows: number, averageBytes: number) {
    this.offsets = new Int32Array(capacityRows + 1);
    this.data = new Uint8Array(Math.max(64, Math.ceil(capacityRows * averageBytes)));
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.data.length) return;
    const next = new Uint8Array(Math.max(this.data.length * 2, this.pos + n));
    next.set(this.data.subarray(0, this.pos));
    this.data = next;
  }

  /** Append src[start, end) to the current value. */
  bytes(src: Uint8Array, start = 0, end = src.length): this {
    const n = end - start;
    this.reserve(n);
    const d = this.data;
    if (n < 64) {
      // A loop beats subarray() + set() for the short strings most values are.
      let p = this.pos;
      for (let i = start; i < end; i++) d[p++] = src[i]!;
    } else {
      d.set(src.subarray(start, end), this.pos);
    }
    this.pos += n;
    return this;
  }

  /** Append one byte (an ASCII character code). */
  byte(b: number): this {
    this.reserve(1);
    this.data[this.pos++] = b;
    return this;
  }

  /** Append a non-negative integer in decimal, zero-padded to `width` digits. */
  digits(value: number, width: number): this {
    let v = Math.floor(value);
    let w = width;
    while (v >= 10 ** w) w++;
    this.reserve(w);
    for (let i = this.pos + w - 1; i >= this.pos; i--) {
      this.data[i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.pos += w;
    return this;
  }

  /** Close the current value. */
  end(): void {
    this.offsets[++this.rows] = this.pos;
  }

  /** Append a whole value. */
  value(src: Uint8Array): void {
    this.bytes(src).end();
  }

  get length(): number {
    return this.rows;
  }

  finish(): Utf8Column {
    if (this.rows !== this.capacityRows) throw new Error(`utf8 column has ${this.rows} rows, expected ${this.capacityRows}`);
    return { type: 'utf8', length: this.rows, validity: null, offsets: this.offsets, data: this.data.subarray(0, this.pos) };
  }
}

const asciiEncoder = new TextEncoder();

/** Encode a list of words once, so generators copy bytes instead of encoding strings. */
export function encodeAll(words: readonly string[]): Uint8Array[] {
  return words.map((w) => asciiEncoder.encode(w));
}

export function ascii(s: string): Uint8Array {
  return asciiEncoder.encode(s);
}
