/**
 * Distributed plans inline shared subplans: each SharedRead becomes its own copy of the
 * shared subplan (fresh node ids), and the SharedSubplans root goes away. Every consumer
 * then recomputes the WITH query inside its own stages.
 *
 * Why not one stage read by every consumer: a stage's output is split once, by the
 * partitioning its single consumer needs, and each consumer of a shared WITH query wants
 * its own (TPC-H Q15: hashed on the key for a join, gathered for a max), so a shared
 * stage would need another exchange hop per consumer; the scheduler's adaptive and
 * recovery logic also assume one consumer per stage. Local runs keep the sharing.
 */
import { maxNodeId, mapPlan } from '../plan/physical_tree.js';
import type { PhysicalPlan, SharedSubplan, SharedSubplansNode } from '../plan/physical.js';

export function inlineSharedSubplans(plan: PhysicalPlan): PhysicalPlan {
  let nextId = maxNodeId(plan) + 1;
  return mapPlan(plan, (n) => (n.kind === 'SharedSubplans' ? inlineScope(n, () => nextId++) : n));
}

function inlineScope(scope: SharedSubplansNode, freshId: () => number): PhysicalPlan {
  const shared = new Map<number, SharedSubplan>(scope.shared.map((s) => [s.id, s]));
  const renumbered = (p: PhysicalPlan): PhysicalPlan => mapPlan(p, (n) => ({ ...n, id: freshId() }));
  const inline = (p: PhysicalPlan): PhysicalPlan => mapPlan(p, (n) => {
    if (n.kind !== 'SharedRead') return n;
    const s = shared.get(n.shareId);
    if (s === undefined) throw new Error(`SharedRead#${n.id}: no shared subplan #${n.shareId} in this plan`);
    // Shared subplans may read other shared subplans: inline those first.
    const copy = renumbered(inline(s.plan));
    return { ...copy, schema: n.schema };
  });
  return inline(scope.input);
}
