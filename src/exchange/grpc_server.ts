/**
 * The server side of DoExchange: a worker serves the output partitions in its
 * ExchangeBuffer to remote readers. One call = one partition of one writer task.
 *
 *   client                                     server (this file)
 *   FlightData{descriptor CMD, credits N} ──▶  parse → INVALID_ARGUMENT on garbage
 *                                              wait for the writer to start (≤ timeout,
 *                                                heartbeats meanwhile) → DEADLINE_EXCEEDED
 *                                   ◀──        schema message
 *                                   ◀──        batch × (while credits > 0)   [write() false
 *   FlightData{credits k} ──────────▶          gate += k                       → await 'drain']
 *                                   ◀──        {"eos":true, "creditWaitMs":w}, status OK
 *                       or          ◀──        status ≠ OK naming query/stage/task/partition
 *
 * The handler decodes FlightData itself (identity deserializer), so a malformed message
 * fails only its own call; the server keeps serving. Batches are sent one IPC message per
 * FlightData and never split: message size limits are lifted on both ends instead
 * (batches are bounded by batch_size; see services.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { SpillwayError } from '../common/errors.js';
import { DEFAULT_CONFIG } from '../common/config.js';
import { CreditGate, pumpPartition } from './credits.js';
import type { ExchangeBuffer, PartitionBuffer } from './exchange_buffer.js';
import { batchFlightData, decodeFlightData, DescriptorType, encodeFlightData, flightData, type FlightData } from './flight_messages.js';
import { ProtoDecodeError } from '../common/protobuf.js';
import { ERROR_KIND_METADATA, EXCHANGE_SERVER_OPTIONS, EXCHANGE_SERVICE } from './services.js';
import { serverCredentials, serverInterceptors } from './grpc_security.js';
import { NO_SECURITY, type GrpcSecurity } from './security.js';
import {
  describeKey,
  encodeAppMetadata,
  ExchangeError,
  MAX_CREDITS,
  newStreamCounters,
  parseCredits,
  parseJsonObject,
  parseOpenMetadata,
  parseTicket,
  type ExchangeFailure,
  type ExchangeStreamEvent,
  type PartitionKey,
  type RangeSplit,
  type StreamObserver,
} from './transport.js';

export interface ExchangeServerOptions {
  /** Interface to bind; default 127.0.0.1 (workers pass 0.0.0.0). */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  buffers: ExchangeBuffer;
  /** Bound on waiting for a request and for a writer to start (config network_timeout_ms). */
  networkTimeoutMs?: number;
  /** Interval of heartbeat messages while the writer is busy; default timeout / 3. */
  heartbeatMs?: number;
  onStreamEvent?: StreamObserver;
  /** Token and TLS every call must satisfy (default none). */
  security?: GrpcSecurity;
  /** More services to host on the same port (e.g. WORKER_SERVICE). */
  services?: readonly { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }[];
}

export interface ExchangeServerStats {
  streams: number;
  /** Streams currently open. */
  activeStreams: number;
  /** Times a send waited for 'drain' (grpc-js buffer full). */
  drainWaits: number;
  failedStreams: number;
  batchesSent: number;
  rowsSent: number;
  /** In-memory bytes of the batches sent (before encoding and compression). */
  rawBytesSent: number;
  /** FlightData bytes written: every message of every stream (schema, batches, heartbeats, end of stream). */
  wireBytesSent: number;
}

export interface ExchangeServer {
  readonly port: number;
  /** "host:port" as readers should dial it. */
  readonly address: string;
  readonly server: grpc.Server;
  readonly stats: Readonly<ExchangeServerStats>;
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
  /** Stop at once: open streams are cancelled. */
  close(): Promise<void>;
}

const STATUS_OF: Record<ExchangeFailure, grpc.status> = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  deadline_exceeded: grpc.status.DEADLINE_EXCEEDED,
  writer_failed: grpc.status.ABORTED,
  cancelled: grpc.status.CANCELLED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  unavailable: grpc.status.UNAVAILABLE,
};

function toStatus(err: unknown, key: PartitionKey | null): grpc.StatusObject {
  const where = key ? describeKey(key) : 'exchange request';
  let code: grpc.status = grpc.status.INTERNAL;
  let kind = 'execution';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof ExchangeError) {
    code = STATUS_OF[err.failure];
    kind = err.kind;
  } else if (err instanceof SpillwayError) {
    code = err.kind === 'cancelled' ? grpc.status.CANCELLED : err.kind === 'timeout' ? grpc.status.DEADLINE_EXCEEDED : grpc.status.ABORTED;
    kind = err.kind;
  } else {
    message = `internal error: ${message}`;
  }
  if (key && !message.includes(where)) message = `${where}: ${message}`;
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_METADATA, kind);
  return { code, details: message, metadata };
}

