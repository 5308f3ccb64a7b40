/**
 * What the catalog knows, as queryable rows (the shapes DuckDB users know):
 *
 *   information_schema.tables    table_catalog, table_schema, table_name, table_type
 *   information_schema.columns   table_catalog, table_schema, table_name, column_name,
 *                                ordinal_position, column_default, is_nullable, data_type
 *   DESCRIBE t | DESCRIBE query  column_name, column_type, null, key, default, extra
 *   SHOW TABLES                  name (pre-parse rewrites it into a query of
 *                                information_schema.tables)
 *
 * Each is a Values plan built from the catalog when the statement is bound, so it runs
 * anywhere a constant does (one thread or distributed) and reflects the catalog as it is
 * when the statement starts. Catalog 'memory', schema 'main', as DuckDB names its default.
 */
import { sqlTypeName, type DataType } from '../common/types.js';
import type { CatalogEntry } from '../catalog.js';
import type { LColumn, LExpr, LogicalPlan } from '../plan/logical.js';
import type { BindContext } from './bind_context.js';

export const INFORMATION_SCHEMA = 'information_schema';

/** A column of a catalog entry, as information_schema.columns lists it. */
export interface DescribedColumn {
  name: string;
  type: DataType;
  nullable: boolean;
}

const text = (v: string | null): LExpr => ({ kind: 'literal', value: v, type: 'utf8' });
const int = (v: number): LExpr => ({ kind: 'literal', value: v, type: 'int32' });

function values(ctx: BindContext, names: readonly [string, DataType, boolean][], rows: LExpr[][]): { plan: LogicalPlan; columns: LColumn[] } {
  const columns = names.map(([n, t, nullable]) => ctx.column(n, t, nullable));
  return { plan: { kind: 'Values', columns, rows }, columns };
}

const TABLES_COLUMNS: [string, DataType, boolean][] = [
  ['table_catalog', 'utf8', false], ['table_schema', 'utf8', false], ['table_name', 'utf8', false], ['table_type', 'utf8', false],
];

const COLUMNS_COLUMNS: [string, DataType, boolean][] = [
  ['table_catalog', 'utf8', false], ['table_schema', 'utf8', false], ['table_name', 'utf8', false], ['column_name', 'utf8', false],
  ['ordinal_position', 'int32', false], ['column_default', 'utf8', true], ['is_nullable', 'utf8', false], ['data_type', 'utf8', false],
];

/** The names `information_schema.<name>` accepts. */
export const INFORMATION_SCHEMA_TABLES: readonly string[] = ['tables', 'columns'];

/**
 * `information_schema.<name>` as a Values plan. `columnsOf` gives an entry's columns (a
 * view's come from binding it; a view that no longer binds lists no columns).
 */
export function informationSchemaTable(
  name: string, ctx: BindContext, columnsOf: (e: CatalogEntry) => DescribedColumn[] | null,
): { plan: LogicalPlan; columns: LColumn[] } | null {
  const entries = ctx.catalog.names().map((n) => ctx.catalog.get(n)!).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  switch (name.toLowerCase()) {
    case 'tables':
      return values(ctx, TABLES_COLUMNS, entries.map((e) => [
        text('memory'), text('main'), text(e.name), text(e.kind === 'view' ? 'VIEW' : 'BASE TABLE'),
      ]));
    case 'columns': {
      const rows: LExpr[][] = [];
      for (const e of entries) {
        (columnsOf(e) ?? []).forEach((c, i) => rows.push([
          text('memory'), text('main'), text(e.name), text(c.name), int(i + 1), text(null),
          text(c.nullable ? 'YES' : 'NO'), text(sqlTypeName(c.type)),
        ]));
      }
      return values(ctx, COLUMNS_COLUMNS, rows);
    }
    default:
      return null;
  }
}

const DESCRIBE_COLUMNS: [string, DataType, boolean][] = [
  ['column_name', 'utf8', false], ['column_type', 'utf8', false], ['null', 'utf8', false],
  ['key', 'utf8', true], ['default', 'utf8', true], ['extra', 'utf8', true],
];

/**
 * DESCRIBE's rows for a bound query's output columns. A table's columns say whether they
 * may hold NULL; a query's are all 'YES', as DuckDB reports them.
 */
export function describeColumns(ctx: BindContext, cols: readonly DescribedColumn[], ofTable: boolean): { plan: LogicalPlan; columns: LColumn[] } {
  return values(ctx, DESCRIBE_COLUMNS, cols.map((c) => [
    text(c.name), text(sqlTypeName(c.type)), text(!ofTable || c.nullable ? 'YES' : 'NO'), text(null), text(null), text(null),
  ]));
}

/**
 * A table name that is a Parquet file or glob (`FROM 'data/t.parquet'`, `FROM 'd/*.parquet'`):
 * read as read_parquet(name) when no table has that name. Identifiers never contain a
 * dot, so only a quoted name can end in `.parquet`.
 */
export function isParquetPathName(name: string): boolean {
  return /\.parquet$/i.test(name);
}

/** The table name of a Parquet path: its file name without `.parquet` ('t' for 'data/t.parquet'). */
export function parquetPathStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.parquet$/i, '');
}
