/**
 * Table arbitraries: schemas with rows. NULLs (a quarter of the cells), duplicates and skew
 * (most values come from a handful, one value from many), empty tables, and extreme values
 * (type bounds, the empty and a long string, far dates).
 */
import fc from 'fast-check';
import type { Scalar } from '../common/types.js';
import { columnTypesArb, createTableSql, tableSchema, type SchemaOptions, type TableSchema } from './schema.js';
import { sqlLiteral, valueOf, type ValueSeed } from './values.js';

export interface GeneratedTable extends TableSchema {
  readonly rows: readonly (readonly Scalar[])[];
}

export interface TableOptions extends SchemaOptions {
  /** Most rows per table (default 20). */
  maxRows?: number;
}

/** One cell before typing; shrinks towards NULL, then 0. */
export const valueSeedArb: fc.Arbitrary<ValueSeed> = fc.option(fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 5 },
  { arbitrary: fc.integer({ min: -40, max: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom<ValueSeed>('max', 'min'), weight: 1 },
), { nil: null, freq: 4 });

const MAX_COLUMNS = 8;

/** Types the rows of seeds in a table of this schema. */
export function typeRows(schema: TableSchema, seeds: readonly (readonly ValueSeed[])[]): Scalar[][] {
  return seeds.map((r) => schema.columns.map((c, j) => valueOf(r[j] ?? null, c.type)));
}

/** One to `maxTables` tables t0, t1, … with rows. */
export function tablesArb(opts: TableOptions = {}): fc.Arbitrary<GeneratedTable[]> {
  const width = 1 + Math.min(MAX_COLUMNS, opts.maxExtraColumns ?? 4);
  const table = fc.record({
    types: columnTypesArb(opts),
    rows: fc.array(fc.array(valueSeedArb, { minLength: width, maxLength: width }), { maxLength: opts.maxRows ?? 20 }),
  });
  return fc.array(table, { minLength: 1, maxLength: opts.maxTables ?? 3 }).map((ts) => ts.map((t, i) => {
    const schema = tableSchema(i, t.types);
    return { ...schema, rows: typeRows(schema, t.rows) };
  }));
}

/** `CREATE TABLE` and `INSERT` statements that rebuild the table. */
export function tableScript(t: GeneratedTable): string {
  const lines = [createTableSql(t)];
  if (t.rows.length > 0) {
    const values = t.rows.map((r) => `(${r.map((v, j) => sqlLiteral(v, t.columns[j]!.type)).join(', ')})`);
    lines.push(`INSERT INTO ${t.name} VALUES ${values.join(', ')};`);
  }
  return lines.join('\n');
}
