import type { Batch } from '../../columnar/column.js';
import type { HashJoinNode } from '../../plan/physical.js';
import type { TaskContext } from '../../exec/context.js';

// Placeholder until the operator lands.
export async function* hashJoin(node: HashJoinNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('HashJoinNode not implemented yet');
}
