/**
 * Sort: ORDER BY over one partition; an external merge sort when the input does not fit.
 *
 *   input ─▶ buffer [b0 b1 …] ── tryGrow refused / spillRequested ──▶ sortBuffer ─▶ run i (spill file)
 *                 │                                                   (free, keep buffering)
 *                 └─ input ends, no run written ─▶ sortBuffer ─▶ emit in batch_size chunks
 *
 *   runs r0 r1 … r(n-1)  (each sorted, written in chunks of at most batch_size rows and
 *                         at most share / 10 bytes, see below)
 *     while n > final:   merge consecutive groups of fanIn runs into longer runs   (one pass;
 *                        only the first n − final + 1 runs when that is enough)
 *     final pass:        k-way merge (merge.ts) of the remaining runs ─▶ output, holding
 *                        at most half the share (the operator above needs memory too)
 *
 * Buffers: the input batches, under a spillable reservation `Sort[p<partition>]`. Each
 * batch is reserved together with the headroom its sort will need (its key columns' copy
 * in the concatenated keys, computed keys, the row index and radix scratch), so a full
 * buffer can always be sorted and written without asking for more. The batches themselves
 * are never concatenated: the order is over all their rows, and each chunk written is
 * gathered from them (sortedRows). The least the input phase needs is one
 * input batch with that headroom (growWait: others are asked to spill and the sort waits
 * for them, bounded, before a resources error); an input batch that would need more than
 * half the sort's share is taken in slices (views, no copy) that each need at most that.
 * Merge: fanIn is what the reservation grants: one slot per run cursor (its largest
 * batch) plus three for the output being gathered; the minimum is two runs. Runs are
 * written in batches of at most (fair share when the run was written) / 10 bytes, and the
 * merge gathers output batches of no more rows than its runs' batches, so the minimum
 * (2 + 3 slots) fits in half the share the sort had; it is taken with growWait too.
 * Runs are merged in input order with ties to the earlier run, so the sort stays stable.
 *
 * Metrics: extra.sortedRows; spillCount/spillBytes/spillRows (every spill file, intermediate
 * merge runs included), extra.runs (sorted runs written from the input), extra.mergePasses
 * (merge passes over disk, the final one included; 0 for an in-memory sort).
 *
 * The pieces (sortBuffer, sortedChunks) are exported so that TopK sorts the same way.
 */
