/**
 * Growable column builders for operators that produce rows one at a time from typed inputs
 * (joins, aggregates). Appends write into typed arrays that double when full.
 */
import type { DataType } from '../common/types.js';
import { isNested } from '../common/nested_types.js';
import { allocValues, emptyColumn, fixedColumn, intervalColumn, nullColumn, type Column, type FixedColumn, type TypedValues, type VarColumn } from './column.js';
import { concatColumns, take } from './kernels.js';

export class ColumnBuilder {
  readonly type: DataType;
  length = 0;
  private values: TypedValues | null;
  private validity: Uint8Array;
  private hasNull = false;
  private offsets: Int32Array | null = null;
  private data: Uint8Array | null = null;
  /** INTERVAL's three arrays (values is null then). */
  private months: Int32Array | null = null;
  private days: Int32Array | null = null;
  private micros: Float64Array | null = null;
  /** Nested types: rows are kept as (source column, row) pairs and gathered at finish. */
  private nested: NestedRows | null = null;

  constructor(type: DataType, capacity = 1024) {
    this.type = type;
    const cap = Math.max(16, capacity);
    this.validity = new Uint8Array(cap);
    if (isNested(type)) { this.values = null; this.nested = new NestedRows(type); }
    else if (type === 'null' || type === 'utf8' || type === 'blob' || type === 'interval') this.values = null;
    else this.values = allocValues(type as FixedColumn['type'], cap);
    if (type === 'interval') { this.months = new Int32Array(cap); this.days = new Int32Array(cap); this.micros = new Float64Array(cap); }
    if (type === 'utf8' || type === 'blob') { this.offsets = new Int32Array(cap + 1); this.data = new Uint8Array(cap * 8); }
  }

  private grow(): void {
    const cap = this.validity.length * 2;
    const v = new Uint8Array(cap); v.set(this.validity); this.validity = v;
    if (this.values) {
      const nv = this.values instanceof BigInt64Array ? new BigInt64Array(cap) : allocValues(this.type as 'int32', cap);
      (nv as Int32Array).set(this.values as Int32Array);
      this.values = nv;
    }
    if (this.offsets) { const o = new Int32Array(cap + 1); o.set(this.offsets); this.offsets = o; }
    if (this.months) {
      const m = new Int32Array(cap); m.set(this.months); this.months = m;
      const d = new Int32Array(cap); d.set(this.days!); this.days = d;
      const u = new Float64Array(cap); u.set(this.micros!); this.micros = u;
    }
  }

  /** Append an interval's parts. */
  appendInterval(months: number, days: number, micros: number): void {
    if (this.length === this.validity.length) this.grow();
    this.validity[this.length] = 1;
    this.months![this.length] = months; this.days![this.length] = days; this.micros![this.length] = micros;
    this.length++;
  }

  appendNull(): void {
    if (this.nested !== null) this.nested.add(null, -1);
    if (this.length === this.validity.length) this.grow();
    this.validity[this.length] = 0;
    this.hasNull = true;
    if (this.offsets) this.offsets[this.length + 1] = this.offsets[this.length]!;
    this.length++;
  }

  /** Append a number (int32, float64, date32, bool as 0/1, a decimal's unscaled value). */
  appendNumber(v: number): void {
    if (this.length === this.validity.length) this.grow();
    this.validity[this.length] = 1;
    if (this.values instanceof BigInt64Array) this.values[this.length] = BigInt(v);
    else (this.values as Int32Array | Float64Array | Uint8Array)[this.length] = v;
    this.length++;
  }

  appendBigInt(v: bigint): void {
    if (this.length === this.validity.length) this.grow();
    this.validity[this.length] = 1;
    if (this.values instanceof Float64Array) {
      // A decimal builder in the Float64Array form: stay there while the value is exact.
      if (v >= -9007199254740992n && v <= 9007199254740992n) { this.values[this.length++] = Number(v); return; }
      this.toBigIntForm();
    }
    (this.values as BigInt64Array)[this.length] = v;
    this.length++;
  }

  /** Append a decimal's unscaled value in either form. */
  appendDecimal(v: number | bigint): void {
    if (typeof v === 'number') this.appendNumber(v); else this.appendBigInt(v);
  }

