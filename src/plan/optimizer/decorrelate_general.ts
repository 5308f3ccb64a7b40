/**
 * General decorrelation over the domain of the outer values ("magic set" unnesting), the
 * fallback of decorrelate.ts for every correlated subquery its fast shapes do not cover:
 * non-equality correlations, outer references outside WHERE, EXISTS / IN under OR, CASE or
 * in the select list.
 *
 * Let F be the outer columns a subquery S reads (columns of the outer input). The domain
 * D = DISTINCT(F) is computed from a copy (fresh ids) of the smallest part of the outer
 * input that has every value of F — usually the scan F comes from. `dependent(S)`
 * builds a plan whose rows are { (d, s) : d ∈ D, s ∈ S evaluated with F = d }, by pushing
 * D down through S:
 *
 *   Filter(p) over uncorrelated X   →  D ⋈ X on p[F := D]         (equalities → hash keys)
 *   Filter / Project / Distinct     →  the same over dependent(input), D columns passed up
 *   Aggregate GROUP BY g            →  Aggregate GROUP BY D, g over dependent(input)
 *   Aggregate without GROUP BY      →  D' ⟕ Aggregate GROUP BY D on D' ≡ D
 *                                      (one row per d even when d has no rows; counts → 0)
 *   Join                            →  the correlated side(s) made dependent, D ≡ D added
 *   Union                           →  each input dependent, D columns appended
 *   Sort                            →  dropped (order inside a subquery is meaningless)
 *   uncorrelated X                  →  D × X
 *
 * ≡ is null-safe equality, lowered so the hash join can use it as keys:
 *   coalesce(a, k) = coalesce(b, k) AND (a IS NULL) = (b IS NULL)
 * (k any constant of the type), so an outer row whose correlated columns are NULL finds
 * its own domain row.
 *
 * The subquery expression is then replaced by a column of a LEFT JOIN of the outer input
 * with the dependent result on F ≡ D:
 *
 *   scalar      (aggregate without GROUP BY on top) input ⟕ Aggregate(dependent(base) GROUP BY D)
 *               value = the select expression, count → coalesce(count, 0);
 *               otherwise input ⟕ Aggregate(dependent(S) GROUP BY D: count(*) n, max(v) m),
 *               value = CASE WHEN n > 1 THEN raise_error(…) ELSE m END
 *   EXISTS      input ⟕ (DISTINCT D of dependent(S), mark true)   value = mark IS NOT NULL
 *   x IN S      input ⟕ (DISTINCT D, v of dependent(S), mark) on F ≡ D AND x = v
 *               input ⟕ (Aggregate(dependent(S) GROUP BY D: count(*) n, count(v) nv)) on F ≡ D
 *               value = CASE WHEN mark IS NOT NULL THEN true WHEN coalesce(n, 0) = 0 THEN false
 *                            WHEN x IS NULL OR n > nv THEN NULL ELSE false END
 *   (uncorrelated EXISTS / IN under OR use the same marks without D.)
 *
 * Outer references to a query further out than `input` stay free references; the
 * enclosing query's decorrelation removes them.
 */
import type { DataType, Scalar } from '../../common/types.js';
import { SpillwayError } from '../../common/errors.js';
import {
  outputColumns, type IdGenerator, type LAggregate, type LColumn, type LExpr, type LogicalPlan,
} from '../logical.js';
import { colRef, columnRefs, conjoin, conjuncts, eq, freeRefs, idSet, substitute, TRUE } from '../logical_exprs.js';

import { cloneWithFreshIds } from './plan_clone.js';
import { mapAggregateExprs } from '../logical_tree.js';

export const MORE_THAN_ONE_ROW = 'scalar subquery returned more than one row';

export function unsupportedSubquery(what: string): SpillwayError {
  return new SpillwayError('unsupported', `unsupported subquery: ${what}`);
}

/** The outer input of a subquery and the columns of it the subquery reads. */
interface Outer {
  input: LogicalPlan;
  /** The correlated columns F, in the input's column order. */
  columns: LColumn[];
  ids: IdGenerator;
}

/** A plan over D: its D columns, one per outer column (same order as Outer.columns). */
interface Dependent {
  plan: LogicalPlan;
  domain: LColumn[];
}

/** The outer columns (of `input`) that `sub` reads; empty when it reads none. */
export function correlatedColumns(input: LogicalPlan, sub: LogicalPlan): LColumn[] {
  const free = freeRefs(sub);
  return outputColumns(input).filter((c, i, all) => free.has(c.id) && all.findIndex((o) => o.id === c.id) === i);
}

