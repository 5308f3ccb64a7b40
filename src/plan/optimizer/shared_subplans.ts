/**
 * Shared subplans (after every other pass): each WITH query kept by cte_sharing.ts is
 * optimized once, on its own, narrowed to the columns its readers read.
 *
 * The passes run over the main plan see a kept CTE as a leaf (SharedScan: filters stay
 * above it, pruning narrows what the reader reads). Then, going down by CTE id, so that
 * every reader of a CTE is final before the CTE is: the CTE's plan under a Project of the
 * columns all its readers read (main plan and other CTEs), through the same passes.
 * The SharedCte objects are this run's own copies (cte_sharing.ts), updated in place.
 */
import { outputColumns, type LogicalPlan, type SharedCte } from '../logical.js';
import { projectColumns } from '../logical_tree.js';
import { visitDeep } from './cte_sharing.js';

export function optimizeSharedCtes(root: LogicalPlan, optimizePlan: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const ctes = new Map<number, SharedCte>();
  const discover = (p: LogicalPlan): void => visitDeep(p, (n) => {
    if (n.kind !== 'SharedScan' || ctes.has(n.cte.id)) return;
    ctes.set(n.cte.id, n.cte);
    discover(n.cte.plan);
  });
  discover(root);
  const done: LogicalPlan[] = [root];
  for (const cte of [...ctes.values()].sort((a, b) => b.id - a.id)) {
    const read = new Set<number>();
    for (const p of done) visitDeep(p, (n) => { if (n.kind === 'SharedScan' && n.cte === cte) for (const id of n.sources) read.add(id); });
    const outputs = outputColumns(cte.plan);
    const keep = outputs.filter((c) => read.has(c.id));
    cte.plan = optimizePlan(projectColumns(cte.plan, keep.length > 0 ? keep : outputs.slice(0, 1)));
    done.push(cte.plan);
  }
  return root;
}