import { batchBytes, columnBytes, emptyBatch, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { concatColumns, sliceBatch, takeBatch } from '../../columnar/kernels.js';
import type { SortKey } from '../../expr/expr.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { SortNode } from '../../plan/physical.js';
import type { Schema } from '../../common/types.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import type { SpillFile } from '../../spill/spill_manager.js';
import { SpillFiles } from '../spill/spill_files.js';
import { interleaveBatches, mergeRuns } from './merge.js';
import { evaluateSortKeys, sortIndices } from './row_compare.js';

/**
 * Rows of a buffer (its batches, never concatenated), their evaluated sort keys (one column
 * per key over all rows), and the order to read them in: order[i] is a row number over the
 * batches in sequence (row r of batches[b] is starts[b] + r).
 */
export interface SortedBuffer {
  readonly batches: readonly Batch[];
  /** batches.length + 1 row offsets. */
  readonly starts: Int32Array;
  readonly keyColumns: readonly Column[];
  readonly order: Int32Array;
}

/**
 * Sort buffered batches as one, without copying them: only the key columns are
 * concatenated (and computed, for expressions). When a reservation is given, those copies
 * and the index are reserved on it before they are made; the caller's batches stay
 * reserved by the caller.
 */
export function sortBuffer(schema: Schema, batches: readonly Batch[], keys: readonly SortKey[], reservation?: MemoryReservation): SortedBuffer {
  const kept = batches.filter((b) => b.length > 0);
  const starts = new Int32Array(kept.length + 1);
  kept.forEach((b, i) => { starts[i + 1] = starts[i]! + b.length; });
  const rows = starts[kept.length]!;
  const perBatch = kept.length === 0 ? [evaluateSortKeys(emptyBatch(schema), keys)] : kept.map((b) => evaluateSortKeys(b, keys));
  let copied = 0;
  for (let b = 0; b < perBatch.length; b++) copied += derivedBytes(kept[b], perBatch[b]!);
  if (perBatch.length > 1) for (const cols of perBatch) for (const c of cols) copied += columnBytes(c);
  reservation?.grow(copied + 4 * rows);
  const keyColumns = perBatch.length === 1
    ? perBatch[0]!
    : keys.map((_, k) => concatColumns(perBatch[0]![k]!.type, perBatch.map((cols) => cols[k]!)));
  return { batches: kept, starts, keyColumns, order: sortIndices(keyColumns, keys, rows) };
}

/** Bytes of key columns that are not simply columns of the batch (those cost nothing). */
function derivedBytes(batch: Batch | undefined, keyColumns: readonly Column[]): number {
  let n = 0;
  for (const c of keyColumns) if (batch === undefined || !batch.columns.includes(c)) n += columnBytes(c);
  return n;
}

/** Rows start..end-1 of the sorted order, gathered from the buffer's batches. */
export function sortedRows(sorted: SortedBuffer, schema: Schema, start: number, end: number): Batch {
  const { batches, starts } = sorted;
  const rows = sorted.order.subarray(start, end);
  const n = rows.length;
  if (batches.length === 1) return makeBatch(schema, takeBatch(batches[0]!, rows).columns, n);
  const src = new Int32Array(n), row = new Int32Array(n);
  const last = batches.length - 1;
  for (let i = 0; i < n; i++) {
    const g = rows[i]!;
    // The batch holding row g: the last b with starts[b] <= g.
    let lo = 0, hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= g) lo = mid; else hi = mid - 1;
    }
    src[i] = lo;
    row[i] = g - starts[lo]!;
  }
  return interleaveBatches(schema, batches, src, row, n);
}

/** The sorted rows, batchSize at a time. */
export function* sortedChunks(sorted: SortedBuffer, schema: Schema, batchSize: number): Generator<Batch> {
  const step = Math.max(1, batchSize);
  const n = sorted.order.length;
  for (let start = 0; start < n; start += step) yield sortedRows(sorted, schema, start, Math.min(n, start + step));
}

/** Output batches gathered during a merge (takes, concat, permuted copy) count as this many slots. */
const OUTPUT_SLOTS = 3;
/** Bytes per row a sort needs beyond its rows: index (4) plus radix scratch (12) plus slack. */
const SORT_INDEX_BYTES_PER_ROW = 20;

/** Runs and merge output are sized so that this many slots fit in half the sort's share. */
const MIN_MERGE_SLOTS = 2 + OUTPUT_SLOTS;
const SLOT_SHARE_DIVISOR = 2 * MIN_MERGE_SLOTS;

/**
 * A sorted run on disk: the largest batch (with derived keys) a cursor over it holds, and
 * the most rows per batch it was written with.
 */
interface Run { readonly file: SpillFile; readonly maxBatchBytes: number; readonly batchRows: number }

/** Bytes a batch will need to be buffered and later sorted with the rest of the buffer. */
export function sortBufferCost(batch: Batch, keys: readonly SortKey[]): number {
  const bytes = batchBytes(batch);
  let keyBytes = 0;
  for (const k of keys) {
    const c = evaluateSortKeys(batch, [k])[0]!;
    // A computed key is held per batch and in the concatenated key column; a column key in the latter only.
    keyBytes += (k.expr.kind === 'column' ? 1 : 2) * columnBytes(c);
  }
  // The batch itself, its key columns, index + scratch.
  return bytes + keyBytes + SORT_INDEX_BYTES_PER_ROW * batch.length;
}

