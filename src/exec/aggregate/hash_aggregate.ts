import type { Batch } from '../../columnar/column.js';
import type { HashAggregateNode } from '../../plan/physical.js';
import type { TaskContext } from '../../exec/context.js';

// Placeholder until the operator lands.
export async function* hashAggregate(node: HashAggregateNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('HashAggregateNode not implemented yet');
}
