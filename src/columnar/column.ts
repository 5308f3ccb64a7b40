/**
 * Column and Batch: the unit of data between operators.
 *
 * A Column is an offset-free view over the same buffers an Arrow vector uses (values as a
 * typed array, utf8 as offsets + bytes), with two simplifications that keep kernels short:
 * booleans and validity are one byte per row (Arrow packs them in bits; batchToArrow /
 * batchFromArrow convert at the boundary: wire, spill files, results).
 *
 * Kernels index the typed arrays directly. Never build per-row JS objects on the data path.
 */
import type { DataType, DecimalType, Field, ListType, MapType, Schema, StructType } from '../common/types.js';
import { isDecimal } from '../common/types.js';
import { isNested } from '../common/nested_types.js';
import { emptyNestedColumn, isNestedColumn, nestedColumnBytes } from './nested.js';

interface Base {
  readonly length: number;
  /** One byte per row, 1 = valid, 0 = NULL; null means "no NULLs". */
  readonly validity: Uint8Array | null;
}
export interface NullColumn extends Base { readonly type: 'null' }
export interface BoolColumn extends Base { readonly type: 'bool'; readonly values: Uint8Array }
export interface Int32Column extends Base { readonly type: 'int32'; readonly values: Int32Array }
export interface Int64Column extends Base { readonly type: 'int64'; readonly values: BigInt64Array }
export interface Float64Column extends Base { readonly type: 'float64'; readonly values: Float64Array }
export interface Date32Column extends Base { readonly type: 'date32'; readonly values: Int32Array }
export interface TimestampColumn extends Base { readonly type: 'timestamp'; readonly values: BigInt64Array }
/**
 * DECIMAL(p,s): the unscaled integers, in a Float64Array when each is exact there (|v| ≤ 2^53,
 * always for p ≤ 15), else in a BigInt64Array (see common/types.ts).
 */
export interface DecimalColumn extends Base { readonly type: DecimalType; readonly values: Float64Array | BigInt64Array }
/** TIME: microseconds since midnight, exact in doubles (common/time_of_day.ts). */
export interface TimeColumn extends Base { readonly type: 'time'; readonly values: Float64Array }
/** INTERVAL: DuckDB's (months, days, micros) triple as three arrays (columnar/interval.ts). */
export interface IntervalColumn extends Base {
  readonly type: 'interval';
  readonly months: Int32Array;
  readonly days: Int32Array;
  /** Exact integers (|v| ≤ 2^53). */
  readonly micros: Float64Array;
}
/** BLOB: any bytes, laid out like utf8. */
export interface BlobColumn extends Base {
  readonly type: 'blob';
  readonly offsets: Int32Array;
  readonly data: Uint8Array;
}
export interface Utf8Column extends Base {
  readonly type: 'utf8';
  /** length + 1 entries; value i is data[offsets[i] .. offsets[i+1]). */
  readonly offsets: Int32Array;
  readonly data: Uint8Array;
}

/**
 * LIST: value i is child rows [offsets[i], offsets[i+1]) (offsets has length + 1 entries and
 * need not start at 0); a NULL list has an empty range.
 */
export interface ListColumn extends Base {
  readonly type: ListType;
  readonly offsets: Int32Array;
  readonly child: Column;
}
/** STRUCT: one child column per field, each `length` rows (values under a NULL struct are NULL or ignored). */
export interface StructColumn extends Base {
  readonly type: StructType;
  readonly children: readonly Column[];
}
/** MAP: a list of struct<key:K,value:V> entries, laid out as a ListColumn (Arrow's layout). */
export interface MapColumn extends Base {
  readonly type: MapType;
  readonly offsets: Int32Array;
  readonly child: StructColumn;
}
export type NestedColumn = ListColumn | StructColumn | MapColumn;

export type Column =
  | NullColumn | BoolColumn | Int32Column | Int64Column | Float64Column | Date32Column | TimestampColumn | Utf8Column
  | DecimalColumn
  | TimeColumn | IntervalColumn | BlobColumn | NestedColumn;

/** Columns whose values live in one fixed-width typed array. */
export type FixedColumn = BoolColumn | Int32Column | Int64Column | Float64Column | Date32Column | TimestampColumn | DecimalColumn
  | TimeColumn;

/** Columns of variable-width values: offsets + bytes. */
export type VarColumn = Utf8Column | BlobColumn;

export interface Batch {
  readonly schema: Schema;
  readonly columns: readonly Column[];
  readonly length: number;
}

export function makeBatch(schema: Schema, columns: readonly Column[], length?: number): Batch {
  const n = length ?? (columns.length > 0 ? columns[0]!.length : 0);
  return { schema, columns, length: n };
}

