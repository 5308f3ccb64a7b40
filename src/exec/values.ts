import type { Batch } from '../columnar/column.js';
import type { ValuesNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* values(node: ValuesNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('ValuesNode not implemented yet');
}