// ---------- the replacements of the three subquery kinds ----------

export interface Rewritten { input: LogicalPlan; value: LExpr }

/** A correlated scalar subquery (sub already decorrelated inside, one output column). */
export function generalScalar(input: LogicalPlan, sub: LogicalPlan, ids: IdGenerator): Rewritten {
  const outer: Outer = { input, columns: correlatedColumns(input, sub), ids };
  const col = outputColumns(sub)[0]!;

  // [Project] Aggregate without GROUP BY: group the dependent input by D directly (the
  // select expression may read outer columns: it is evaluated over the joined input).
  let top: LExpr | null = null;
  let p = sub;
  if (p.kind === 'Project') { top = p.exprs[0]!; p = p.input; }
  if (p.kind === 'Aggregate' && p.groupBy.length === 0) {
    const dep = dependent(p.input, outer);
    const groups = dep.domain.map((c) => freshLike(c, ids));
    const aggregates = p.aggregates.map((a) => mapAggregateExprs(a, (e) => substituteDomain(e, outer, dep.domain)));
    const grouped: LogicalPlan = { kind: 'Aggregate', input: dep.plan, groupBy: dep.domain.map(colRef), groupColumns: groups, aggregates };
    const joined = joinOuter(input, outer, grouped, groups, 'left', null);
    const replace = new Map<number, LExpr>(p.aggregates.map((a) => [a.id, countsZero(a)]));
    const value = top !== null ? substitute(top, replace) : replace.get(p.aggregates[0]!.id)!;
    return { input: joined, value };
  }

  const dep = dependent(sub, outer);
  if (exactlyOneRowPerDomainValue(sub)) {
    return { input: joinOuter(input, outer, dep.plan, dep.domain, 'left', null), value: colRef(col) };
  }
  // May return several rows for one outer row: count them, fail when there are more.
  const groups = dep.domain.map((c) => freshLike(c, ids));
  const n: LAggregate = { id: ids.fresh(), name: 'subquery_rows', fn: 'count_star', arg: null, distinct: false, type: 'int64' };
  const m: LAggregate = { id: ids.fresh(), name: col.name, fn: 'max', arg: colRef(col), distinct: false, type: col.type };
  const grouped: LogicalPlan = { kind: 'Aggregate', input: dep.plan, groupBy: dep.domain.map(colRef), groupColumns: groups, aggregates: [n, m] };
  return { input: joinOuter(input, outer, grouped, groups, 'left', null), value: singleRowGuard(n, m, col.type) };
}

/** CASE WHEN n > 1 THEN raise_error(…) ELSE m END */
export function singleRowGuard(n: LAggregate, m: LAggregate, type: DataType): LExpr {
  return {
    kind: 'case', operand: null, type,
    whens: [{
      when: { kind: 'binary', op: '>', left: aggRef(n), right: { kind: 'literal', value: 1n, type: 'int64' }, type: 'bool' },
      then: { kind: 'call', name: 'raise_error', args: [{ kind: 'literal', value: MORE_THAN_ONE_ROW, type: 'utf8' }], type },
    }],
    else: aggRef(m),
  };
}

/** [NOT] EXISTS anywhere in an expression: a boolean mark column of a left join. */
export function markExists(input: LogicalPlan, sub: LogicalPlan, negated: boolean, ids: IdGenerator): Rewritten {
  const body = stripForExists(sub);
  const outer: Outer = { input, columns: correlatedColumns(input, body), ids };
  const mark: LColumn = { id: ids.fresh(), name: 'exists_mark', type: 'bool', nullable: true };
  let joined: LogicalPlan;
  if (outer.columns.length === 0) {
    const one: LogicalPlan = { kind: 'Limit', input: body, skip: 0, fetch: 1 };
    const marks: LogicalPlan = { kind: 'Project', input: one, exprs: [TRUE], columns: [mark] };
    joined = { kind: 'Join', left: input, right: marks, joinType: 'left', condition: TRUE };
  } else {
    const dep = dependent(body, outer);
    const keys: LogicalPlan = { kind: 'Distinct', input: { kind: 'Project', input: dep.plan, exprs: dep.domain.map(colRef), columns: dep.domain } };
    const marks: LogicalPlan = { kind: 'Project', input: keys, exprs: [...dep.domain.map(colRef), TRUE], columns: [...dep.domain, mark] };
    joined = joinOuter(input, outer, marks, dep.domain, 'left', null);
  }
  return { input: joined, value: { kind: 'unary', op: negated ? 'is_null' : 'is_not_null', arg: colRef(mark), type: 'bool' } };
}