export function emptyBatch(schema: Schema): Batch {
  return makeBatch(schema, schema.fields.map((f) => emptyColumn(f.type)), 0);
}

export function isValid(c: Column, i: number): boolean {
  return c.validity === null || c.validity[i] === 1;
}

export function nullCount(c: Column): number {
  if (c.type === 'null') return c.length;
  const v = c.validity;
  if (v === null) return 0;
  let n = 0;
  for (let i = 0; i < c.length; i++) n += v[i]! ^ 1;
  return n;
}

export type TypedValues = Uint8Array | Int32Array | BigInt64Array | Float64Array;

/** A new values array for n rows (decimals: the Float64Array form). */
export function allocValues(type: FixedColumn['type'], n: number): TypedValues {
  if (isDecimal(type)) return new Float64Array(n);
  switch (type) {
    case 'bool': return new Uint8Array(n);
    case 'int32': case 'date32': return new Int32Array(n);
    case 'int64': case 'timestamp': return new BigInt64Array(n);
    case 'float64': case 'time': return new Float64Array(n);
    default: throw new Error(`allocValues: ${type as string}`);
  }
}

/** A new values array of n rows of the same kind as c's (decimals keep their form). */
export function allocValuesLike(c: FixedColumn, n: number): TypedValues {
  return isDecimal(c.type) ? (c.values instanceof BigInt64Array ? new BigInt64Array(n) : new Float64Array(n)) : allocValues(c.type, n);
}

/** A decimal's unscaled value as a Scalar: a number when exact (|v| ≤ 2^53), else a bigint. */
export function decimalScalar(v: number | bigint): number | bigint {
  if (typeof v === 'number') return v;
  return v >= -9007199254740992n && v <= 9007199254740992n ? Number(v) : v;
}

/**
 * A decimal column's values in BigInt64Array form (a copy when they are in the Float64Array
 * form): for the rare paths that need every value as a bigint.
 */
export function decimalBigValues(c: DecimalColumn): BigInt64Array {
  const v = c.values;
  if (v instanceof BigInt64Array) return v;
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]!);
  return out;
}

/** Build a fixed-width column from a values array (no copy). */
export function fixedColumn(type: FixedColumn['type'], values: TypedValues, validity: Uint8Array | null = null): FixedColumn {
  return { type, values, validity, length: values.length } as FixedColumn;
}

export function nullColumn(length: number): NullColumn {
  return { type: 'null', length, validity: null };
}

export function emptyColumn(type: DataType): Column {
  if (type === 'null') return nullColumn(0);
  if (type === 'utf8' || type === 'blob') return { type, length: 0, validity: null, offsets: new Int32Array(1), data: new Uint8Array(0) };
  if (type === 'interval') return intervalColumn(new Int32Array(0), new Int32Array(0), new Float64Array(0), null);
  if (isNested(type)) return emptyNestedColumn(type);
  return fixedColumn(type, allocValues(type, 0));
}

export function intervalColumn(months: Int32Array, days: Int32Array, micros: Float64Array, validity: Uint8Array | null): IntervalColumn {
  return { type: 'interval', length: months.length, validity, months, days, micros };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Column(strings: readonly (string | null)[]): Utf8Column {
  const parts: Uint8Array[] = [];
  const offsets = new Int32Array(strings.length + 1);
  let validity: Uint8Array | null = null;
  let total = 0;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    if (s === null || s === undefined) {
      validity ??= new Uint8Array(strings.length).fill(1);
      validity[i] = 0;
    } else {
      const b = encoder.encode(s);
      parts.push(b);
      total += b.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) { data.set(p, pos); pos += p.length; }
  return { type: 'utf8', length: strings.length, validity, offsets, data };
}

/** Decode value i of a utf8 column (not for hot loops: compare bytes there). */
export function utf8At(c: Utf8Column, i: number): string {
  return decoder.decode(c.data.subarray(c.offsets[i]!, c.offsets[i + 1]!));
}

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function decodeUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Approximate bytes held by a column's buffers, for memory accounting. */
export function columnBytes(c: Column): number {
  let n = c.validity ? c.validity.byteLength : 0;
  switch (c.type) {
    case 'null': return n;
    case 'utf8': case 'blob': return n + c.offsets.byteLength + c.data.byteLength;
    case 'interval': return n + 16 * c.length;
    default:
      if (isNestedColumn(c)) return nestedColumnBytes(c, columnBytes);
      return n + c.values.byteLength;
  }
}

export function batchBytes(b: Batch): number {
  let n = 0;
  for (const c of b.columns) n += columnBytes(c);
  return n;
}

export function fieldsOf(b: Batch): readonly Field[] {
  return b.schema.fields;
}