interface ServeEnv {
  buffers: ExchangeBuffer;
  timeoutMs: number;
  heartbeatMs: number;
  observer: StreamObserver | undefined;
  stats: ExchangeServerStats;
  active: Set<AbortController>;
}

const HEARTBEAT_MESSAGE = encodeFlightData(flightData({ appMetadata: encodeAppMetadata({ heartbeat: true }) }));

function decodeRequest(buf: Buffer): FlightData {
  try {
    return decodeFlightData(buf);
  } catch (e) {
    if (e instanceof ProtoDecodeError) throw new ExchangeError('invalid_argument', `malformed FlightData from reader: ${e.message}`);
    throw e;
  }
}

function serveDoExchange(call: grpc.ServerDuplexStream<Buffer, Buffer>, env: ServeEnv): void {
  const stop = new AbortController();
  env.active.add(stop);
  env.stats.streams++;
  env.stats.activeStreams++;
  const counters = newStreamCounters();
  let key: PartitionKey | null = null;
  let gate: CreditGate | null = null;
  let closed = false;
  let halfClosed = false;
  let waitingForCredit = false;
  let sent = 0;

  const emit = (type: ExchangeStreamEvent['type'], message?: string) => env.observer?.({ type, key, sent, counters, message });
  const close = () => {
    closed = true;
    clearTimeout(requestTimer);
    stop.abort();
    env.active.delete(stop);
    env.stats.activeStreams--;
  };
  const fail = (err: unknown) => {
    if (closed) return;
    close();
    env.stats.failedStreams++;
    const status = toStatus(err, key);
    emit('error', status.details);
    call.emit('error', status);
  };
  const requestTimer = setTimeout(
    () => fail(new ExchangeError('deadline_exceeded', `no exchange request received within ${env.timeoutMs} ms`)),
    env.timeoutMs,
  );

  /** Every message written is on the wire: the stream's, the server's and the buffer's counts. */
  const count = (buf: Buffer): void => {
    counters.wireBytes += buf.byteLength;
    env.stats.wireBytesSent += buf.byteLength;
    env.buffers.served.wireBytes += buf.byteLength;
  };
  /** Write one message, waiting for 'drain' when grpc-js says its buffer is full. */
  const write = (buf: Buffer): Promise<void> => {
    if (stop.signal.aborted) return Promise.reject(new SpillwayError('cancelled', 'exchange stream closed'));
    count(buf);
    if (call.write(buf)) return Promise.resolve();
    env.stats.drainWaits++;
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => { stop.signal.removeEventListener('abort', onAbort); resolve(); };
      const onAbort = () => { call.removeListener('drain', onDrain); reject(new SpillwayError('cancelled', 'exchange stream closed')); };
      call.once('drain', onDrain);
      stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  };
  const heartbeat = () => { if (!closed) { count(HEARTBEAT_MESSAGE); call.write(HEARTBEAT_MESSAGE); } };
  const noCreditsLeft = () => new ExchangeError('invalid_argument', `${describeKey(key!)}: the reader closed its side with no credits left`);

  const run = async (k: PartitionKey, range: RangeSplit | undefined, g: CreditGate, compression: 'none' | 'lz4'): Promise<void> => {
    const beat = setInterval(heartbeat, env.heartbeatMs);
    let part: PartitionBuffer;
    try {
      part = await env.buffers.waitForPartition(k, { signal: stop.signal, timeoutMs: env.timeoutMs }, range);
    } finally {
      clearInterval(beat);
    }
    emit('open');
    env.buffers.served.streams++;
    await write(encodeFlightData(flightData({ dataHeader: env.buffers.codec.encodeSchema(part.schema) })));
    await pumpPartition(part, g, stop.signal, async (i) => {
      waitingForCredit = false;
      const out = part.readEncoded(i, compression);
      const buf = batchFlightData(out.header, out.body, encodeAppMetadata({ raw: out.rawBytes }));
      counters.batches++;
      counters.rows += out.rows;
      counters.rawBytes += out.rawBytes;
      env.stats.batchesSent++;
      env.stats.rowsSent += out.rows;
      env.stats.rawBytesSent += out.rawBytes;
      await write(buf);
      sent++;
      emit('sent');
    }, {
      onBlocked: () => {
        waitingForCredit = true;
        if (halfClosed) fail(noCreditsLeft());
        else emit('blocked');
      },
      onCreditWait: (ms) => { counters.writerCreditWaitMs += ms; },
      heartbeat: { everyMs: env.heartbeatMs, beat: heartbeat },
    });
    // The end of stream tells the reader how long this writer waited for its credits.
    await write(encodeFlightData(flightData({ appMetadata: encodeAppMetadata({ eos: true, creditWaitMs: counters.writerCreditWaitMs }) })));
    emit('eos');
  };

  const onRequest = (msg: FlightData) => {
    clearTimeout(requestTimer);
    const d = msg.flightDescriptor;
    if (d === null || d.type !== DescriptorType.CMD || d.cmd.byteLength === 0) {
      throw new ExchangeError('invalid_argument', 'the first exchange message must carry a FlightDescriptor of type CMD naming {query, stage, task, partition}');
    }
    const { range, ...k } = parseTicket(d.cmd);
    key = k;
    const meta = parseOpenMetadata(msg.appMetadata);
    const g = new CreditGate(meta.credits);
    gate = g;
    run(k, range, g, meta.compression).then(
      () => { if (!closed) { close(); call.end(); } },
      (e: unknown) => fail(e),
    );
  };

  const onGrant = (msg: FlightData, g: CreditGate) => {
    if (msg.appMetadata.byteLength === 0) return;
    const o = parseJsonObject(msg.appMetadata, 'exchange credit message');
    const n = parseCredits(o.credits);
    if (g.available + n > MAX_CREDITS) throw new ExchangeError('invalid_argument', `${describeKey(key!)}: reader granted more than ${MAX_CREDITS} credits`);
    g.grant(n);
  };

  call.on('data', (buf: Buffer) => {
    if (closed) return;
    try {
      const msg = decodeRequest(buf);
      if (gate === null) onRequest(msg);
      else onGrant(msg, gate);
    } catch (e) {
      fail(e);
    }
  });
  call.on('end', () => {
    halfClosed = true;
    // A cancelled call also ends the request side, just before 'cancelled': decide later.
    setImmediate(() => {
      if (closed || call.cancelled) return;
      if (gate === null) fail(new ExchangeError('invalid_argument', 'the reader closed the exchange stream before sending a request'));
      else if (waitingForCredit) fail(noCreditsLeft());
    });
  });
  // The reader went away (cancel, disconnect, deadline): stop sending.
  call.on('cancelled', () => { if (!closed) close(); });
  call.on('error', () => { if (!closed) close(); });
}

