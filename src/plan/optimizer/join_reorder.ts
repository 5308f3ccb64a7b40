/**
 * Join reordering: for each tree of three or more relations joined by inner/cross joins,
 * picks a left-deep order from row estimates (estimate.ts) so that no cross product is
 * built while an equi-join edge exists. Greedy:
 *
 *   current ← the largest relation (it stays the probe side of every hash join)
 *   while relations remain:
 *     next ← the smallest remaining relation with an equality edge to `current`
 *            (the smallest of all if none is connected: a cross product is unavoidable)
 *     current ← Join(current, next) on every term now covered
 *
 *   relations  lineitem 60k  orders 15k  customer 1.5k  nation 25
 *   edges      l–o  o–c  c–n
 *   result     ((lineitem ⋈ orders) ⋈ customer) ⋈ nation
 *
 * The relations (leaves) are reordered recursively on their own. When the order changes
 * the output column order, a Project restores it.
 */
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { estimateRows, isEquiEdge } from '../estimate.js';
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
  const est = leaves.map(estimateRows);
  const ids = leaves.map((l) => idSet(outputColumns(l)));
  const remaining = new Set(leaves.map((_, i) => i));
  let first = 0;
  for (let i = 1; i < leaves.length; i++) if (est[i]! > est[first]!) first = i;
  remaining.delete(first);
  let current = leaves[first]!;
  const currentIds = new Set(ids[first]!);
  const unused = new Set(terms.map((_, i) => i));

  while (remaining.size > 0) {
    let pick = -1;
    for (const i of remaining) {
      const connected = [...unused].some((t) => isEquiEdge(terms[t]!, currentIds, ids[i]!));
      if (connected && (pick < 0 || est[i]! < est[pick]!)) pick = i;
    }
    if (pick < 0) for (const i of remaining) if (pick < 0 || est[i]! < est[pick]!) pick = i;
    remaining.delete(pick);
    for (const id of ids[pick]!) currentIds.add(id);
    const covered: LExpr[] = [];
    for (const t of [...unused]) {
      if ([...columnRefs(terms[t]!)].every((id) => currentIds.has(id))) { covered.push(terms[t]!); unused.delete(t); }
    }
    current = { kind: 'Join', joinType: 'inner', left: current, right: leaves[pick]!, condition: conjoin(covered) };
  }
  // Terms that read no column of any leaf cannot exist here; keep any leftover safely above.
  const rest = conjoin([...unused].map((t) => terms[t]!));
  return rest === null ? current : { kind: 'Filter', input: current, predicate: rest };
}
