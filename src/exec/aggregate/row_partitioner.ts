/**
 * RowPartitioner: the input of an aggregation that does not reduce (about as many groups
 * as rows), split straight into hash partition files instead of going through a hash
 * table first. Rows are held until about `budget` bytes, then concatenated and split in
 * one go, so each partition file gets a few large batches rather than one sliver per
 * input batch per partition.
 *
 *   batch ─▶ held (reserved from the pool) ──budget reached──▶ concat ─▶ HashPartitionWriter
 *
 * The held bytes are taken from the operator's reservation on top of what it holds and
 * given back at each flush; when the pool refuses, the rows held so far are written out
 * and the batch goes through alone.
 */
import { batchBytes, type Batch } from '../../columnar/column.js';
import { concatBatches } from '../../columnar/kernels.js';
import type { Schema } from '../../common/types.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { HashPartitionWriter } from '../spill/hash_partitions.js';

export class RowPartitioner {
  private held: Batch[] = [];
  private heldBytes = 0;

  /** The first `keyCount` columns of every batch are the group keys. */
  constructor(
    private readonly writer: HashPartitionWriter, private readonly schema: Schema, private readonly keyCount: number,
    private readonly reservation: MemoryReservation, private readonly budget: number,
  ) {}

  async add(batch: Batch): Promise<void> {
    if (batch.length === 0) return;
    const bytes = batchBytes(batch);
    if (this.heldBytes + bytes > this.budget) await this.flush();
    if (!this.reservation.tryGrow(bytes)) {
      await this.flush();
      await this.writer.write(batch, batch.columns.slice(0, this.keyCount));
      return;
    }
    this.held.push(batch);
    this.heldBytes += bytes;
  }

  /** Write what is held to the partition files and give its memory back. */
  async flush(): Promise<void> {
    if (this.held.length === 0) return;
    const all = this.held.length === 1 ? this.held[0]! : concatBatches(this.schema, this.held);
    this.held = [];
    await this.writer.write(all, all.columns.slice(0, this.keyCount));
    this.reservation.shrink(this.heldBytes);
    this.heldBytes = 0;
  }
}
