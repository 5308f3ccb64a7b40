/**
 * HashPartitionWriter: splits batches by a seeded hash of key columns into `fanout` spill
 * files (grace hash join, spilling aggregation), written through as they come (it buffers
 * nothing itself).
 *
 *   batch ──hash(keys, seed)──▶ bucket 0..fanout-1 ──take rows──▶ writer[bucket] ──▶ file
 *
 * Different recursion levels use different seeds, so rows that shared a bucket at one
 * level spread over the buckets of the next.
 */
import { batchBytes, type Batch, type Column } from '../../columnar/column.js';
import { bucketOf, hashColumns } from '../../columnar/hash.js';
import { scatterBatch } from '../../columnar/scatter.js';
import type { SpillFile, SpillWriter } from '../../spill/spill_manager.js';
import type { SpillFiles } from './spill_files.js';
import type { Schema } from '../../common/types.js';

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
  /**
   * Bytes of batches handed to the files but not yet on disk that writePart lets run
   * before it waits (0: it waits for each write). Writes to several files then overlap
   * with each other and with the caller's work.
   */
  private maxInFlight = 0;
  private readonly inFlight: { done: Promise<void>; bytes: number }[] = [];
  private inFlightBytes = 0;
  /** The first write that failed while not waited for, rethrown by every later call. */
  private failure: unknown = null;

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

  /** The partition of every row of these key columns (what write() splits by). */
  partitionsOf(keys: readonly Column[], n: number): Uint8Array {
    return partitionIds(keys, n, this.seed, this.bits);
  }

  /**
   * Let writes run without waiting for each, up to `bytes` of batches not yet on disk (the
   * caller accounts for them); the writer's buffers may be reused once writePart returned.
   */
  overlapWrites(bytes: number): void {
    this.maxInFlight = bytes;
  }

  /** Append a batch whose rows all belong to partition p (as partitionsOf says) to its file. */
  async writePart(p: number, part: Batch): Promise<void> {
    if (part.length === 0) return;
    this.rethrow();
    let w = this.writers[p]!;
    if (w === null) { w = this.files.writer(this.schema, this.tag); this.writers[p] = w; }
    const written = w.write(part); // the batch is copied before write() returns
    this.rowCounts[p]! += part.length;
    if (this.maxInFlight <= 0) { await written; return; }
    const bytes = batchBytes(part);
    this.inFlight.push({ done: written.catch((e: unknown) => { this.failure ??= e; }), bytes });
    this.inFlightBytes += bytes;
    while (this.inFlightBytes > this.maxInFlight) {
      const oldest = this.inFlight.shift()!;
      await oldest.done;
      this.inFlightBytes -= oldest.bytes;
    }
    this.rethrow();
  }

  /** Wait for every write under way; rethrow the first that failed. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift()!.done;
    this.inFlightBytes = 0;
    this.rethrow();
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Split `batch` by its key columns (evaluated over it) and append each part to its file. */
  async write(batch: Batch, keys: readonly Column[]): Promise<void> {
    const n = batch.length;
    if (n === 0) return;
    const parts = scatterBatch(batch, partitionIds(keys, n, this.seed, this.bits), this.fanout);
    for (let p = 0; p < this.fanout; p++) {
      const part = parts[p];
      if (part) await this.writePart(p, part);
    }
  }

  /** Finish every partition file; null for partitions that received no rows. */
  async finish(): Promise<(SpillFile | null)[]> {
    await this.drain();
    const out: (SpillFile | null)[] = [];
    for (let p = 0; p < this.fanout; p++) {
      const w = this.writers[p]!;
      out.push(w === null ? null : await this.files.finish(w));
      this.writers[p] = null;
    }
    return out;
  }
}
