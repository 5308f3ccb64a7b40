/**
 * Physical chunk (physical.ts) → Spillway Column of the type parquet_metadata.ts mapped the
 * column to, with the same values the engine has always produced:
 *   INT32 → int32 / date32 (zero-copy view); INT32 UINT_32 → int64 (unsigned)
 *   INT64 → int64 (view); INT64 TIMESTAMP → timestamp µs (MILLIS × 1000, NANOS floor ÷ 1000)
 *   INT96 → timestamp µs
 *   DOUBLE → float64 (view); FLOAT, FLOAT16 → float64
 *   DECIMAL (any physical type) → decimal(p,s): the unscaled integers, as doubles while every
 *                                 value of the chunk is below 2^53, else int64 (beyond: an error)
 *   BYTE_ARRAY → utf8 (offsets + bytes as they are); FIXED_LEN_BYTE_ARRAY UUID → utf8 text
 *   BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY without annotation → blob
 *   INT32 TIME (millis), INT64 TIME (micros, nanos floor ÷ 1000) → time µs as doubles
 *   FIXED_LEN_BYTE_ARRAY(12) INTERVAL (months, days, millis; little-endian uint32) → interval
 *   BOOLEAN → bool
 * NULL rows keep zero / empty values under a validity byte of 0.
 */
import type { SchemaElement } from 'hyparquet';
import { fixedColumn, intervalColumn, type Column } from '../../columnar/column.js';
import type { DataType, DecimalType } from '../../common/types.js';
import { isDecimal as isDecimalType } from '../../common/types.js';
import { SpillwayError } from '../../common/errors.js';
import type { DictChunk, FixedChunk, PhysicalChunk } from './physical.js';

const TWO32 = 4294967296;

function isDecimal(el: SchemaElement): boolean {
  return el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL';
}

export function toColumn(chunk: Exclude<PhysicalChunk, DictChunk>, el: SchemaElement, type: DataType, n: number): Column {
  const validity = chunk.validity;
  if (isDecimalType(type)) return fixedColumn(type, unscaledDecimals(chunk, el, n, type), validity);
  switch (type) {
    case 'null':
      return { type: 'null', length: n, validity: null };
    case 'bool':
      if (chunk.kind !== 'bool') break;
      return fixedColumn('bool', chunk.values, validity);
    case 'int32': case 'date32':
      if (chunk.kind !== 'fixed' || chunk.width !== 4) break;
      return fixedColumn(type, new Int32Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n), validity);
    case 'int64':
      if (chunk.kind !== 'fixed') break;
      if (el.type === 'INT64') return fixedColumn('int64', new BigInt64Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n), validity);
      if (el.type === 'INT32') return fixedColumn('int64', uint32ToInt64(chunk, n), validity);
      break;
    case 'timestamp':
      if (chunk.kind !== 'fixed') break;
      return fixedColumn('timestamp', timestamps(chunk, el, n), validity);
    case 'float64':
      return fixedColumn('float64', doubles(chunk, el, n), validity);
    case 'time':
      if (chunk.kind !== 'fixed') break;
      return fixedColumn('time', timesOfDay(chunk, el, n), validity);
    case 'interval':
      if (chunk.kind !== 'fixed' || chunk.width !== 12) break;
      return intervals(chunk, n, validity);
    case 'blob':
      if (chunk.kind === 'var') return { type: 'blob', length: n, validity, offsets: chunk.offsets, data: chunk.data };
      if (chunk.kind === 'fixed') return fixedWidthBlob(chunk, n, validity);
      break;
    case 'utf8':
      if (chunk.kind === 'var') return { type: 'utf8', length: n, validity, offsets: chunk.offsets, data: chunk.data };
      if (chunk.kind === 'fixed' && el.logical_type?.type === 'UUID') return uuidText(chunk, n);
      break;
  }
  throw new Error(`cannot read a ${el.type ?? 'group'} column as ${type}`);
}

/** TIME µs of INT32 milliseconds or INT64 micro- / nanoseconds. */
function timesOfDay(chunk: FixedChunk, el: SchemaElement, n: number): Float64Array {
  const out = new Float64Array(n);
  const w = words(chunk);
  if (el.type === 'INT32') {
    for (let i = 0; i < n; i++) out[i] = w[i]! * 1000;
    return out;
  }
  const lt = el.logical_type;
  const nanos = lt?.type === 'TIME' && lt.unit === 'NANOS';
  const millis = lt?.type === 'TIME' && lt.unit === 'MILLIS';
  for (let i = 0; i < n; i++) {
    const x = int64AsNumber(w, i); // below 2^47 for any time of day in nanoseconds: exact
    out[i] = nanos ? Math.floor(x / 1000) : millis ? x * 1000 : x;
  }
  return out;
}

