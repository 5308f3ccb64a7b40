/**
 * Zero-copy (where the layouts agree) conversion between Spillway batches and Arrow
 * RecordBatches. Only booleans and validity change layout: Arrow packs them in bits.
 */
import * as arrow from 'apache-arrow';
import type { DataType, Field, Schema } from '../common/types.js';
import { decimalParams, decimalType, isDecimal } from '../common/types.js';
import { fixedColumn, intervalColumn, makeBatch, nullColumn, type Batch, type Column, type DecimalColumn, type IntervalColumn } from './column.js';
import { SpillwayError } from '../common/errors.js';
import { isNested } from '../common/nested_types.js';
import { isNestedColumn } from './nested.js';
import { nestedFromArrowData, nestedFromArrowType, nestedToArrowData, nestedToArrowType } from './nested_arrow.js';

export function toArrowType(t: DataType): arrow.DataType {
  if (isDecimal(t)) { const { precision, scale } = decimalParams(t); return new arrow.Decimal(scale, precision, 128); }
  if (isNested(t)) return nestedToArrowType(t);
  switch (t) {
    case 'null': return new arrow.Null();
    case 'bool': return new arrow.Bool();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'float64': return new arrow.Float64();
    case 'utf8': return new arrow.Utf8();
    case 'date32': return new arrow.DateDay();
    case 'timestamp': return new arrow.TimestampMicrosecond();
    case 'time': return new arrow.TimeMicrosecond();
    case 'interval': return new arrow.IntervalMonthDayNano();
    case 'blob': return new arrow.Binary();
    default: throw new Error(`toArrowType: ${t as string}`);
  }
}

export function fromArrowType(t: arrow.DataType, where: string): DataType {
  switch (t.typeId) {
    case arrow.Type.Null: return 'null';
    case arrow.Type.Bool: return 'bool';
    case arrow.Type.Int: {
      const it = t as arrow.Int;
      if (it.bitWidth <= 32 && (it.isSigned || it.bitWidth < 32)) return 'int32';
      return 'int64';
    }
    case arrow.Type.Float: return 'float64';
    case arrow.Type.Utf8: case arrow.Type.LargeUtf8: return 'utf8';
    case arrow.Type.Date: return 'date32';
    case arrow.Type.Timestamp: return 'timestamp';
    case arrow.Type.Time: return 'time';
    case arrow.Type.Interval: {
      if ((t as arrow.Interval).unit === arrow.IntervalUnit.DAY_TIME) throw new Error(`unsupported Arrow type ${String(t)} in ${where}`);
      return 'interval';
    }
    case arrow.Type.Binary: case arrow.Type.LargeBinary: return 'blob';
    case arrow.Type.Decimal: {
      const dt = t as arrow.Decimal;
      if (dt.precision > 38 || dt.scale < 0 || dt.scale > dt.precision) throw new Error(`unsupported Arrow type ${String(t)} in ${where}`);
      return decimalType(dt.precision, dt.scale);
    }
    case arrow.Type.List: case arrow.Type.Struct: case arrow.Type.Map: return nestedFromArrowType(t, where);
    default: throw new Error(`unsupported Arrow type ${String(t)} in ${where}`);
  }
}

export function toArrowSchema(s: Schema): arrow.Schema {
  return new arrow.Schema(s.fields.map((f) => new arrow.Field(f.name, toArrowType(f.type), f.nullable)));
}

export function fromArrowSchema(s: arrow.Schema): Schema {
  return { fields: s.fields.map((f): Field => ({ name: f.name, type: fromArrowType(f.type, `column ${f.name}`), nullable: f.nullable })) };
}

export function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(((n + 63) >> 6) << 3);
  for (let i = 0; i < n; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** One byte per bit (Spillway's booleans and validity) from Arrow's packed bits. */
export function unpackBits(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const j = i + offset; out[i] = (bits[j >> 3]! >> (j & 7)) & 1; }
  return out;
}

export function columnToArrowData(c: Column): arrow.Data {
  const type = toArrowType(c.type);
  const length = c.length;
  if (c.type === 'null') return arrow.makeData({ type: type as arrow.Null, length, nullCount: length });
  let nullCount = 0;
  if (c.validity) for (let i = 0; i < length; i++) nullCount += c.validity[i]! ^ 1;
  const nullBitmap = nullCount > 0 ? packBits(c.validity!, length) : undefined;
  switch (c.type) {
    case 'utf8':
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets: c.offsets, data: c.data });
    case 'blob':
      return arrow.makeData({ type: type as arrow.Binary, length, nullCount, nullBitmap, valueOffsets: c.offsets, data: c.data });
    case 'time':
      return arrow.makeData({ type: type as arrow.TimeMicrosecond, length, nullCount, nullBitmap, data: timeToInt64(c.values) });
    case 'interval':
      return arrow.makeData({ type: type as arrow.IntervalMonthDayNano, length, nullCount, nullBitmap, data: intervalToMonthDayNano(c) });
    case 'bool':
      return arrow.makeData({ type: type as arrow.Bool, length, nullCount, nullBitmap, data: packBits(c.values, length) });
    default:
      if (isNestedColumn(c)) return nestedToArrowData(c, type, nullCount, nullBitmap);
      if (isDecimal(c.type)) {
        return arrow.makeData({ type: type as arrow.Decimal, length, nullCount, nullBitmap, data: decimalToWords(c as DecimalColumn) });
      }
      return arrow.makeData({ type: type as arrow.Int32, length, nullCount, nullBitmap, data: c.values as Int32Array });
  }
}

