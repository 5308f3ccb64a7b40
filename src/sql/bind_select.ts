/**
 * Query binding: SELECT / set operations / WITH → LogicalPlan.
 *
 * One SELECT becomes (bottom to top):
 *
 *   FROM items ─ Join(inner|left|right|full, ON / USING / none for commas)
 *      └ Filter(WHERE)
 *         └ Aggregate(GROUP BY exprs; aggregates of SELECT, HAVING, ORDER BY)   [if grouped]
 *            └ Filter(HAVING)
 *               └ Window(one per distinct PARTITION BY / ORDER BY; bind_window.ts)
 *                  └ Filter(QUALIFY)
 *                     └ Project(select items ++ hidden ORDER BY exprs)
 *                        └ Distinct                                           [SELECT DISTINCT]
 *                           └ Sort ─ Limit
 *                              └ Project(select items only)                   [if hidden columns]
 *
 * Every node that computes columns (Scan, Values, Project, Aggregate, Union) gives them
 * fresh ids (a Window adds its functions' columns); Filter, Join, Sort, Limit and Distinct
 * pass their input's ids through.
 * Expressions are bound before aggregation with aggregates replaced by the aggregate's
 * output id, then rewritten over the Aggregate's output (group expressions → group
 * columns); a bare input column left over is the classic "must appear in GROUP BY" error.
 */
import type { Field } from '../common/types.js';
import { csvPathStem, isCsvPath, type CsvTable } from '../storage/csv_table.js';
import { csvCallOf, csvPathCall, isCsvFunction } from './table_functions.js';
import { sqlTypeName } from '../common/types.js';
import type { LColumn, LExpr, LogicalPlan, LSortKey, SharedCte } from '../plan/logical.js';
import type { JoinType } from '../plan/physical.js';
import { distinctFromStatistics } from '../plan/estimate.js';
import type { ParquetTable } from '../storage/table_discovery.js';
import type { CatalogEntry, InMemoryTable, ViewDefinition } from '../catalog.js';
import { didYouMean } from '../common/errors.js';
import type { ExprNode, FromItem, OrderByItem, SelectAst, SelectColumn } from './ast.js';
import { BindContext, CteScope, type CteDefinition } from './bind_context.js';
import { Scope, type ScopeColumn } from './scope.js';
import {
  AggregateCollector, bindBool, bindExpr, columnRefParts, compare, containsAggregate, exprKey, type ExprEnv,
} from './bind_expr.js';
import { castTo, commonTypeOf, isUntypedString } from './coercion.js';
import { WindowCollector } from './bind_window.js';
import { QUALIFY_MARKER } from './preparse.js';
import { exprDisplayName } from './names.js';
import { bindGroupingSets, groupingValue } from './grouping_sets.js';
import { bindRecursiveCte, bindSelfReference, readsItself } from './bind_recursive.js';
import {
  informationSchemaTable, INFORMATION_SCHEMA, INFORMATION_SCHEMA_TABLES, isParquetPathName, parquetPathStem, type DescribedColumn,
} from './introspection.js';

/** A bound query: its plan, and the plan's output columns with user-visible names. */
export interface BoundQuery {
  plan: LogicalPlan;
  columns: LColumn[];
}

/** What a view's `query` holds in the catalog (see statement.ts, CreateView). */
export interface ViewQuery {
  ast: SelectAst;
  /** The view's SQL text, for error positions inside the view. */
  sql: string;
}

export function isViewQuery(q: unknown): q is ViewQuery {
  return typeof q === 'object' && q !== null && 'ast' in q && typeof (q as { sql?: unknown }).sql === 'string';
}

/** Bind a subquery appearing in an expression; the expression's scope is its outer scope. */
export function bindSubquery(ast: SelectAst, env: ExprEnv): BoundQuery {
  return bindQueryExpr(ast, env.ctx, env.ctes, env.scope);
}

function colRef(c: LColumn | ScopeColumn): LExpr {
  return { kind: 'column', id: c.id, type: c.type, name: c.name };
}

// ---------------------------------------------------------------------------------------
// WITH, set operations, ORDER BY / LIMIT over a set operation

export function bindQueryExpr(ast: SelectAst, ctx: BindContext, ctes: CteScope | null, outer: Scope | null): BoundQuery {
  if (!ast || ast.type !== 'select') {
    throw ctx.error('unsupported', `unsupported: ${String((ast as { type?: unknown } | null)?.type ?? 'this statement')} as a query`);
  }
  let scopeCtes = ctes;
  for (const w of ast.with ?? []) {
    const name = w.name.value;
    const body = ('ast' in w.stmt && w.stmt.ast ? w.stmt.ast : w.stmt) as SelectAst;
    const columnNames = w.columns && w.columns.length > 0
      ? w.columns.map((c) => (c.type === 'column_ref' ? columnRefParts(c).name : String(c.value)))
      : null;
    const def: CteDefinition = { name, ast: body, columnNames, scope: scopeCtes, ...(ast.with![0]!.recursive ? { recursive: true } : {}) };
    scopeCtes = new CteScope(new Map([[name.toLowerCase(), def]]), scopeCtes);
  }

  const members: SelectAst[] = [];
  const ops: string[] = [];
  for (let m: SelectAst | undefined = ast; m; m = m._next) {
    members.push(m);
    if (m._next) ops.push((m.set_op ?? 'union').toLowerCase());
  }
  if (members.length === 1) return bindSelect(ast, ctx, scopeCtes, outer, true);

  const last = members[members.length - 1]!;
  // ORDER BY / LIMIT written after the last member apply to the whole set operation.
  const trailing = !last.parentheses_symbol;
  const bound = members.map((m, i) => bindSelect(m, ctx, scopeCtes, outer, i < members.length - 1 || !trailing));
  for (const op of ops) {
    if (!['union', 'union all', 'union distinct', 'intersect', 'intersect distinct', 'except', 'except distinct', 'minus'].includes(op)) {
      throw ctx.error('unsupported', `unsupported: ${op.toUpperCase()}`);
    }
  }
  // INTERSECT binds tighter than UNION and EXCEPT: fold its runs first, then left to right.
  const operands: BoundQuery[] = [bound[0]!];
  const rest: string[] = [];
  for (let i = 1; i < bound.length; i++) {
    const op = ops[i - 1]!;
    if (op.startsWith('intersect')) operands[operands.length - 1] = setFilter(operands[operands.length - 1]!, bound[i]!, 'semi', ctx);
    else { operands.push(bound[i]!); rest.push(op); }
  }
  let acc = operands[0]!;
  for (let i = 1; i < operands.length; i++) {
    const op = rest[i - 1]!;
    acc = op.startsWith('union') ? union(acc, operands[i]!, op !== 'union all', ctx) : setFilter(acc, operands[i]!, 'anti', ctx);
  }
  if (!trailing) return acc;
  return orderAndLimitOverOutput(acc, last.orderby, last.limit, ctx, outer);
}

