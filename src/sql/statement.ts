/**
 * Statements the session executes, and binding one parsed statement against the catalog.
 *
 * A script is parsed whole (parseScript) but bound one statement at a time: statement k
 * can see tables and views that statement k-1 created, so the session binds k only after
 * executing k-1.
 *
 *   const parsed = parseScript(text);
 *   for (const p of parsed) { const s = await bindStatement(p, catalog, env); await execute(s); }
 */
import type { Field } from '../common/types.js';
import { field, sqlTypeName } from '../common/types.js';
import type { Catalog } from '../catalog.js';
import type { ParquetTable } from '../storage/table_discovery.js';
import { isCsvPath, resolveCsvTable, type CsvTable } from '../storage/csv_table.js';
import type { CsvOptions } from '../storage/csv_sniff.js';
import { csvCallOf, csvPathCall, isCsvFunction, type CsvCall } from './table_functions.js';
import { didYouMean, SpillwayError } from '../common/errors.js';
import type { IdGenerator, LColumn, LExpr, LogicalPlan } from '../plan/logical.js';
import type {
  CreateAst, DropAst, ExprNode, FromItem, InsertAst, SelectAst, SetAst, StatementAst,
} from './ast.js';
import { identName } from './ast.js';
import { BindContext } from './bind_context.js';
import { bindQueryExpr, bindValues, isViewQuery, type BoundQuery, type ViewQuery } from './bind_select.js';
import { castTo, commonType, dataTypeFromSql } from './coercion.js';
import type { CopySpec } from './copy.js';
import { parseScript, parseStatement, type ParsedStatement } from './parser.js';
import { attachJoinHints } from './join_hints.js';
import { describeColumns, INFORMATION_SCHEMA, isParquetPathName } from './introspection.js';

export type { ParsedStatement } from './parser.js';
export { parseScript, parseStatement } from './parser.js';
export type { ViewQuery } from './bind_select.js';

/** A SELECT (or VALUES/UNION/WITH query): the plan ends with a Project carrying the output names. */
export interface QueryStatement {
  kind: 'Query';
  plan: LogicalPlan;
  /** User-visible column names, in output order (equal to the root Project's column names). */
  columnNames: string[];
  /** The generator the plan's ids came from; the optimizer allocates new ids from it. */
  ids: IdGenerator;
}

export type Statement =
  | QueryStatement
  | { kind: 'Explain'; analyze: boolean; format: 'text' | 'json'; statement: Statement }
  | { kind: 'CreateTable'; name: string; columns: Field[]; ifNotExists: boolean }
  /** `query`'s columns are all nullable and of concrete types (NULL literals become VARCHAR), as the table's. */
  | { kind: 'CreateTableAs'; name: string; query: LogicalPlan; columnNames: string[]; ids: IdGenerator; ifNotExists: boolean; orReplace: boolean }
  /**
   * `query` outputs exactly the table's columns, in TABLE order and with the table's types
   * (columns missing from the INSERT column list are NULL literals): append its rows as
   * they are, with no remapping. `targetColumns` is the INSERT's column list, for messages.
   */
  | { kind: 'Insert'; table: string; targetColumns: string[] | null; query: LogicalPlan; ids: IdGenerator }
  /** `query` is stored as ViewDefinition.query and bound anew at each use. */
  | { kind: 'CreateView'; name: string; query: ViewQuery; columnNames?: string[]; orReplace: boolean }
  | { kind: 'Drop'; objectType: 'table' | 'view'; name: string; ifExists: boolean }
  | { kind: 'Set'; name: string; value: string }
  | { kind: 'CreateExternalTable'; name: string; location: string }
  /** COPY (query) TO 'path' (…): the query's rows written to files. */
  | { kind: 'Copy'; query: QueryStatement; target: CopySpec }
  /** Accepted and ignored (CREATE INDEX: Spillway has no indexes). */
  | { kind: 'Ignored'; what: string };

export interface BindEnv {
  ids: IdGenerator;
  /** Resolve a path or glob given to read_parquet(...) (storage's resolveParquetPath). */
  resolveParquet(pathOrGlob: string): Promise<ParquetTable>;
  /** Resolve read_csv(...)'s paths and options (default: storage's resolveCsvTable). */
  resolveCsv?(paths: readonly string[], options: CsvOptions): Promise<CsvTable>;
}

