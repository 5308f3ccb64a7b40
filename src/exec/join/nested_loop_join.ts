import type { Batch } from '../../columnar/column.js';
import type { NestedLoopJoinNode } from '../../plan/physical.js';
import type { TaskContext } from '../../exec/context.js';

// Placeholder until the operator lands.
export async function* nestedLoopJoin(node: NestedLoopJoinNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('NestedLoopJoinNode not implemented yet');
}