function union(left: BoundQuery, right: BoundQuery, distinct: boolean, ctx: BindContext): BoundQuery {
  if (left.columns.length !== right.columns.length) {
    throw ctx.error('binder', `each UNION query must have the same number of columns: ${left.columns.length} vs ${right.columns.length}`);
  }
  const types = left.columns.map((l, i) => {
    const r = right.columns[i]!;
    try {
      return commonTypeOf([colRef(l), colRef(r)], 'UNION', '');
    } catch {
      throw ctx.error('type', `UNION types ${sqlTypeName(l.type)} and ${sqlTypeName(r.type)} cannot be matched (column ${i + 1})`);
    }
  });
  const conform = (q: BoundQuery): LogicalPlan => {
    if (q.columns.every((c, i) => c.type === types[i])) return q.plan;
    return {
      kind: 'Project', input: q.plan,
      exprs: q.columns.map((c, i) => castTo(colRef(c), types[i]!)),
      columns: q.columns.map((c, i) => ctx.column(c.name, types[i]!, c.nullable)),
    };
  };
  const columns = left.columns.map((c, i) => ctx.column(c.name, types[i]!, c.nullable || right.columns[i]!.nullable));
  const u: LogicalPlan = { kind: 'Union', inputs: [conform(left), conform(right)], columns };
  return { plan: distinct ? { kind: 'Distinct', input: u } : u, columns };
}

/**
 * INTERSECT (semi) / EXCEPT (anti): DISTINCT left rows that have (or lack) an equal row on
 * the right, comparing every column with IS NOT DISTINCT FROM (NULLs match, as in SQL set operations).
 */
function setFilter(left: BoundQuery, right: BoundQuery, joinType: 'semi' | 'anti', ctx: BindContext): BoundQuery {
  const what = joinType === 'semi' ? 'INTERSECT' : 'EXCEPT';
  if (left.columns.length !== right.columns.length) {
    throw ctx.error('binder', `each ${what} query must have the same number of columns: ${left.columns.length} vs ${right.columns.length}`);
  }
  const l = conformTo(left, right, what, ctx);
  const r = conformTo(right, left, what, ctx);
  const condition = l.columns.map((c, i): LExpr => ({
    kind: 'binary', op: 'is_not_distinct_from', left: colRef(c), right: colRef(r.columns[i]!), type: 'bool',
  })).reduce((a, b) => ({ kind: 'binary', op: 'and', left: a, right: b, type: 'bool' }));
  const plan: LogicalPlan = { kind: 'Distinct', input: { kind: 'Join', left: l.plan, right: r.plan, joinType, condition } };
  return { plan, columns: l.columns };
}

/** `q` with each column cast to the common type with `other`'s column (a Project when needed). */
function conformTo(q: BoundQuery, other: BoundQuery, what: string, ctx: BindContext): BoundQuery {
  const types = q.columns.map((c, i) => {
    const o = other.columns[i]!;
    try {
      return commonTypeOf([colRef(c), colRef(o)], what, '');
    } catch {
      throw ctx.error('type', `${what} types ${sqlTypeName(c.type)} and ${sqlTypeName(o.type)} cannot be matched (column ${i + 1})`);
    }
  });
  if (q.columns.every((c, i) => c.type === types[i])) return q;
  const columns = q.columns.map((c, i) => ctx.column(c.name, types[i]!, c.nullable));
  return { plan: { kind: 'Project', input: q.plan, exprs: q.columns.map((c, i) => castTo(colRef(c), types[i]!)), columns }, columns };
}

/** ORDER BY / LIMIT over an already-projected result (set operations): by position, name, or expression over the output. */
function orderAndLimitOverOutput(
  q: BoundQuery, orderby: OrderByItem[] | null, limit: SelectAst['limit'], ctx: BindContext, outer: Scope | null,
): BoundQuery {
  let plan = q.plan;
  if (orderby && orderby.length > 0) {
    const scope = new Scope(q.columns.map((c) => ({ qualifier: undefined, name: c.name, id: c.id, type: c.type, nullable: c.nullable })), outer);
    const env: ExprEnv = { ctx, scope, ctes: null, aggregates: null, clause: 'ORDER BY' };
    const keys: LSortKey[] = orderby.map((o) => {
      const pos = positionOf(o.expr, q.columns.length, ctx, 'ORDER BY');
      const expr = pos !== null ? colRef(q.columns[pos]!) : bindExpr(o.expr, env);
      if (expr.kind !== 'column' || !q.columns.some((c) => c.id === expr.id)) {
        throw ctx.error('unsupported', `unsupported: ORDER BY on a UNION must name an output column or position${ctx.at(o.expr)}`);
      }
      return sortKey(expr, o);
    });
    plan = { kind: 'Sort', input: plan, keys };
  }
  plan = applyLimit(plan, limit, ctx);
  return { plan, columns: q.columns };
}

function sortKey(expr: LExpr, o: OrderByItem): LSortKey {
  const ascending = (o.type ?? 'ASC').toUpperCase() !== 'DESC';
  const nulls = (o.nulls ?? '').toLowerCase();
  const nullsFirst = nulls.includes('first') ? true : nulls.includes('last') ? false : !ascending;
  return { expr, ascending, nullsFirst };
}

