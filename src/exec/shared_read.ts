/**
 * SharedRead: every batch of a shared subplan (a WITH query read more than once), from the
 * start, relabelled with this node's schema. The subplan runs once, on the first read of
 * any of its readers, in the SharedSubplans operator above (exec/shared_subplans.ts),
 * which buffers its output; this reader buffers nothing itself. Metrics: output rows.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import type { SharedReadNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';

export async function* sharedRead(node: SharedReadNode, _partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const shared = ctx.shared;
  if (shared === undefined) throw new Error(`SharedRead#${node.id} runs outside the SharedSubplans node that computes ${node.name}`);
  for await (const b of shared.read(node.shareId, node.id)) yield makeBatch(node.schema, b.columns, b.length);
}
