/**
 * Decorrelation: removes every subquery expression by rewriting it into a join. Runs
 * before all other passes (they assume no subquery is left). Subquery plans are
 * decorrelated first, innermost first, so nested subqueries (TPC-H Q20) work.
 *
 * Covered shapes (anything else → SpillwayError unsupported "unsupported subquery: …"):
 *
 *  WHERE/HAVING term (a top-level AND term of a Filter predicate; NOT is folded in):
 *   x IN (uncorrelated one-column subquery)      → input ⋉ sub          on x = col   (semi)
 *   x NOT IN (uncorrelated one-column subquery)  → input ▷ sub          on x = col   (anti, nullAware)
 *   [NOT] EXISTS (sub)                           → input ⋉/▷ sub'       on <correlated terms>
 *       sub = [Project|Sort|Distinct|Limit≥1]* Filter* base, base uncorrelated; the Filters'
 *       terms that read outer columns become the join condition (equalities become hash
 *       keys, others the residual: Q21's `l2.l_suppkey <> l1.l_suppkey`); the rest stay
 *       as a Filter over base. Uncorrelated EXISTS → semi/anti join with no condition
 *       against LIMIT 1 of the subquery.
 *
 *  Scalar subquery anywhere in a Filter predicate or a Project expression:
 *   uncorrelated, provably exactly one row (aggregate without GROUP BY, maybe under
 *     Project/Sort)              → input × sub (cross join), the expression → sub's column
 *   uncorrelated, at most one row (LIMIT 1, one-row VALUES, …)
 *                                → input ⟕ sub on true (no row → NULL)
 *   uncorrelated, otherwise      → input × Aggregate(count(*) n, max(v) m) over sub, the
 *       expression → CASE WHEN n > 1 THEN raise_error('scalar subquery returned more than
 *       one row') ELSE m END (an AssertSingleRow node would be the cleaner way)
 *   correlated: sub = [Project(e)] Aggregate(no GROUP BY) Filter* base, base uncorrelated,
 *     every correlated term an equality inner_expr = outer_expr (Q2, Q17, Q20, Q22 shapes)
 *                                → input ⟕ Aggregate(GROUP BY inner_exprs) over Filter(rest)
 *                                  on outer_expr = group column;
 *       the expression → e with each aggregate column substituted, count/count(*) wrapped
 *       in coalesce(c, 0) so a missing group gives what the aggregate gives on no rows.
 *
 *  The Filter's output is restored to its input's columns with a Project.
 */
import { SpillwayError } from '../../errors.js';
import {
  outputColumns, type IdGenerator, type LAggregate, type LColumn, type LExpr, type LogicalPlan,
} from '../logical.js';
import {
  colRef, columnRefs, conjoin, conjuncts, eq, freeRefs, hasSubquery, idSet, mapExpr, nodeExprs,
  projectColumns, sameColumns, substitute, transformUp,
} from './expr_utils.js';

export function decorrelate(plan: LogicalPlan, ids: IdGenerator): LogicalPlan {
  return transformUp(plan, (node) => {
    if (!nodeExprs(node).some(hasSubquery)) return node;
    switch (node.kind) {
      case 'Filter': return rewriteFilter(node, ids);
      case 'Project': return rewriteProject(node, ids);
      default:
        throw unsupportedSubquery(`a subquery in ${describeNode(node)} (only in WHERE, HAVING and the select list)`);
    }
  });
}

function unsupportedSubquery(what: string): SpillwayError {
  return new SpillwayError('unsupported', `unsupported subquery: ${what}`);
}

function describeNode(p: LogicalPlan): string {
  switch (p.kind) {
    case 'Join': return 'a JOIN condition';
    case 'Aggregate': return 'an aggregate or GROUP BY expression';
    case 'Sort': return 'ORDER BY';
    case 'Values': return 'VALUES';
    default: return `a ${p.kind} node`;
  }
}

