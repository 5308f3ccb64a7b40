/**
 * The exchange over MessagePorts, for worker threads in one process (embedded
 * `--workers N`). Same contract as GrpcTransport (src/exchange/transport.ts): the reader
 * asks for one output partition of one writer task, grants credits, and receives Arrow IPC
 * messages; the writer never sends more batches than it was granted.
 *
 *   reader (PortTransport)                        writer (servePortExchange)
 *   {x-open id, key, credits N, compression} ──▶  wait for the writer task (≤ timeout,
 *                                                    {x-beat} meanwhile)
 *                                          ◀──   {x-schema id, header}
 *                                          ◀──   {x-batch id, header, body} × ≤ credits
 *   {x-credit id, 1} per consumed batch     ──▶
 *                                          ◀──   {x-eos id, creditWaitMs}  or  {x-error id, failure, kind, message}
 *   {x-cancel id} when the reader stops     ──▶  stop sending
 *
 * One port links two parties both ways: each may read from the other (stream ids are per
 * reader; reader and writer messages have distinct types, so both roles share the port, and
 * control messages of scheduler/thread_workers.ts with their own types pass through untouched).
 * Bodies are copied once out of the ExchangeBuffer into a fresh ArrayBuffer that is
 * transferred, not cloned, so it crosses the thread boundary without a second copy and
 * arrives 8-byte aligned. Bytes "on the wire" here are the schema and batch payloads
 * (header + body), counted alike by both ends. A reader waits at most network_timeout_ms of silence; a port
 * whose other end closed (its thread exited) fails every open stream on it at once.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Batch } from '../columnar/column.js';
import type { ErrorKind } from '../common/errors.js';
import { SpillwayError } from '../common/errors.js';
import { ipcBatchCodec, type BatchCodec, type ExchangeCompression } from './batch_codec.js';
import { CreditGate, pumpPartition } from './credits.js';
import type { ExchangeBuffer, PartitionBuffer } from './exchange_buffer.js';
import {
  checkRangeSplit, describeKey, endOfStreamFigures, ExchangeError, MAX_CREDITS, newStreamCounters,
  type ExchangeFailure, type ExchangeStream, type ExchangeTarget, type ExchangeTransport, type PartitionKey, type RangeSplit, type StreamCounters,
} from './transport.js';
import { waitForWake, Waiters } from './waiters.js';
import type { Schema } from '../common/types.js';

type ReaderMessage =
  | { t: 'x-open'; id: number; key: PartitionKey; credits: number; compression: ExchangeCompression; range?: RangeSplit }
  | { t: 'x-credit'; id: number; n: number }
  | { t: 'x-cancel'; id: number };

type WriterMessage =
  | { t: 'x-schema'; id: number; header: Uint8Array }
  | { t: 'x-batch'; id: number; header: Uint8Array; body: Uint8Array; rows: number; raw: number }
  | { t: 'x-beat'; id: number }
  | { t: 'x-eos'; id: number; creditWaitMs: number }
  | { t: 'x-error'; id: number; failure: ExchangeFailure; kind: ErrorKind; message: string };

const FAILURES = new Set<string>(['invalid_argument', 'not_found', 'deadline_exceeded', 'writer_failed', 'cancelled', 'unavailable']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** A copy of `bytes` in its own ArrayBuffer (transferable, offset 0). */
function ownCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

// ---------------------------------------------------------------------------------------
// Writer side
// ---------------------------------------------------------------------------------------

export interface PortExchangeServerOptions {
  /** Bound on waiting for a writer task to start (config network_timeout_ms). */
  networkTimeoutMs: number;
  /** Heartbeats while the writer is busy; default timeout / 3. */
  heartbeatMs?: number;
  /** Told of each batch sent: its bytes before IPC and compression (the runtime's metrics). */
  onBatchSent?: (rawBytes: number) => void;
}

