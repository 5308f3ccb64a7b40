import type { Batch } from '../../columnar/column.js';
import type { SortNode } from '../../plan/physical.js';
import type { TaskContext } from '../../exec/context.js';

// Placeholder until the operator lands.
export async function* sort(node: SortNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('SortNode not implemented yet');
}