function rewriteFilter(node: Extract<LogicalPlan, { kind: 'Filter' }>, ids: IdGenerator): LogicalPlan {
  const original = outputColumns(node.input);
  let input = node.input;
  const remaining: LExpr[] = [];
  for (const raw of conjuncts(node.predicate)) {
    const c = foldNot(raw);
    if (c.kind === 'exists') { input = rewriteExists(input, c, ids); continue; }
    if (c.kind === 'in_subquery' && !hasSubquery(c.arg)) { input = rewriteIn(input, c, ids); continue; }
    const r = replaceScalarSubqueries(c, input, ids);
    input = r.input;
    if (hasSubquery(r.expr)) throw unsupportedSubquery('IN or EXISTS inside OR or another expression (only as an AND term of WHERE or HAVING)');
    remaining.push(r.expr);
  }
  const pred = conjoin(remaining);
  const out: LogicalPlan = pred === null ? input : { kind: 'Filter', input, predicate: pred };
  return sameColumns(outputColumns(out), original) ? out : projectColumns(out, original);
}

function rewriteProject(node: Extract<LogicalPlan, { kind: 'Project' }>, ids: IdGenerator): LogicalPlan {
  let input = node.input;
  const exprs = node.exprs.map((e) => {
    const r = replaceScalarSubqueries(e, input, ids);
    input = r.input;
    if (hasSubquery(r.expr)) throw unsupportedSubquery('IN or EXISTS in the select list');
    return r.expr;
  });
  return { ...node, input, exprs };
}

/** NOT EXISTS / NOT (x IN …) → the negated forms. */
function foldNot(e: LExpr): LExpr {
  if (e.kind === 'unary' && e.op === 'not') {
    const inner = foldNot(e.arg);
    if (inner.kind === 'exists' || inner.kind === 'in_subquery') return { ...inner, negated: !inner.negated };
  }
  return e;
}

// ---------- IN ----------

function rewriteIn(input: LogicalPlan, e: Extract<LExpr, { kind: 'in_subquery' }>, ids: IdGenerator): LogicalPlan {
  const sub = decorrelate(e.plan, ids);
  const cols = outputColumns(sub);
  if (cols.length !== 1) throw new SpillwayError('binder', `subquery of IN must return one column, it returns ${cols.length}`);
  if (freeRefs(sub).size > 0) throw unsupportedSubquery(`correlated ${e.negated ? 'NOT IN' : 'IN'} subquery`);
  const condition = eq(e.arg, colRef(cols[0]!));
  return e.negated
    ? { kind: 'Join', left: input, right: sub, joinType: 'anti', condition, nullAware: true }
    : { kind: 'Join', left: input, right: sub, joinType: 'semi', condition };
}

// ---------- EXISTS ----------

function rewriteExists(input: LogicalPlan, e: Extract<LExpr, { kind: 'exists' }>, ids: IdGenerator): LogicalPlan {
  const joinType = e.negated ? 'anti' : 'semi';
  let sub = decorrelate(e.plan, ids);
  // The subquery's columns, order and duplicates do not matter to EXISTS.
  for (;;) {
    if (sub.kind === 'Project' || sub.kind === 'Sort' || sub.kind === 'Distinct') sub = sub.input;
    else if (sub.kind === 'Limit' && sub.skip === 0 && (sub.fetch === null || sub.fetch >= 1)) sub = sub.input;
    else break;
  }
  if (freeRefs(sub).size === 0) {
    const right: LogicalPlan = { kind: 'Limit', input: sub, skip: 0, fetch: 1 };
    return { kind: 'Join', left: input, right, joinType, condition: null };
  }
  const { base, terms } = peelFilters(sub);
  if (freeRefs(base).size > 0) throw unsupportedSubquery('EXISTS whose outer references are not in its WHERE clause');
  const innerIds = idSet(outputColumns(base));
  const outerIds = idSet(outputColumns(input));
  const local: LExpr[] = [];
  const correlated: LExpr[] = [];
  for (const t of terms) {
    const refs = columnRefs(t);
    if ([...refs].every((id) => innerIds.has(id))) { local.push(t); continue; }
    if (![...refs].every((id) => innerIds.has(id) || outerIds.has(id))) {
      throw unsupportedSubquery('EXISTS that references a column of an enclosing query more than one level out');
    }
    correlated.push(t);
  }
  const pred = conjoin(local);
  const right: LogicalPlan = pred === null ? base : { kind: 'Filter', input: base, predicate: pred };
  return { kind: 'Join', left: input, right, joinType, condition: conjoin(correlated) };
}