/** x [NOT] IN (sub) anywhere in an expression, with SQL's three-valued result. */
export function markIn(input: LogicalPlan, arg: LExpr, sub: LogicalPlan, negated: boolean, ids: IdGenerator): Rewritten {
  const v = outputColumns(sub)[0]!;
  const outer: Outer = { input, columns: correlatedColumns(input, sub), ids };
  const mark: LColumn = { id: ids.fresh(), name: 'in_mark', type: 'bool', nullable: true };
  const n: LAggregate = { id: ids.fresh(), name: 'in_rows', fn: 'count_star', arg: null, distinct: false, type: 'int64' };
  const nv: LAggregate = { id: ids.fresh(), name: 'in_values', fn: 'count', arg: null, distinct: false, type: 'int64' };
  let withMarks: LogicalPlan;
  let withCounts: LogicalPlan;
  if (outer.columns.length === 0) {
    const vals: LogicalPlan = { kind: 'Distinct', input: sub };
    const marks: LogicalPlan = { kind: 'Project', input: vals, exprs: [colRef(v), TRUE], columns: [v, mark] };
    withMarks = { kind: 'Join', left: input, right: marks, joinType: 'left', condition: eq(arg, colRef(v)) };
    const copy = cloneWithFreshIds(sub, ids);
    const counts: LogicalPlan = {
      kind: 'Aggregate', input: copy.plan, groupBy: [], groupColumns: [],
      aggregates: [n, { ...nv, arg: colRef(copy.columns.get(v.id) ?? v) }],
    };
    withCounts = { kind: 'Join', left: withMarks, right: counts, joinType: 'inner', condition: null };
  } else {
    const dep = dependent(sub, outer);
    const keys: LogicalPlan = { kind: 'Distinct', input: { kind: 'Project', input: dep.plan, exprs: [...dep.domain.map(colRef), colRef(v)], columns: [...dep.domain, v] } };
    const marks: LogicalPlan = { kind: 'Project', input: keys, exprs: [...dep.domain.map(colRef), colRef(v), TRUE], columns: [...dep.domain, v, mark] };
    withMarks = joinOuter(input, outer, marks, dep.domain, 'left', eq(arg, colRef(v)));
    // The counts read a second copy of the subquery (ids are unique within a plan).
    const copy = cloneWithFreshIds(sub, ids);
    const again = dependent(copy.plan, outer);
    const copyV = copy.columns.get(v.id) ?? v;
    const groups = again.domain.map((c) => freshLike(c, ids));
    const counts: LogicalPlan = {
      kind: 'Aggregate', input: again.plan, groupBy: again.domain.map(colRef), groupColumns: groups,
      aggregates: [n, { ...nv, arg: colRef(copyV) }],
    };
    withCounts = joinOuter(withMarks, outer, counts, groups, 'left', null);
  }
  const nullBool: LExpr = { kind: 'literal', value: null, type: 'bool' };
  const rows = aggRef(n);
  const value: LExpr = {
    kind: 'case', operand: null, type: 'bool',
    whens: [
      { when: { kind: 'unary', op: 'is_not_null', arg: colRef(mark), type: 'bool' }, then: TRUE },
      {
        when: eq({ kind: 'call', name: 'coalesce', args: [rows, { kind: 'literal', value: 0n, type: 'int64' }], type: 'int64' }, { kind: 'literal', value: 0n, type: 'int64' }),
        then: { kind: 'literal', value: false, type: 'bool' },
      },
      {
        when: {
          kind: 'binary', op: 'or', type: 'bool',
          left: { kind: 'unary', op: 'is_null', arg, type: 'bool' },
          right: { kind: 'binary', op: '>', left: rows, right: aggRef(nv), type: 'bool' },
        },
        then: nullBool,
      },
    ],
    else: { kind: 'literal', value: false, type: 'bool' },
  };
  return { input: withCounts, value: negated ? { kind: 'unary', op: 'not', arg: value, type: 'bool' } : value };
}