export async function* sort(node: SortNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  yield* sortStream(node, executePlan(node.input, partition, ctx), partition, ctx, 'Sort');
}

/** What an external sort needs of its plan node: metrics go to `id`. */
export type SortSpec = Pick<SortNode, 'id' | 'schema' | 'keys'>;

/**
 * The external sort of `input` (the body of the Sort operator; TopK falls back to it when
 * its rows do not fit). Its reservation and spill files are named `<owner>[p<partition>]`.
 */
export async function* sortStream(node: SortSpec, input: AsyncIterable<Batch>, partition: number, ctx: TaskContext, owner: string): AsyncGenerator<Batch> {
  const reservation = ctx.memory.register(`${owner}[p${partition}]`, { spillable: true });
  const files = new SpillFiles(ctx, node.id, `${owner}[p${partition}]`);
  const batchSize = Math.max(1, ctx.config.batch_size);
  try {
    let buffered: Batch[] = [];
    let rows = 0;
    const runs: Run[] = [];
    const spillBuffer = async (): Promise<void> => {
      // Bytes per run batch: a fraction of the share, so the minimum merge fits later.
      const slotBytes = Math.floor(reservation.share / SLOT_SHARE_DIVISOR);
      runs.push(await writeRun(node, buffered, files, batchSize, slotBytes));
      ctx.metrics.add(node.id, 'sortedRows', rows);
      buffered = [];
      rows = 0;
      reservation.shrink(reservation.size);
    };
    const take = async (b: Batch): Promise<void> => {
      const cost = sortBufferCost(b, node.keys);
      const granted = reservation.tryGrow(cost);
      if (!granted || reservation.spillRequested) {
        if (buffered.length > 0) {
          await spillBuffer(); // releases everything, this batch's grant included
          // The pool may still refuse (others hold the memory): this batch is the least
          // the sort needs, so wait for others to spill (bounded) or fail.
          await reservation.growWait(cost, { signal: ctx.signal });
        } else if (!granted) {
          await reservation.growWait(cost, { signal: ctx.signal });
        }
      }
      buffered.push(b);
      rows += b.length;
    };
    for await (const b0 of input) {
      if (b0.length === 0) continue;
      for (const b of slicesWithin(b0, node.keys, reservation.share / 2)) await take(b);
    }
    if (runs.length === 0) {
      if (rows === 0) return;
      const sorted = sortBuffer(node.schema, buffered, node.keys);
      buffered = [];
      ctx.metrics.add(node.id, 'sortedRows', sorted.order.length);
      yield* sortedChunks(sorted, node.schema, batchSize);
      return;
    }
    if (buffered.length > 0) await spillBuffer();
    ctx.metrics.add(node.id, 'runs', runs.length);
    yield* mergeAll(node, runs, files, reservation, ctx, batchSize);
  } finally {
    reservation.free();
    await files.close();
  }
}

/** The batch, or slices of it (views) whose sortBufferCost is at most about maxCost each. */
function* slicesWithin(batch: Batch, keys: readonly SortKey[], maxCost: number): Generator<Batch> {
  const cost = sortBufferCost(batch, keys);
  if (cost <= maxCost || batch.length === 1) { yield batch; return; }
  const step = Math.max(1, Math.floor(batch.length / Math.ceil(cost / Math.max(1, maxCost))));
  for (let start = 0; start < batch.length; start += step) yield sliceBatch(batch, start, start + step);
}

/**
 * Sort the buffered batches and write them as one run, in batches of at most batchSize
 * rows and (on average row size, derived keys included) at most slotBytes bytes.
 */
