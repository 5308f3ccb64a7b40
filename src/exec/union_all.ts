import type { Batch } from '../columnar/column.js';
import type { UnionAllNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* unionAll(node: UnionAllNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('UnionAllNode not implemented yet');
}
