/**
 * Row estimates for logical plans, from the scans' row counts and fixed selectivity
 * guesses (no column statistics yet):
 *
 *   a = b 0.1   a <> b 0.9   range 0.33   LIKE 0.25   IN (n items) min(0.5, 0.1·n)
 *   IS NULL 0.1   AND: product   OR: s1 + s2 − s1·s2   NOT: 1 − s   other 0.5
 *
 * An equi join whose keys look like key = foreign key yields max(left, right) rows (each
 * row of the larger side meets about one row of the smaller); a cross join left × right.
 * Used by join reordering (which relation to join next), the build-side choice of hash
 * joins, and EXPLAIN.
 */
import { outputColumns, type LExpr, type LogicalPlan } from './logical.js';
import { columnRefs, conjuncts, idSet } from './optimizer/expr_utils.js';

export const SELECTIVITY = {
  equality: 0.1,
  inequality: 0.9,
  range: 0.33,
  like: 0.25,
  isNull: 0.1,
  other: 0.5,
} as const;

export function selectivity(pred: LExpr | null): number {
  if (pred === null) return 1;
  switch (pred.kind) {
    case 'literal': return pred.value === true ? 1 : 0;
    case 'binary':
      switch (pred.op) {
        case 'and': return selectivity(pred.left) * selectivity(pred.right);
        case 'or': { const a = selectivity(pred.left); const b = selectivity(pred.right); return a + b - a * b; }
        case '=': case 'is_not_distinct_from': return SELECTIVITY.equality;
        case '<>': case 'is_distinct_from': return SELECTIVITY.inequality;
        case '<': case '<=': case '>': case '>=': return SELECTIVITY.range;
        default: return SELECTIVITY.other;
      }
    case 'unary':
      switch (pred.op) {
        case 'not': return 1 - selectivity(pred.arg);
        case 'is_null': return SELECTIVITY.isNull;
        case 'is_not_null': return 1 - SELECTIVITY.isNull;
        default: return SELECTIVITY.other;
      }
    case 'like': return pred.negated ? 1 - SELECTIVITY.like : SELECTIVITY.like;
    case 'in_list': {
      const s = Math.min(0.5, SELECTIVITY.equality * pred.list.length);
      return pred.negated ? 1 - s : s;
    }
    default: return SELECTIVITY.other;
  }
}

/** Estimated output rows of a logical plan (at least 1 unless provably empty). */
export function estimateRows(plan: LogicalPlan): number {
  switch (plan.kind) {
    case 'Scan': {
      let s = 1;
      for (const f of plan.filters) s *= selectivity(f);
      return atLeastOne(plan.rowEstimate * s, plan.rowEstimate);
    }
    case 'Values': return plan.rows.length;
    case 'Filter': { const n = estimateRows(plan.input); return atLeastOne(n * selectivity(plan.predicate), n); }
    case 'Project': case 'Sort': return estimateRows(plan.input);
    case 'Aggregate': {
      if (plan.groupBy.length === 0) return 1;
      const n = estimateRows(plan.input);
      return atLeastOne(n * 0.1, n);
    }
    case 'Distinct': { const n = estimateRows(plan.input); return atLeastOne(n * 0.5, n); }
    case 'Limit': {
      const n = Math.max(0, estimateRows(plan.input) - plan.skip);
      return plan.fetch === null ? n : Math.min(n, plan.fetch);
    }
    case 'Union': return plan.inputs.reduce((acc, p) => acc + estimateRows(p), 0);
    case 'Join': return estimateJoin(plan);
  }
}

function atLeastOne(x: number, from: number): number {
  return from <= 0 ? 0 : Math.max(1, Math.round(x));
}

function estimateJoin(plan: Extract<LogicalPlan, { kind: 'Join' }>): number {
  const l = estimateRows(plan.left);
  const r = estimateRows(plan.right);
  const leftIds = idSet(outputColumns(plan.left));
  const rightIds = idSet(outputColumns(plan.right));
  let equi = false;
  let residual = 1;
  for (const c of conjuncts(plan.condition)) {
    if (isEquiEdge(c, leftIds, rightIds)) equi = true;
    else residual *= selectivity(c);
  }
  const inner = plan.condition === null ? l * r : Math.round((equi ? Math.max(l, r) : l * r * SELECTIVITY.equality) * residual);
  switch (plan.joinType) {
    case 'inner': return inner;
    case 'left': return Math.max(inner, l);
    case 'right': return Math.max(inner, r);
    case 'full': return Math.max(inner, l + r);
    case 'semi': case 'anti': return l === 0 ? 0 : Math.max(1, Math.round(l * 0.5));
  }
}

/** `a = b` with one side reading only `leftIds` and the other only `rightIds`. */
export function isEquiEdge(c: LExpr, leftIds: ReadonlySet<number>, rightIds: ReadonlySet<number>): boolean {
  if (c.kind !== 'binary' || c.op !== '=') return false;
  const a = columnRefs(c.left);
  const b = columnRefs(c.right);
  if (a.size === 0 || b.size === 0) return false;
  const within = (s: Set<number>, ids: ReadonlySet<number>): boolean => [...s].every((id) => ids.has(id));
  return (within(a, leftIds) && within(b, rightIds)) || (within(a, rightIds) && within(b, leftIds));
}