/** 1-based position literal in GROUP BY / ORDER BY → 0-based index; null if not a position. */
function positionOf(n: ExprNode, count: number, ctx: BindContext, clause: string): number | null {
  if (n.type !== 'number' || typeof n.value !== 'number' || !Number.isInteger(n.value)) return null;
  const k = n.value;
  if (k < 1 || k > count) throw ctx.error('binder', `${clause} position ${k} is not in select list (1..${count})${ctx.at(n)}`);
  return k - 1;
}

function limitValue(n: ExprNode | undefined, what: string, ctx: BindContext): number | null {
  if (!n) return null;
  if (n.type === 'origin' && String(n.value).toLowerCase() === 'all') return null;
  if (n.type === 'null') return null;
  let v: number | null = null;
  if ((n.type === 'number' || n.type === 'bigint') && /^\d+$/.test(String(n.value))) v = Number(n.value);
  if (v === null || !Number.isSafeInteger(v)) {
    const shown = n.type === 'single_quote_string' ? `'${String(n.value)}'` : exprDisplayName(n);
    throw ctx.error('binder', `${what} must be a non-negative integer, got ${shown}${ctx.at(n)}`);
  }
  return v;
}

function applyLimit(plan: LogicalPlan, limit: SelectAst['limit'], ctx: BindContext): LogicalPlan {
  const values = limit?.value ?? [];
  if (values.length === 0) return plan;
  let fetch: number | null = null;
  let skip = 0;
  const sep = (limit?.seperator ?? '').toLowerCase();
  if (values.length === 2) {
    if (sep === ',') { skip = limitValue(values[0], 'OFFSET', ctx) ?? 0; fetch = limitValue(values[1], 'LIMIT', ctx); }
    else { fetch = limitValue(values[0], 'LIMIT', ctx); skip = limitValue(values[1], 'OFFSET', ctx) ?? 0; }
  } else if (sep === 'offset') {
    skip = limitValue(values[0], 'OFFSET', ctx) ?? 0;
  } else {
    fetch = limitValue(values[0], 'LIMIT', ctx);
  }
  if (fetch === null && skip === 0) return plan;
  return { kind: 'Limit', input: plan, skip, fetch };
}

// ---------------------------------------------------------------------------------------
// One SELECT

interface SelectItem {
  /** Bound before aggregation (aggregates already replaced by their ids). */
  expr: LExpr;
  name: string;
  /** AST of the item; null for `*` expansions. */
  node: ExprNode | null;
  /** Explicit alias, or the column name of a plain column reference (ORDER BY/GROUP BY can use it). */
  refName: string | null;
}

