/**
 * hyparquet's decoded column data → Spillway Columns, converted once at the scan boundary.
 *
 * hyparquet hands REQUIRED columns over as typed arrays (used as they are) and OPTIONAL
 * columns as plain JS arrays of boxed values with null for NULL. With SPILLWAY_PARSERS,
 * dates arrive as day numbers, timestamps as bigint microseconds and strings as raw UTF-8
 * byte arrays, so the conversion is one typed loop per column: values into a typed array,
 * NULLs into a validity byte array allocated only when a NULL is seen.
 */
import { allocValues, fixedColumn, type Column, type FixedColumn, type Utf8Column } from '../columnar/column.js';
import type { DataType } from '../common/types.js';

/** What hyparquet returns for one column (typed array or array of boxed values). */
export type DecodedValues = ArrayLike<unknown>;

const encoder = new TextEncoder();

function isNull(v: unknown): boolean {
  return v === null || v === undefined;
}

export function columnFromDecoded(type: DataType, data: DecodedValues, length: number): Column {
  if (data.length !== length) throw new Error(`decoded ${data.length} values where the row group has ${length} rows`);
  switch (type) {
    case 'null': return { type: 'null', length, validity: null };
    case 'utf8': return utf8FromDecoded(data, length);
    case 'int32': case 'date32': return int32FromDecoded(type, data, length);
    case 'int64': case 'timestamp': return int64FromDecoded(type, data, length);
    case 'float64': return float64FromDecoded(data, length);
    case 'bool': return boolFromDecoded(data, length);
  }
}

function int32FromDecoded(type: 'int32' | 'date32', data: DecodedValues, n: number): FixedColumn {
  if (data instanceof Int32Array) return fixedColumn(type, data);
  const out = new Int32Array(n);
  let validity: Uint8Array | null = null;
  const src = data as ArrayLike<number | null | undefined>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v === null || v === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    } else {
      out[i] = v;
    }
  }
  return fixedColumn(type, out, validity);
}

function int64FromDecoded(type: 'int64' | 'timestamp', data: DecodedValues, n: number): FixedColumn {
  if (data instanceof BigInt64Array) return fixedColumn(type, data);
  const out = allocValues(type, n) as BigInt64Array;
  let validity: Uint8Array | null = null;
  const src = data as ArrayLike<bigint | number | null | undefined>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v === null || v === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    } else {
      // numbers come from UINT_32 columns
      out[i] = typeof v === 'bigint' ? v : BigInt(v);
    }
  }
  return fixedColumn(type, out, validity);
}

function float64FromDecoded(data: DecodedValues, n: number): FixedColumn {
  if (data instanceof Float64Array) return fixedColumn('float64', data);
  const out = new Float64Array(n);
  let validity: Uint8Array | null = null;
  const src = data as ArrayLike<number | bigint | null | undefined>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v === null || v === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    } else {
      out[i] = Number(v);
    }
  }
  return fixedColumn('float64', out, validity);
}

function boolFromDecoded(data: DecodedValues, n: number): FixedColumn {
  const out = new Uint8Array(n);
  let validity: Uint8Array | null = null;
  const src = data as ArrayLike<boolean | number | null | undefined>;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v === null || v === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    } else {
      out[i] = v ? 1 : 0;
    }
  }
  return fixedColumn('bool', out, validity);
}

/**
 * Strings arrive as Uint8Array views (raw bytes, possibly shared dictionary entries) or,
 * for a few logical types (UUID), as JS strings. Pass 1 sizes the byte buffer, pass 2 copies.
 */
function utf8FromDecoded(data: DecodedValues, n: number): Utf8Column {
  const src = data as ArrayLike<Uint8Array | string | null | undefined>;
  let total = 0;
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (isNull(v)) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    } else if (typeof v === 'string') {
      total += v.length * 3; // UTF-8 upper bound for a UTF-16 string
    } else {
      total += (v as Uint8Array).length;
    }
  }
  let bytes = new Uint8Array(total);
  const offsets = new Int32Array(n + 1);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v instanceof Uint8Array) {
      bytes.set(v, pos);
      pos += v.length;
    } else if (typeof v === 'string') {
      pos += encoder.encodeInto(v, bytes.subarray(pos)).written;
    }
    offsets[i + 1] = pos;
  }
  if (pos < bytes.length) bytes = bytes.subarray(0, pos);
  return { type: 'utf8', length: n, validity, offsets, data: bytes };
}
