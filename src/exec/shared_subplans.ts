/**
 * SharedSubplans: the root of a single-node plan whose WITH queries are read more than
 * once. It runs its input with a registry of the shared subplans in the context; each is
 * computed once, when a SharedRead (exec/shared_read.ts) first asks for it, and read by
 * every reader from the start.
 *
 *   SharedSubplans ── input ──▶ … SharedRead #7 ──┐          ┌── SharedRead #7 …
 *                                                 ▼          ▼
 *   shared #7: producer (run in the background) ──▶ buffered output, one partition
 *              executePlan(plan, 0)                 (exchange StageOutput: pool-reserved,
 *                                                    spilled to disk under pressure)
 *
 * Buffers: the subplan's whole output, in an ExchangeBuffer writer ("ExchangeBuffer[q …
 * stage <share id> task 0]") that is a spillable consumer of the query's pool: when the
 * pool refuses an append or asks it to spill, its batches move to the query's spill files
 * and readers read them back one at a time. The producer runs at its own pace (readers do
 * not slow it), so readers that consume at different times never wait for each other.
 * Freed: once the last of its `readers` finished or stopped reading (the producer is
 * stopped if it still runs), else when this operator ends (a reader that never ran, a
 * failure, cancellation). Metrics: those of the subplan's nodes (run once) and each
 * SharedRead's rows.
 */
import type { Batch } from '../columnar/column.js';
import { ExchangeBuffer, type ExchangeWriter, type PartitionBuffer, type WriterId } from '../exchange/exchange_buffer.js';
import type { SharedSubplan, SharedSubplansNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';

export async function* sharedSubplans(node: SharedSubplansNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const registry = new SharedSubplanRegistry(node.shared, ctx);
  try {
    yield* executePlan(node.input, partition, registry.context);
  } finally {
    await registry.close();
  }
}

/** One shared subplan while it runs: its producer and who still reads it. */
interface Running {
  readonly sub: SharedSubplan;
  readonly id: WriterId;
  readonly partition: PartitionBuffer;
  /** Stops the producer once nobody reads any more. */
  readonly stop: AbortController;
  readonly produced: Promise<void>;
  /** The producer's own error, rethrown to readers as it is. */
  error: unknown;
  readersDone: number;
}

/** The shared subplans of one query run, started on first read (TaskContext.shared). */
export class SharedSubplanRegistry {
  private readonly subplans = new Map<number, SharedSubplan>();
  private readonly running = new Map<number, Running>();
  private readonly buffer: ExchangeBuffer;
  /** The query's context with this registry in it: subplans may read other subplans. */
  private readonly ctx: TaskContext;
  private closed = false;

  constructor(shared: readonly SharedSubplan[], ctx: TaskContext) {
    for (const s of shared) this.subplans.set(s.id, s);
    this.ctx = { ...ctx, shared: this };
    this.buffer = new ExchangeBuffer({ pool: ctx.memory, spill: ctx.spill, storage: 'batches' });
  }

  /** The context its readers run in. */
  get context(): TaskContext { return this.ctx; }

  /**
   * Every batch of shared subplan `id` from the start, computing it on the first call.
   * The reader counts as done when the iteration ends, however it ends.
   */
  async *read(id: number, readerNodeId: number): AsyncGenerator<Batch> {
    if (this.closed) throw new Error(`SharedRead#${readerNodeId}: the query's shared subplans were already released`);
    const r = this.start(id, readerNodeId);
    const reader = r.partition.openReader();
    try {
      for (let i = 0; ; i++) {
        let more: boolean;
        try {
          more = await reader.waitForEntry(i, this.ctx.signal);
        } catch (e) {
          throw r.error ?? e;
        }
        if (!more) return;
        yield r.partition.readBatch(i);
      }
    } finally {
      await reader.close();
      r.readersDone++;
      if (r.readersDone >= r.sub.readers) await this.release(r);
    }
  }

  /** Free every subplan's memory and spill files; stops producers still running. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.running.values()];
    for (const r of running) r.stop.abort();
    await Promise.allSettled(running.map((r) => r.produced));
    await this.buffer.releaseQuery(this.ctx.queryId);
  }

  private start(id: number, readerNodeId: number): Running {
    const existing = this.running.get(id);
    if (existing) return existing;
    const sub = this.subplans.get(id);
    if (sub === undefined) throw new Error(`SharedRead#${readerNodeId}: no shared subplan #${id} in this plan`);
    const writerId: WriterId = { queryId: this.ctx.queryId, stageId: id, task: 0 };
    const writer = this.buffer.openWriter(writerId, sub.plan.schema, 1);
    const partition = this.buffer.lookup({ ...writerId, partition: 0 })!;
    const stop = new AbortController();
    const r: Running = { sub, id: writerId, partition, stop, produced: Promise.resolve(), error: null, readersDone: 0 };
    (r as { produced: Promise<void> }).produced = this.produce(r, writer);
    this.running.set(id, r);
    return r;
  }

  /** Run the subplan to its end into the writer; never rejects (readers get the error). */
  private async produce(r: Running, writer: ExchangeWriter): Promise<void> {
    // Start on a later tick, so the first reader is waiting before any batch arrives.
    await Promise.resolve();
    const signal = AbortSignal.any([this.ctx.signal, r.stop.signal]);
    try {
      for await (const batch of executePlan(r.sub.plan, 0, { ...this.ctx, signal })) {
        await writer.append(0, batch);
      }
      writer.finish();
    } catch (e) {
      r.error = e;
      writer.fail(e);
    }
  }

  /** The last reader is done: stop the producer if it still runs, then free the output. */
  private async release(r: Running): Promise<void> {
    r.stop.abort();
    await r.produced;
    this.buffer.dropWriter(r.id);
  }
}
