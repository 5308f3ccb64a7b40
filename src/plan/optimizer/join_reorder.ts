/**
 * Join reordering: for each tree of three or more relations joined by inner/cross joins,
 * picks a left-deep order from the estimates of estimate.ts (rows, and distinct values per
 * join key) so that no cross product is built while an equi-join edge exists. Greedy on the
 * estimated output of each join:
 *
 *   current ← the connected pair whose join has the smallest estimated output
 *   while relations remain:
 *     next ← the remaining relation with an equality edge to `current` whose join with
 *            `current` has the smallest estimated output (ties: the smaller relation)
 *            (the smallest relation if none is connected: a cross product is unavoidable)
 *     current ← Join(current, next) on every term now covered
 *
 *   TPC-H Q5   region(filtered) 1  nation 25  supplier 100  customer 1.5k
 *              orders(filtered) 1.6k  lineitem 60k
 *   edges      r–n  n–s  s–c (nationkey, many-to-many)  c–o  o–l  s–l
 *   result     ((((region ⋈ nation) ⋈ supplier) ⋈ customer) ⋈ orders) ⋈ lineitem
 *              each step keeps the intermediate result small; joining customer on
 *              s_nationkey = c_nationkey straight after lineitem ⋈ supplier (the old
 *              smallest-relation rule) built a million rows
 *
 * The left-deep tree starts with the small side; the physical planner builds the hash table
 * on whichever side is estimated smaller, so large tables are still streamed as probe sides.
 * The relations (leaves) are reordered recursively on their own. When the order changes
 * the output column order, a Project restores it.
 */
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { Estimator, isEquiEdge } from '../estimate.js';
import { columnRefs, conjoin, conjuncts, idSet, projectColumns, sameColumns, withChildren } from './expr_utils.js';

export function joinReorder(plan: LogicalPlan): LogicalPlan {
  if (!isInnerJoin(plan)) {
    const kids = logicalChildren(plan);
    return kids.length === 0 ? plan : withChildren(plan, kids.map(joinReorder));
  }
  const leaves: LogicalPlan[] = [];
  const terms: LExpr[] = [];
  flatten(plan, leaves, terms);
  if (leaves.length < 3) return withChildren(plan, [joinReorder(plan.left), joinReorder(plan.right)]);
  const ordered = greedyOrder(leaves.map(joinReorder), terms);
  const original = outputColumns(plan);
  return sameColumns(outputColumns(ordered), original) ? ordered : projectColumns(ordered, original);
}

function isInnerJoin(p: LogicalPlan): p is Extract<LogicalPlan, { kind: 'Join' }> {
  return p.kind === 'Join' && p.joinType === 'inner';
}

function flatten(p: LogicalPlan, leaves: LogicalPlan[], terms: LExpr[]): void {
  if (isInnerJoin(p)) {
    flatten(p.left, leaves, terms);
    flatten(p.right, leaves, terms);
    terms.push(...conjuncts(p.condition));
  } else {
    leaves.push(p);
  }
}

function greedyOrder(leaves: LogicalPlan[], terms: LExpr[]): LogicalPlan {
  const estimator = new Estimator();
  const est = leaves.map((l) => estimator.rows(l));
  const ids = leaves.map((l) => idSet(outputColumns(l)));
  const unused = new Set(terms.map((_, i) => i));
  /** Join of `left` (covering `leftIds`) with leaf i on every unused term the two cover. */
  const joinWith = (left: LogicalPlan, leftIds: ReadonlySet<number>, i: number): { plan: LogicalPlan; covered: number[]; connected: boolean } => {
    const covered: number[] = [];
    let connected = false;
    for (const t of unused) {
      const term = terms[t]!;
      if ([...columnRefs(term)].every((id) => leftIds.has(id) || ids[i]!.has(id))) {
        covered.push(t);
        if (isEquiEdge(term, leftIds, ids[i]!)) connected = true;
      }
    }
    const plan: LogicalPlan = { kind: 'Join', joinType: 'inner', left, right: leaves[i]!, condition: conjoin(covered.map((t) => terms[t]!)) };
    return { plan, covered, connected };
  };
  /** Better candidate: connected first, then the smaller estimated output, then the smaller relation. */
  const better = (a: { rows: number; size: number; connected: boolean }, b: { rows: number; size: number; connected: boolean } | null): boolean =>
    b === null || (a.connected !== b.connected ? a.connected : a.rows !== b.rows ? a.rows < b.rows : a.size < b.size);

  // The starting pair: the connected pair with the smallest estimated join output, the larger
  // relation first; with no equi edge at all, the largest relation alone.
  let first = 0;
  for (let i = 1; i < leaves.length; i++) if (est[i]! > est[first]!) first = i;
  let start: { a: number; b: number; rows: number; size: number; connected: boolean } | null = null;
  for (let a = 0; a < leaves.length; a++) {
    for (let b = 0; b < leaves.length; b++) {
      if (a === b || est[a]! < est[b]! || (est[a] === est[b] && a > b)) continue;
      const j = joinWith(leaves[a]!, ids[a]!, b);
      if (!j.connected) continue;
      const cand = { a, b, rows: estimator.rows(j.plan), size: est[a]! + est[b]!, connected: true };
      if (better(cand, start)) start = cand;
    }
  }
  if (start !== null) first = start.a;
  const remaining = new Set(leaves.map((_, i) => i));
  remaining.delete(first);
  let current = leaves[first]!;
  const currentIds = new Set(ids[first]!);

  while (remaining.size > 0) {
    let pick: { i: number; plan: LogicalPlan; covered: number[]; rows: number; size: number; connected: boolean } | null = null;
    if (start !== null && remaining.size === leaves.length - 1) {
      const j = joinWith(current, currentIds, start.b);
      pick = { i: start.b, ...j, rows: 0, size: 0 };
    } else {
      for (const i of remaining) {
        const j = joinWith(current, currentIds, i);
        const cand = { i, ...j, rows: j.connected ? estimator.rows(j.plan) : est[i]!, size: est[i]! };
        if (better(cand, pick)) pick = cand;
      }
    }
    remaining.delete(pick!.i);
    for (const id of ids[pick!.i]!) currentIds.add(id);
    for (const t of pick!.covered) unused.delete(t);
    current = pick!.plan;
  }
  // Terms that read no column of any leaf cannot exist here; keep any leftover safely above.
  const rest = conjoin([...unused].map((t) => terms[t]!));
  return rest === null ? current : { kind: 'Filter', input: current, predicate: rest };
}