export function bindSelect(ast: SelectAst, ctx: BindContext, ctes: CteScope | null, outer: Scope | null, withOrderLimit: boolean): BoundQuery {
  if (ast.distinct?.type && ast.distinct.type.toUpperCase() === 'DISTINCT ON') throw ctx.error('unsupported', 'unsupported: DISTINCT ON');
  const from = bindFrom(ast.from, ctx, ctes, outer);
  const scope = from.scope;
  let plan = from.plan;
  const baseEnv: ExprEnv = { ctx, scope, ctes, aggregates: null, clause: 'WHERE' };
  if (ast.where) plan = { kind: 'Filter', input: plan, predicate: bindBool(ast.where, baseEnv, 'WHERE') };

  const orderby = withOrderLimit ? ast.orderby ?? [] : [];
  const groupNodes = ast.groupby?.columns ?? [];
  const qualifyNode = ast.having && isQualify(ast.having) ? qualifyCondition(ast.having) : null;
  const havingNode = qualifyNode ? null : ast.having;
  const grouped = groupNodes.length > 0 || havingNode !== null && havingNode !== undefined
    || ast.columns.some((c) => containsAggregate(c.expr)) || orderby.some((o) => containsAggregate(o.expr))
    || (qualifyNode !== null && containsAggregate(qualifyNode));
  const collector = grouped ? new AggregateCollector(ctx) : null;
  const windows = new WindowCollector(ctx, ast.window ?? null);
  const env: ExprEnv = { ...baseEnv, aggregates: collector, windows, clause: 'SELECT' };

  // Select list.
  const items: SelectItem[] = [];
  for (const col of ast.columns as SelectColumn[]) {
    const n = col.expr;
    if (n.type === 'column_ref' && columnRefParts(n).star) {
      for (const c of scope.star(columnRefParts(n).qualifier, ctx)) items.push({ expr: colRef(c), name: c.name, node: null, refName: c.name });
      continue;
    }
    const expr = bindExpr(n, env);
    const isPlainColumn = n.type === 'column_ref' && expr.kind === 'column';
    const shown = exprDisplayName(n);
    // A window function the display names do not know shows the name its binder gave it.
    const name = col.as ?? (expr.kind === 'column' && (isPlainColumn || shown === '?column?') ? expr.name : shown);
    items.push({ expr, name, node: n, refName: col.as ?? (isPlainColumn ? name : null) });
  }
  if (items.length === 0) throw ctx.error('binder', 'SELECT list is empty');

  // GROUP BY: position, output alias (when no input column has the name), or expression;
  // ROLLUP / CUBE / GROUPING SETS list sets of those (grouping_sets.ts).
  const groupExprs: LExpr[] = [];
  const groupKeys = new Map<string, number>();
  const keyIndex = (g: ExprNode): number => {
    let e: LExpr;
    const pos = positionOf(g, items.length, ctx, 'GROUP BY');
    const aliasItem = pos === null ? outputAlias(g, items, scope, ctx) : null;
    const item = pos !== null ? items[pos]! : aliasItem;
    if (item) {
      if (item.node && containsAggregate(item.node)) throw ctx.error('binder', `aggregate functions are not allowed in GROUP BY${ctx.at(g)}`);
      e = item.expr;
    } else {
      e = bindExpr(g, { ...env, aggregates: null, windows: null, clause: 'GROUP BY' });
    }
    const k = exprKey(e);
    let i = groupKeys.get(k);
    if (i === undefined) { i = groupExprs.length; groupKeys.set(k, i); groupExprs.push(e); }
    return i;
  };
  const groupingSets = bindGroupingSets(groupNodes, keyIndex, ctx);

  const having = havingNode ? bindBool(havingNode, { ...env, windows: null, clause: 'HAVING' }, 'HAVING') : null;
  const qualify = qualifyNode ? bindBool(withAliases(qualifyNode, items, scope, ctx), { ...env, clause: 'QUALIFY' }, 'QUALIFY') : null;

  // ORDER BY: position, output name, select-list expression, or a hidden expression.
  const hidden: LExpr[] = [];
  const orderRefs: { index: number; item: OrderByItem }[] = [];
  const itemKeys = items.map((it) => exprKey(it.expr));
  for (const o of orderby) {
    const pos = positionOf(o.expr, items.length, ctx, 'ORDER BY');
    if (pos !== null) { orderRefs.push({ index: pos, item: o }); continue; }
    const byName = outputName(o.expr, items, ctx);
    if (byName !== null) { orderRefs.push({ index: byName, item: o }); continue; }
    const e = bindExpr(o.expr, { ...env, clause: 'ORDER BY' });
    const k = exprKey(e);
    const same = itemKeys.indexOf(k);
    if (same >= 0) { orderRefs.push({ index: same, item: o }); continue; }
    const h = hidden.findIndex((x) => exprKey(x) === k);
    if (h >= 0) { orderRefs.push({ index: items.length + h, item: o }); continue; }
    hidden.push(e);
    orderRefs.push({ index: items.length + hidden.length - 1, item: o });
  }

  let itemExprs = items.map((i) => i.expr);
  let hiddenExprs = hidden;
  let rewriteGrouped = (e: LExpr): LExpr => e;
  if (collector) {
    const groupColumns = groupExprs.map((e) => ctx.column(e.kind === 'column' ? e.name : exprDisplayNameOfExpr(e), e.type, true));
    const groupingId = groupingSets ? ctx.column('grouping_id', 'int32', false) : undefined;
    const inputIds = new Set(scope.columns.map((c) => c.id));
    const aggIds = collector.ids();
    const groupingCalls = new Map(collector.groupingCalls.map((c) => [c.id, c]));
    const rewrite = (e: LExpr): LExpr => {
      const g = groupKeys.get(exprKey(e));
      if (g !== undefined) return colRef(groupColumns[g]!);
      switch (e.kind) {
        case 'column':
          if (groupingCalls.has(e.id)) return groupingValue(groupingCalls.get(e.id)!, groupKeys, groupingSets, groupingId, ctx);
          if (!aggIds.has(e.id) && inputIds.has(e.id)) {
            throw ctx.error('binder', `column "${e.name}" must appear in the GROUP BY clause or be used in an aggregate function${ctx.atIdent(e.name)}`);
          }
          return e;
        case 'literal': return e;
        case 'scalar_subquery': case 'exists': return { ...e, plan: remapOuterRefs(e.plan) };
        case 'binary': return { ...e, left: rewrite(e.left), right: rewrite(e.right) };
        case 'unary': return { ...e, arg: rewrite(e.arg) };
        case 'cast': return { ...e, arg: rewrite(e.arg) };
        case 'case': return {
          ...e, operand: e.operand ? rewrite(e.operand) : null,
          whens: e.whens.map((w) => ({ when: rewrite(w.when), then: rewrite(w.then) })), else: e.else ? rewrite(e.else) : null,
        };
        case 'in_list': return { ...e, arg: rewrite(e.arg), list: e.list.map(rewrite) };
        case 'like': return { ...e, arg: rewrite(e.arg), pattern: rewrite(e.pattern) };
        case 'call': return { ...e, args: e.args.map(rewrite) };
        case 'in_subquery': return { ...e, arg: rewrite(e.arg), plan: remapOuterRefs(e.plan) };
      }
    };
    // A subquery above the Aggregate may read grouped columns of this query: point those
    // reads at the group columns; reading any other input column is the GROUP BY error.
    const groupedInput = new Map<number, LColumn>();
    groupExprs.forEach((g, i) => { if (g.kind === 'column') groupedInput.set(g.id, groupColumns[i]!); });
    const remapOuterRefs = (sub: LogicalPlan): LogicalPlan => mapColumnRefs(sub, (c) => {
      const g = groupedInput.get(c.id);
      if (g) return colRef(g);
      if (inputIds.has(c.id) && !aggIds.has(c.id)) {
        throw ctx.error('binder', `column "${c.name}" must appear in the GROUP BY clause or be used in an aggregate function${ctx.atIdent(c.name)}`);
      }
      return c;
    });
    plan = {
      kind: 'Aggregate', input: plan, groupBy: groupExprs, groupColumns, aggregates: collector.aggregates,
      ...(groupingSets && groupingId ? { groupingSets, groupingId } : {}),
    };
    if (having) plan = { kind: 'Filter', input: plan, predicate: rewrite(having) };
    itemExprs = itemExprs.map(rewrite);
    hiddenExprs = hidden.map(rewrite);
    windows.mapExprs(rewrite);
    rewriteGrouped = rewrite;
  }
  for (const g of windows.groups) plan = { kind: 'Window', input: plan, partitionBy: g.partitionBy, orderBy: g.orderBy, functions: g.functions };
  if (qualify) plan = { kind: 'Filter', input: plan, predicate: rewriteGrouped(qualify) };

  const projectColumns = [
    ...items.map((it, i) => ctx.column(it.name, outType(itemExprs[i]!), ctx.nullable(itemExprs[i]!))),
    ...hiddenExprs.map((e) => ctx.column(exprDisplayNameOfExpr(e), outType(e), ctx.nullable(e))),
  ];
  const projectExprs = [...itemExprs, ...hiddenExprs].map((e, i) => finalizeLiteral(e, projectColumns[i]!.type));
  plan = { kind: 'Project', input: plan, exprs: projectExprs, columns: projectColumns };

  if (ast.distinct?.type && ast.distinct.type.toUpperCase() === 'DISTINCT') {
    if (hidden.length > 0) throw ctx.error('binder', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    plan = { kind: 'Distinct', input: plan };
  }
  if (orderRefs.length > 0) {
    plan = { kind: 'Sort', input: plan, keys: orderRefs.map((r) => sortKey(colRef(projectColumns[r.index]!), r.item)) };
  }
  if (withOrderLimit) plan = applyLimit(plan, ast.limit, ctx);

  const visible = projectColumns.slice(0, items.length);
  if (hidden.length === 0) return { plan, columns: visible };
  const finalColumns = visible.map((c) => ctx.column(c.name, c.type, c.nullable));
  return { plan: { kind: 'Project', input: plan, exprs: visible.map(colRef), columns: finalColumns }, columns: finalColumns };
}

/** QUALIFY arrives as `HAVING __qualify(condition)` (sql/preparse.ts). */
function isQualify(n: ExprNode): boolean {
  const name = n.type === 'function' && typeof n.name === 'object' && n.name ? n.name.name.map((p) => p.value).join('.') : '';
  return name.toLowerCase() === QUALIFY_MARKER;
}

function qualifyCondition(n: ExprNode): ExprNode {
  const args = (n.args as { value?: ExprNode[] } | undefined)?.value ?? [];
  return args[0]!;
}

/** QUALIFY may name select-list aliases (as DuckDB allows): substitute the aliased expressions. */
function withAliases(n: ExprNode, items: SelectItem[], scope: Scope, ctx: BindContext): ExprNode {
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== 'object') return v;
    const o = v as ExprNode;
    if (o.ast || o.type === 'select') return o;
    if (o.type === 'column_ref') {
      const { name, qualifier, star } = columnRefParts(o);
      if (!star && qualifier === undefined && !scope.lookup(name, undefined, ctx)) {
        const item = items.find((it) => it.node !== null && it.refName !== null && it.refName.toLowerCase() === name.toLowerCase());
        if (item?.node) return item.node;
      }
      return o;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = k === 'loc' ? x : visit(x);
    return out;
  };
  return visit(n) as ExprNode;
}

