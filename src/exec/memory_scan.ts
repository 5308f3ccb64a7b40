/**
 * MemoryScan: reads an in-memory table of the session (CREATE TABLE / INSERT) by name from
 * ctx.memoryTables, projects node.projection, and yields batches of at most batch_size rows.
 *
 * Partition p of P reads the stored batches whose index i has i mod P = p. The list of
 * batches is captured when the scan starts, so rows inserted meanwhile are not seen.
 * Buffers nothing (batches are shared, columns are not copied; oversized batches are
 * sliced); no spill, no extra metrics.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import { sliceBatch } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import type { MemoryScanNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';

export async function* memoryScan(node: MemoryScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const table = ctx.memoryTables.get(node.table) ?? ctx.memoryTables.get(node.table.toLowerCase());
  if (!table) throw new SpillwayError('execution', `in-memory table "${node.table}" no longer exists`);
  const width = table.schema.fields.length;
  for (const p of node.projection) {
    if (p < 0 || p >= width) {
      throw new SpillwayError('execution', `in-memory table "${node.table}" has ${width} columns; the plan reads column ${p + 1}`);
    }
  }
  const batches = [...table.batches];
  const parts = Math.max(1, node.partitions);
  const size = Math.max(1, ctx.config.batch_size);
  for (let i = partition; i < batches.length; i += parts) {
    const b = batches[i]!;
    if (b.length === 0) continue;
    const projected = makeBatch(node.schema, node.projection.map((p) => b.columns[p]!), b.length);
    for (let start = 0; start < projected.length; start += size) {
      yield sliceBatch(projected, start, start + size);
    }
  }
}
