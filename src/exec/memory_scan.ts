import type { Batch } from '../columnar/column.js';
import type { MemoryScanNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* memoryScan(node: MemoryScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('MemoryScanNode not implemented yet');
}