/** Copy of a plan with every column reference passed through `f` (plans are plain data). */
function mapColumnRefs(p: LogicalPlan, f: (c: LExpr & { kind: 'column' }) => LExpr): LogicalPlan {
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (o['kind'] === 'column' && typeof o['id'] === 'number') return f(o as LExpr & { kind: 'column' });
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = visit(x);
    return out;
  };
  return visit(p) as LogicalPlan;
}

/** Output columns keep the literal's type, except a bare NULL, which has type 'null'. */
function outType(e: LExpr): LColumn['type'] {
  return e.type;
}

/** Untyped string literals leave the binder as plain utf8 literals. */
function finalizeLiteral(e: LExpr, _type: LColumn['type']): LExpr {
  return isUntypedString(e) && e.kind === 'literal' ? { kind: 'literal', value: e.value, type: 'utf8' } : e;
}

function exprDisplayNameOfExpr(e: LExpr): string {
  switch (e.kind) {
    case 'column': return e.name;
    case 'literal': return e.value === null ? 'NULL' : typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'call': return `${e.name}(${e.args.map(exprDisplayNameOfExpr).join(', ')})`;
    case 'binary': return `(${exprDisplayNameOfExpr(e.left)} ${e.op} ${exprDisplayNameOfExpr(e.right)})`;
    case 'cast': return `CAST(${exprDisplayNameOfExpr(e.arg)} AS ${sqlTypeName(e.type)})`;
    default: return e.kind;
  }
}

/** GROUP BY name that is not an input column but is a select alias (SQL-92 style). */
function outputAlias(g: ExprNode, items: SelectItem[], scope: Scope, ctx: BindContext): SelectItem | null {
  if (g.type !== 'column_ref') return null;
  const { name, qualifier, star } = columnRefParts(g);
  if (star || qualifier !== undefined) return null;
  if (scope.lookup(name, undefined, ctx)) return null;
  const matches = items.filter((it) => it.refName !== null && it.refName.toLowerCase() === name.toLowerCase());
  return matches[0] ?? null;
}

/** ORDER BY name that is an output column name; output names win over input columns. */
function outputName(n: ExprNode, items: SelectItem[], ctx: BindContext): number | null {
  if (n.type !== 'column_ref') return null;
  const { name, qualifier, star } = columnRefParts(n);
  if (star || qualifier !== undefined) return null;
  const lower = name.toLowerCase();
  const idx: number[] = [];
  items.forEach((it, i) => { if (it.refName !== null && it.refName.toLowerCase() === lower) idx.push(i); });
  if (idx.length === 0) return null;
  if (idx.length > 1) {
    const first = exprKey(items[idx[0]!]!.expr);
    if (idx.some((i) => exprKey(items[i]!.expr) !== first)) throw ctx.error('binder', `ORDER BY "${name}" is ambiguous${ctx.atIdent(name)}`);
  }
  return idx[0]!;
}

// ---------------------------------------------------------------------------------------
// FROM

interface FromResult {
  plan: LogicalPlan;
  cols: ScopeColumn[];
}

export function bindFrom(items: FromItem[] | null, ctx: BindContext, ctes: CteScope | null, outer: Scope | null): { plan: LogicalPlan; scope: Scope } {
  if (!items || items.length === 0) {
    return { plan: { kind: 'Values', columns: [], rows: [[]] }, scope: new Scope([], outer) };
  }
  const r = bindFromList(items, ctx, ctes, outer);
  return { plan: r.plan, scope: new Scope(r.cols, outer) };
}