/** INTERVAL of Parquet's 12 bytes: months, days, milliseconds as little-endian uint32. */
function intervals(chunk: FixedChunk, n: number, validity: Uint8Array | null): Column {
  const b = chunk.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const months = new Int32Array(n), days = new Int32Array(n), micros = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    months[i] = dv.getInt32(12 * i, true);
    days[i] = dv.getInt32(12 * i + 4, true);
    micros[i] = dv.getUint32(12 * i + 8, true) * 1000;
  }
  return intervalColumn(months, days, micros, validity);
}

/** A blob column of fixed-width values: offsets every `width` bytes (NULL rows empty). */
function fixedWidthBlob(chunk: FixedChunk, n: number, validity: Uint8Array | null): Column {
  const w = chunk.width;
  const offsets = new Int32Array(n + 1);
  let pos = 0;
  const out = new Uint8Array(n * w);
  for (let i = 0; i < n; i++) {
    if (validity === null || validity[i] === 1) { out.set(chunk.bytes.subarray(i * w, i * w + w), pos); pos += w; }
    offsets[i + 1] = pos;
  }
  return { type: 'blob', length: n, validity, offsets, data: out.subarray(0, pos) };
}

function words(chunk: FixedChunk): Int32Array {
  return new Int32Array(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength >> 2);
}

function uint32ToInt64(chunk: FixedChunk, n: number): BigInt64Array {
  const src = words(chunk);
  const out = new BigInt64Array(n);
  const ow = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) ow[2 * i] = src[i]!; // low word; the high word stays 0
  return out;
}

/** int64 at word pair i as a correctly rounded double (exact below 2^53). */
function int64AsNumber(w: Int32Array, i: number): number {
  return w[2 * i + 1]! * TWO32 + (w[2 * i]! >>> 0);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function timestamps(chunk: FixedChunk, el: SchemaElement, n: number): BigInt64Array {
  if (el.type === 'INT96') {
    // 8 bytes of nanoseconds in the day, then a 4-byte Julian day
    const w = words(chunk);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const nanos = BigInt(w[3 * i + 1]!) * 4294967296n + BigInt(w[3 * i]! >>> 0);
      const nanosUnsigned = nanos < 0n ? nanos + (1n << 64n) : nanos;
      const days = BigInt(w[3 * i + 2]!) - 2440588n;
      out[i] = floorDiv(days * 86400000000000n + nanosUnsigned, 1000n);
    }
    return out;
  }
  if (el.type !== 'INT64') throw new Error(`cannot read a ${el.type ?? 'group'} column as TIMESTAMP`);
  const src = new BigInt64Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n);
  const ct = el.converted_type;
  const lt = el.logical_type;
  let unit: 'MILLIS' | 'MICROS' | 'NANOS' | null = null;
  if (ct === 'TIMESTAMP_MILLIS') unit = 'MILLIS';
  else if (ct === 'TIMESTAMP_MICROS') unit = 'MICROS';
  else if (lt?.type === 'TIMESTAMP') unit = lt.unit;
  if (unit === 'MILLIS') {
    const out = new BigInt64Array(n);
    const sw = words(chunk);
    const ow = new Int32Array(out.buffer);
    const limit = Number.MAX_SAFE_INTEGER / 1000;
    for (let i = 0; i < n; i++) {
      const x = int64AsNumber(sw, i);
      if (Math.abs(x) < limit) {
        const y = x * 1000;
        const hi = Math.floor(y / TWO32);
        ow[2 * i] = (y - hi * TWO32) | 0;
        ow[2 * i + 1] = hi;
      } else {
        out[i] = src[i]! * 1000n;
      }
    }
    return out;
  }
  if (unit === 'NANOS') {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = floorDiv(src[i]!, 1000n);
    return out;
  }
  return src;
}

function doubles(chunk: PhysicalChunk, el: SchemaElement, n: number): Float64Array {
  if (isDecimal(el)) return decimals(chunk, el, n);
  if (chunk.kind !== 'fixed') throw new Error(`cannot read a ${el.type ?? 'group'} column as DOUBLE`);
  switch (el.type) {
    case 'DOUBLE':
      return new Float64Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n);
    case 'FLOAT': {
      const src = new Float32Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i]!;
      return out;
    }
    case 'FIXED_LEN_BYTE_ARRAY': {
      if (el.logical_type?.type !== 'FLOAT16' || chunk.width !== 2) break;
      const b = chunk.bytes;
      const out = new Float64Array(n);
      const valid = chunk.validity;
      for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) out[i] = float16(b[2 * i]! | (b[2 * i + 1]! << 8));
      return out;
    }
  }
  throw new Error(`cannot read a ${el.type ?? 'group'} column as DOUBLE`);
}

