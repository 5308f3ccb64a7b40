/**
 * Schema arbitraries: one to three tables named t0, t1, …; each has an int32 key `k` (so any
 * two tables can be joined) and up to four more columns of random types.
 */
import fc from 'fast-check';
import { sqlTypeName, type DataType } from '../common/types.js';
import { GENERATED_TYPES } from './values.js';

export interface ColumnSchema {
  readonly name: string;
  readonly type: DataType;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: readonly ColumnSchema[];
}

export interface SchemaOptions {
  /** Most tables (default 3). */
  maxTables?: number;
  /** Most columns besides the key `k` (default 4). */
  maxExtraColumns?: number;
  /** Types to draw from (default int32, int64, float64, utf8, bool, date32). */
  types?: readonly DataType[];
}

/** The column types of one table besides its key; shrinks towards fewer, int32 columns. */
export function columnTypesArb(opts: SchemaOptions = {}): fc.Arbitrary<DataType[]> {
  return fc.array(fc.constantFrom(...(opts.types ?? GENERATED_TYPES)), { maxLength: opts.maxExtraColumns ?? 4 });
}

/** The schema of table `t<index>` with the given extra column types. */
export function tableSchema(index: number, types: readonly DataType[]): TableSchema {
  return { name: `t${index}`, columns: [{ name: 'k', type: 'int32' }, ...types.map((type, j) => ({ name: `c${j + 1}`, type }))] };
}

/** Schemas of one to `maxTables` tables. */
export function schemasArb(opts: SchemaOptions = {}): fc.Arbitrary<TableSchema[]> {
  return fc.array(columnTypesArb(opts), { minLength: 1, maxLength: opts.maxTables ?? 3 })
    .map((tables) => tables.map((types, i) => tableSchema(i, types)));
}

/** `CREATE TABLE` for a schema. */
export function createTableSql(t: TableSchema): string {
  return `CREATE TABLE ${t.name} (${t.columns.map((c) => `${c.name} ${sqlType(c.type)}`).join(', ')});`;
}

/** The SQL spelling of a column type; an all-NULL column is declared VARCHAR. */
export function sqlType(t: DataType): string {
  return t === 'null' ? 'VARCHAR' : sqlTypeName(t);
}
