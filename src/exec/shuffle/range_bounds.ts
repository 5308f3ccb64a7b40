/**
 * Range partitioning for a distributed ORDER BY: sample the sort keys, pick bounds, route rows.
 *
 *   writer task t ──rows──▶ output partition 0 (unsplit)  +  KeySampler (reservoir of keys)
 *                                         │                          │ sample_t, seen_t
 *                                         │                          ▼
 *                                         │          scheduler: computeRangeBounds(all samples)
 *                                         │                          │ bounds b_0 ≤ … ≤ b_{m-1}
 *                                         ▼                          ▼       (m ≤ n - 1)
 *   writer's server: partition 0 split once by the bounds ──▶ range partitions 0 … n-1
 *   reader partition p ◀── range partition p of every writer (each row crosses once)
 *
 * Bounds are sort-key rows in the ORDER BY's own order (direction and NULL placement
 * included). A row goes to the FIRST partition j whose bound b_j is ≥ its key, or to
 * partition m when its key is above every bound. This is a function of the key alone, so
 * equal keys always land in the same partition: duplicate-heavy keys give equal bounds and
 * empty partitions in between, never a lost or repeated row. Partition order is key order,
 * so sorting each partition and reading partitions in order gives the total order.
 *
 * Why split after the stage: the writer cannot split until every writer has sampled (a
 * barrier the tasks do not have). So each reader names the bounds when it asks a writer's
 * exchange buffer for its range partition; the first such read makes the buffer split that
 * writer's output once, where it is kept (exchange_buffer.ts, "Range splits", routing rows
 * with `routeByRange`), and every reader then fetches only its own range.
 *
 * Sampling: Algorithm L reservoir (Li 1994) of at most `capacity` key rows per writer,
 * seeded per task so runs are reproducible. Each writer's sample stands for `seen` rows, so
 * the bounds are weighted quantiles: sample rows weigh seen / sample size.
 */
import type { Batch, Column } from '../../columnar/column.js';
import type { RangeRouterFactory } from '../../exchange/exchange_buffer.js';
import { columnFromScalars, scalarAt } from '../../columnar/kernels.js';
import type { SortKey } from '../../expr/expr.js';
import type { Scalar } from '../../common/types.js';
import { compareRows, evaluateSortKeys, sortIndices } from '../sort/row_compare.js';

/** Sort-key rows sampled by one writer task, standing for `seen` rows. */
export interface KeySample {
  rows: Scalar[][];
  seen: number;
}

/** Default sample rows per writer task. */
export const SAMPLE_CAPACITY = 1024;

/** A small seeded PRNG (mulberry32): reproducible samples per (stage, task). */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class KeySampler {
  private readonly rows: Scalar[][] = [];
  private seen = 0;
  /** Algorithm L state: the next row index (over all rows seen) that enters the reservoir. */
  private next: number;
  private w: number;
  private readonly random: () => number;

  constructor(private readonly keys: readonly SortKey[], private readonly capacity = SAMPLE_CAPACITY, seed = 1) {
    this.random = seededRandom(seed);
    this.w = Math.exp(Math.log(this.uniform()) / capacity);
    this.next = capacity + this.skip();
  }

  /** A uniform number in (0, 1): log(0) must not happen. */
  private uniform(): number {
    let u = this.random();
    while (u === 0) u = this.random();
    return u;
  }

  private skip(): number {
    return Math.floor(Math.log(this.uniform()) / Math.log(1 - this.w));
  }

  add(batch: Batch): void {
    const n = batch.length;
    const start = this.seen;
    const end = start + n;
    this.seen = end;
    if (this.capacity <= 0 || (this.rows.length >= this.capacity && this.next >= end)) return;
    // Only batches that contribute a row pay for evaluating the keys.
    const cols = evaluateSortKeys(batch, this.keys);
    let i = start;
    while (this.rows.length < this.capacity && i < end) this.rows.push(keyRow(cols, i++ - start));
    while (this.next < end) {
      if (this.next >= i) this.rows[Math.floor(this.random() * this.capacity)] = keyRow(cols, this.next - start);
      this.w *= Math.exp(Math.log(this.uniform()) / this.capacity);
      this.next += this.skip() + 1;
    }
  }

  result(): KeySample {
    return { rows: this.rows, seen: this.seen };
  }
}

function keyRow(cols: readonly Column[], i: number): Scalar[] {
  return cols.map((c) => scalarAt(c, i));
}

/** Key rows as columns (one per sort key), typed like the keys. */
function keyColumns(keys: readonly SortKey[], rows: readonly Scalar[][]): Column[] {
  return keys.map((k, j) => columnFromScalars(k.expr.type, rows.map((r) => r[j] ?? null)));
}

/**
 * At most partitions - 1 ascending bounds: the weighted i/n quantiles of the samples.
 * Equal bounds are kept (a heavy key spans them); no samples → no bounds (all rows to 0).
 */
export function computeRangeBounds(samples: readonly KeySample[], keys: readonly SortKey[], partitions: number): Scalar[][] {
  const rows: Scalar[][] = [];
  const weights: number[] = [];
  for (const s of samples) {
    if (s.rows.length === 0) continue;
    const w = s.seen / s.rows.length;
    for (const r of s.rows) { rows.push(r); weights.push(w); }
  }
  if (rows.length === 0 || partitions <= 1) return [];
  const cols = keyColumns(keys, rows);
  const order = sortIndices(cols, keys, rows.length);
  let total = 0;
  for (const w of weights) total += w;
  const bounds: Scalar[][] = [];
  let cumulative = 0;
  let k = 0;
  for (let i = 1; i < partitions; i++) {
    const target = (i * total) / partitions;
    while (k < order.length - 1 && cumulative + weights[order[k]!]! < target) cumulative += weights[order[k++]!]!;
    bounds.push(rows[order[k]!]!);
  }
  return bounds;
}

/** Routes rows to range partitions by their sort keys (see the header for the rule). */
export class RangeRouter {
  private readonly boundColumns: Column[];
  private readonly boundCount: number;

  constructor(private readonly keys: readonly SortKey[], bounds: readonly Scalar[][]) {
    this.boundColumns = keyColumns(keys, bounds);
    this.boundCount = bounds.length;
  }

  /** The range partition of every row of `batch`. */
  route(batch: Batch): Int32Array {
    const n = batch.length;
    const out = new Int32Array(n);
    if (this.boundCount === 0) return out;
    const cols = evaluateSortKeys(batch, this.keys);
    const bounds = this.boundColumns;
    const orders = this.keys;
    for (let i = 0; i < n; i++) {
      // Lower bound: the first j with key ≤ bounds[j].
      let lo = 0, hi = this.boundCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareRows(cols, i, bounds, mid, orders) <= 0) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }
}

/** The exchange buffer's range router (ExchangeBufferOptions.rangeRouter): RangeRouter.route for a split. */
export const routeByRange: RangeRouterFactory = (split) => {
  const router = new RangeRouter(split.keys, split.bounds as Scalar[][]);
  return (batch) => router.route(batch);
};
