/**
 * InProcessTransport: the exchange without a network (embedded mode, and tests that run
 * several in-memory workers in one process). Reads straight from an ExchangeBuffer with
 * the same credit rule as DoExchange: a background pump moves at most `credits` batches
 * ahead of the consumer into a small inbox, and the consumer returns one credit each time
 * it asks for the next batch. Batches stored as Batch objects are handed over as they are
 * (no copy, no encoding); encoded ones are decoded when sent.
 *
 * Waiting for a writer task that has not started yet is bounded by network_timeout_ms;
 * waiting for the next batch of a started writer is not (the writer is local and reports
 * its own failure).
 */
import type { Batch } from '../columnar/column.js';
import type { Schema } from '../common/types.js';
import { CreditGate, pumpPartition } from './credits.js';
import type { ExchangeBuffer } from './exchange_buffer.js';
import {
  describeKey,
  ExchangeError,
  newStreamCounters,
  type ExchangeStream,
  type ExchangeStreamEvent,
  type ExchangeTarget,
  type ExchangeTransport,
  type PartitionKey,
  type RangeSplit,
  type StreamCounters,
  type StreamObserver,
} from './transport.js';
import { waitForWake, Waiters } from './waiters.js';

export interface InProcessTransportOptions {
  /** The local buffer, or one buffer per worker name (in-memory cluster). */
  buffers: ExchangeBuffer | ReadonlyMap<string, ExchangeBuffer>;
  /** Default credits per stream (config exchange_credits). */
  credits: number;
  /** Bound on waiting for a writer to start (config network_timeout_ms). */
  networkTimeoutMs: number;
  onStreamEvent?: StreamObserver;
}

export class InProcessTransport implements ExchangeTransport {
  constructor(private readonly opts: InProcessTransportOptions) {}

  open(target: ExchangeTarget, signal: AbortSignal): ExchangeStream {
    return new InProcessStream(this.bufferFor(target), target, target.credits ?? this.opts.credits, this.opts, signal);
  }

  async close(): Promise<void> {}

  private bufferFor(target: ExchangeTarget): ExchangeBuffer {
    const b = this.opts.buffers;
    if (!(b instanceof Map)) return b as ExchangeBuffer;
    const key = target.worker ?? '';
    const found = b.get(key);
    if (!found) {
      throw new ExchangeError('unavailable', `${describeKey(target)}: unknown in-process worker "${key}" (known: ${[...b.keys()].join(', ')})`);
    }
    return found;
  }
}

class InProcessStream implements ExchangeStream {
  readonly counters: StreamCounters = newStreamCounters();
  schema: Schema | null = null;
  private readonly key: PartitionKey;
  private readonly range: RangeSplit | undefined;

  constructor(
    private readonly buffer: ExchangeBuffer,
    target: ExchangeTarget,
    private readonly credits: number,
    private readonly opts: InProcessTransportOptions,
    private readonly signal: AbortSignal,
  ) {
    this.key = { queryId: target.queryId, stageId: target.stageId, task: target.task, partition: target.partition };
    this.range = target.range;
    if (!Number.isInteger(credits) || credits < 1) throw new RangeError(`exchange credits must be a positive integer, got ${credits}`);
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.iterate();
  }

  private emit(type: ExchangeStreamEvent['type'], sent: number, message?: string): void {
    this.opts.onStreamEvent?.({ type, key: this.key, sent, counters: this.counters, message });
  }

  private async *iterate(): AsyncGenerator<Batch> {
    const what = `read of ${describeKey(this.key)}`;
    // The pump stops when the consumer stops (return/throw) or the caller aborts.
    const stop = new AbortController();
    const onAbort = () => stop.abort(this.signal.reason);
    if (this.signal.aborted) onAbort();
    else this.signal.addEventListener('abort', onAbort, { once: true });

    const inbox: Batch[] = [];
    const arrived = new Waiters();
    let ended = false;
    let failure: unknown = null;
    let pump: Promise<void> | null = null;
    let sent = 0;
    try {
      const part = await this.buffer.waitForPartition(this.key, { signal: stop.signal, timeoutMs: this.opts.networkTimeoutMs }, this.range);
      this.schema = part.schema;
      this.emit('open', 0);
      const gate = new CreditGate(this.credits);
      pump = pumpPartition(part, gate, stop.signal, (i) => {
        const batch = part.readBatch(i);
        this.counters.batches++;
        this.counters.rows += batch.length;
        this.counters.rawBytes += part.rawBytesOf(i);
        inbox.push(batch);
        sent++;
        this.emit('sent', sent);
        arrived.wakeAll();
      }, {
        onBlocked: () => this.emit('blocked', sent),
        onCreditWait: (ms) => { this.counters.writerCreditWaitMs += ms; },
      }).then(
        () => { ended = true; this.emit('eos', sent); },
        (e: unknown) => { failure = e; if (!stop.signal.aborted) this.emit('error', sent, (e as Error).message); },
      ).finally(() => arrived.wakeAll());

      let delivered = false;
      for (;;) {
        // The consumer is back for more: the batch it had is consumed.
        if (delivered) gate.grant(1);
        while (inbox.length === 0 && !ended && failure === null) await waitForWake(arrived, stop.signal, what);
        if (inbox.length > 0) {
          delivered = true;
          yield inbox.shift()!;
          continue;
        }
        if (failure !== null) throw failure;
        return;
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      stop.abort();
      if (pump) await pump;
    }
  }
}