/** Bind one parsed statement against the catalog as it is now. */
export async function bindStatement(parsed: ParsedStatement, catalog: Catalog, env: BindEnv): Promise<Statement> {
  const source = { script: parsed.script, offset: parsed.offset, text: parsed.text, prefix: '', toOriginal: parsed.toOriginal };
  let inner: Statement;
  if (parsed.body.kind === 'external') {
    inner = { kind: 'CreateExternalTable', name: parsed.body.spec.name, location: parsed.body.spec.location };
  } else {
    const ast = parsed.body.ast;
    const { parquet, csv } = await resolveTableFunctions(ast, catalog, env);
    const ctx = new BindContext(catalog, env.ids, parquet, source, csv);
    inner = bindAst(ast, ctx, parsed);
    if (parsed.describe) {
      if (inner.kind !== 'Query') throw ctx.error('syntax', 'DESCRIBE takes a table name or a query');
      const cols = inner.plan.kind === 'Project' ? inner.plan.columns : [];
      const d = describeColumns(ctx, cols, parsed.describe.table);
      inner = asQueryStatement({ plan: d.plan, columns: d.columns }, ctx);
    }
    if (parsed.copy) {
      if (inner.kind !== 'Query') throw ctx.error('syntax', 'COPY … TO takes a query or a table name');
      inner = { kind: 'Copy', query: inner, target: parsed.copy };
    }
  }
  attachJoinHints(statementPlans(inner), parsed.hints);
  return parsed.explain ? { kind: 'Explain', analyze: parsed.explain.analyze, format: parsed.explain.format ?? 'text', statement: inner } : inner;
}

/** The logical plans a statement runs (join hints attach to their scans). */
function statementPlans(s: Statement): LogicalPlan[] {
  switch (s.kind) {
    case 'Query': return [s.plan];
    case 'Explain': return statementPlans(s.statement);
    case 'CreateTableAs': case 'Insert': return [s.query];
    case 'Copy': return [s.query.plan];
    default: return [];
  }
}

/** Parse and bind a single query (convenience for tests and the library API). */
export async function planQuery(sql: string, catalog: Catalog, env: BindEnv): Promise<QueryStatement> {
  const s = await bindStatement(parseStatement(sql), catalog, env);
  if (s.kind !== 'Query') throw new SpillwayError('binder', `expected a query, got ${s.kind}`);
  return s;
}

/** Parse and bind a whole script whose statements do not depend on each other's effects. */
export async function planStatements(sql: string, catalog: Catalog, env: BindEnv): Promise<Statement[]> {
  const out: Statement[] = [];
  for (const p of parseScript(sql)) out.push(await bindStatement(p, catalog, env));
  return out;
}

function bindAst(ast: StatementAst, ctx: BindContext, parsed: ParsedStatement): Statement {
  switch (ast.type) {
    case 'select': return bindQueryStatement(ast as SelectAst, ctx);
    case 'create': return bindCreate(ast as CreateAst, ctx, parsed);
    case 'insert': return bindInsert(ast as InsertAst, ctx);
    case 'drop': return bindDrop(ast as DropAst, ctx);
    case 'set': return bindSet(ast as SetAst, ctx);
    default:
      throw ctx.error('unsupported', `unsupported: ${ast.type.toUpperCase()} statement`);
  }
}

function colRef(c: LColumn): LExpr {
  return { kind: 'column', id: c.id, type: c.type, name: c.name };
}

/** Ensure the plan ends with a Project carrying the output names. */
function asQueryStatement(q: BoundQuery, ctx: BindContext): QueryStatement {
  let plan = q.plan;
  if (plan.kind !== 'Project') {
    const columns = q.columns.map((c) => ctx.column(c.name, c.type, c.nullable));
    plan = { kind: 'Project', input: plan, exprs: q.columns.map(colRef), columns };
  } else if (plan.columns.some((c, i) => c.name !== q.columns[i]!.name)) {
    plan = { ...plan, columns: plan.columns.map((c, i) => ({ ...c, name: q.columns[i]!.name })) };
  }
  return { kind: 'Query', plan, columnNames: q.columns.map((c) => c.name), ids: ctx.ids };
}

function bindQueryStatement(ast: SelectAst, ctx: BindContext): QueryStatement {
  return asQueryStatement(bindQueryExpr(ast, ctx, null, null), ctx);
}

