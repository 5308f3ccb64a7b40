import type { Batch } from '../../columnar/column.js';
import type { TopKNode } from '../../plan/physical.js';
import type { TaskContext } from '../../exec/context.js';

// Placeholder until the operator lands.
export async function* topK(node: TopKNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('TopKNode not implemented yet');
}