/** EXISTS ignores the subquery's columns, order and duplicates. */
export function stripForExists(sub: LogicalPlan): LogicalPlan {
  let p = sub;
  for (;;) {
    if (p.kind === 'Project' || p.kind === 'Sort' || p.kind === 'Distinct') p = p.input;
    else if (p.kind === 'Limit' && p.skip === 0 && (p.fetch === null || p.fetch >= 1)) p = p.input;
    else return p;
  }
}

// ---------- pushing the domain down ----------

function readsAny(e: LExpr, outer: Outer): boolean {
  const refs = columnRefs(e);
  return outer.columns.some((c) => refs.has(c.id));
}

function isCorrelated(p: LogicalPlan, outer: Outer): boolean {
  const free = freeRefs(p);
  return outer.columns.some((c) => free.has(c.id));
}

/** DISTINCT F over a fresh copy of (the smallest part of) the outer input. */
function domain(outer: Outer): Dependent {
  const copy = cloneWithFreshIds(domainSource(outer.input, idSet(outer.columns)), outer.ids);
  const cols = outer.columns.map((c) => freshLike(c, outer.ids));
  const exprs = outer.columns.map((c) => colRef(copy.columns.get(c.id) ?? c));
  return { plan: { kind: 'Distinct', input: { kind: 'Project', input: copy.plan, exprs, columns: cols } }, domain: cols };
}

/**
 * The smallest subtree of `p` that outputs every column of `want` with every value it has
 * in `p`. A superset of the outer values is a valid domain (extra values are never joined
 * back), so Filters, Limits and the other side of a join can be skipped — but not the
 * NULL-extended side of an outer join, which adds NULLs the subtree does not have.
 */
function domainSource(p: LogicalPlan, want: ReadonlySet<number>): LogicalPlan {
  const hasAll = (q: LogicalPlan): boolean => {
    const ids = idSet(outputColumns(q));
    for (const id of want) if (!ids.has(id)) return false;
    return true;
  };
  for (;;) {
    switch (p.kind) {
      case 'Filter': case 'Sort': case 'Limit': case 'Distinct': p = p.input; continue;
      case 'Project':
        if (!hasAll(p.input)) return p;
        p = p.input;
        continue;
      case 'Join': {
        const t = p.joinType;
        if ((t === 'inner' || t === 'left' || t === 'semi' || t === 'anti') && hasAll(p.left)) { p = p.left; continue; }
        if ((t === 'inner' || t === 'right') && hasAll(p.right)) { p = p.right; continue; }
        return p;
      }
      default: return p;
    }
  }
}

function freshLike(c: LColumn, ids: IdGenerator): LColumn {
  return { id: ids.fresh(), name: c.name, type: c.type, nullable: c.nullable };
}

function substituteDomain(e: LExpr, outer: Outer, dcols: readonly LColumn[]): LExpr {
  const m = new Map<number, LExpr>(outer.columns.map((c, i) => [c.id, colRef(dcols[i]!)]));
  return substitute(e, m);
}

function substituteAll(e: LExpr | null, outer: Outer, dcols: readonly LColumn[]): LExpr | null {
  return e === null ? null : substituteDomain(e, outer, dcols);
}