function bindFromList(items: FromItem[], ctx: BindContext, ctes: CteScope | null, outer: Scope | null): FromResult {
  let acc: FromResult | null = null;
  let natural = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const next = items[i + 1];
    // The grammar reads `a NATURAL JOIN b` as table a aliased "natural".
    const naturalAlias = typeof item.as === 'string' && item.as.toLowerCase() === 'natural'
      && next !== undefined && next.join !== undefined && !next.on && !next.using;
    const r = bindFromItem(naturalAlias ? { ...item, as: null } : item, ctx, ctes, outer);
    acc = acc === null ? r : join(acc, r, item, natural, ctx, ctes, outer);
    natural = naturalAlias;
  }
  return acc!;
}

function joinTypeOf(item: FromItem, ctx: BindContext): { type: JoinType; cross: boolean } {
  const j = (item.join ?? '').toUpperCase().replace(/\bOUTER\b/, '').replace(/\s+/g, ' ').trim();
  switch (j) {
    case '': return { type: 'inner', cross: true };
    case 'JOIN': case 'INNER JOIN': return { type: 'inner', cross: false };
    case 'CROSS JOIN': return { type: 'inner', cross: true };
    case 'LEFT JOIN': return { type: 'left', cross: false };
    case 'RIGHT JOIN': return { type: 'right', cross: false };
    case 'FULL JOIN': return { type: 'full', cross: false };
    default: throw ctx.error('unsupported', `unsupported: ${item.join ?? 'join'}`);
  }
}

function join(left: FromResult, right: FromResult, item: FromItem, natural: boolean, ctx: BindContext, ctes: CteScope | null, outer: Scope | null): FromResult {
  const { type, cross } = joinTypeOf(item, ctx);
  const nullLeft = type === 'right' || type === 'full';
  const nullRight = type === 'left' || type === 'full';
  let leftCols = left.cols.map((c) => (nullLeft ? { ...c, nullable: true } : c));
  let rightCols = right.cols.map((c) => (nullRight ? { ...c, nullable: true } : c));
  for (const c of nullLeft ? left.cols : []) ctx.markNullable(c.id, true);
  for (const c of nullRight ? right.cols : []) ctx.markNullable(c.id, true);
  let condition: LExpr | null = null;

  let usingNames: string[] | null = null;
  if (item.using && item.using.length > 0) usingNames = item.using.map((u) => (typeof u === 'string' ? u : u.value));
  else if (natural) {
    const rightNames = new Set(right.cols.filter((c) => !c.hiddenUnqualified).map((c) => c.name.toLowerCase()));
    usingNames = left.cols.filter((c) => !c.hiddenUnqualified && rightNames.has(c.name.toLowerCase())).map((c) => c.name);
  }

  if (usingNames !== null) {
    if (type === 'full') throw ctx.error('unsupported', 'unsupported: FULL JOIN with USING or NATURAL (use ON)');
    const conjuncts: LExpr[] = [];
    const hideLeft = new Set<number>();
    const hideRight = new Set<number>();
    for (const name of usingNames) {
      const pick = (cols: ScopeColumn[], side: string): ScopeColumn => {
        const m = cols.filter((c) => !c.hiddenUnqualified && c.name.toLowerCase() === name.toLowerCase());
        if (m.length === 0) throw ctx.error('binder', `column "${name}" specified in USING does not exist in the ${side} table${ctx.atIdent(name)}`);
        if (m.length > 1) throw ctx.error('binder', `column reference "${name}" in USING is ambiguous in the ${side} table${ctx.atIdent(name)}`);
        return m[0]!;
      };
      const l = pick(left.cols, 'left');
      const r = pick(right.cols, 'right');
      const env: ExprEnv = { ctx, scope: Scope.empty(), ctes, aggregates: null, clause: 'USING' };
      conjuncts.push(compare('=', colRef(l), colRef(r), env, {}));
      if (type === 'right') hideLeft.add(l.id); else hideRight.add(r.id);
    }
    leftCols = leftCols.map((c) => (hideLeft.has(c.id) ? { ...c, hiddenUnqualified: true } : c));
    rightCols = rightCols.map((c) => (hideRight.has(c.id) ? { ...c, hiddenUnqualified: true } : c));
    condition = conjuncts.reduce<LExpr | null>((a, b) => (a ? { kind: 'binary', op: 'and', left: a, right: b, type: 'bool' } : b), null);
  } else if (item.on) {
    const scope = new Scope([...left.cols, ...right.cols], outer);
    condition = bindBool(item.on, { ctx, scope, ctes, aggregates: null, clause: 'JOIN ON' }, 'JOIN/ON');
  } else if (!cross) {
    throw ctx.error('syntax', `${item.join ?? 'JOIN'} needs an ON or USING clause`);
  }
  return { plan: { kind: 'Join', left: left.plan, right: right.plan, joinType: type, condition }, cols: [...leftCols, ...rightCols] };
}

/** `name`, `name(a, b)` (derived column list glued into the alias by the parser). */
function parseAlias(as: string | null | undefined): { name: string | undefined; columns: string[] } {
  if (!as) return { name: undefined, columns: [] };
  const m = /^\s*("?)([^"(]*)\1\s*(?:\((.*)\))?\s*$/s.exec(as);
  if (!m) return { name: as, columns: [] };
  const columns = m[3] !== undefined ? m[3].split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')).filter((s) => s.length > 0) : [];
  return { name: m[2]!.trim(), columns };
}

function renamed(q: BoundQuery, qualifier: string | undefined, names: string[], ctx: BindContext, what: string): ScopeColumn[] {
  if (names.length > q.columns.length) {
    throw ctx.error('binder', `${what} has ${q.columns.length} columns available but ${names.length} columns specified`);
  }
  return q.columns.map((c, i) => ({
    qualifier: qualifier?.toLowerCase(), name: names[i] ?? c.name, id: c.id, type: c.type, nullable: c.nullable,
  }));
}