function float16(bits: number): number {
  const sign = bits >> 15 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decimals(chunk: PhysicalChunk, el: SchemaElement, n: number): Float64Array {
  const factor = 10 ** -(el.scale || 0);
  const out = new Float64Array(n);
  if (chunk.kind === 'fixed' && el.type === 'INT32') {
    const w = words(chunk);
    for (let i = 0; i < n; i++) out[i] = w[i]! * factor;
    return out;
  }
  if (chunk.kind === 'fixed' && el.type === 'INT64') {
    const w = words(chunk);
    for (let i = 0; i < n; i++) out[i] = int64AsNumber(w, i) * factor;
    return out;
  }
  if (chunk.kind === 'fixed') {
    const wd = chunk.width;
    for (let i = 0; i < n; i++) out[i] = bigEndianSigned(chunk.bytes, i * wd, wd) * factor;
    return out;
  }
  if (chunk.kind === 'var') {
    const o = chunk.offsets;
    for (let i = 0; i < n; i++) out[i] = bigEndianSigned(chunk.data, o[i]!, o[i + 1]! - o[i]!) * factor;
    return out;
  }
  throw new Error(`cannot read a ${el.type ?? 'group'} column as DECIMAL`);
}

/** The unscaled values of a DECIMAL chunk: doubles when all are below 2^53, else int64. */
function unscaledDecimals(chunk: Exclude<PhysicalChunk, DictChunk>, el: SchemaElement, n: number, type: DecimalType): Float64Array | BigInt64Array {
  const valid = chunk.validity;
  if (chunk.kind === 'fixed' && el.type === 'INT32') return Float64Array.from(words(chunk).subarray(0, n));
  if (chunk.kind === 'fixed' && el.type === 'INT64') {
    const w = words(chunk);
    let small = true;
    for (let i = 0; i < n; i++) { const hi = w[2 * i + 1]!; if (hi >= 2097152 || hi < -2097151) { small = false; break; } }
    if (!small) return new BigInt64Array(chunk.bytes.buffer, chunk.bytes.byteOffset, n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = int64AsNumber(w, i);
    return out;
  }
  let bytes: Uint8Array, at: (i: number) => number, len: (i: number) => number;
  if (chunk.kind === 'fixed') { const wd = chunk.width; bytes = chunk.bytes; at = (i) => i * wd; len = () => wd; }
  else if (chunk.kind === 'var') { const o = chunk.offsets; bytes = chunk.data; at = (i) => o[i]!; len = (i) => o[i + 1]! - o[i]!; }
  else throw new Error(`cannot read a ${el.type ?? 'group'} column as DECIMAL`);
  const out = new Float64Array(n);
  let big: BigInt64Array | null = null;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const s = at(i), l = len(i);
    // Skip sign-extension bytes, so a 16-byte value that fits 6 bytes is read as a number.
    let k = s;
    const pad = l > 0 && bytes[s]! & 0x80 ? 0xff : 0;
    while (k < s + l - 1 && bytes[k] === pad && (bytes[k + 1]! & 0x80) === (pad & 0x80)) k++;
    if (s + l - k <= 6 && big === null) { out[i] = bigEndianSigned(bytes, k, s + l - k); continue; }
    big ??= Float64ToBig(out, i);
    let v = 0n;
    for (let j = k; j < s + l; j++) v = v * 256n + BigInt(bytes[j]!);
    if (bytes[k]! & 0x80) v -= 1n << BigInt(8 * (s + l - k));
    if (v > 9223372036854775807n || v < -9223372036854775808n) {
      throw new SpillwayError('execution', `a ${type} value of column "${el.name}" does not fit 64 bits (Spillway's decimals are limited to int64 unscaled values)`);
    }
    big[i] = v;
  }
  return big ?? out;
}

function Float64ToBig(v: Float64Array, upTo: number): BigInt64Array {
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < upTo; i++) out[i] = BigInt(v[i]!);
  return out;
}

/** A big-endian two's complement integer of `len` bytes as a correctly rounded double. */
function bigEndianSigned(b: Uint8Array, at: number, len: number): number {
  if (len === 0) return 0;
  if (len <= 6) {
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + b[at + i]!;
    return b[at]! & 0x80 ? v - 2 ** (8 * len) : v;
  }
  let v = 0n;
  for (let i = 0; i < len; i++) v = v * 256n + BigInt(b[at + i]!);
  if (b[at]! & 0x80) v -= 1n << BigInt(8 * len);
  return Number(v);
}

const HEX = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/** 16-byte UUIDs → canonical lowercase text (8-4-4-4-12); NULL rows stay empty. */
function uuidText(chunk: FixedChunk, n: number): Column {
  if (chunk.width !== 16) throw new Error('UUID column is not 16 bytes wide');
  const valid = chunk.validity;
  const offsets = new Int32Array(n + 1);
  const data = new Uint8Array(n * 36);
  const src = chunk.bytes;
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i] !== 0) {
      for (let j = 0; j < 16; j++) {
        if (j === 4 || j === 6 || j === 8 || j === 10) data[o++] = 45; // '-'
        const byte = src[16 * i + j]!;
        data[o++] = HEX[byte >> 4]!;
        data[o++] = HEX[byte & 15]!;
      }
    }
    offsets[i + 1] = o;
  }
  return { type: 'utf8', length: n, validity: valid, offsets, data: data.subarray(0, o) };
}