/** `p` evaluated for every value of the domain; output = p's columns (same ids) + D columns. */
function dependent(p: LogicalPlan, outer: Outer): Dependent {
  if (!isCorrelated(p, outer)) {
    const d = domain(outer);
    return { plan: { kind: 'Join', left: d.plan, right: p, joinType: 'inner', condition: null }, domain: d.domain };
  }
  switch (p.kind) {
    case 'Filter': {
      if (!isCorrelated(p.input, outer)) {
        const d = domain(outer);
        const condition = substituteDomain(p.predicate, outer, d.domain);
        return { plan: { kind: 'Join', left: d.plan, right: p.input, joinType: 'inner', condition }, domain: d.domain };
      }
      const r = dependent(p.input, outer);
      return { plan: { kind: 'Filter', input: r.plan, predicate: substituteDomain(p.predicate, outer, r.domain) }, domain: r.domain };
    }
    case 'Scan': {
      // Correlated terms pushed into a scan: take them out as a join condition.
      const local = p.filters.filter((f) => !readsAny(f, outer));
      const moved = p.filters.filter((f) => readsAny(f, outer));
      return dependent({ kind: 'Filter', input: { ...p, filters: local }, predicate: conjoin(moved)! }, outer);
    }
    case 'Values':
      throw unsupportedSubquery('VALUES that reads a column of the outer query');
    case 'SharedScan':
      throw new Error('a WITH query reads no outer column: SharedScan is never correlated');
    case 'Project': {
      const r = dependent(p.input, outer);
      return {
        plan: {
          kind: 'Project', input: r.plan,
          exprs: [...p.exprs.map((e) => substituteDomain(e, outer, r.domain)), ...r.domain.map(colRef)],
          columns: [...p.columns, ...r.domain],
        },
        domain: r.domain,
      };
    }
    case 'Distinct': {
      const r = dependent(p.input, outer);
      return { plan: { kind: 'Distinct', input: r.plan }, domain: r.domain };
    }
    case 'Sort':
      return dependent(p.input, outer);
    case 'Window':
      throw unsupportedSubquery('a window function in a correlated subquery');
    case 'Limit':
      if (p.skip === 0 && p.fetch === null) return dependent(p.input, outer);
      throw unsupportedSubquery('LIMIT or OFFSET in a correlated subquery');
    case 'Aggregate': return dependentAggregate(p, outer);
    case 'Join': return dependentJoin(p, outer);
    case 'Union': {
      const parts = p.inputs.map((i) => dependent(i, outer));
      const dcols = outer.columns.map((c) => freshLike(c, outer.ids));
      const inputs = parts.map((r, k): LogicalPlan => {
        const cols = outputColumns(p.inputs[k]!);
        return { kind: 'Project', input: r.plan, exprs: [...cols.map(colRef), ...r.domain.map(colRef)], columns: [...cols, ...r.domain] };
      });
      return { plan: { kind: 'Union', inputs, columns: [...p.columns, ...dcols] }, domain: dcols };
    }
    case 'RecursiveCte': case 'WorkTable':
      throw unsupportedSubquery('a recursive CTE that reads a column of the outer query');
  }
}

function dependentAggregate(p: Extract<LogicalPlan, { kind: 'Aggregate' }>, outer: Outer): Dependent {
  if (p.groupingSets) throw unsupportedSubquery('GROUPING SETS, ROLLUP or CUBE in a correlated subquery');
  const ids = outer.ids;
  const r = dependent(p.input, outer);
  const groups = r.domain.map((c) => freshLike(c, ids));
  const groupBy = [...r.domain.map(colRef), ...p.groupBy.map((e) => substituteDomain(e, outer, r.domain))];
  const args = (a: LAggregate): LAggregate => mapAggregateExprs(a, (e) => substituteAll(e, outer, r.domain)!);
  if (p.groupBy.length > 0) {
    const aggregates = p.aggregates.map(args);
    return {
      plan: { kind: 'Aggregate', input: r.plan, groupBy, groupColumns: [...groups, ...p.groupColumns], aggregates },
      domain: groups,
    };
  }
  // Without GROUP BY an aggregate gives one row even over no rows: left join the domain.
  const inner = p.aggregates.map((a) => ({ ...args(a), id: ids.fresh() }));
  const grouped: LogicalPlan = { kind: 'Aggregate', input: r.plan, groupBy, groupColumns: groups, aggregates: inner };
  const d = domain(outer);
  const joined: LogicalPlan = { kind: 'Join', left: d.plan, right: grouped, joinType: 'left', condition: nullSafeEqualAll(d.domain, groups) };
  const exprs = p.aggregates.map((a, i) => countsZero({ ...a, id: inner[i]!.id }));
  const columns = p.aggregates.map((a): LColumn => ({ id: a.id, name: a.name, type: a.type, nullable: true }));
  return {
    plan: { kind: 'Project', input: joined, exprs: [...exprs, ...d.domain.map(colRef)], columns: [...columns, ...d.domain] },
    domain: d.domain,
  };
}