export interface PortExchangeServer {
  /** Streams open now. */
  readonly active: number;
  /** Stop every stream and stop listening. */
  close(): void;
}

/** Serve `buffer`'s partitions to the reader at the other end of `port`. */
export function servePortExchange(port: MessagePort, buffer: ExchangeBuffer, opts: PortExchangeServerOptions): PortExchangeServer {
  const streams = new Map<number, { stop: AbortController; gate: CreditGate }>();
  const heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.floor(opts.networkTimeoutMs / 3));
  const post = (m: WriterMessage, transfer: ArrayBuffer[] = []) => {
    port.postMessage(m, transfer);
    if (m.t === 'x-batch') opts.onBatchSent?.(m.raw);
  };

  const fail = (id: number, key: PartitionKey | null, err: unknown) => {
    let failure: ExchangeFailure = 'writer_failed';
    let kind: ErrorKind = 'execution';
    if (err instanceof ExchangeError) { failure = err.failure; kind = err.kind; }
    else if (err instanceof SpillwayError) { kind = err.kind; failure = err.kind === 'cancelled' ? 'cancelled' : 'writer_failed'; }
    const where = key ? describeKey(key) : 'exchange request';
    const text = err instanceof Error ? err.message : String(err);
    post({ t: 'x-error', id, failure, kind, message: text.includes(where) ? text : `${where}: ${text}` });
  };

  const run = async (
    id: number, key: PartitionKey, range: RangeSplit | undefined, gate: CreditGate, compression: ExchangeCompression, stop: AbortController,
  ): Promise<void> => {
    const beat = setInterval(() => post({ t: 'x-beat', id }), heartbeatMs);
    let part: PartitionBuffer;
    try {
      part = await buffer.waitForPartition(key, { signal: stop.signal, timeoutMs: opts.networkTimeoutMs }, range);
    } finally {
      clearInterval(beat);
    }
    const schemaHeader = buffer.codec.encodeSchema(part.schema);
    buffer.served.streams++;
    buffer.served.wireBytes += schemaHeader.byteLength;
    post({ t: 'x-schema', id, header: schemaHeader });
    let creditWaitMs = 0;
    await pumpPartition(part, gate, stop.signal, (i) => {
      const out = part.readEncoded(i, compression);
      const header = ownCopy(out.header);
      const body = ownCopy(out.body);
      buffer.served.wireBytes += header.byteLength + body.byteLength;
      post({ t: 'x-batch', id, header, body, rows: out.rows, raw: out.rawBytes }, [header.buffer as ArrayBuffer, body.buffer as ArrayBuffer]);
    }, {
      onCreditWait: (ms) => { creditWaitMs += ms; },
      heartbeat: { everyMs: heartbeatMs, beat: () => post({ t: 'x-beat', id }) },
    });
    post({ t: 'x-eos', id, creditWaitMs });
  };

  const onOpen = (m: Record<string, unknown>, id: number) => {
    const k = m.key;
    const validKey = isObject(k) && typeof k.queryId === 'string' && k.queryId !== ''
      && [k.stageId, k.task, k.partition].every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    if (!validKey) throw new ExchangeError('invalid_argument', 'malformed exchange open: expected key {queryId, stageId, task, partition}');
    const key: PartitionKey = { queryId: k.queryId as string, stageId: k.stageId as number, task: k.task as number, partition: k.partition as number };
    const credits = m.credits;
    if (typeof credits !== 'number' || !Number.isInteger(credits) || credits < 1 || credits > MAX_CREDITS) {
      throw new ExchangeError('invalid_argument', `${describeKey(key)}: malformed exchange credits ${JSON.stringify(credits)}`);
    }
    const compression = m.compression;
    if (compression !== 'none' && compression !== 'lz4') {
      throw new ExchangeError('invalid_argument', `${describeKey(key)}: unsupported exchange compression ${JSON.stringify(compression)}`);
    }
    const range = m.range === undefined ? undefined : checkRangeSplit(m.range);
    const stop = new AbortController();
    const gate = new CreditGate(credits);
    streams.set(id, { stop, gate });
    run(id, key, range, gate, compression, stop).catch((e: unknown) => { if (!stop.signal.aborted) fail(id, key, e); })
      .finally(() => { streams.delete(id); });
  };

  const onMessage = (m: unknown) => {
    if (!isObject(m) || typeof m.t !== 'string' || !m.t.startsWith('x-') || typeof m.id !== 'number') return;
    const id = m.id;
    try {
      switch (m.t as ReaderMessage['t']) {
        case 'x-open':
          if (streams.has(id)) throw new ExchangeError('invalid_argument', `exchange stream ${id} is already open`);
          onOpen(m, id);
          break;
        case 'x-credit': {
          const s = streams.get(id);
          const n = m.n;
          if (s && typeof n === 'number' && Number.isInteger(n) && n > 0 && s.gate.available + n <= MAX_CREDITS) s.gate.grant(n);
          break;
        }
        case 'x-cancel':
          streams.get(id)?.stop.abort();
          streams.delete(id);
          break;
      }
    } catch (e) {
      fail(id, null, e);
    }
  };
  port.on('message', onMessage);
  return {
    get active() { return streams.size; },
    close: () => {
      port.off('message', onMessage);
      for (const s of streams.values()) s.stop.abort();
      streams.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Reader side
// ---------------------------------------------------------------------------------------

export interface PortTransportOptions {
  /** Default credits per stream (config exchange_credits). */
  credits: number;
  /** Longest silence from a writer before a read fails (config network_timeout_ms). */
  networkTimeoutMs: number;
  codec?: BatchCodec;
}

/** Per-stream inbox the port listener fills. */
interface StreamSink {
  deliver(m: WriterMessage): void;
  lost(reason: string): void;
}

/** One port to one worker, multiplexing streams by id. */
class PortLink {
  readonly sinks = new Map<number, StreamSink>();
  closed: string | null = null;
  private nextId = 1;

  constructor(readonly worker: string, readonly port: MessagePort) {
    port.on('message', (m: unknown) => {
      if (!isObject(m) || typeof m.t !== 'string' || !m.t.startsWith('x-') || typeof m.id !== 'number') return;
      if (m.t === 'x-open' || m.t === 'x-credit' || m.t === 'x-cancel') return; // the other side reading from us
      this.sinks.get(m.id)?.deliver(m as unknown as WriterMessage);
    });
    port.on('close', () => this.lose(`the port to worker ${worker} closed (its thread exited)`));
  }

  lose(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    for (const s of [...this.sinks.values()]) s.lost(reason);
  }

  newId(): number {
    return this.nextId++;
  }

  post(m: ReaderMessage): void {
    if (this.closed === null) this.port.postMessage(m);
  }
}

export class PortTransport implements ExchangeTransport {
  private readonly links = new Map<string, PortLink>();
  readonly codec: BatchCodec;

  constructor(ports: ReadonlyMap<string, MessagePort>, private readonly opts: PortTransportOptions) {
    this.codec = opts.codec ?? ipcBatchCodec;
    for (const [worker, port] of ports) this.links.set(worker, new PortLink(worker, port));
  }

  /** Fail every stream to `worker` (its thread is gone). */
  lose(worker: string, reason: string): void {
    this.links.get(worker)?.lose(reason);
  }

  open(target: ExchangeTarget, signal: AbortSignal): ExchangeStream {
    const link = target.worker === null ? undefined : this.links.get(target.worker);
    if (link === undefined) {
      throw new ExchangeError('unavailable', `${describeKey(target)}: no port to worker ${target.worker ?? '(this process)'} (known: ${[...this.links.keys()].join(', ')})`);
    }
    const credits = target.credits ?? this.opts.credits;
    if (!Number.isInteger(credits) || credits < 1) throw new RangeError(`exchange credits must be a positive integer, got ${credits}`);
    return new PortStream(link, target, credits, this.opts.networkTimeoutMs, this.codec, signal);
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.lose('the exchange transport was closed');
  }
}

class PortStream implements ExchangeStream {
  readonly counters: StreamCounters = newStreamCounters();
  schema: Schema | null = null;
  private readonly key: PartitionKey;

  constructor(
    private readonly link: PortLink,
    private readonly target: ExchangeTarget,
    private readonly credits: number,
    private readonly timeoutMs: number,
    private readonly codec: BatchCodec,
    private readonly signal: AbortSignal,
  ) {
    this.key = { queryId: target.queryId, stageId: target.stageId, task: target.task, partition: target.partition };
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.iterate();
  }

  private async *iterate(): AsyncGenerator<Batch> {
    const where = describeKey(this.key);
    const worker = this.link.worker;
    const id = this.link.newId();
    const inbox: { header: Uint8Array; body: Uint8Array; raw: number }[] = [];
    const arrived = new Waiters();
    let eos = false;
    let failure: Error | null = null;
    let lastHeard = Date.now();
    let finished = false;

    this.link.sinks.set(id, {
      deliver: (m) => {
        lastHeard = Date.now();
        switch (m.t) {
          case 'x-schema': this.schema = this.codec.decodeSchema(m.header); this.counters.wireBytes += m.header.byteLength; break;
          case 'x-batch': inbox.push({ header: m.header, body: m.body, raw: m.raw }); this.counters.wireBytes += m.header.byteLength + m.body.byteLength; break;
          case 'x-eos': eos = true; this.counters.writerCreditWaitMs = endOfStreamFigures(m as unknown as Record<string, unknown>).creditWaitMs; break;
          case 'x-error': {
            const failureName: ExchangeFailure = FAILURES.has(m.failure) ? m.failure : 'unavailable';
            const message = m.message.includes(where) ? `${m.message} (worker ${worker})` : `${where} from worker ${worker}: ${m.message}`;
            failure ??= new ExchangeError(failureName, message, { kind: m.kind });
            break;
          }
          case 'x-beat': break;
        }
        arrived.wakeAll();
      },
      lost: (reason) => {
        failure ??= new ExchangeError('unavailable', `${where}: ${reason}`);
        arrived.wakeAll();
      },
    });

    try {
      if (this.link.closed !== null) throw new ExchangeError('unavailable', `${where}: ${this.link.closed}`);
      this.link.post({
        t: 'x-open', id, key: this.key, credits: this.credits, compression: this.target.compression,
        ...(this.target.range !== undefined ? { range: this.target.range } : {}),
      });
      let delivered = false;
      for (;;) {
        // The consumer is back for more: the batch it had is consumed.
        if (delivered) this.link.post({ t: 'x-credit', id, n: 1 });
        while (inbox.length === 0 && !eos && failure === null) {
          const left = this.timeoutMs - (Date.now() - lastHeard);
          if (left <= 0) {
            failure = new ExchangeError('deadline_exceeded', `${where}: no message from worker ${worker} for ${this.timeoutMs} ms`);
            break;
          }
          await waitForWake(arrived, this.signal, `read of ${where}`, left);
        }
        const m = inbox.shift();
        if (m !== undefined) {
          if (this.schema === null) throw new ExchangeError('invalid_argument', `${where}: worker ${worker} sent a batch before the schema`);
          const batch = this.codec.decodeBatch(this.schema, m.header, m.body);
          this.counters.batches++;
          this.counters.rows += batch.length;
          this.counters.rawBytes += m.raw;
          delivered = true;
          yield batch;
          continue;
        }
        if (failure !== null) throw failure;
        finished = true;
        return;
      }
    } finally {
      this.link.sinks.delete(id);
      if (!finished) this.link.post({ t: 'x-cancel', id });
    }
  }
}
