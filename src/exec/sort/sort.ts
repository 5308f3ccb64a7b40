/**
 * Sort: ORDER BY over one partition, in memory.
 *
 * Buffers every input batch under a spillable reservation `Sort[p<partition>]` (grow() throws
 * a resources error when the pool refuses: this is where the external sort will write a
 * sorted run instead), then concatenates, evaluates the key expressions once, sorts a row
 * index (stable, see row_compare.ts) and emits the rows in batch_size chunks.
 * Metrics: extra.sortedRows.
 *
 *   input ──▶ [b0 b1 b2 …] (reserved) ──concat──▶ all ──keys──▶ sortIndices ──▶ idx
 *   idx[0..bs) idx[bs..2bs) …  ──take(all, chunk)──▶ output batches
 *
 * The pieces (sortBuffer, sortedChunks) are exported so that an external sort can sort
 * each in-memory run the same way and stream it to a spill file.
 */
import { batchBytes, columnBytes, emptyBatch, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { concatBatches, takeBatch } from '../../columnar/kernels.js';
import type { SortKey } from '../../expr/expr.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { SortNode } from '../../plan/physical.js';
import type { Schema } from '../../types.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { evaluateSortKeys, sortIndices } from './row_compare.js';

/** Rows of a buffer, their evaluated sort keys, and the order to read them in. */
export interface SortedBuffer {
  readonly batch: Batch;
  readonly keyColumns: readonly Column[];
  readonly order: Int32Array;
}

/**
 * Sort buffered batches as one. When a reservation is given, the temporary copies
 * (concatenation, computed key columns, the index) are reserved on it before they are made;
 * the caller's batches stay reserved by the caller.
 */
export function sortBuffer(schema: Schema, batches: readonly Batch[], keys: readonly SortKey[], reservation?: MemoryReservation): SortedBuffer {
  let rows = 0, bytes = 0;
  for (const b of batches) { rows += b.length; bytes += batchBytes(b); }
  if (batches.length > 1) reservation?.grow(bytes);
  const all = batches.length === 0 ? emptyBatch(schema) : concatBatches(schema, batches);
  const keyColumns = evaluateSortKeys(all, keys);
  reservation?.grow(derivedBytes(all, keyColumns) + 4 * rows);
  return { batch: all, keyColumns, order: sortIndices(keyColumns, keys, rows) };
}

/** Bytes of key columns that are not simply columns of the batch (those cost nothing). */
function derivedBytes(batch: Batch, keyColumns: readonly Column[]): number {
  let n = 0;
  for (const c of keyColumns) if (!batch.columns.includes(c)) n += columnBytes(c);
  return n;
}

/** The sorted rows, batchSize at a time. */
export function* sortedChunks(sorted: SortedBuffer, schema: Schema, batchSize: number): Generator<Batch> {
  const { batch, order } = sorted;
  const step = Math.max(1, batchSize);
  for (let start = 0; start < order.length; start += step) {
    const chunk = order.subarray(start, Math.min(order.length, start + step));
    yield makeBatch(schema, takeBatch(batch, chunk).columns, chunk.length);
  }
}

export async function* sort(node: SortNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const reservation = ctx.memory.register(`Sort[p${partition}]`, { spillable: true });
  try {
    let buffered: Batch[] = [];
    let rows = 0, bytes = 0;
    for await (const b of executePlan(node.input, partition, ctx)) {
      const n = batchBytes(b);
      reservation.grow(n);
      bytes += n;
      buffered.push(b);
      rows += b.length;
    }
    if (rows === 0) return;
    const sorted = sortBuffer(node.schema, buffered, node.keys, reservation);
    // The pieces were copied into one batch; drop them and their share of the reservation.
    if (buffered.length > 1) reservation.shrink(bytes);
    buffered = [];
    ctx.metrics.add(node.id, 'sortedRows', rows);
    yield* sortedChunks(sorted, node.schema, ctx.config.batch_size);
  } finally {
    reservation.free();
  }
}
