/**
 * Decorrelation: removes every subquery expression by rewriting it into a join. Runs
 * before all other passes (they assume no subquery is left). Subquery plans are
 * decorrelated first, innermost first, so nested subqueries (TPC-H Q20) work.
 *
 * Fast shapes (hash-joinable, no copy of the outer input):
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
 *  Scalar subquery anywhere in an expression:
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
 *  Everything else — non-equality correlation, outer references outside WHERE, correlated
 *  IN / NOT IN, EXISTS / IN under OR, CASE or in the select list, scalar subqueries that
 *  are not a single aggregate — goes through the general rewrite over the domain of the
 *  outer values (decorrelate_general.ts): a LEFT JOIN of the input with the subquery
 *  evaluated once per distinct outer value, EXISTS / IN becoming boolean mark columns.
 *
 *  Still unsupported (SpillwayError "unsupported subquery: …"): LIMIT/OFFSET inside a
 *  correlated subquery, a correlated FULL JOIN or VALUES, a subquery in the condition of
 *  an outer/semi/anti join.
 *
 *  Subqueries are rewritten in Filter, Project, Sort and Aggregate expressions and in
 *  inner join conditions (moved to a Filter above the join). A Filter's or Sort's output
 *  is restored to its input's columns with a Project.
 */
import { SpillwayError } from '../../common/errors.js';
import {
  outputColumns, type IdGenerator, type LAggregate, type LColumn, type LExpr, type LogicalPlan,
} from '../logical.js';
import { colRef, columnRefs, conjoin, conjuncts, eq, freeRefs, hasSubquery, idSet, mapExpr, nodeExprs, substitute } from '../logical_exprs.js';
import { mapAggregateExprs, projectColumns, sameColumns, transformUp } from '../logical_tree.js';
import {
  correlatedColumns, countsZero, generalScalar, markExists, markIn, singleRowGuard, stripForExists,
  unsupportedSubquery,
} from './decorrelate_general.js';

export function decorrelate(plan: LogicalPlan, ids: IdGenerator): LogicalPlan {
  return transformUp(plan, (node) => {
    if (!nodeExprs(node).some(hasSubquery)) return node;
    switch (node.kind) {
      case 'Filter': return rewriteFilter(node, ids);
      case 'Project': return rewriteProject(node, ids);
      case 'Sort': return rewriteSort(node, ids);
      case 'Aggregate': return rewriteAggregate(node, ids);
      case 'Join':
        if (node.joinType === 'inner' && !node.nullAware) {
          // ON terms of an inner join are WHERE terms over the cross join.
          const cross: LogicalPlan = { ...node, condition: null };
          return rewriteFilter({ kind: 'Filter', input: cross, predicate: node.condition! }, ids);
        }
        throw unsupportedSubquery(`a subquery in ${describeNode(node)} of an outer, semi or anti join`);
      default:
        throw unsupportedSubquery(`a subquery in ${describeNode(node)}`);
    }
  });
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
    if (c.kind === 'exists') {
      const sub = decorrelate(c.plan, ids);
      const joined = rewriteExists(input, sub, c.negated);
      if (joined !== null) { input = joined; continue; }
      const r = markExists(input, sub, c.negated, ids);
      input = r.input;
      remaining.push(r.value);
      continue;
    }
    if (c.kind === 'in_subquery' && !hasSubquery(c.arg)) {
      const sub = decorrelateInSubquery(c.plan, ids);
      const joined = rewriteIn(input, c.arg, sub, c.negated);
      if (joined !== null) { input = joined; continue; }
      const r = markIn(input, c.arg, sub, c.negated, ids);
      input = r.input;
      remaining.push(r.value);
      continue;
    }
    const r = replaceSubqueries(c, input, ids);
    input = r.input;
    remaining.push(r.expr);
  }
  const pred = conjoin(remaining);
  const out: LogicalPlan = pred === null ? input : { kind: 'Filter', input, predicate: pred };
  return sameColumns(outputColumns(out), original) ? out : projectColumns(out, original);
}

function rewriteProject(node: Extract<LogicalPlan, { kind: 'Project' }>, ids: IdGenerator): LogicalPlan {
  let input = node.input;
  const exprs = node.exprs.map((e) => {
    const r = replaceSubqueries(e, input, ids);
    input = r.input;
    return r.expr;
  });
  return { ...node, input, exprs };
}

function rewriteSort(node: Extract<LogicalPlan, { kind: 'Sort' }>, ids: IdGenerator): LogicalPlan {
  const original = outputColumns(node.input);
  let input = node.input;
  const keys = node.keys.map((k) => {
    const r = replaceSubqueries(k.expr, input, ids);
    input = r.input;
    return { ...k, expr: r.expr };
  });
  const sorted: LogicalPlan = { ...node, input, keys };
  return sameColumns(outputColumns(sorted), original) ? sorted : projectColumns(sorted, original);
}