/** Strip the Filters at the top of a plan, returning their AND terms and what is below. */
function peelFilters(p: LogicalPlan): { base: LogicalPlan; terms: LExpr[] } {
  const terms: LExpr[] = [];
  while (p.kind === 'Filter') { terms.push(...conjuncts(p.predicate)); p = p.input; }
  return { base: p, terms };
}

// ---------- scalar subqueries ----------

function replaceScalarSubqueries(e: LExpr, input: LogicalPlan, ids: IdGenerator): { expr: LExpr; input: LogicalPlan } {
  let current = input;
  const expr = mapExpr(e, (x) => {
    if (x.kind !== 'scalar_subquery') return x;
    const r = rewriteScalar(current, x, ids);
    current = r.input;
    return r.value;
  });
  return { expr, input: current };
}

function rewriteScalar(input: LogicalPlan, e: Extract<LExpr, { kind: 'scalar_subquery' }>, ids: IdGenerator): { input: LogicalPlan; value: LExpr } {
  const sub = decorrelate(e.plan, ids);
  const cols = outputColumns(sub);
  if (cols.length !== 1) throw new SpillwayError('binder', `scalar subquery must return one column, it returns ${cols.length}`);
  const col = cols[0]!;
  if (freeRefs(sub).size > 0) return rewriteCorrelatedScalar(input, sub, ids);
  if (exactlyOneRow(sub)) {
    return { input: { kind: 'Join', left: input, right: sub, joinType: 'inner', condition: null }, value: colRef(col) };
  }
  if (atMostOneRow(sub)) {
    return { input: { kind: 'Join', left: input, right: sub, joinType: 'left', condition: { kind: 'literal', value: true, type: 'bool' } }, value: colRef(col) };
  }
  // Count the rows and fail at run time when there is more than one.
  const n: LAggregate = { id: ids.fresh(), name: 'subquery_rows', fn: 'count_star', arg: null, distinct: false, type: 'int64' };
  const m: LAggregate = { id: ids.fresh(), name: col.name, fn: 'max', arg: colRef(col), distinct: false, type: col.type };
  const agg: LogicalPlan = { kind: 'Aggregate', input: sub, groupBy: [], groupColumns: [], aggregates: [n, m] };
  const nRef: LExpr = { kind: 'column', id: n.id, type: 'int64', name: n.name };
  const value: LExpr = {
    kind: 'case', operand: null, type: col.type,
    whens: [{
      when: { kind: 'binary', op: '>', left: nRef, right: { kind: 'literal', value: 1n, type: 'int64' }, type: 'bool' },
      then: { kind: 'call', name: 'raise_error', args: [{ kind: 'literal', value: 'scalar subquery returned more than one row', type: 'utf8' }], type: col.type },
    }],
    else: { kind: 'column', id: m.id, type: col.type, name: m.name },
  };
  return { input: { kind: 'Join', left: input, right: agg, joinType: 'inner', condition: null }, value };
}

/** An aggregate without GROUP BY, maybe under Project/Sort: always one row. */
function exactlyOneRow(p: LogicalPlan): boolean {
  switch (p.kind) {
    case 'Aggregate': return p.groupBy.length === 0;
    case 'Project': case 'Sort': case 'Distinct': return exactlyOneRow(p.input);
    case 'Values': return p.rows.length === 1;
    case 'Limit': return p.skip === 0 && (p.fetch === null || p.fetch >= 1) && exactlyOneRow(p.input);
    default: return false;
  }
}

function atMostOneRow(p: LogicalPlan): boolean {
  switch (p.kind) {
    case 'Aggregate': return p.groupBy.length === 0;
    case 'Project': case 'Sort': case 'Distinct': case 'Filter': return atMostOneRow(p.input);
    case 'Values': return p.rows.length <= 1;
    case 'Limit': return (p.fetch !== null && p.fetch <= 1) || atMostOneRow(p.input);
    default: return false;
  }
}