function bindCreate(ast: CreateAst, ctx: BindContext, parsed: ParsedStatement): Statement {
  const keyword = (ast.keyword ?? '').toLowerCase();
  if (keyword === 'table') {
    const name = ast.table?.[0]?.table;
    if (!name) throw ctx.error('syntax', 'CREATE TABLE needs a table name');
    const ifNotExists = Boolean(ast.if_not_exists);
    const orReplace = parsed.rewrites.includes('create_or_replace_table');
    if (ast.query_expr) {
      const q = bindQueryStatement(ast.query_expr, ctx);
      if (q.plan.kind !== 'Project') throw new Error('a bound query ends with a Project');
      // The table's columns: nullable, and NULL-typed ones VARCHAR (as DuckDB makes them).
      const columns = q.plan.columns.map((c) => ctx.column(c.name, c.type === 'null' ? 'utf8' : c.type, true));
      const query: LogicalPlan = { kind: 'Project', input: q.plan, exprs: q.plan.columns.map((c, i) => castTo(colRef(c), columns[i]!.type)), columns };
      return { kind: 'CreateTableAs', name, ifNotExists, orReplace, query, columnNames: q.columnNames, ids: ctx.ids };
    }
    if (orReplace) throw ctx.error('unsupported', 'unsupported: CREATE OR REPLACE TABLE without AS query');
    const columns: Field[] = [];
    const seen = new Set<string>();
    for (const d of ast.create_definitions ?? []) {
      if (d.resource !== 'column') continue;
      const col = d.column;
      const cname = typeof col.column === 'string' ? col.column : col.column ? identName(col.column.expr) : '?';
      if (seen.has(cname.toLowerCase())) throw ctx.error('binder', `column "${cname}" specified more than once`);
      seen.add(cname.toLowerCase());
      let type;
      try { type = dataTypeFromSql(d.definition); } catch (e) { throw ctx.error('unsupported', `${(e as Error).message} (column "${cname}")`); }
      columns.push(field(cname, type, d.nullable?.type?.toLowerCase() !== 'not null'));
    }
    if (columns.length === 0) throw ctx.error('syntax', `CREATE TABLE ${name} needs at least one column`);
    return { kind: 'CreateTable', name, columns, ifNotExists };
  }
  if (keyword === 'view') {
    const name = ast.view?.view;
    if (!name || !ast.select) throw ctx.error('syntax', 'CREATE VIEW needs a name and a query');
    const columnNames = ast.columns && ast.columns.length > 0 ? ast.columns.map(identName) : undefined;
    // Bind once now so a broken view fails at CREATE time, as in PostgreSQL.
    const q = bindQueryExpr(ast.select, ctx, null, null);
    if (columnNames && columnNames.length > q.columns.length) {
      throw ctx.error('binder', `CREATE VIEW ${name} specifies ${columnNames.length} column names but the query has ${q.columns.length} columns`);
    }
    const query: ViewQuery = { ast: ast.select, sql: parsed.text };
    const stmt: Statement = { kind: 'CreateView', name, query, orReplace: Boolean(ast.replace), ...(columnNames ? { columnNames } : {}) };
    return stmt;
  }
  if (keyword === 'index') return { kind: 'Ignored', what: 'CREATE INDEX' };
  throw ctx.error('unsupported', `unsupported: CREATE ${keyword.toUpperCase()}`);
}

