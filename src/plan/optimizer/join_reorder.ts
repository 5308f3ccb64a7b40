/**
 * Join reordering: for each tree of three or more relations joined by inner/cross joins,
 * picks a left-deep order from the estimates of estimate.ts (rows, and distinct values per
 * join key) so that no cross product is built while an equi-join edge exists. Greedy on the
 * estimated output of each join, tried from every starting relation (from the 5 largest and
 * 5 smallest when there are more than 10):
 *
 *   for each relation s:
 *     current ← s
 *     while relations remain:
 *       next ← the remaining relation with an equality edge to `current` whose join with
 *              `current` has the smallest estimated output (ties: the smaller relation);
 *              the smallest relation if none is connected (a cross product is unavoidable)
 *       current ← Join(current, next) on every term now covered
 *     cost(s) ← Σ estimated rows of every join but the last (the last is the answer's size)
 *   keep the order of the cheapest s (ties: the larger starting relation)
 *
 *   TPC-H Q5   region(r_name = 'ASIA') 1  nation 25  supplier 100  customer 1.5k
 *              orders(one year) 1.6k  lineitem 60k
 *   edges      r–n  n–s  s–c (nationkey: many-to-many)  c–o  o–l  s–l
 *   from r     ((((region ⋈ nation) ⋈ supplier) ⋈ customer) ⋈ orders) ⋈ lineitem
 *              est. 5, 20, 1.2k, 1.6k: the cheapest start. From lineitem the old rule
 *              (smallest relation next) joined supplier, nation, region and then customer
 *              on s_nationkey = c_nationkey: a million rows.
 *
 * Starting from every relation (not only the best first pair) matters for stars: in Q9
 * supplier ⋈ nation is the cheapest pair, but its only way on is lineitem by suppkey.
 * The physical planner builds the hash table on whichever side is estimated smaller, so a
 * large table joined late is still streamed as the probe side.
 * The relations (leaves) are reordered recursively on their own. When the order changes
 * the output column order, a Project restores it.
 */
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { Estimator, isEquiEdge } from '../estimate.js';
import { columnRefs, conjoin, conjuncts, idSet } from '../logical_exprs.js';
import { projectColumns, sameColumns, withChildren } from '../logical_tree.js';

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
  const size = leaves.map((l) => estimator.rows(l));
  const ids = leaves.map((l) => idSet(outputColumns(l)));
  let best: { plan: LogicalPlan; cost: number; start: number } | null = null;
  for (const start of startingRelations(size)) {
    const run = greedyFrom(start, leaves, ids, size, terms, estimator);
    // Ties: the larger starting relation (the probe side of the first join).
    if (best === null || run.cost < best.cost || (run.cost === best.cost && size[start]! > size[best.start]!)) best = { ...run, start };
  }
  return best!.plan;
}

/**
 * Every relation for up to MAX_ALL_STARTS of them; beyond that (the search is cubic in the
 * number of relations: a 64-way join took seconds to plan) the largest and the smallest few.
 */
const MAX_ALL_STARTS = 10;
function startingRelations(size: readonly number[]): number[] {
  const all = size.map((_, i) => i);
  if (all.length <= MAX_ALL_STARTS) return all;
  const bySize = [...all].sort((a, b) => size[b]! - size[a]! || a - b);
  const half = MAX_ALL_STARTS >> 1;
  return [...new Set([...bySize.slice(0, half), ...bySize.slice(-half)])];
}

interface Candidate {
  leaf: number;
  plan: Extract<LogicalPlan, { kind: 'Join' }>;
  covered: number[];
  connected: boolean;
  rows: number;
}

/**
 * The greedy order from one starting relation and its cost: the summed estimated rows of
 * every join but the last (the last one's output is the query's, whatever the order).
 */
function greedyFrom(
  start: number, leaves: readonly LogicalPlan[], ids: readonly ReadonlySet<number>[], size: readonly number[],
  terms: readonly LExpr[], estimator: Estimator,
): { plan: LogicalPlan; cost: number } {
  const remaining = new Set(leaves.map((_, i) => i));
  remaining.delete(start);
  const unused = new Set(terms.map((_, i) => i));
  let current = leaves[start]!;
  const currentIds = new Set(ids[start]!);
  let cost = 0;
  while (remaining.size > 0) {
    let pick: Candidate | null = null;
    for (const i of remaining) {
      const cand = candidate(current, currentIds, i, leaves, ids, terms, unused, estimator);
      if (pick === null || betterCandidate(cand, pick, size)) pick = cand;
    }
    remaining.delete(pick!.leaf);
    for (const id of ids[pick!.leaf]!) currentIds.add(id);
    for (const t of pick!.covered) unused.delete(t);
    current = pick!.plan;
    if (remaining.size > 0) cost += pick!.rows;
  }
  // Terms that read no column of any leaf cannot exist here; keep any leftover safely above.
  const rest = conjoin([...unused].map((t) => terms[t]!));
  return { plan: rest === null ? current : { kind: 'Filter', input: current, predicate: rest }, cost };
}

/** Join of `current` with leaf i on every unused term the two cover, with its estimate. */
function candidate(
  current: LogicalPlan, currentIds: ReadonlySet<number>, i: number, leaves: readonly LogicalPlan[],
  ids: readonly ReadonlySet<number>[], terms: readonly LExpr[], unused: ReadonlySet<number>, estimator: Estimator,
): Candidate {
  const covered: number[] = [];
  let connected = false;
  for (const t of unused) {
    const term = terms[t]!;
    if ([...columnRefs(term)].every((id) => currentIds.has(id) || ids[i]!.has(id))) {
      covered.push(t);
      if (isEquiEdge(term, currentIds, ids[i]!)) connected = true;
    }
  }
  const plan: Extract<LogicalPlan, { kind: 'Join' }> = {
    kind: 'Join', joinType: 'inner', left: current, right: leaves[i]!, condition: conjoin(covered.map((t) => terms[t]!)),
  };
  return { leaf: i, plan, covered, connected, rows: estimator.rows(plan) };
}

/** Connected before unconnected (no cross product while an edge exists), then the smaller output, then the smaller relation. */
function betterCandidate(a: Candidate, b: Candidate, size: readonly number[]): boolean {
  if (a.connected !== b.connected) return a.connected;
  if (a.rows !== b.rows) return a.rows < b.rows;
  return size[a.leaf]! < size[b.leaf]!;
}