export function batchToArrow(b: Batch): arrow.RecordBatch {
  const s = toArrowSchema(b.schema);
  const children = b.columns.map(columnToArrowData);
  const data = arrow.makeData({ type: new arrow.Struct(s.fields), length: b.length, nullCount: 0, children });
  return new arrow.RecordBatch(s, data);
}

export function columnFromArrowData(d: arrow.Data, type: DataType): Column {
  const n = d.length;
  const off = d.offset;
  let validity: Uint8Array | null = null;
  if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0) validity = unpackBits(d.nullBitmap, off, n);
  if (type === 'null') return nullColumn(n);
  if (type === 'time') return fixedColumn('time', timeFromArrow(d), validity);
  if (type === 'interval') return intervalFromArrow(d, validity);
  if (type === 'utf8' || type === 'blob') {
    let offsets = d.valueOffsets as Int32Array | BigInt64Array;
    let o32: Int32Array;
    if (offsets instanceof BigInt64Array) {
      o32 = new Int32Array(n + 1);
      for (let i = 0; i <= n; i++) o32[i] = Number(offsets[off + i]!);
    } else {
      o32 = offsets.subarray(off, off + n + 1);
    }
    return { type, length: n, validity, offsets: o32, data: d.values as Uint8Array };
  }
  if (type === 'bool') return fixedColumn('bool', unpackBits(d.values as Uint8Array, off, n), validity);
  if (isNested(type)) return nestedFromArrowData(d, type, validity);
  if (isDecimal(type)) return decimalFromWords(d.values as Uint32Array, off, n, validity, type);
  let values = d.values as Int32Array | Float64Array | BigInt64Array;
  if (type === 'date32' && values instanceof BigInt64Array) {
    // DateMillisecond: convert to days
    const days = new Int32Array(n);
    for (let i = 0; i < n; i++) days[i] = Number(values[off + i]! / 86400000n);
    return fixedColumn('date32', days, validity);
  }
  if (type === 'int32' && !(values instanceof Int32Array)) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(values[off + i]!);
    return fixedColumn('int32', out, validity);
  }
  if (type === 'float64' && !(values instanceof Float64Array)) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(values[off + i]!);
    return fixedColumn('float64', out, validity);
  }
  if ((type === 'int64' || type === 'timestamp') && !(values instanceof BigInt64Array)) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(values[off + i]!);
    return fixedColumn(type, out, validity);
  }
  return fixedColumn(type, values.subarray(off, off + n), validity);
}

export function batchFromArrow(rb: arrow.RecordBatch, schema?: Schema): Batch {
  const s = schema ?? fromArrowSchema(rb.schema);
  const cols = s.fields.map((f, i) => columnFromArrowData(rb.data.children[i]!, f.type));
  return makeBatch(s, cols, rb.numRows);
}

export function tableFromBatches(s: Schema, batches: readonly Batch[]): arrow.Table {
  const rbs = batches.filter((b) => b.length > 0).map(batchToArrow);
  if (rbs.length === 0) return new arrow.Table(toArrowSchema(s));
  return new arrow.Table(rbs);
}

const TWO32 = 4294967296;

/** Arrow Decimal128 words (4 × uint32 little-endian per value, two's complement) of a decimal column. */
function decimalToWords(c: DecimalColumn): Uint32Array {
  const n = c.length;
  const out = new Uint32Array(n * 4);
  const v = c.values;
  if (v instanceof Float64Array) {
    // |v| ≤ 2^53: split into a signed high part and an unsigned low word, no BigInt.
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      const hi = Math.floor(x / TWO32);
      const sign = hi < 0 ? 0xffffffff : 0;
      out[4 * i] = x - hi * TWO32;
      out[4 * i + 1] = hi >>> 0;
      out[4 * i + 2] = sign;
      out[4 * i + 3] = sign;
    }
  } else {
    const w = new BigInt64Array(out.buffer);
    for (let i = 0; i < n; i++) { const x = v[i]!; w[2 * i] = x; w[2 * i + 1] = x < 0n ? -1n : 0n; }
  }
  return out;
}