function bindInsert(ast: InsertAst, ctx: BindContext): Statement {
  const name = ast.table?.[0]?.table;
  if (!name) throw ctx.error('syntax', 'INSERT needs a table name');
  const entry = ctx.catalog.get(name);
  if (!entry) throw ctx.unknownTable(name, null);
  if (entry.kind === 'view') throw ctx.error('unsupported', `unsupported: INSERT into view "${entry.name}"`);
  if (entry.kind === 'csv') throw ctx.error('unsupported', `unsupported: INSERT into CSV table "${entry.name}" (CSV files are read only; COPY … TO writes one)`);
  if (entry.kind === 'parquet' && entry.location === undefined) {
    throw ctx.error('unsupported', `unsupported: INSERT into Parquet table "${entry.name}" (rows are appended only to a local file or a folder of files without hive partitions)`);
  }
  const fields = entry.schema.fields;
  const columns = ast.columns && ast.columns.length > 0 ? ast.columns.map(identName) : null;
  // targets[i] = index into `fields` fed by source column i
  let targets: number[];
  if (columns) {
    const seen = new Set<number>();
    targets = columns.map((c) => {
      const i = fields.findIndex((f) => f.name.toLowerCase() === c.toLowerCase());
      if (i < 0) throw ctx.error('binder', `unknown column "${c}" in table "${entry.name}"${ctx.atIdent(c)}${didYouMean(c, fields.map((f) => f.name))}`);
      if (seen.has(i)) throw ctx.error('binder', `column "${c}" specified more than once`);
      seen.add(i);
      return i;
    });
  } else {
    targets = fields.map((_, i) => i);
  }
  const nullFill = (i: number): LExpr => {
    const f = fields[i]!;
    if (!f.nullable) throw ctx.error('binder', `null value in column "${f.name}" of table "${entry.name}" violates not-null constraint`);
    return { kind: 'literal', value: null, type: f.type };
  };

  const values = ast.values;
  if (values && values.type === 'values') {
    const rows = (values as { values: ExprNode[] }).values;
    const q = bindValues(rows, ctx, targets.map((i) => fields[i]!.type), targets.map((i) => fields[i]!.name));
    if (q.plan.kind !== 'Values') throw new Error('bindValues returned a non-Values plan');
    if (!columns || targets.every((t, i) => t === i) && targets.length === fields.length) {
      return { kind: 'Insert', table: entry.name, targetColumns: columns, query: withTableColumns(q.plan, entry, ctx), ids: ctx.ids };
    }
    const rowsInTableOrder = q.plan.rows.map((r) => fields.map((_, fi) => {
      const src = targets.indexOf(fi);
      return src >= 0 ? r[src]! : nullFill(fi);
    }));
    const tableColumns = fields.map((f) => ctx.column(f.name, f.type, f.nullable));
    const plan: LogicalPlan = { kind: 'Values', columns: tableColumns, rows: rowsInTableOrder };
    return { kind: 'Insert', table: entry.name, targetColumns: columns, query: withTableColumns(plan, entry, ctx), ids: ctx.ids };
  }

  const q = bindQueryExpr(values as SelectAst, ctx, null, null);
  if (q.columns.length !== targets.length) {
    throw ctx.error('binder', `INSERT into "${entry.name}" has ${targets.length} target columns but the query has ${q.columns.length}`);
  }
  const exprs = fields.map((f, fi) => {
    const src = targets.indexOf(fi);
    if (src < 0) return nullFill(fi);
    const c = q.columns[src]!;
    const ref = colRef(c);
    if (c.type !== f.type && commonType(ref, { kind: 'literal', value: null, type: f.type }) === null
      && !(f.type === 'utf8') && c.type !== 'null') {
      throw ctx.error('type', `column "${f.name}" is of type ${sqlTypeName(f.type)} but expression is of type ${sqlTypeName(c.type)} (INSERT into "${entry.name}")`);
    }
    return castTo(ref, f.type);
  });
  const outColumns = fields.map((f) => ctx.column(f.name, f.type, f.nullable));
  return { kind: 'Insert', table: entry.name, targetColumns: columns, query: { kind: 'Project', input: q.plan, exprs, columns: outColumns }, ids: ctx.ids };
}

/**
 * A Parquet table's new rows must be written with exactly its columns (types and
 * nullability), so its part files join the table's file: VALUES gets a Project saying so.
 */
function withTableColumns(plan: LogicalPlan, entry: { kind: string; schema: { fields: readonly Field[] } }, ctx: BindContext): LogicalPlan {
  if (entry.kind !== 'parquet' || plan.kind !== 'Values') return plan;
  const columns = entry.schema.fields.map((f) => ctx.column(f.name, f.type, f.nullable));
  return { kind: 'Project', input: plan, exprs: plan.columns.map(colRef), columns };
}

function bindDrop(ast: DropAst, ctx: BindContext): Statement {
  const keyword = (ast.keyword ?? '').toLowerCase();
  const names = ast.name ?? [];
  if (keyword === 'index') return { kind: 'Ignored', what: 'DROP INDEX' };
  if (keyword !== 'table' && keyword !== 'view') throw ctx.error('unsupported', `unsupported: DROP ${keyword.toUpperCase()}`);
  if (names.length !== 1) throw ctx.error('unsupported', `unsupported: DROP ${keyword.toUpperCase()} of ${names.length} names at once`);
  const ifExists = (ast.prefix ?? '').toUpperCase().includes('IF EXISTS');
  const name = names[0]!.table;
  return { kind: 'Drop', objectType: keyword, name, ifExists };
}

