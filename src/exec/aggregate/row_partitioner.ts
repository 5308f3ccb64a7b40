/**
 * RowPartitioner: the input of an aggregation that does not reduce (about as many groups
 * as rows), split straight into hash partition files instead of going through a hash
 * table first. Each partition file gets a few large batches rather than one sliver per
 * input batch per partition.
 *
 * Fixed-width columns (int32, date32, int64, timestamp, float64, time, bool): rows are
 * copied as they come into one reused region per partition, and a region is written out
 * when the next batch's rows for it would not fit. Nothing is concatenated or gathered
 * per flush: a fresh multi-MiB buffer per flush cost more in page faults than the copy.
 *
 *   batch ─hash(keys)─▶ partition p ──copy rows──▶ region p of each column's buffer
 *                                                   └─ full ─▶ write region p as a batch
 *
 *   column buffer   [ region 0: cap rows | region 1 | … | region fanout-1 ]   (Int32Array
 *                   words: 1 per int32/date32 value, 2 per 64-bit value; bytes for bool)
 *
 * The buffers (3/4 of `budget` bytes) and the written regions' copies not yet on disk
 * (the rest: the writes overlap each other and the copying, see
 * HashPartitionWriter.overlapWrites) are reserved from the operator's reservation once, at
 * the first batch. Other column types, a refused reservation, or a batch sending more rows to
 * one partition than its region holds (or a column not of its field's type) take the general path: rows are held up to
 * `budget` bytes (reserved batch by batch), then concatenated and split in one go; when
 * the pool refuses, the rows held so far are written out and the batch goes through alone.
 */
import { batchBytes, fixedColumn, type Batch, type Column, type FixedColumn } from '../../columnar/column.js';
import { concatBatches } from '../../columnar/kernels.js';
import { isDecimal, type DataType, type Schema } from '../../common/types.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { HashPartitionWriter } from '../spill/hash_partitions.js';

/** Fewest rows a partition's region must hold for the regions to be worth it. */
const MIN_REGION_ROWS = 256;

export class RowPartitioner {
  private held: Batch[] = [];
  private heldBytes = 0;
  /** The fixed-width regions, once allocated; null: the general path. */
  private regions: PartitionRegions | null = null;
  private regionsTried = false;
  /** Bytes of written regions not yet on disk that may be under way (a quarter of the budget). */
  private readonly writeBytes: number;

  /** The first `keyCount` columns of every batch are the group keys. */
  constructor(
    private readonly writer: HashPartitionWriter, private readonly schema: Schema, private readonly keyCount: number,
    private readonly reservation: MemoryReservation, private readonly budget: number,
  ) {
    this.writeBytes = Math.floor(budget / 4);
  }

  async add(batch: Batch): Promise<void> {
    const n = batch.length;
    if (n === 0) return;
    if (!this.regionsTried) {
      this.regionsTried = true;
      this.regions = PartitionRegions.create(this.schema, this.writer.fanout, this.budget - this.writeBytes, this.reservation);
      if (this.regions !== null) {
        if (this.reservation.tryGrow(this.writeBytes)) this.writer.overlapWrites(this.writeBytes);
        else { this.reservation.shrink(this.regions.bytes); this.regions = null; }
      }
    }
    const regions = this.regions;
    if (regions !== null) {
      const ids = this.writer.partitionsOf(batch.columns.slice(0, this.keyCount), n);
      if (await regions.add(batch, ids, this.writer)) return;
      // One partition takes more rows of this batch than a region holds: write it split.
      await regions.flush(this.writer);
      await this.writer.write(batch, batch.columns.slice(0, this.keyCount));
      return;
    }
    const bytes = batchBytes(batch);
    if (this.heldBytes + bytes > this.budget) await this.flushHeld();
    if (!this.reservation.tryGrow(bytes)) {
      await this.flushHeld();
      await this.writer.write(batch, batch.columns.slice(0, this.keyCount));
      return;
    }
    this.held.push(batch);
    this.heldBytes += bytes;
  }

  /** Write what is held to the partition files and give its memory back. */
  async flush(): Promise<void> {
    if (this.regions !== null) {
      await this.regions.flush(this.writer);
      await this.writer.drain();
      this.writer.overlapWrites(0);
      this.reservation.shrink(this.regions.bytes + this.writeBytes);
      this.regions = null;
    }
    await this.flushHeld();
  }

  private async flushHeld(): Promise<void> {
    if (this.held.length === 0) return;
    const all = this.held.length === 1 ? this.held[0]! : concatBatches(this.schema, this.held);
    this.held = [];
    await this.writer.write(all, all.columns.slice(0, this.keyCount));
    this.reservation.shrink(this.heldBytes);
    this.heldBytes = 0;
  }
}

/** 32-bit words per value of a fixed-width type the regions take; 0: not taken (bool is handled as bytes). */
function wordsOf(type: DataType): number {
  if (isDecimal(type)) return 0; // its values come in two forms
  switch (type) {
    case 'int32': case 'date32': return 1;
    case 'int64': case 'timestamp': case 'float64': case 'time': return 2;
    default: return 0;
  }
}

/** One buffer per column, cut into a region of `cap` rows per partition (see the header). */
class PartitionRegions {
  /** Rows in each partition's region. */
  private readonly fill: Int32Array;
  /** Per batch: where each row goes (partition p's region starts at p × cap). */
  private dest = new Int32Array(0);
  private readonly counts: Int32Array;