async function writeRun(node: SortSpec, buffered: readonly Batch[], files: SpillFiles, batchSize: number, slotBytes: number): Promise<Run> {
  const sorted = sortBuffer(node.schema, buffered, node.keys);
  const rows = sorted.order.length;
  let bytes = 0, derived = 0;
  for (const b of sorted.batches) bytes += batchBytes(b);
  node.keys.forEach((k, i) => { if (k.expr.kind !== 'column') derived += columnBytes(sorted.keyColumns[i]!); });
  const bytesPerRow = (bytes + derived) / Math.max(1, rows);
  const batchRows = Math.max(1, Math.min(batchSize, Math.floor(slotBytes / Math.max(1, bytesPerRow))));
  const w = files.writer(node.schema, 'run');
  let maxBatchBytes = 0;
  for (const chunk of sortedChunks(sorted, node.schema, batchRows)) {
    await w.write(chunk);
    const bytes = batchBytes(chunk) + Math.ceil((derived * chunk.length) / Math.max(1, rows));
    if (bytes > maxBatchBytes) maxBatchBytes = bytes;
  }
  return { file: await files.finish(w), maxBatchBytes, batchRows };
}

/**
 * Merge the runs: intermediate passes while there are more runs than cursors fit, then the
 * final pass streams out. Holds one slot per cursor plus the output slots; output batches
 * (and merged runs' batches) have at most as many rows as the runs' batches, so a slot
 * holds one.
 */
async function* mergeAll(
  node: SortSpec, initial: readonly Run[], files: SpillFiles, reservation: MemoryReservation, ctx: TaskContext, batchSize: number,
): AsyncGenerator<Batch> {
  let runs = [...initial];
  let slot = 1;
  let mergeRows = batchSize;
  for (const r of runs) {
    slot = Math.max(slot, r.maxBatchBytes);
    mergeRows = Math.min(mergeRows, r.batchRows);
  }
  let granted = 0;
  while (granted < runs.length + OUTPUT_SLOTS && reservation.tryGrow(slot)) granted++;
  if (granted < MIN_MERGE_SLOTS) {
    await reservation.growWait((MIN_MERGE_SLOTS - granted) * slot, { signal: ctx.signal });
    granted = MIN_MERGE_SLOTS;
  }
  const fanIn = granted - OUTPUT_SLOTS;
  // The final pass streams to the operator above, which needs memory as rows arrive: it
  // keeps at most half the sort's share, so intermediate passes first bring the runs down to
  // what fits there (at least two; runs were written small enough for that).
  const finalFanIn = Math.max(2, Math.min(fanIn, Math.floor(reservation.share / 2 / slot) - OUTPUT_SLOTS));
  const merge = async (group: readonly Run[]): Promise<Run> => {
    const w = files.writer(node.schema, 'merged');
    let maxBatchBytes = 0;
    for await (const b of mergeRuns(group.map((r) => r.file), node.schema, node.keys, mergeRows, ctx.signal)) {
      await w.write(b);
      maxBatchBytes = Math.max(maxBatchBytes, batchBytes(b));
    }
    const file = await files.finish(w);
    for (const r of group) await files.release(r.file);
    return { file, maxBatchBytes: Math.max(maxBatchBytes, ...group.map((r) => r.maxBatchBytes)), batchRows: mergeRows };
  };
  let passes = 0;
  while (runs.length > finalFanIn) {
    const excess = runs.length - finalFanIn + 1;
    if (excess <= fanIn) {
      // Merging the first `excess` runs into one is enough (runs stay in input order).
      runs = [await merge(runs.slice(0, excess)), ...runs.slice(excess)];
    } else {
      const next: Run[] = [];
      for (let start = 0; start < runs.length; start += fanIn) {
        const group = runs.slice(start, start + fanIn);
        next.push(group.length === 1 ? group[0]! : await merge(group));
      }
      runs = next;
    }
    passes++;
  }
  reservation.shrink(Math.max(0, reservation.size - (runs.length + OUTPUT_SLOTS) * slot));
  ctx.metrics.add(node.id, 'mergePasses', passes + 1);
  yield* mergeRuns(runs.map((r) => r.file), node.schema, node.keys, mergeRows, ctx.signal);
  for (const r of runs) await files.release(r.file);
}

