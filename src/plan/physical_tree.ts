/** Physical plan trees: replacing children, bottom-up rewrites, listing nodes, the largest node id. */
import { traitsOf } from './node_traits.js';
import { childrenOf, type PhysicalPlan } from './physical.js';

/** `p` with its children replaced (same order as childrenOf). */
export function withChildren(p: PhysicalPlan, children: readonly PhysicalPlan[]): PhysicalPlan {
  return traitsOf(p).withChildren(p, children);
}

/** Bottom-up rewrite: children first, then `fn` on the node with its new children. */
export function mapPlan(p: PhysicalPlan, fn: (p: PhysicalPlan) => PhysicalPlan): PhysicalPlan {
  const kids = childrenOf(p);
  const mapped = kids.map((c) => mapPlan(c, fn));
  const same = mapped.every((c, i) => c === kids[i]);
  return fn(same ? p : withChildren(p, mapped));
}

/** Every node of the plan, parents before children. */
export function planNodes(p: PhysicalPlan): PhysicalPlan[] {
  const out: PhysicalPlan[] = [];
  const visit = (n: PhysicalPlan): void => { out.push(n); for (const c of childrenOf(n)) visit(c); };
  visit(p);
  return out;
}

export function maxNodeId(p: PhysicalPlan): number {
  let m = 0;
  for (const n of planNodes(p)) if (n.id > m) m = n.id;
  return m;
}
