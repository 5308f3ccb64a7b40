import type { Batch } from '../columnar/column.js';
import type { ProjectionNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* projection(node: ProjectionNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('ProjectionNode not implemented yet');
}
