/**
 * CTE sharing (the first pass): which WITH queries are computed once for all their readers.
 *
 * The binder binds a WITH query once and makes each reference a SharedScan of it. Here,
 * going down by CTE id (a CTE's readers, even inside other CTEs, are settled before it):
 *
 *   readers ≥ 2 and the body does real work (an aggregate, DISTINCT, a join, a window,
 *   a sort or a subquery)   → kept: every reader reads the one buffered output
 *                             (optimizer/shared_subplans.ts plans it, exec/shared_subplans.ts runs it)
 *   one reader              → inlined: Project(reader's columns) over the body, so filters
 *                             push into it and projection pruning narrows it as before
 *   readers ≥ 2, cheap body → inlined at each reader with fresh column ids: re-reading a
 *   (scans, filters,          scan with each reader's filters pushed in beats buffering it
 *    projections, unions)
 *
 * A kept CTE's readers are counted in the main plan and in the plans of the kept CTEs
 * that read it. This pass copies every SharedCte it keeps, so optimizing never changes
 * the binder's plan.
 */
import { outputColumns, type IdGenerator, type LColumn, type LExpr, type LogicalPlan, type SharedCte } from '../logical.js';
import { logicalChildren } from '../logical.js';
import { colRef, mapExpr, nodeExprs, someExpr } from '../logical_exprs.js';
import { mapNodeExprs, transformUp } from '../logical_tree.js';
import { cloneWithFreshIds } from './plan_clone.js';

type SharedScan = Extract<LogicalPlan, { kind: 'SharedScan' }>;

/** A WITH query must have at least this many readers to be shared. */
export const MIN_SHARED_READERS = 2;

export function cteSharing(plan: LogicalPlan, ids: IdGenerator): LogicalPlan {
  const copies = new Map<SharedCte, SharedCte>();
  const discover = (p: LogicalPlan): void => visitDeep(p, (n) => {
    if (n.kind !== 'SharedScan' || copies.has(n.cte)) return;
    copies.set(n.cte, { ...n.cte });
    discover(n.cte.plan);
  });
  discover(plan);
  if (copies.size === 0) return plan;
  const remap = (p: LogicalPlan): LogicalPlan => mapSharedScans(p, (s) => ({ ...s, cte: copies.get(s.cte)! }));
  for (const c of copies.values()) c.plan = remap(c.plan);
  let root = remap(plan);

  const kept: SharedCte[] = [];
  for (const cte of [...copies.values()].sort((a, b) => b.id - a.id)) {
    const readers = countReaders(root, cte) + kept.reduce((n, k) => n + countReaders(k.plan, cte), 0);
    if (readers === 0) continue;
    if (readers >= MIN_SHARED_READERS && worthSharing(cte.plan)) {
      kept.push(cte);
      continue;
    }
    const inline = (p: LogicalPlan): LogicalPlan => mapSharedScans(p, (s) => (s.cte === cte ? inlined(s, cte, readers, ids) : s));
    root = inline(root);
    for (const k of kept) k.plan = inline(k.plan);
  }
  return root;
}

/** A reader replaced by the CTE's body: the body itself for the only reader, else a fresh copy. */
function inlined(s: SharedScan, cte: SharedCte, readers: number, ids: IdGenerator): LogicalPlan {
  let body = cte.plan;
  let rename = (id: number): number => id;
  if (readers > 1) {
    const clone = cloneWithFreshIds(cte.plan, ids);
    body = clone.plan;
    rename = (id) => clone.columns.get(id)?.id ?? id;
  }
  const outputs = new Map<number, LColumn>(outputColumns(body).map((c) => [c.id, c]));
  const exprs: LExpr[] = s.sources.map((id) => {
    const c = outputs.get(rename(id));
    if (c === undefined) throw new Error(`internal: WITH query ${cte.name} has no output column #${id}`);
    return colRef(c);
  });
  return { kind: 'Project', input: body, exprs, columns: s.columns };
}

/** More than reading: an aggregate, DISTINCT, a join, a window, a sort or a subquery. */
export function worthSharing(plan: LogicalPlan): boolean {
  let work = false;
  visitDeep(plan, (n) => {
    if (['Aggregate', 'Distinct', 'Join', 'Window', 'Sort'].includes(n.kind)) work = true;
    if (nodeExprs(n).some((e) => someExpr(e, isSubquery))) work = true;
  });
  return work;
}

function countReaders(p: LogicalPlan, cte: SharedCte): number {
  let n = 0;
  visitDeep(p, (node) => { if (node.kind === 'SharedScan' && node.cte === cte) n++; });
  return n;
}

function isSubquery(e: LExpr): e is Extract<LExpr, { kind: 'scalar_subquery' | 'exists' | 'in_subquery' }> {
  return e.kind === 'scalar_subquery' || e.kind === 'exists' || e.kind === 'in_subquery';
}

/** Every node of `p`, including those of subquery plans inside its expressions (not CTE bodies). */
export function visitDeep(p: LogicalPlan, f: (node: LogicalPlan) => void): void {
  f(p);
  for (const e of nodeExprs(p)) someExpr(e, (x) => { if (isSubquery(x)) visitDeep(x.plan, f); return false; });
  for (const c of logicalChildren(p)) visitDeep(c, f);
}

/** `p` with every SharedScan passed through `f`, including inside subquery plans. */
export function mapSharedScans(p: LogicalPlan, f: (s: SharedScan) => LogicalPlan): LogicalPlan {
  return transformUp(p, (node) => {
    const n = mapNodeExprs(node, (e) => mapExpr(e, (x) => (isSubquery(x) ? { ...x, plan: mapSharedScans(x.plan, f) } : x)));
    return n.kind === 'SharedScan' ? f(n) : n;
  });
}
