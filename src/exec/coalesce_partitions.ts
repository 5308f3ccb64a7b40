/**
 * Coalesce: gathers every partition of its input into one stream (unordered).
 *
 * The input partitions run concurrently: one pump per partition pulls batches and pushes
 * them into a shared bounded queue, and the output takes them in arrival order. This lets
 * I/O-bound inputs (scans, exchange readers) overlap; the bound (2 batches per input) stops
 * a fast input from running ahead without limit: a pump waits while the queue is full.
 *
 *   input p0 ──pump──┐
 *   input p1 ──pump──┼──▶ queue (≤ 2·n batches) ──▶ output
 *   input p2 ──pump──┘
 *
 * The first error of any pump fails the stream. When the consumer stops early (LIMIT) or
 * fails, the pumps stop at their next batch, which closes their inputs, and the stream
 * waits for them before it returns. Buffers at most the queue (not reserved in the pool:
 * it is small and bounded). Metrics: the baseline set only.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import type { CoalesceNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';

/** Batches queued per input partition before its pump waits. */
const QUEUED_PER_INPUT = 2;

/** A wake-up for whoever is waiting (a promise that is replaced once resolved). */
class Wakeup {
  private resolve: (() => void) | null = null;
  private promise: Promise<void> | null = null;

  wait(): Promise<void> {
    this.promise ??= new Promise<void>((r) => { this.resolve = r; });
    return this.promise;
  }

  notify(): void {
    const r = this.resolve;
    this.resolve = null;
    this.promise = null;
    r?.();
  }
}

export async function* coalesce(node: CoalesceNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (node.partitions !== 1 || partition !== 0) {
    throw new Error(`Coalesce#${node.id} must have exactly 1 partition (has ${node.partitions}, asked for ${partition})`);
  }
  const inputs = node.input.partitions;
  if (inputs === 1) {
    for await (const b of executePlan(node.input, 0, ctx)) yield makeBatch(node.schema, b.columns, b.length);
    return;
  }

  const capacity = QUEUED_PER_INPUT * inputs;
  const queue: Batch[] = [];
  const dataReady = new Wakeup();
  const spaceFree = new Wakeup();
  let running = inputs;
  let closed = false;
  // The first error of any pump (an object, so `undefined` can be thrown too).
  const state: { failure: { error: unknown } | null } = { failure: null };

  const pump = async (p: number): Promise<void> => {
    try {
      for await (const b of executePlan(node.input, p, ctx)) {
        while (queue.length >= capacity && !closed) await spaceFree.wait();
        if (closed) break;
        queue.push(b);
        dataReady.notify();
      }
    } catch (error) {
      state.failure ??= { error };
    } finally {
      running--;
      dataReady.notify();
    }
  };

  const pumps: Promise<void>[] = [];
  for (let p = 0; p < inputs; p++) pumps.push(pump(p));
  try {
    for (;;) {
      if (state.failure !== null) throw state.failure.error;
      const b = queue.shift();
      if (b !== undefined) {
        spaceFree.notify();
        yield makeBatch(node.schema, b.columns, b.length);
        continue;
      }
      if (running === 0) break;
      await dataReady.wait();
    }
  } finally {
    closed = true;
    queue.length = 0;
    spaceFree.notify();
    await Promise.allSettled(pumps);
  }
}
