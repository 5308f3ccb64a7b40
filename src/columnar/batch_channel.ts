/**
 * BatchChannel: hands batches from one producer to one consumer (an AsyncIterable), one at a
 * time (the data generator feeds two Parquet writers from one loop; a distributed query
 * hands its result to a reading caller).
 *
 *   producer: await put(b) ──► [one slot] ──► for await (b of channel)  :consumer
 *   put() waits while the slot is full; fail(e) makes both sides throw e; close() ends the
 *   iteration once the slot is drained.
 */
import type { Batch } from './column.js';

export class BatchChannel implements AsyncIterable<Batch> {
  private slot: Batch | null = null;
  private closed = false;
  private error: { reason: unknown } | null = null;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;

  async put(b: Batch): Promise<void> {
    while (this.slot !== null && this.error === null) await new Promise<void>((r) => { this.wakeProducer = r; });
    if (this.error !== null) throw this.error.reason;
    this.slot = b;
    this.wake('consumer');
  }

  close(): void {
    this.closed = true;
    this.wake('consumer');
  }

  fail(reason: unknown): void {
    if (this.error === null) this.error = { reason };
    this.wake('consumer');
    this.wake('producer');
  }

  private wake(who: 'consumer' | 'producer'): void {
    const w = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = null; else this.wakeProducer = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    for (;;) {
      while (this.slot === null && !this.closed && this.error === null) {
        await new Promise<void>((r) => { this.wakeConsumer = r; });
      }
      if (this.error !== null) throw this.error.reason;
      if (this.slot === null) return;
      const b = this.slot;
      this.slot = null;
      this.wake('producer');
      yield b;
    }
  }
}