function bindFromItem(item: FromItem, ctx: BindContext, ctes: CteScope | null, outer: Scope | null): FromResult {
  if (item.prefix && item.prefix.toLowerCase() === 'lateral') throw ctx.error('unsupported', 'unsupported: LATERAL');
  const alias = parseAlias(item.as);
  const expr = item.expr;
  if (expr && expr.ast) {
    const q = bindQueryExpr(expr.ast, ctx, ctes, outer);
    return { plan: q.plan, cols: renamed(q, alias.name, alias.columns, ctx, `subquery "${alias.name ?? ''}"`) };
  }
  if (expr && expr.type === 'values') {
    const q = bindValues(expr.values ?? [], ctx, null);
    return { plan: q.plan, cols: renamed(q, alias.name, alias.columns, ctx, 'VALUES') };
  }
  if (expr && expr.type === 'tables' && Array.isArray(expr.expr)) {
    return bindFromList(expr.expr as FromItem[], ctx, ctes, outer);
  }
  if (expr && expr.type === 'function') {
    const fname = typeof expr.name === 'object' && expr.name ? expr.name.name.map((p) => p.value).join('.').toLowerCase() : String(expr.name);
    if (isCsvFunction(fname)) {
      const call = csvCallOf((expr.args as { value?: ExprNode[] } | undefined)?.value ?? []);
      const table = ctx.csv.get(call.key);
      if (!table) throw ctx.error('io', `${fname}('${call.paths.join("', '")}') was not resolved`);
      return scanCsv(table, alias.name ?? fname, alias.columns, ctx);
    }
    if (fname !== 'read_parquet') throw ctx.error('unsupported', `unsupported: table function ${fname}`);
    const args = (expr.args as { value?: ExprNode[] } | undefined)?.value ?? [];
    const path = args[0];
    if (args.length !== 1 || !path || (path.type !== 'single_quote_string' && path.type !== 'string')) {
      throw ctx.error('binder', "read_parquet takes one quoted path or glob, e.g. read_parquet('data/*.parquet')");
    }
    const table = ctx.parquet.get(String(path.value));
    if (!table) throw ctx.error('io', `read_parquet('${String(path.value)}') was not resolved`);
    return scanParquet(table, alias.name ?? 'read_parquet', alias.columns, ctx);
  }
  if (typeof item.table !== 'string') throw ctx.error('unsupported', 'unsupported: this kind of FROM item');
  if (item.db && item.db.toLowerCase() === INFORMATION_SCHEMA) {
    const q = informationSchemaTable(item.table, ctx, (e) => catalogEntryColumns(e, ctx));
    if (!q) {
      throw ctx.error('binder', `unknown table "${item.db}.${item.table}"${ctx.atIdent(item.table)}${didYouMean(item.table, INFORMATION_SCHEMA_TABLES)}`);
    }
    return { plan: q.plan, cols: renamed(q, alias.name ?? item.table, alias.columns, ctx, `table "${item.table}"`) };
  }
  if (item.db && !['public', 'main'].includes(item.db.toLowerCase())) {
    throw ctx.error('unsupported', `unsupported: schema-qualified table "${item.db}.${item.table}"`);
  }
  const name = item.table;
  const qualifier = alias.name ?? name;
  const cte = ctes?.lookup(name);
  if (cte) {
    if (cte.recursive && readsItself(cte)) {
      const q = bindRecursiveReference(cte, ctx);
      const viaCte = renamed(q, undefined, cte.columnNames ?? [], ctx, `WITH query "${cte.name}"`);
      const asQuery: BoundQuery = { plan: q.plan, columns: q.columns.map((c, i) => ({ ...c, name: viaCte[i]!.name })) };
      return { plan: q.plan, cols: renamed(asQuery, qualifier, alias.columns, ctx, `table "${qualifier}"`) };
    }
    const q = bindCte(cte, ctx);
    // Each reference reads the CTE through its own columns (optimizer/cte_sharing.ts).
    const columns = q.columns.map((c) => ctx.column(c.name, c.type, c.nullable));
    const plan: LogicalPlan = { kind: 'SharedScan', cte: q.cte, columns, sources: q.columns.map((c) => c.id) };
    return { plan, cols: renamed({ plan, columns }, qualifier, alias.columns, ctx, `table "${qualifier}"`) };
  }
  const entry = ctx.catalog.get(name);
  if (!entry) {
    // FROM 'data/t.parquet' (or a glob): the file is the table, named after it, as in DuckDB.
    const file = isParquetPathName(name) ? ctx.parquet.get(name) : undefined;
    if (file) return scanParquet(file, alias.name ?? parquetPathStem(name), alias.columns, ctx);
    const csv = isCsvPath(name) ? ctx.csv.get(csvPathCall(name).key) : undefined;
    if (csv) return scanCsv(csv, alias.name ?? csvPathStem(name), alias.columns, ctx);
    throw ctx.unknownTable(name, ctes);
  }
  switch (entry.kind) {
    case 'parquet': return scanParquet(entry, qualifier, alias.columns, ctx);
    case 'csv': return scanCsv(entry, qualifier, alias.columns, ctx);
    case 'memory': return scanMemory(entry, qualifier, alias.columns, ctx);
    case 'view': {
      const q = bindView(entry, ctx);
      return { plan: q.plan, cols: renamed(q, qualifier, alias.columns, ctx, `view "${entry.name}"`) };
    }
  }
}

/** A WITH query's body, bound once at its first reference (later references share it). */
const boundCtes = new WeakMap<CteDefinition, BoundQuery & { cte: SharedCte }>();

function bindCte(def: CteDefinition, ctx: BindContext): BoundQuery & { cte: SharedCte } {
  const known = boundCtes.get(def);
  if (known) return known;
  const q = bindQueryExpr(def.ast, ctx, def.scope, null);
  const viaCte = renamed(q, undefined, def.columnNames ?? [], ctx, `WITH query "${def.name}"`);
  const columns = q.columns.map((c, i) => ({ ...c, name: viaCte[i]!.name }));
  // The id is taken after the body is bound: larger than that of every CTE the body reads.
  const bound = { plan: q.plan, columns, cte: { id: ctx.fresh(), name: def.name, plan: q.plan } };
  boundCtes.set(def, bound);
  return bound;
}