/** Start a gRPC server hosting the Exchange service (and any `services` given). */
export async function startExchangeServer(opts: ExchangeServerOptions): Promise<ExchangeServer> {
  const timeoutMs = opts.networkTimeoutMs ?? DEFAULT_CONFIG.network_timeout_ms;
  const env: ServeEnv = {
    buffers: opts.buffers,
    timeoutMs,
    heartbeatMs: opts.heartbeatMs ?? Math.max(10, Math.floor(timeoutMs / 3)),
    observer: opts.onStreamEvent,
    stats: { streams: 0, activeStreams: 0, drainWaits: 0, failedStreams: 0, batchesSent: 0, rowsSent: 0, rawBytesSent: 0, wireBytesSent: 0 },
    active: new Set(),
  };
  const security = opts.security ?? NO_SECURITY;
  const server = new grpc.Server({ ...EXCHANGE_SERVER_OPTIONS, interceptors: serverInterceptors(security) });
  server.addService(EXCHANGE_SERVICE, {
    DoExchange: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => serveDoExchange(call, env),
  });
  for (const s of opts.services ?? []) server.addService(s.definition, s.implementation);

  const host = opts.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${hostPart}:${opts.port ?? 0}`, serverCredentials(security), (err, p) => (err ? reject(err) : resolve(p)));
  });
  const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : hostPart;
  return {
    port,
    address: `${dialHost}:${port}`,
    server,
    stats: env.stats,
    addService: (definition, implementation) => server.addService(definition, implementation),
    close: async () => {
      for (const c of env.active) c.abort();
      server.forceShutdown();
    },
  };
}