/** Subqueries in GROUP BY or aggregate arguments: the Aggregate's output does not change. */
function rewriteAggregate(node: Extract<LogicalPlan, { kind: 'Aggregate' }>, ids: IdGenerator): LogicalPlan {
  let input = node.input;
  const replace = (e: LExpr): LExpr => {
    const r = replaceSubqueries(e, input, ids);
    input = r.input;
    return r.expr;
  };
  const groupBy = node.groupBy.map(replace);
  const aggregates = node.aggregates.map((a) => mapAggregateExprs(a, replace));
  return { ...node, input, groupBy, aggregates };
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

function decorrelateInSubquery(plan: LogicalPlan, ids: IdGenerator): LogicalPlan {
  const sub = decorrelate(plan, ids);
  const n = outputColumns(sub).length;
  if (n !== 1) throw new SpillwayError('binder', `subquery of IN must return one column, it returns ${n}`);
  return sub;
}

/** Uncorrelated IN / NOT IN as a WHERE term → semi / null-aware anti join; null when correlated. */
function rewriteIn(input: LogicalPlan, arg: LExpr, sub: LogicalPlan, negated: boolean): LogicalPlan | null {
  if (freeRefs(sub).size > 0) return null;
  const condition = eq(arg, colRef(outputColumns(sub)[0]!));
  return negated
    ? { kind: 'Join', left: input, right: sub, joinType: 'anti', condition, nullAware: true }
    : { kind: 'Join', left: input, right: sub, joinType: 'semi', condition };
}

// ---------- EXISTS ----------

/** [NOT] EXISTS as a WHERE term → semi / anti join; null when the shape is not covered. */
function rewriteExists(input: LogicalPlan, decorrelated: LogicalPlan, negated: boolean): LogicalPlan | null {
  const joinType = negated ? 'anti' : 'semi';
  // The subquery's columns, order and duplicates do not matter to EXISTS.
  const sub = stripForExists(decorrelated);
  if (freeRefs(sub).size === 0) {
    const right: LogicalPlan = { kind: 'Limit', input: sub, skip: 0, fetch: 1 };
    return { kind: 'Join', left: input, right, joinType, condition: null };
  }
  const { base, terms } = peelFilters(sub);
  if (freeRefs(base).size > 0) return null;
  const innerIds = idSet(outputColumns(base));
  const outerIds = idSet(outputColumns(input));
  const local: LExpr[] = [];
  const correlated: LExpr[] = [];
  for (const t of terms) {
    const refs = columnRefs(t);
    if ([...refs].every((id) => innerIds.has(id))) { local.push(t); continue; }
    // A column of a query further out: the general rewrite keeps it as a free reference.
    if (![...refs].every((id) => innerIds.has(id) || outerIds.has(id))) return null;
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

/**
 * Every subquery of `e` (innermost first) replaced by a column of a join with `input`:
 * scalar subqueries by their value, EXISTS and IN by a boolean mark.
 */
function replaceSubqueries(e: LExpr, input: LogicalPlan, ids: IdGenerator): { expr: LExpr; input: LogicalPlan } {
  let current = input;
  const expr = mapExpr(e, (x) => {
    switch (x.kind) {
      case 'scalar_subquery': {
        const r = rewriteScalar(current, x, ids);
        current = r.input;
        return r.value;
      }
      case 'exists': {
        const r = markExists(current, decorrelate(x.plan, ids), x.negated, ids);
        current = r.input;
        return r.value;
      }
      case 'in_subquery': {
        const sub = decorrelateInSubquery(x.plan, ids);
        const r = markIn(current, x.arg, sub, x.negated, ids);
        current = r.input;
        return r.value;
      }
      default: return x;
    }
  });
  return { expr, input: current };
}

function rewriteScalar(input: LogicalPlan, e: Extract<LExpr, { kind: 'scalar_subquery' }>, ids: IdGenerator): { input: LogicalPlan; value: LExpr } {
  const sub = decorrelate(e.plan, ids);
  const cols = outputColumns(sub);
  if (cols.length !== 1) throw new SpillwayError('binder', `scalar subquery must return one column, it returns ${cols.length}`);
  const col = cols[0]!;
  if (correlatedColumns(input, sub).length > 0) {
    return rewriteCorrelatedScalar(input, sub, ids) ?? generalScalar(input, sub, ids);
  }
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
  return { input: { kind: 'Join', left: input, right: agg, joinType: 'inner', condition: null }, value: singleRowGuard(n, m, col.type) };
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

/** The fast shape: a single aggregate correlated by equalities only; null for any other. */
function rewriteCorrelatedScalar(input: LogicalPlan, sub: LogicalPlan, ids: IdGenerator): { input: LogicalPlan; value: LExpr } | null {
  let top: LExpr | null = null;
  let p = sub;
  if (p.kind === 'Project') { top = p.exprs[0]!; p = p.input; }
  if (p.kind !== 'Aggregate' || p.groupBy.length > 0) return null;
  const agg = p;
  const { base, terms } = peelFilters(agg.input);
  if (freeRefs(base).size > 0) return null;
  const innerIds = idSet(outputColumns(base));
  const outerIds = idSet(outputColumns(input));
  for (const a of agg.aggregates) {
    for (const e of [...(a.arg ? [a.arg] : []), ...(a.orderBy ?? []).map((k) => k.expr)]) {
      if (![...columnRefs(e)].every((id) => innerIds.has(id))) return null;
    }
  }
  const aggIds = new Set(agg.aggregates.map((a) => a.id));
  if (top !== null && ![...columnRefs(top)].every((id) => aggIds.has(id) || outerIds.has(id))) return null;
  const local: LExpr[] = [];
  const innerKeys: LExpr[] = [];
  const outerKeys: LExpr[] = [];
  for (const t of terms) {
    const refs = [...columnRefs(t)];
    if (refs.every((id) => innerIds.has(id))) { local.push(t); continue; }
    const sides = t.kind === 'binary' && t.op === '=' ? equalitySides(t.left, t.right, innerIds, outerIds) : null;
    if (!sides) return null;
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
  const replace = new Map<number, LExpr>(agg.aggregates.map((a) => [a.id, countsZero(a)]));
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