function rewriteCorrelatedScalar(input: LogicalPlan, sub: LogicalPlan, ids: IdGenerator): { input: LogicalPlan; value: LExpr } {
  let top: LExpr | null = null;
  let p = sub;
  if (p.kind === 'Project') { top = p.exprs[0]!; p = p.input; }
  if (p.kind !== 'Aggregate' || p.groupBy.length > 0) {
    throw unsupportedSubquery('correlated scalar subquery that is not a single aggregate without GROUP BY (e.g. SELECT max(x) … WHERE inner.k = outer.k)');
  }
  const agg = p;
  const { base, terms } = peelFilters(agg.input);
  if (freeRefs(base).size > 0) throw unsupportedSubquery('correlated scalar subquery whose outer references are not in its WHERE clause');
  const innerIds = idSet(outputColumns(base));
  const outerIds = idSet(outputColumns(input));
  for (const a of agg.aggregates) {
    if (a.arg && ![...columnRefs(a.arg)].every((id) => innerIds.has(id))) {
      throw unsupportedSubquery('correlated scalar subquery whose aggregate reads an outer column');
    }
  }
  const local: LExpr[] = [];
  const innerKeys: LExpr[] = [];
  const outerKeys: LExpr[] = [];
  for (const t of terms) {
    const refs = [...columnRefs(t)];
    if (refs.every((id) => innerIds.has(id))) { local.push(t); continue; }
    const sides = t.kind === 'binary' && t.op === '=' ? equalitySides(t.left, t.right, innerIds, outerIds) : null;
    if (!sides) {
      throw unsupportedSubquery('correlated scalar subquery whose correlation is not an equality between an inner and an outer expression');
    }
    innerKeys.push(sides.inner);
    outerKeys.push(sides.outer);
  }
  const groupColumns: LColumn[] = innerKeys.map((k, i) => ({
    id: ids.fresh(), name: k.kind === 'column' ? k.name : `key${i + 1}`, type: k.type, nullable: true,
  }));
  const pred = conjoin(local);
  const aggInput: LogicalPlan = pred === null ? base : { kind: 'Filter', input: base, predicate: pred };
  const grouped: LogicalPlan = { kind: 'Aggregate', input: aggInput, groupBy: innerKeys, groupColumns, aggregates: agg.aggregates };
  const condition = conjoin(outerKeys.map((o, i) => eq(o, colRef(groupColumns[i]!))));
  const joined: LogicalPlan = { kind: 'Join', left: input, right: grouped, joinType: 'left', condition };

  // A missing group means the aggregate saw no rows: count → 0, the others → NULL.
  const replace = new Map<number, LExpr>();
  for (const a of agg.aggregates) {
    const ref: LExpr = { kind: 'column', id: a.id, type: a.type, name: a.name };
    replace.set(a.id, a.fn === 'count' || a.fn === 'count_star'
      ? { kind: 'call', name: 'coalesce', args: [ref, { kind: 'literal', value: a.type === 'int64' ? 0n : 0, type: a.type }], type: a.type }
      : ref);
  }
  const aggIds = new Set(agg.aggregates.map((a) => a.id));
  if (top !== null && ![...columnRefs(top)].every((id) => aggIds.has(id) || outerIds.has(id))) {
    throw unsupportedSubquery('correlated scalar subquery whose select expression reads a column outside its aggregate');
  }
  const value = top !== null ? substitute(top, replace) : replace.get(agg.aggregates[0]!.id)!;
  return { input: joined, value };
}

/** For `l = r`, which side reads only inner columns and which only outer ones (each side non-empty). */
function equalitySides(l: LExpr, r: LExpr, inner: Set<number>, outer: Set<number>): { inner: LExpr; outer: LExpr } | null {
  const only = (e: LExpr, ids: Set<number>): boolean => {
    const refs = columnRefs(e);
    return refs.size > 0 && [...refs].every((id) => ids.has(id));
  };
  if (only(l, inner) && only(r, outer)) return { inner: l, outer: r };
  if (only(r, inner) && only(l, outer)) return { inner: r, outer: l };
  return null;
}