function dependentJoin(p: Extract<LogicalPlan, { kind: 'Join' }>, outer: Outer): Dependent {
  const lc = isCorrelated(p.left, outer);
  const rc = isCorrelated(p.right, outer);
  if (p.nullAware && (rc || (p.condition !== null && readsAny(p.condition, outer)))) {
    throw unsupportedSubquery('NOT IN whose subquery reads a column of an enclosing query, inside a correlated subquery');
  }
  const both = (l: Dependent, r: Dependent): LExpr | null =>
    conjoin([...conjuncts(substituteAll(p.condition, outer, l.domain)), ...conjuncts(nullSafeEqualAll(l.domain, r.domain))]);
  switch (p.joinType) {
    case 'inner': {
      if (lc && rc) {
        const l = dependent(p.left, outer);
        const r = dependent(p.right, outer);
        return { plan: { ...p, left: l.plan, right: r.plan, condition: both(l, r) }, domain: l.domain };
      }
      if (rc) {
        const r = dependent(p.right, outer);
        return { plan: { ...p, right: r.plan, condition: substituteAll(p.condition, outer, r.domain) }, domain: r.domain };
      }
      const l = dependent(p.left, outer);
      return { plan: { ...p, left: l.plan, condition: substituteAll(p.condition, outer, l.domain) }, domain: l.domain };
    }
    case 'left': case 'semi': case 'anti': {
      const l = dependent(p.left, outer);
      if (!rc) return { plan: { ...p, left: l.plan, condition: substituteAll(p.condition, outer, l.domain) }, domain: l.domain };
      const r = dependent(p.right, outer);
      return { plan: { ...p, left: l.plan, right: r.plan, condition: both(l, r) }, domain: l.domain };
    }
    case 'right': {
      const r = dependent(p.right, outer);
      if (!lc) return { plan: { ...p, right: r.plan, condition: substituteAll(p.condition, outer, r.domain) }, domain: r.domain };
      const l = dependent(p.left, outer);
      return { plan: { ...p, left: l.plan, right: r.plan, condition: both(r, l) }, domain: r.domain };
    }
    default:
      throw unsupportedSubquery('FULL JOIN inside a correlated subquery');
  }
}

// ---------- joining back ----------

/** input ⟕ right ON F ≡ rightDomain [AND extra]. */
function joinOuter(input: LogicalPlan, outer: Outer, right: LogicalPlan, rightDomain: readonly LColumn[], joinType: 'left', extra: LExpr | null): LogicalPlan {
  const keys = nullSafeEqualAll(outer.columns, rightDomain);
  const condition = conjoin([...conjuncts(keys), ...conjuncts(extra)]);
  return { kind: 'Join', left: input, right, joinType, condition };
}

function nullSafeEqualAll(a: readonly LColumn[], b: readonly LColumn[]): LExpr | null {
  return conjoin(a.flatMap((c, i) => conjuncts(nullSafeEqual(c, b[i]!))));
}

/**
 * a IS NOT DISTINCT FROM b as terms the hash join takes as keys:
 * coalesce(a, k) = coalesce(b, k) AND (a IS NULL) = (b IS NULL); plain a = b when a column
 * cannot be NULL.
 */
export function nullSafeEqual(a: LColumn, b: LColumn): LExpr {
  if (!a.nullable || !b.nullable) return eq(colRef(a), colRef(b));
  const isNull = (c: LColumn): LExpr => ({ kind: 'unary', op: 'is_null', arg: colRef(c), type: 'bool' });
  if (a.type === 'null' || b.type === 'null') return eq(isNull(a), isNull(b));
  const filled = (c: LColumn): LExpr => ({ kind: 'call', name: 'coalesce', args: [colRef(c), { kind: 'literal', value: zeroOf(c.type), type: c.type }], type: c.type });
  return { kind: 'binary', op: 'and', left: eq(filled(a), filled(b)), right: eq(isNull(a), isNull(b)), type: 'bool' };
}

function zeroOf(t: DataType): Scalar {
  switch (t) {
    case 'bool': return false;
    case 'int64': case 'timestamp': return 0n;
    case 'utf8': case 'blob': return '';
    case 'interval': return '00:00:00';
    default: return 0;
  }
}

// ---------- small helpers ----------

function aggRef(a: LAggregate): LExpr {
  return { kind: 'column', id: a.id, type: a.type, name: a.name };
}

/** The aggregate's value where a missing group means "no rows": count → 0, others NULL. */
export function countsZero(a: LAggregate): LExpr {
  const ref = aggRef(a);
  if (a.fn !== 'count' && a.fn !== 'count_star') return ref;
  return { kind: 'call', name: 'coalesce', args: [ref, { kind: 'literal', value: a.type === 'int64' ? 0n : 0, type: a.type }], type: a.type };
}

/** One row per domain value: an aggregate without GROUP BY under Project/Sort/Distinct. */
function exactlyOneRowPerDomainValue(p: LogicalPlan): boolean {
  switch (p.kind) {
    case 'Aggregate': return p.groupBy.length === 0;
    case 'Project': case 'Sort': case 'Distinct': return exactlyOneRowPerDomainValue(p.input);
    default: return false;
  }
}