  private constructor(
    private readonly schema: Schema, private readonly fanout: number, private readonly cap: number,
    /** Per column: its words per value (0 for bool: bytes). */
    private readonly widths: readonly number[],
    private readonly values: readonly (Int32Array | Uint8Array)[],
    private readonly validity: readonly Uint8Array[],
    /** Per column and partition: a NULL was copied into the region since it was last written. */
    private readonly nulls: readonly Uint8Array[],
    readonly bytes: number,
  ) {
    this.fill = new Int32Array(fanout);
    this.counts = new Int32Array(fanout);
  }

  /** Regions for this schema within `budget` bytes, reserved; null when a column is not fixed-width or the pool refuses. */
  static create(schema: Schema, fanout: number, budget: number, reservation: MemoryReservation): PartitionRegions | null {
    const widths = schema.fields.map((f) => (f.type === 'bool' ? 0 : wordsOf(f.type)));
    if (schema.fields.some((f, i) => widths[i] === 0 && f.type !== 'bool')) return null;
    let rowBytes = 0;
    for (const w of widths) rowBytes += (w === 0 ? 1 : 4 * w) + 1;
    const cap = Math.floor(budget / (fanout * rowBytes));
    if (cap < MIN_REGION_ROWS) return null;
    const bytes = cap * fanout * rowBytes;
    if (!reservation.tryGrow(bytes)) return null;
    const rows = cap * fanout;
    return new PartitionRegions(
      schema, fanout, cap, widths,
      widths.map((w) => (w === 0 ? new Uint8Array(rows) : new Int32Array(rows * w))),
      widths.map(() => new Uint8Array(rows)),
      widths.map(() => new Uint8Array(fanout)),
      bytes,
    );
  }

  /**
   * Copy the batch's rows into their partitions' regions, writing out first each region
   * the batch would overflow. False (nothing copied) when one partition takes more rows
   * than a region holds, or a column is not of its field's type.
   */
  async add(batch: Batch, ids: Uint8Array, writer: HashPartitionWriter): Promise<boolean> {
    const n = batch.length, cap = this.cap, counts = this.counts, fill = this.fill;
    for (let c = 0; c < this.widths.length; c++) if (batch.columns[c]!.type !== this.schema.fields[c]!.type) return false;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[ids[i]!]!++;
    for (let p = 0; p < this.fanout; p++) if (counts[p]! > cap) return false;
    for (let p = 0; p < this.fanout; p++) if (fill[p]! + counts[p]! > cap) await this.writeRegion(p, writer);
    if (this.dest.length < n) this.dest = new Int32Array(Math.max(n, 2 * this.dest.length));
    const dest = this.dest;
    for (let i = 0; i < n; i++) { const p = ids[i]!; dest[i] = p * cap + fill[p]!++; }
    for (let c = 0; c < this.widths.length; c++) this.copyColumn(c, batch.columns[c]!, ids, n);
    return true;
  }

  private copyColumn(c: number, col: Column, ids: Uint8Array, n: number): void {
    const dest = this.dest, w = this.widths[c]!, valid = col.validity;
    const fixed = col as FixedColumn;
    if (w === 0) copyBytes(this.values[c] as Uint8Array, fixed.values as Uint8Array, dest, n);
    else if (w === 1) copyWords1(this.values[c] as Int32Array, fixed.values as Int32Array, dest, n);
    else copyWords2(this.values[c] as Int32Array, new Int32Array(fixed.values.buffer, fixed.values.byteOffset, 2 * n), dest, n);
    const v = this.validity[c]!;
    if (valid === null) { for (let i = 0; i < n; i++) v[dest[i]!] = 1; return; }
    const nulls = this.nulls[c]!;
    for (let i = 0; i < n; i++) {
      const x = valid[i]!;
      v[dest[i]!] = x;
      if (x === 0) nulls[ids[i]!] = 1;
    }
  }

  /** Write every region that holds rows. */
  async flush(writer: HashPartitionWriter): Promise<void> {
    for (let p = 0; p < this.fanout; p++) if (this.fill[p]! > 0) await this.writeRegion(p, writer);
  }

  /** Write region p as one batch (views of the buffers: the write is done before they are reused). */
  private async writeRegion(p: number, writer: HashPartitionWriter): Promise<void> {
    const rows = this.fill[p]!;
    if (rows === 0) return;
    const start = p * this.cap;
    const cols = this.schema.fields.map((f, c): Column => {
      const w = this.widths[c]!, buf = this.values[c]!;
      const validity = this.nulls[c]![p] === 1 ? this.validity[c]!.subarray(start, start + rows) : null;
      this.nulls[c]![p] = 0;
      const type = f.type as FixedColumn['type'];
      if (w === 0) return fixedColumn(type, (buf as Uint8Array).subarray(start, start + rows), validity);
      if (w === 1) return fixedColumn(type, (buf as Int32Array).subarray(start, start + rows), validity);
      const byteOffset = buf.byteOffset + 8 * start;
      const values = type === 'int64' || type === 'timestamp' ? new BigInt64Array(buf.buffer, byteOffset, rows) : new Float64Array(buf.buffer, byteOffset, rows);
      return fixedColumn(type, values, validity);
    });
    await writer.writePart(p, { schema: this.schema, columns: cols, length: rows });
    this.fill[p] = 0;
  }
}

function copyBytes(dst: Uint8Array, src: Uint8Array, dest: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[dest[i]!] = src[i]!;
}

function copyWords1(dst: Int32Array, src: Int32Array, dest: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[dest[i]!] = src[i]!;
}

function copyWords2(dst: Int32Array, src: Int32Array, dest: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) { const d = 2 * dest[i]!; dst[d] = src[2 * i]!; dst[d + 1] = src[2 * i + 1]!; }
}
