/**
 * Spillway's logical column types and schemas.
 *
 * A DataType is a plain string so plans that carry it stay JSON-serializable.
 * Physical storage per type (see columnar/column.ts):
 *   null      no buffer
 *   bool      Uint8Array, one byte per row (0/1)   (Arrow packs bits; converted at the boundary)
 *   int32     Int32Array
 *   int64     BigInt64Array
 *   float64   Float64Array
 *   utf8      Int32Array offsets (length + 1) + Uint8Array bytes
 *   date32    Int32Array, days since 1970-01-01
 *   timestamp BigInt64Array, microseconds since 1970-01-01 (no time zone)
 *   time      Float64Array, microseconds since midnight (0 ≤ v < 86 400 000 000 < 2^37, exact in
 *             a double, so TIME kernels stay number loops; see common/time_of_day.ts)
 *   interval  three arrays (columnar/interval.ts): months Int32Array, days Int32Array, micros
 *             Float64Array (DuckDB's triple; micros exact while |v| ≤ 2^53, ~285 years)
 *   blob      Int32Array offsets (length + 1) + Uint8Array bytes, like utf8 (any bytes)
 *   decimal(p,s)  exact DECIMAL: the unscaled integer v (the value is v × 10^-s), either in a
 *             Float64Array (when every value of the column is an integer of magnitude
 *             ≤ 2^53, always so for p ≤ 15) or in a BigInt64Array (any p; values beyond the
 *             int64 range, about 18 digits, are an overflow error). Which one is a property of
 *             each column, not of the type: kernels read both (JS compares a number with a
 *             bigint exactly) and produce the Float64Array form when the values prove exact.
 *             1 ≤ p ≤ 38, 0 ≤ s ≤ p; the spelling is canonical (`decimal(15,2)`, no spaces),
 *             so types still compare with ===.
 */
import { isNested, nestedSqlTypeName } from './nested_types.js';

export type DecimalType = `decimal(${number},${number})`;
/**
 * Nested types (common/nested_types.ts: spelling, parsing): `list<T>`, `struct<a:T,b:U>`,
 * `map<K,V>`. A list column is Int32Array offsets (length + 1) into one child column, a
 * struct one child column per field, a map a list of struct<key:K,value:V> (as Arrow's).
 */
export type ListType = `list<${string}>`;
export type StructType = `struct<${string}>`;
export type MapType = `map<${string}>`;
export type NestedType = ListType | StructType | MapType;
export type DataType = 'null' | 'bool' | 'int32' | 'int64' | 'float64' | 'utf8' | 'date32' | 'timestamp' | DecimalType
  | 'time' | 'interval' | 'blob' | NestedType;

/** The largest DECIMAL precision (as DuckDB and PostgreSQL's default). */
export const MAX_DECIMAL_PRECISION = 38;

/** The canonical DataType of DECIMAL(p,s). */
export function decimalType(precision: number, scale: number): DecimalType {
  return `decimal(${precision},${scale})`;
}

export function isDecimal(t: string): t is DecimalType {
  return t.startsWith('decimal(');
}

const decimalParamsCache = new Map<string, { precision: number; scale: number }>();

/** Precision and scale of a decimal type. */
export function decimalParams(t: DecimalType): { precision: number; scale: number } {
  let r = decimalParamsCache.get(t);
  if (r === undefined) {
    const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
    if (!m) throw new Error(`not a decimal type: ${t}`);
    r = { precision: Number(m[1]), scale: Number(m[2]) };
    decimalParamsCache.set(t, r);
  }
  return r;
}

/** Scale of a decimal type (digits after the point). */
export function decimalScale(t: DecimalType): number {
  return decimalParams(t).scale;
}

export const DATA_TYPES: readonly DataType[] = ['null', 'bool', 'int32', 'int64', 'float64', 'utf8', 'date32', 'timestamp', 'time', 'interval', 'blob'];

export interface Field {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
}

export interface Schema {
  readonly fields: readonly Field[];
}

export function field(name: string, type: DataType, nullable = true): Field {
  return { name, type, nullable };
}

export function schema(fields: readonly Field[]): Schema {
  return { fields };
}

export function isNumeric(t: DataType): boolean {
  return t === 'int32' || t === 'int64' || t === 'float64' || isDecimal(t);
}

export function isInteger(t: DataType): boolean {
  return t === 'int32' || t === 'int64';
}

/** The SQL spelling of a type, for EXPLAIN and error messages. */
export function sqlTypeName(t: DataType): string {
  if (isDecimal(t)) { const { precision, scale } = decimalParams(t); return `DECIMAL(${precision},${scale})`; }
  if (isNested(t)) return nestedSqlTypeName(t, sqlTypeName);
  switch (t) {
    case 'null': return 'NULL';
    case 'bool': return 'BOOLEAN';
    case 'int32': return 'INTEGER';
    case 'int64': return 'BIGINT';
    case 'float64': return 'DOUBLE';
    case 'utf8': return 'VARCHAR';
    case 'date32': return 'DATE';
    case 'timestamp': return 'TIMESTAMP';
    case 'time': return 'TIME';
    case 'interval': return 'INTERVAL';
    case 'blob': return 'BLOB';
    default: throw new Error(`unknown data type ${t}`);
  }
}

/**
 * A single value outside a column: literals, aggregate results, VALUES rows.
 * int64 and timestamp values are bigint; date32 is a day number; null is SQL NULL; a
 * decimal is its unscaled integer (a number when |v| ≤ 2^53, else a bigint). time is its
 * microseconds since midnight (a number); interval and blob are their text as DuckDB prints
 * it (`1 day 02:00:00`, `\xAA\xBB`), which reads back to the same value, so plans stay JSON.
 */
export type Scalar = null | boolean | number | bigint | string | NestedScalar;
/**
 * A nested value: a list is an array of its elements, a struct an object of its fields, a
 * map an array of { key, value } entries (slow path only: literals, results, tests).
 */
export type NestedScalar = readonly Scalar[] | { readonly [field: string]: Scalar };

/** Rough bytes per row of a schema, for broadcast and size decisions (utf8 counted as 24). */
export function rowWidth(fields: readonly { type: string }[]): number {
  let w = 0;
  for (const f of fields) {
    switch (f.type) {
      case 'bool': w += 2; break;
      case 'int32': case 'date32': w += 5; break;
      case 'int64': case 'timestamp': case 'float64': w += 9; break;
      case 'utf8': w += 24; break;
      case 'time': w += 9; break;
      case 'interval': w += 17; break;
      case 'blob': w += 24; break;
      default: w += f.type.startsWith('decimal(') ? 9 : isNested(f.type) ? 48 : 1;
    }
  }
  return Math.max(1, w);
}
