import type { Batch } from '../columnar/column.js';
import type { FilterNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* filter(node: FilterNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('FilterNode not implemented yet');
}