/**
 * A decimal column from Decimal128 words: the Float64Array form when every value is within
 * 2^53, else BigInt64Array; a value beyond int64 is an overflow error.
 */
function decimalFromWords(words: Uint32Array, off: number, n: number, validity: Uint8Array | null, type: DataType): Column {
  let small = true;
  for (let i = 0; i < n && small; i++) {
    const k = 4 * (off + i);
    const hi = words[k + 1]! | 0, s2 = words[k + 2]! | 0, s3 = words[k + 3]! | 0;
    const sign = hi < 0 ? -1 : 0;
    if (s2 !== sign || s3 !== sign || hi < -2097152 || hi > 2097152) small = false;
  }
  if (small) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) { const k = 4 * (off + i); out[i] = (words[k + 1]! | 0) * TWO32 + words[k]!; }
    return fixedColumn(type as DecimalColumn['type'], out, validity);
  }
  const out = new BigInt64Array(n);
  const w = new BigInt64Array(words.buffer, words.byteOffset, words.length >> 1);
  for (let i = 0; i < n; i++) {
    const lo = w[2 * (off + i)]!, hi = w[2 * (off + i) + 1]!;
    if (hi !== (lo < 0n ? -1n : 0n) && (validity === null || validity[i] === 1)) {
      throw new SpillwayError('execution', `decimal value out of range for ${type}: it needs more than 64 bits`);
    }
    out[i] = lo;
  }
  return fixedColumn(type as DecimalColumn['type'], out, validity);
}

/** Arrow Time64 values (int64 microseconds) of TIME's doubles. */
export function timeToInt64(v: Float64Array): BigInt64Array {
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]!);
  return out;
}

/** TIME's microseconds of Arrow Time data in any unit (32-bit seconds/millis, 64-bit micros/nanos). */
function timeFromArrow(d: arrow.Data): Float64Array {
  const n = d.length, off = d.offset;
  const unit = (d.type as arrow.Time).unit;
  const scale = unit === arrow.TimeUnit.SECOND ? 1e6 : unit === arrow.TimeUnit.MILLISECOND ? 1e3 : 1;
  const out = new Float64Array(n);
  const v = d.values as Int32Array | BigInt64Array;
  if (v instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = unit === arrow.TimeUnit.NANOSECOND ? Number(v[off + i]! / 1000n) : Number(v[off + i]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = v[off + i]! * scale;
  }
  return out;
}

/** Arrow MONTH_DAY_NANO words (int32 months, int32 days, int64 nanoseconds per value) of an interval column. */
export function intervalToMonthDayNano(c: IntervalColumn): Int32Array {
  const n = c.length;
  const out = new Int32Array(4 * n);
  let nanos: BigInt64Array | null = null;
  for (let i = 0; i < n; i++) {
    out[4 * i] = c.months[i]!;
    out[4 * i + 1] = c.days[i]!;
    const x = c.micros[i]! * 1000;
    if (Math.abs(x) <= 9007199254740992) {
      // Exact in a double: its two 32-bit halves without a BigInt.
      const hi = Math.floor(x / TWO32);
      out[4 * i + 2] = x - hi * TWO32;
      out[4 * i + 3] = hi;
    } else {
      nanos ??= new BigInt64Array(out.buffer);
      nanos[2 * i + 1] = BigInt(c.micros[i]!) * 1000n;
    }
  }
  return out;
}

/** An interval column of Arrow interval data: MONTH_DAY_NANO (nanoseconds truncated to micros) or YEAR_MONTH. */
function intervalFromArrow(d: arrow.Data, validity: Uint8Array | null): IntervalColumn {
  const n = d.length, off = d.offset;
  const months = new Int32Array(n), days = new Int32Array(n), micros = new Float64Array(n);
  const v = d.values as Int32Array;
  if ((d.type as arrow.Interval).unit === arrow.IntervalUnit.YEAR_MONTH) {
    for (let i = 0; i < n; i++) months[i] = v[off + i]!;
  } else {
    for (let i = 0; i < n; i++) {
      const k = off + i;
      months[i] = v[4 * k]!; days[i] = v[4 * k + 1]!;
      const lo = v[4 * k + 2]! >>> 0, hi = v[4 * k + 3]!;
      // Below 2^52 nanoseconds a double holds them exactly; beyond, BigInt does the division.
      micros[i] = hi >= -1048576 && hi < 1048576 ? Math.trunc((hi * TWO32 + lo) / 1000)
        : Number(((BigInt(hi) << 32n) | BigInt(lo)) / 1000n);
    }
  }
  return intervalColumn(months, days, micros, validity);
}