  private toBigIntForm(): void {
    const f = this.values as Float64Array;
    const b = new BigInt64Array(f.length);
    for (let i = 0; i < this.length; i++) b[i] = this.validity[i] === 1 ? BigInt(f[i]!) : 0n;
    this.values = b;
  }

  /** Append utf8 bytes. */
  appendBytes(src: Uint8Array, start = 0, end = src.length): void {
    if (this.length === this.validity.length) this.grow();
    const n = end - start;
    const pos = this.offsets![this.length]!;
    if (pos + n > this.data!.length) {
      const d = new Uint8Array(Math.max(this.data!.length * 2, pos + n));
      d.set(this.data!.subarray(0, pos));
      this.data = d;
    }
    this.data!.set(src.subarray(start, end), pos);
    this.validity[this.length] = 1;
    this.offsets![this.length + 1] = pos + n;
    this.length++;
  }

  /** Append row i of a column of the same type. */
  appendFrom(c: Column, i: number): void {
    if (c.type === 'null' || (c.validity !== null && c.validity[i] === 0)) { this.appendNull(); return; }
    if (this.nested !== null) {
      this.nested.add(c, i);
      if (this.length === this.validity.length) this.grow();
      this.validity[this.length++] = 1;
      return;
    }
    switch (c.type) {
      case 'utf8': case 'blob': this.appendBytes(c.data, c.offsets[i]!, c.offsets[i + 1]!); return;
      case 'interval': this.appendInterval(c.months[i]!, c.days[i]!, c.micros[i]!); return;
      case 'int64': case 'timestamp': this.appendBigInt(c.values[i]!); return;
      default: {
        const v = (c as FixedColumn).values[i]!;
        if (typeof v === 'bigint') this.appendBigInt(v); else this.appendNumber(v);
      }
    }
  }

  finish(): Column {
    const n = this.length;
    const validity = this.hasNull ? this.validity.slice(0, n) : null;
    if (this.type === 'null') return nullColumn(n);
    if (this.nested !== null) return this.nested.finish();
    if (this.type === 'utf8' || this.type === 'blob') {
      const offsets = this.offsets!.slice(0, n + 1);
      const col: VarColumn = { type: this.type, length: n, validity, offsets, data: this.data!.slice(0, offsets[n]!) };
      return col;
    }
    if (this.type === 'interval') return intervalColumn(this.months!.slice(0, n), this.days!.slice(0, n), this.micros!.slice(0, n), validity);
    return fixedColumn(this.type as FixedColumn['type'], this.values!.slice(0, n) as TypedValues, validity);
  }
}

/** The rows of a nested builder: each a row of some source column (or NULL), gathered at the end. */
class NestedRows {
  private readonly sources: Column[] = [];
  private source = new Int32Array(64);
  private row = new Int32Array(64);
  private n = 0;
  constructor(private readonly type: DataType) {}

  add(c: Column | null, i: number): void {
    if (this.n === this.row.length) {
      const s = new Int32Array(this.n * 2); s.set(this.source); this.source = s;
      const r = new Int32Array(this.n * 2); r.set(this.row); this.row = r;
    }
    let k = -1;
    if (c !== null) {
      k = this.sources.length - 1;
      if (this.sources[k] !== c) { k = this.sources.indexOf(c); if (k < 0) { k = this.sources.length; this.sources.push(c); } }
    }
    this.source[this.n] = k;
    this.row[this.n++] = k < 0 ? -1 : i;
  }

  finish(): Column {
    if (this.n === 0) return emptyColumn(this.type);
    // runs of rows from one source (NULLs join any run as index -1)
    const parts: Column[] = [];
    let start = 0;
    while (start < this.n) {
      let k = -1, end = start;
      for (; end < this.n; end++) {
        const s = this.source[end]!;
        if (s < 0) continue;
        if (k < 0) k = s; else if (s !== k) break;
      }
      const idx = this.row.slice(start, end);
      parts.push(k < 0 ? take(emptyColumn(this.type), idx.fill(-1)) : take(this.sources[k]!, idx));
      start = end;
    }
    return parts.length === 1 ? parts[0]! : concatColumns(this.type, parts);
  }
}
