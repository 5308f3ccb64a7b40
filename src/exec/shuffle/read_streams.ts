/**
 * Read several exchange streams as one, at most `maxOpen` open at a time, batches in
 * arrival order. Used by ExchangeRead (one stream per writer task).
 *
 *   targets[0] ──stream──┐
 *   targets[1] ──stream──┼──▶ queue (≤ 2 per open stream) ──▶ output
 *   targets[k] (waits for a free slot) ─┘
 *
 * A stream that ends frees its slot for the next target and reports its counters
 * (onStreamEnd, for metrics). The first error fails the whole read (an output out of reach
 * as a FetchFailedError naming its worker, fetch_failure.ts). When the consumer
 * stops early, open streams are aborted and awaited before the generator returns.
 *
 * timedReads wraps any such read to measure how long its consumer waited for data (the
 * time spent inside next(): 0 while batches are queued), the reader's "data wait" figure.
 */
import type { Batch } from '../../columnar/column.js';
import type { ExchangeStream, ExchangeTarget, ExchangeTransport } from '../../exchange/transport.js';
import { Waiters } from '../../exchange/waiters.js';
import { asFetchFailure } from './fetch_failure.js';

const QUEUED_PER_STREAM = 2;

function wait(w: Waiters): Promise<void> {
  return new Promise((resolve) => { w.add(resolve); });
}

export async function* readStreams(
  transport: ExchangeTransport,
  targets: readonly ExchangeTarget[],
  maxOpen: number,
  signal: AbortSignal,
  onStreamEnd: (stream: ExchangeStream) => void,
): AsyncGenerator<Batch> {
  const slots = Math.max(1, Math.min(maxOpen, targets.length));
  const capacity = QUEUED_PER_STREAM * slots;
  const queue: Batch[] = [];
  const dataReady = new Waiters();
  const spaceFree = new Waiters();
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  let nextTarget = 0;
  let running = 0;
  let closed = false;
  const state: { failure: { error: unknown } | null } = { failure: null };
  const pumps: Promise<void>[] = [];

  const pump = async (target: ExchangeTarget): Promise<void> => {
    try {
      const stream = transport.open(target, stop.signal);
      for await (const b of stream) {
        while (queue.length >= capacity && !closed) await wait(spaceFree);
        if (closed) break;
        queue.push(b);
        dataReady.wakeAll();
      }
      onStreamEnd(stream);
    } catch (error) {
      if (!closed) state.failure ??= { error: asFetchFailure(target, error) };
    } finally {
      running--;
      startMore();
      dataReady.wakeAll();
    }
  };
  const startMore = (): void => {
    while (!closed && state.failure === null && running < slots && nextTarget < targets.length) {
      running++;
      pumps.push(pump(targets[nextTarget++]!));
    }
  };

  try {
    startMore();
    for (;;) {
      if (state.failure !== null) throw state.failure.error;
      const b = queue.shift();
      if (b !== undefined) {
        spaceFree.wakeAll();
        yield b;
        continue;
      }
      if (running === 0 && nextTarget >= targets.length) return;
      await wait(dataReady);
    }
  } finally {
    closed = true;
    queue.length = 0;
    stop.abort();
    spaceFree.wakeAll();
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(pumps);
  }
}

/** `source` as it is, adding the time each next() took to `wait.ms`. */
export async function* timedReads<T>(source: AsyncIterable<T>, wait: { ms: number }): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const t0 = performance.now();
      const r = await it.next();
      wait.ms += performance.now() - t0;
      if (r.done === true) { done = true; return; }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
