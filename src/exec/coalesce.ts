import type { Batch } from '../columnar/column.js';
import type { CoalesceNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* coalesce(node: CoalesceNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('CoalesceNode not implemented yet');
}
