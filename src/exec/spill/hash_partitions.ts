/**
 * Spill bookkeeping shared by the spilling operators (hash join, hash aggregate, sort):
 *
 * - SpillFiles: every spill writer and file one operator instance created, so that its
 *   metrics (spillCount = files written, spillBytes, spillRows) are recorded in one place
 *   and everything left over is aborted/deleted when the operator stops, whether it
 *   finished, failed or was cancelled (the session's cleanup removes the folder as well).
 * - HashPartitionWriter: splits batches by a seeded hash of key columns into `fanout`
 *   spill files, written through as they come (it buffers nothing itself).
 *
 *   batch ──hash(keys, seed)──▶ bucket 0..fanout-1 ──take rows──▶ writer[bucket] ──▶ file
 *
 * Different recursion levels use different seeds, so rows that shared a bucket at one
 * level spread over the buckets of the next.
 */
import type { Batch, Column } from '../../columnar/column.js';
import { bucketOf, hashColumns } from '../../columnar/hash.js';
import { takeBatch } from '../../columnar/kernels.js';
import type { SpillFile, SpillWriter } from '../../spill/spill_manager.js';
import type { Schema } from '../../common/types.js';
import type { TaskContext } from '../context.js';

export class SpillFiles {
  private readonly open = new Set<SpillWriter>();
  private readonly files = new Set<SpillFile>();
  private seq = 0;

  constructor(private readonly ctx: TaskContext, private readonly nodeId: number, readonly owner: string) {}

  writer(schema: Schema, tag = ''): SpillWriter {
    const w = this.ctx.spill.createWriter(tag === '' ? this.owner : `${this.owner}-${tag}${++this.seq}`, schema);
    this.open.add(w);
    return w;
  }

  /** Finish a writer, record the file in the metrics, and keep it until released. */
  async finish(w: SpillWriter): Promise<SpillFile> {
    this.open.delete(w);
    const f = await w.finish();
    this.files.add(f);
    const m = this.ctx.metrics.forNode(this.nodeId);
    m.spillCount++;
    m.spillBytes += f.bytes;
    m.spillRows += f.rows;
    return f;
  }

  /** Delete a file the operator has consumed. */
  async release(f: SpillFile): Promise<void> {
    this.files.delete(f);
    await f.delete();
  }

  /** Abort open writers and delete remaining files (idempotent). */
  async close(): Promise<void> {
    const writers = [...this.open], files = [...this.files];
    this.open.clear();
    this.files.clear();
    await Promise.all([...writers.map((w) => w.abort().catch(() => undefined)), ...files.map((f) => f.delete().catch(() => undefined))]);
  }
}

/** Seed for hash partitioning at recursion level `level` (0 = first split). */
export function partitionSeed(level: number): number {
  return Math.imul(level + 1, 0x9e3779b1) ^ 0x5f356495;
}

/** Bucket of every row (0..2^bits-1) by the seeded hash of the key columns. */
export function partitionIds(keys: readonly Column[], n: number, seed: number, bits: number): Uint8Array {
  const h = hashColumns(keys, n, seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = bucketOf(h[i]!, bits);
  return out;
}

export class HashPartitionWriter {
  readonly fanout: number;
  private readonly bits: number;
  private readonly writers: (SpillWriter | null)[];
  private readonly rowCounts: number[];

  /** fanout is rounded to a power of two (at most 256). */
  constructor(private readonly files: SpillFiles, private readonly schema: Schema, fanout: number, private readonly seed: number, private readonly tag = 'part') {
    let bits = 1;
    while ((1 << bits) < fanout && bits < 8) bits++;
    this.bits = bits;
    this.fanout = 1 << bits;
    this.writers = new Array<SpillWriter | null>(this.fanout).fill(null);
    this.rowCounts = new Array<number>(this.fanout).fill(0);
  }

  /** Rows written to each partition so far. */
  get rows(): readonly number[] { return this.rowCounts; }

  /** Split `batch` by its key columns (evaluated over it) and append each part to its file. */
  async write(batch: Batch, keys: readonly Column[]): Promise<void> {
    const n = batch.length;
    if (n === 0) return;
    const ids = partitionIds(keys, n, this.seed, this.bits);
    const k = this.fanout;
    const starts = new Int32Array(k + 1);
    for (let i = 0; i < n; i++) starts[ids[i]! + 1]!++;
    for (let p = 0; p < k; p++) starts[p + 1]! += starts[p]!;
    const fill = starts.slice(0, k);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[ids[i]!]!++] = i;
    for (let p = 0; p < k; p++) {
      const a = starts[p]!, b = starts[p + 1]!;
      if (b === a) continue;
      const part = b - a === n ? batch : takeBatch(batch, order.subarray(a, b), b - a);
      let w = this.writers[p]!;
      if (w === null) { w = this.files.writer(this.schema, this.tag); this.writers[p] = w; }
      await w.write(part);
      this.rowCounts[p]! += b - a;
    }
  }

  /** Finish every partition file; null for partitions that received no rows. */
  async finish(): Promise<(SpillFile | null)[]> {
    const out: (SpillFile | null)[] = [];
    for (let p = 0; p < this.fanout; p++) {
      const w = this.writers[p]!;
      out.push(w === null ? null : await this.files.finish(w));
      this.writers[p] = null;
    }
    return out;
  }
}
