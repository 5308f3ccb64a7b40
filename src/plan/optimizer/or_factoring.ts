/**
 * OR factoring: pulls the terms every branch of an OR shares out in front of it.
 *
 *   (p_partkey = l_partkey AND a) OR (p_partkey = l_partkey AND b)
 *     ──▶  p_partkey = l_partkey AND (a OR b)
 *
 * Without it, TPC-H Q19's only join key hides inside the OR and the join becomes a nested
 * loop over the cross product. Runs on Filter predicates and join conditions, before join
 * extraction, so the factored terms can become join keys and pushed filters.
 */
import type { LExpr, LogicalPlan } from '../logical.js';
import { conjoin, conjuncts, exprKey, mapExpr } from '../logical_exprs.js';
import { transformUp } from '../logical_tree.js';

export function orFactoring(plan: LogicalPlan): LogicalPlan {
  return transformUp(plan, (p) => {
    if (p.kind === 'Filter') return { ...p, predicate: factorExpr(p.predicate) };
    if (p.kind === 'Join' && p.condition) return { ...p, condition: factorExpr(p.condition) };
    return p;
  });
}

export function factorExpr(e: LExpr): LExpr {
  return mapExpr(e, (x) => (x.kind === 'binary' && x.op === 'or' ? factorOr(x) : x));
}

function disjuncts(e: LExpr): LExpr[] {
  return e.kind === 'binary' && e.op === 'or' ? [...disjuncts(e.left), ...disjuncts(e.right)] : [e];
}

function factorOr(e: LExpr): LExpr {
  const branches = disjuncts(e).map((d) => conjuncts(d));
  const keyed = branches.map((terms) => new Map(terms.map((t) => [exprKey(t), t] as const)));
  const common = [...keyed[0]!.entries()].filter(([k]) => keyed.every((m) => m.has(k)));
  if (common.length === 0) return e;
  const commonKeys = new Set(common.map(([k]) => k));
  const rests = branches.map((terms) => terms.filter((t) => !commonKeys.has(exprKey(t))));
  const commonTerms = common.map(([, t]) => t);
  // A branch with nothing left is TRUE, and so is the whole OR.
  if (rests.some((r) => r.length === 0)) return conjoin(commonTerms)!;
  const rest = rests.map((r) => conjoin(r)!).reduce((a, b): LExpr => ({ kind: 'binary', op: 'or', left: a, right: b, type: 'bool' }));
  return conjoin([...commonTerms, rest])!;
}
