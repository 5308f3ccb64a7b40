/**
 * TopK: ORDER BY … LIMIT fetch over one partition, keeping only the best `fetch` rows.
 *
 * Buffers incoming rows; whenever kept + pending rows exceed max(2·fetch, batch_size) it
 * sorts them together and truncates to `fetch`. Once `fetch` rows are kept, the worst kept
 * row is a threshold: incoming rows that do not sort strictly before it are dropped before
 * buffering. Memory is therefore about max(2·fetch, batch_size) rows plus one batch, held
 * under a reservation `TopK[p<partition>]`.
 * When the pool refuses it (a large LIMIT or OFFSET under a small limit), TopK becomes an
 * external sort (sort.ts, reservation and spill files `TopK[p<partition>]`) of the kept
 * rows, the pending ones and the rest of the input, in that order, and emits its first
 * `fetch` rows: the kept rows came first in the input, so ties still keep input order.
 * The result equals a stable sort followed by LIMIT fetch.
 * Metrics: extra.sortedRows (rows that went through a sort); after a fallback, the sort's.
 *
 *   batch ──keys──▶ row < threshold? ──yes──▶ pending ──(> cap rows)──▶ sort(kept ++ pending)
 *                                                                        └─▶ kept = first fetch
 *   pool refuses ──▶ external sort(kept, pending, rest of input) ──▶ first fetch rows
 */
import { batchBytes, columnBytes, emptyBatch, type Batch, type Column } from '../../columnar/column.js';
import { sliceBatch, take, takeBatch } from '../../columnar/kernels.js';
import { SpillwayError } from '../../common/errors.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { TopKNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { compareRows, evaluateSortKeys } from './row_compare.js';
import { sortBuffer, sortedChunks, sortedRows, sortStream } from './sort.js';

export async function* topK(node: TopKNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (node.fetch <= 0) return;
  const input = executePlan(node.input, partition, ctx)[Symbol.asyncIterator]();
  try {
    const held = yield* topKInMemory(node, input, partition, ctx);
    if (held === null) return;
    // The held rows become the external sort's first input: its reservation takes them over.
    const rest = async function* (): AsyncGenerator<Batch> {
      yield* held.splice(0);
      for (let r = await input.next(); !r.done; r = await input.next()) yield r.value;
    };
    let left = node.fetch;
    for await (const b of sortStream(node, rest(), partition, ctx, 'TopK')) {
      yield b.length <= left ? b : sliceBatch(b, 0, left);
      left -= Math.min(left, b.length);
      if (left === 0) return;
    }
  } finally {
    await input.return(undefined);
  }
}

/** The in-memory TopK: emits the best rows and returns null, or returns the rows it held when the pool refused. */
async function* topKInMemory(node: TopKNode, input: AsyncIterator<Batch>, partition: number, ctx: TaskContext): AsyncGenerator<Batch, Batch[] | null> {
  const reservation = ctx.memory.register(`TopK[p${partition}]`, { spillable: false });
  try {
    const buffer = new TopKBuffer(node, ctx, reservation);
    for (let r = await input.next(); !r.done; r = await input.next()) {
      if (!buffer.push(r.value)) return buffer.held();
    }
    const best = buffer.finish();
    if (best === null) return buffer.held();
    if (best.length === 0) return null;
    // The kept rows are already in order: emit them in batch_size chunks without another sort.
    const identity = new Int32Array(best.length);
    for (let i = 0; i < identity.length; i++) identity[i] = i;
    yield* sortedChunks({ batches: [best], starts: Int32Array.of(0, best.length), keyColumns: [], order: identity }, node.schema, ctx.config.batch_size);
    return null;
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

  /**
   * Take a batch (its rows that can still make the cut). False when the pool refused the
   * memory: the rows are held all the same (held()), for the external sort to take over.
   */
  push(input: Batch): boolean {
    let batch = input;
    const keptRows = this.kept === null ? 0 : this.kept.length;
    if (keptRows === this.node.fetch) {
      batch = rowsBeforeThreshold(batch, this.keptKeys, keptRows - 1, this.node);
      if (batch.length === 0) return true;
    }
    const granted = this.reservation.tryGrow(batchBytes(batch));
    this.pending.push(batch);
    this.pendingRows += batch.length;
    if (!granted) return false;
    if (keptRows + this.pendingRows > this.capacity) return this.compact();
    return true;
  }

  /** The rows held, kept (sorted) before pending, in input order otherwise. */
  held(): Batch[] {
    return this.kept === null ? this.pending : [this.kept, ...this.pending];
  }

  /** The best fetch rows (fewer when the input had fewer), in order; null when the pool refused their sort. */
  finish(): Batch | null {
    if (this.pendingRows > 0 && !this.compact()) return null;
    return this.kept ?? emptyBatch(this.node.schema);
  }

  /**
   * Sort kept ++ pending and keep the first fetch rows; false (nothing changed) when the
   * pool refused the sort's key copies and index.
   */
  private compact(): boolean {
    let sorted: ReturnType<typeof sortBuffer>;
    try {
      sorted = sortBuffer(this.node.schema, this.held(), this.node.keys, this.reservation);
    } catch (e) {
      if (e instanceof SpillwayError && e.kind === 'resources') return false;
      throw e;
    }
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
    return true;
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
