import type { Batch } from '../columnar/column.js';
import type { ParquetScanNode } from '../plan/physical.js';
import type { TaskContext } from '../exec/context.js';

// Placeholder until the operator lands.
export async function* parquetScan(node: ParquetScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void node; void partition; void ctx;
  throw new Error('ParquetScanNode not implemented yet');
}
