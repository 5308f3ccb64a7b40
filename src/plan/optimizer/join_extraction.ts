/**
 * Join extraction: turns comma joins (cross joins) plus WHERE equalities into inner joins.
 *
 * For each maximal tree of inner/cross joins (with the Filter directly above it, if any),
 * every AND term of the Filter and of the join conditions is moved to the lowest node
 * whose output has all the columns it reads:
 *
 *   Filter(a.x = b.x AND b.y = c.y AND a.z > 1)          Join(b.y = c.y)
 *     Join(cross)                                 ──▶       Join(a.x = b.x)
 *       Join(cross)                                           Filter(a.z > 1)
 *         a   b                                                 a
 *       c                                                     b
 *                                                           c
 *
 * The tree shape and the leaf order are kept (join_reorder changes them later). Terms that
 * read a single leaf become a Filter over it; terms without columns go to the leftmost leaf.
 */
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { columnRefs, conjoin, conjuncts, idSet } from '../logical_exprs.js';
import { withChildren } from '../logical_tree.js';

export function joinExtraction(plan: LogicalPlan): LogicalPlan {
  if (plan.kind === 'Filter' && isInnerJoin(plan.input)) {
    return placeTerms(plan.input, conjuncts(plan.predicate));
  }
  if (isInnerJoin(plan)) return placeTerms(plan, []);
  const kids = logicalChildren(plan);
  return kids.length === 0 ? plan : withChildren(plan, kids.map(joinExtraction));
}

function isInnerJoin(p: LogicalPlan): p is Extract<LogicalPlan, { kind: 'Join' }> {
  return p.kind === 'Join' && p.joinType === 'inner';
}

/** Rebuild an inner-join tree with `terms` (plus its own conditions) at their lowest homes. */
function placeTerms(node: LogicalPlan, terms: LExpr[]): LogicalPlan {
  if (!isInnerJoin(node)) {
    const leaf = joinExtraction(node);
    const pred = conjoin(terms);
    return pred === null ? leaf : { kind: 'Filter', input: leaf, predicate: pred };
  }
  const all = [...terms, ...conjuncts(node.condition)];
  const leftIds = idSet(outputColumns(node.left));
  const rightIds = idSet(outputColumns(node.right));
  const toLeft: LExpr[] = [];
  const toRight: LExpr[] = [];
  const here: LExpr[] = [];
  for (const t of all) {
    const refs = [...columnRefs(t)];
    if (refs.every((id) => leftIds.has(id))) toLeft.push(t);
    else if (refs.every((id) => rightIds.has(id))) toRight.push(t);
    else here.push(t);
  }
  return {
    kind: 'Join', joinType: 'inner',
    left: placeTerms(node.left, toLeft),
    right: placeTerms(node.right, toRight),
    condition: conjoin(here),
  };
}