function bindSet(ast: SetAst, ctx: BindContext): Statement {
  const a = ast.expr?.[0];
  if (!a || ast.expr.length !== 1) throw ctx.error('syntax', 'SET needs exactly one name = value');
  const r = a.right;
  let value: string;
  switch (r.type) {
    case 'number': case 'bigint': case 'single_quote_string': case 'string': case 'double_quote_string':
      value = String(r.value); break;
    case 'bool': value = r.value ? 'true' : 'false'; break;
    case 'column_ref': {
      const c = r.column;
      value = typeof c === 'string' ? c : c ? String(c.expr.value) : '';
      break;
    }
    case 'unary_expr':
      if (r.operator === '-' && r.expr?.type === 'number') { value = `-${String(r.expr.value)}`; break; }
      throw ctx.error('syntax', `SET ${a.left.name}: the value must be a constant`);
    default:
      if (typeof r.value === 'string' || typeof r.value === 'number' || typeof r.value === 'boolean') { value = String(r.value); break; }
      throw ctx.error('syntax', `SET ${a.left.name}: the value must be a constant`);
  }
  return { kind: 'Set', name: a.left.name, value };
}

// ---------------------------------------------------------------------------------------
// read_parquet(...) resolution before binding (binding itself is synchronous)

/** Collect read_parquet('...') and read_csv(...) calls in the statement and in the views it uses, and resolve them. */
async function resolveTableFunctions(ast: StatementAst, catalog: Catalog, env: BindEnv): Promise<{ parquet: Map<string, ParquetTable>; csv: Map<string, CsvTable> }> {
  // DROP reads nothing (and must work on a view whose files are gone).
  if (ast.type === 'drop') return { parquet: new Map(), csv: new Map() };
  const paths = new Set<string>();
  const csvCalls = new Map<string, CsvCall>();
  const optionalCsv = new Map<string, CsvCall>();
  const addCsv = (c: CsvCall): void => { (optional ? optionalCsv : csvCalls).set(c.key, c); };
  // Paths read only by views that information_schema lists: one that fails to resolve
  // leaves that view without columns instead of failing the query.
  const optionalPaths = new Set<string>();
  let optional = false;
  const seenViews = new Set<string>();
  const add = (p: string): void => { (optional ? optionalPaths : paths).add(p); };
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) { for (const x of n) walk(x); return; }
    const o = n as Record<string, unknown>;
    const item = o as FromItem;
    if (o['type'] === 'function') {
      const name = (o as ExprNode).name;
      const fname = typeof name === 'object' && name ? name.name.map((p) => p.value).join('.').toLowerCase() : String(name ?? '').toLowerCase();
      if (fname === 'read_parquet') {
        const first = ((o as ExprNode).args as { value?: ExprNode[] } | undefined)?.value?.[0];
        if (first && (first.type === 'single_quote_string' || first.type === 'string')) add(String(first.value));
      }
      if (isCsvFunction(fname)) addCsv(csvCallOf(((o as ExprNode).args as { value?: ExprNode[] } | undefined)?.value ?? []));
    }
    if (typeof item.table === 'string' && !('column' in o)) {
      const e = catalog.get(item.table);
      if (!e && !item.db && isParquetPathName(item.table)) add(item.table);
      if (!e && !item.db && isCsvPath(item.table)) addCsv(csvPathCall(item.table));
      // information_schema lists every view's columns: resolve what each view reads.
      if (item.db?.toLowerCase() === INFORMATION_SCHEMA && !optional) {
        optional = true;
        for (const name of catalog.names()) {
          const v = catalog.get(name);
          if (v?.kind === 'view') walk(isViewQuery(v.query) ? v.query.ast : v.query);
        }
        optional = false;
      }
      if (e && e.kind === 'view' && !seenViews.has(e.name.toLowerCase())) {
        seenViews.add(e.name.toLowerCase());
        walk(isViewQuery(e.query) ? e.query.ast : e.query);
      }
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'loc' && v && typeof v === 'object') walk(v);
  };
  walk(ast);
  const out = new Map<string, ParquetTable>();
  for (const p of paths) out.set(p, await env.resolveParquet(p));
  for (const p of optionalPaths) {
    if (out.has(p)) continue;
    try { out.set(p, await env.resolveParquet(p)); } catch { /* that view lists no columns */ }
  }
  const csv = new Map<string, CsvTable>();
  const resolveCsv = env.resolveCsv ?? resolveCsvTable;
  for (const c of csvCalls.values()) csv.set(c.key, await resolveCsv(c.paths, c.options));
  for (const c of optionalCsv.values()) {
    if (csv.has(c.key)) continue;
    try { csv.set(c.key, await resolveCsv(c.paths, c.options)); } catch { /* that view lists no columns */ }
  }
  return { parquet: out, csv };
}
