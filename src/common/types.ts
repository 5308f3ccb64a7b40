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
 */
export type DataType = 'null' | 'bool' | 'int32' | 'int64' | 'float64' | 'utf8' | 'date32' | 'timestamp';

export const DATA_TYPES: readonly DataType[] = ['null', 'bool', 'int32', 'int64', 'float64', 'utf8', 'date32', 'timestamp'];

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
  return t === 'int32' || t === 'int64' || t === 'float64';
}

export function isInteger(t: DataType): boolean {
  return t === 'int32' || t === 'int64';
}

/** The SQL spelling of a type, for EXPLAIN and error messages. */
export function sqlTypeName(t: DataType): string {
  switch (t) {
    case 'null': return 'NULL';
    case 'bool': return 'BOOLEAN';
    case 'int32': return 'INTEGER';
    case 'int64': return 'BIGINT';
    case 'float64': return 'DOUBLE';
    case 'utf8': return 'VARCHAR';
    case 'date32': return 'DATE';
    case 'timestamp': return 'TIMESTAMP';
  }
}

/**
 * A single value outside a column: literals, aggregate results, VALUES rows.
 * int64 and timestamp values are bigint; date32 is a day number; null is SQL NULL.
 */
export type Scalar = null | boolean | number | bigint | string;

/** Rough bytes per row of a schema, for broadcast and size decisions (utf8 counted as 24). */
export function rowWidth(fields: readonly { type: string }[]): number {
  let w = 0;
  for (const f of fields) {
    switch (f.type) {
      case 'bool': w += 2; break;
      case 'int32': case 'date32': w += 5; break;
      case 'int64': case 'timestamp': case 'float64': w += 9; break;
      case 'utf8': w += 24; break;
      default: w += 1;
    }
  }
  return Math.max(1, w);
}
