import type { Batch } from '../columnar/column.js';
import type { LimitNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* limit(node: LimitNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('LimitNode not implemented yet');
}
