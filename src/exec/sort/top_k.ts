/**
 * TopK: ORDER BY … LIMIT fetch over one partition, keeping only the best `fetch` rows.
 *
 * Buffers incoming rows; whenever kept + pending rows exceed max(2·fetch, batch_size) it
 * sorts them together and truncates to `fetch`. Once `fetch` rows are kept, the worst kept
 * row is a threshold: incoming rows that do not sort strictly before it are dropped before
 * buffering. Memory is therefore about max(2·fetch, batch_size) rows plus one batch, held
 * under an unspillable reservation `TopK[p<partition>]`; it never spills.
 * The result equals a stable sort followed by LIMIT fetch (ties keep input order).
 * Metrics: extra.sortedRows (rows that went through a sort).
 *
 *   batch ──keys──▶ row < threshold? ──yes──▶ pending ──(> cap rows)──▶ sort(kept ++ pending)
 *                                                                        └─▶ kept = first fetch
 */
import { batchBytes, columnBytes, emptyBatch, type Batch, type Column } from '../../columnar/column.js';
import { take, takeBatch } from '../../columnar/kernels.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { TopKNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { compareRows, evaluateSortKeys } from './row_compare.js';
import { sortBuffer, sortedChunks, sortedRows } from './sort.js';

export async function* topK(node: TopKNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (node.fetch <= 0) return;
  const reservation = ctx.memory.register(`TopK[p${partition}]`, { spillable: false });
  try {
    const buffer = new TopKBuffer(node, ctx, reservation);
    for await (const batch of executePlan(node.input, partition, ctx)) buffer.push(batch);
    const best = buffer.finish();
    if (best.length === 0) return;
    // The kept rows are already in order: emit them in batch_size chunks without another sort.
    const identity = new Int32Array(best.length);
    for (let i = 0; i < identity.length; i++) identity[i] = i;
    yield* sortedChunks({ batches: [best], starts: Int32Array.of(0, best.length), keyColumns: [], order: identity }, node.schema, ctx.config.batch_size);
  } finally {
    reservation.free();
  }
}

class TopKBuffer {
  /** The best rows so far, sorted (at most fetch rows), and their key columns. */
  private kept: Batch | null = null;
  private keptKeys: readonly Column[] = [];
  private pending: Batch[] = [];
  private pendingRows = 0;
  private readonly capacity: number;

  constructor(private readonly node: TopKNode, private readonly ctx: TaskContext, private readonly reservation: MemoryReservation) {
    this.capacity = Math.max(2 * node.fetch, ctx.config.batch_size);
  }

  push(input: Batch): void {
    let batch = input;
    const keptRows = this.kept === null ? 0 : this.kept.length;
    if (keptRows === this.node.fetch) {
      batch = rowsBeforeThreshold(batch, this.keptKeys, keptRows - 1, this.node);
      if (batch.length === 0) return;
    }
    this.reservation.grow(batchBytes(batch));
    this.pending.push(batch);
    this.pendingRows += batch.length;
    if (keptRows + this.pendingRows > this.capacity) this.compact();
  }

  /** The best fetch rows (fewer when the input had fewer), in order. */
  finish(): Batch {
    if (this.pendingRows > 0) this.compact();
    return this.kept ?? emptyBatch(this.node.schema);
  }

  /** Sort kept ++ pending and keep the first fetch rows. */
  private compact(): void {
    const parts = this.kept === null ? this.pending : [this.kept, ...this.pending];
    const sorted = sortBuffer(this.node.schema, parts, this.node.keys, this.reservation);
    this.ctx.metrics.add(this.node.id, 'sortedRows', sorted.order.length);
    const best = sorted.order.subarray(0, Math.min(this.node.fetch, sorted.order.length));
    const kept = sortedRows(sorted, this.node.schema, 0, best.length);
    this.kept = kept;
    this.keptKeys = sorted.keyColumns.map((c) => take(c, best));
    this.pending = [];
    this.pendingRows = 0;
    let bytes = batchBytes(kept);
    for (const c of this.keptKeys) bytes += columnBytes(c);
    this.reservation.resize(bytes);
  }
}

/** The rows of a batch that sort strictly before row t of the threshold key columns. */
function rowsBeforeThreshold(batch: Batch, thresholdKeys: readonly Column[], t: number, node: TopKNode): Batch {
  const keys = evaluateSortKeys(batch, node.keys);
  const picked = new Int32Array(batch.length);
  let n = 0;
  for (let i = 0; i < batch.length; i++) {
    if (compareRows(keys, i, thresholdKeys, t, node.keys) < 0) picked[n++] = i;
  }
  if (n === batch.length) return batch;
  return takeBatch(batch, picked, n);
}