/** A WITH RECURSIVE item that reads itself: its work table from inside its body, else the whole recursion. */
function bindRecursiveReference(cte: CteDefinition, ctx: BindContext): BoundQuery {
  const inside = ctx.recursiveBindings.get(cte);
  return inside ? bindSelfReference(cte, inside, ctx) : bindRecursiveCte(cte, ctx);
}

function scanColumns(fields: readonly Field[], qualifier: string, rename: string[], ctx: BindContext): LColumn[] {
  if (rename.length > fields.length) {
    throw ctx.error('binder', `table "${qualifier}" has ${fields.length} columns available but ${rename.length} columns specified`);
  }
  return fields.map((f) => ctx.column(f.name, f.type, f.nullable, qualifier.toLowerCase()));
}

function scopeOf(columns: LColumn[], qualifier: string, rename: string[]): ScopeColumn[] {
  return columns.map((c, i) => ({ qualifier: qualifier.toLowerCase(), name: rename[i] ?? c.name, id: c.id, type: c.type, nullable: c.nullable }));
}

function scanParquet(t: ParquetTable, qualifier: string, rename: string[], ctx: BindContext): FromResult {
  if (t.error !== undefined) throw ctx.error('io', t.error);
  const columns = scanColumns(t.schema.fields, qualifier, rename, ctx);
  // Distinct-value estimates from the files' statistics, for join ordering.
  columns.forEach((c, i) => {
    const ndv = distinctFromStatistics(c.type, t.columnStatistics?.[i], t.rows);
    if (ndv !== undefined) c.ndv = ndv;
  });
  return {
    plan: { kind: 'Scan', table: t.name, source: { kind: 'parquet', files: [...t.files] }, columns, filters: [], rowEstimate: t.rows },
    cols: scopeOf(columns, qualifier, rename),
  };
}

function scanCsv(t: CsvTable, qualifier: string, rename: string[], ctx: BindContext): FromResult {
  const columns = scanColumns(t.schema.fields, qualifier, rename, ctx);
  const source = { kind: 'csv' as const, files: [...t.files], dialect: t.dialect, fields: t.schema.fields.map((f) => f.name) };
  return {
    plan: { kind: 'Scan', table: t.name, source, columns, filters: [], rowEstimate: t.rows },
    cols: scopeOf(columns, qualifier, rename),
  };
}

function scanMemory(t: InMemoryTable, qualifier: string, rename: string[], ctx: BindContext): FromResult {
  const columns = scanColumns(t.schema.fields, qualifier, rename, ctx);
  const rows = t.batches.reduce((n, b) => n + b.length, 0);
  return {
    plan: { kind: 'Scan', table: t.name, source: { kind: 'memory', name: t.name.toLowerCase() }, columns, filters: [], rowEstimate: rows },
    cols: scopeOf(columns, qualifier, rename),
  };
}

/** An entry's columns for information_schema.columns; null for a view that no longer binds. */
function catalogEntryColumns(e: CatalogEntry, ctx: BindContext): DescribedColumn[] | null {
  if (e.kind !== 'view') return e.schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }));
  try {
    return bindView(e, ctx).columns.map((c) => ({ name: c.name, type: c.type, nullable: true }));
  } catch {
    return null;
  }
}

/** A view is bound anew at every use, with positions reported inside the view's text. */
function bindView(v: ViewDefinition, ctx: BindContext): BoundQuery {
  const key = v.name.toLowerCase();
  if (ctx.viewStack.includes(key)) throw ctx.error('binder', `view "${v.name}" refers to itself`);
  const q = v.query;
  const ast = isViewQuery(q) ? q.ast : (q as SelectAst);
  const sql = isViewQuery(q) ? q.sql : '';
  const saved = ctx.source;
  ctx.viewStack.push(key);
  ctx.source = { script: sql, offset: 0, text: sql, prefix: `${saved.prefix}in view "${v.name}": ` };
  try {
    const bound = bindQueryExpr(ast, ctx, null, null);
    const names = v.columnNames ?? [];
    if (names.length > bound.columns.length) throw ctx.error('binder', `view "${v.name}" has ${bound.columns.length} columns but ${names.length} names`);
    return { plan: bound.plan, columns: bound.columns.map((c, i) => ({ ...c, name: names[i] ?? c.name })) };
  } finally {
    ctx.viewStack.pop();
    ctx.source = saved;
  }
}

/**
 * VALUES rows → a Values node. With `targetTypes` (INSERT) each column is cast to the
 * target type; otherwise each column gets the common type of its rows.
 */
export function bindValues(rows: ExprNode[], ctx: BindContext, targetTypes: LColumn['type'][] | null, names?: string[]): BoundQuery {
  const env: ExprEnv = { ctx, scope: Scope.empty(), ctes: null, aggregates: null, clause: 'VALUES' };
  const bound = rows.map((r) => {
    const vals = r.type === 'expr_list' && Array.isArray(r.value) ? (r.value as ExprNode[]) : [r];
    return vals.map((v) => bindExpr(v, env));
  });
  if (bound.length === 0) throw ctx.error('syntax', 'VALUES needs at least one row');
  const width = bound[0]!.length;
  for (const r of bound) {
    if (r.length !== width) throw ctx.error('binder', `VALUES lists must all be the same length (${width} vs ${r.length})`);
  }
  const types = targetTypes ?? Array.from({ length: width }, (_, j) => {
    const t = commonTypeOf(bound.map((r) => r[j]!), 'VALUES', ` in column ${j + 1}`);
    return t === 'null' ? 'null' : t;
  });
  if (types.length !== width) throw ctx.error('binder', `INSERT has ${types.length} target columns but VALUES has ${width} expressions`);
  const cast = bound.map((r) => r.map((e, j) => {
    try {
      return finalizeLiteral(castTo(e, types[j]!), types[j]!);
    } catch (err) {
      throw ctx.error('type', (err as Error).message);
    }
  }));
  const columns = types.map((t, j) => ctx.column(names?.[j] ?? `column${j + 1}`, t, cast.some((r) => ctx.nullable(r[j]!))));
  return { plan: { kind: 'Values', columns, rows: cast }, columns };
}
