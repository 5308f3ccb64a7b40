/**
 * Values: rows held in the plan itself (VALUES lists, small tables shipped to workers),
 * turned into batches of at most batch_size rows.
 *
 * Partition p of P gets the contiguous share rows[⌊p·n/P⌋, ⌊(p+1)·n/P⌋), so every row is
 * produced exactly once whatever P is. Buffers nothing beyond the batch it builds; no spill,
 * no extra metrics.
 */
import type { Batch } from '../columnar/column.js';
import { batchFromRows } from '../columnar/kernels.js';
import type { ValuesNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';

export async function* values(node: ValuesNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const n = node.rows.length;
  const parts = Math.max(1, node.partitions);
  const start = Math.floor((partition * n) / parts);
  const end = Math.floor(((partition + 1) * n) / parts);
  const size = Math.max(1, ctx.config.batch_size);
  for (let i = start; i < end; i += size) {
    yield batchFromRows(node.schema, node.rows.slice(i, Math.min(i + size, end)));
  }
}
