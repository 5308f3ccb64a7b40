/**
 * Scatter: rows split by a per-row partition id, the one kernel behind the shuffle
 * writer's hash split, the spill partitioners and the sort merge's interleave.
 *
 *   ids    [2 0 2 1 0]          counting sort (two passes, stable)
 *   starts [0 2 3 5]            partition p = order[starts[p] .. starts[p+1])
 *   order  [1 4 3 0 2]
 *
 * Each partition is then one take per column, in input order.
 */
import type { Batch } from './column.js';
import { takeBatch } from './kernels.js';

export interface RowsByPartition {
  /** k + 1 offsets into `order`. */
  readonly starts: Int32Array;
  /** Row indices grouped by partition, ascending within each. */
  readonly order: Int32Array;
}

/** Group rows 0..n-1 by `ids[i]` (each in 0..k-1). */
export function rowsByPartition(ids: ArrayLike<number>, n: number, k: number): RowsByPartition {
  const starts = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) starts[ids[i]! + 1]!++;
  for (let p = 0; p < k; p++) starts[p + 1]! += starts[p]!;
  const fill = starts.slice(0, k);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[ids[i]!]!++] = i;
  return { starts, order };
}

/**
 * One batch per partition (null where no row goes), rows in input order. When every row
 * goes to one partition that partition gets `batch` itself, uncopied.
 */
export function scatterBatch(batch: Batch, ids: ArrayLike<number>, k: number): (Batch | null)[] {
  const n = batch.length;
  const { starts, order } = rowsByPartition(ids, n, k);
  const out: (Batch | null)[] = new Array<Batch | null>(k).fill(null);
  for (let p = 0; p < k; p++) {
    const a = starts[p]!, b = starts[p + 1]!;
    if (b > a) out[p] = b - a === n ? batch : takeBatch(batch, order.subarray(a, b), b - a);
  }
  return out;
}
