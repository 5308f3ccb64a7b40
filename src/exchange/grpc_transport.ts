/**
 * GrpcTransport: the reader (client) side of DoExchange (protocol in grpc_server.ts and
 * proto/spillway.proto). One channel per worker address, shared by all streams to it.
 *
 * Each stream: open the call, send the descriptor with `credits` and the compression;
 * keep arriving batches encoded in an inbox (at most `credits` of them, as the server
 * honours credits), decode one when the consumer asks for it, and grant one credit back
 * each time the consumer returns for the next. Any wait for the server is bounded by
 * network_timeout_ms of silence (the server heartbeats while its writer is busy), so a
 * dead or stuck worker fails the read with a timeout error instead of hanging it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Batch } from '../columnar/column.js';
import { ERROR_KINDS, type ErrorKind } from '../common/errors.js';
import type { Schema } from '../common/types.js';
import { ipcBatchCodec, type BatchCodec } from './batch_codec.js';
import { decodeFlightData, DescriptorType, encodeFlightData, flightData, type FlightData } from './flight_messages.js';
import { DO_EXCHANGE_PATH, ERROR_KIND_METADATA, EXCHANGE_CHANNEL_OPTIONS } from './services.js';
import { channelCredentials, clientInterceptors } from './grpc_security.js';
import { NO_SECURITY, type GrpcSecurity } from './security.js';
import {
  describeKey,
  encodeAppMetadata,
  encodeTicket,
  endOfStreamFigures,
  ExchangeError,
  newStreamCounters,
  parseJsonObject,
  type ExchangeFailure,
  type ExchangeStream,
  type ExchangeTarget,
  type ExchangeTransport,
  type PartitionKey,
  type RangeSplit,
  type StreamCounters,
} from './transport.js';
import { waitForWake, Waiters } from './waiters.js';

export interface GrpcTransportOptions {
  /** Default credits per stream (config exchange_credits). */
  credits: number;
  /** Longest silence from a worker before a read fails (config network_timeout_ms). */
  networkTimeoutMs: number;
  /** Added to / overriding EXCHANGE_CHANNEL_OPTIONS. */
  channelOptions?: grpc.ChannelOptions;
  codec?: BatchCodec;
  /** Token and TLS for dialing workers (default none). */
  security?: GrpcSecurity;
}

const identity = (b: Buffer): Buffer => b;
const CREDIT_ONE = encodeFlightData(flightData({ appMetadata: encodeAppMetadata({ credits: 1 }) }));

const FAILURE_OF_STATUS: Partial<Record<grpc.status, ExchangeFailure>> = {
  [grpc.status.INVALID_ARGUMENT]: 'invalid_argument',
  [grpc.status.NOT_FOUND]: 'not_found',
  [grpc.status.DEADLINE_EXCEEDED]: 'deadline_exceeded',
  [grpc.status.ABORTED]: 'writer_failed',
  [grpc.status.CANCELLED]: 'cancelled',
  [grpc.status.UNAVAILABLE]: 'unavailable',
  [grpc.status.UNAUTHENTICATED]: 'unauthenticated',
};

export class GrpcTransport implements ExchangeTransport {
  private readonly clients = new Map<string, grpc.Client>();
  readonly codec: BatchCodec;

  constructor(private readonly opts: GrpcTransportOptions) {
    this.codec = opts.codec ?? ipcBatchCodec;
  }

  open(target: ExchangeTarget, signal: AbortSignal): ExchangeStream {
    if (target.worker === null) throw new ExchangeError('unavailable', `${describeKey(target)}: a gRPC exchange read needs a worker address`);
    const credits = target.credits ?? this.opts.credits;
    if (!Number.isInteger(credits) || credits < 1) throw new RangeError(`exchange credits must be a positive integer, got ${credits}`);
    return new GrpcStream(this.clientFor(target.worker), target, target.worker, credits, this.opts.networkTimeoutMs, this.codec, signal);
  }

  private clientFor(worker: string): grpc.Client {
    let c = this.clients.get(worker);
    if (!c) {
      const security = this.opts.security ?? NO_SECURITY;
      c = new grpc.Client(worker, channelCredentials(security), {
        ...EXCHANGE_CHANNEL_OPTIONS, ...this.opts.channelOptions, interceptors: clientInterceptors(security),
      });
      this.clients.set(worker, c);
    }
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

class GrpcStream implements ExchangeStream {
  readonly counters: StreamCounters = newStreamCounters();
  schema: Schema | null = null;
  private readonly key: PartitionKey;
  private readonly range: RangeSplit | undefined;
  private readonly compression: ExchangeTarget['compression'];

  constructor(
    private readonly client: grpc.Client,
    target: ExchangeTarget,
    private readonly worker: string,
    private readonly credits: number,
    private readonly timeoutMs: number,
    private readonly codec: BatchCodec,
    private readonly signal: AbortSignal,
  ) {
    this.key = { queryId: target.queryId, stageId: target.stageId, task: target.task, partition: target.partition };
    this.range = target.range;
    this.compression = target.compression;
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.iterate();
  }

  private fromStatus(e: grpc.ServiceError): ExchangeError {
    const where = describeKey(this.key);
    const failure = FAILURE_OF_STATUS[e.code] ?? 'unavailable';
    const k = e.metadata?.get(ERROR_KIND_METADATA)[0];
    const kind = typeof k === 'string' && ERROR_KINDS.has(k) ? (k as ErrorKind) : undefined;
    const details = e.details || e.message;
    const message = details.includes(where) ? `${details} (worker ${this.worker})` : `${where} from worker ${this.worker}: ${details}`;
    return new ExchangeError(failure, message, { cause: e, kind });
  }

  private async *iterate(): AsyncGenerator<Batch> {
    const where = describeKey(this.key);
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(DO_EXCHANGE_PATH, identity, identity, new grpc.Metadata(), {});
    /** Arrived batch messages with the in-memory size their writer stated, if any. */
    const inbox: { m: FlightData; raw: number | null }[] = [];
    const arrived = new Waiters();
    let eos = false;
    let ended = false;
    let failure: Error | null = null;
    let lastHeard = Date.now();
    let finished = false;

    const onAbort = () => call.cancel();
    this.signal.addEventListener('abort', onAbort, { once: true });

    call.on('data', (buf: Buffer) => {
      lastHeard = Date.now();
      this.counters.wireBytes += buf.byteLength;
      try {
        const m = decodeFlightData(buf);
        const meta = m.appMetadata.byteLength > 0 ? parseJsonObject(m.appMetadata, 'exchange message metadata') : null;
        if (meta?.eos === true) {
          eos = true;
          this.counters.writerCreditWaitMs = endOfStreamFigures(meta).creditWaitMs;
        }
        else if (m.dataHeader.byteLength > 0) {
          if (this.schema === null) this.schema = this.codec.decodeSchema(m.dataHeader);
          else inbox.push({ m, raw: typeof meta?.raw === 'number' ? meta.raw : null });
        }
        // Otherwise a heartbeat: it only proves the worker is alive.
      } catch (e) {
        failure ??= new ExchangeError('invalid_argument', `${where}: malformed message from worker ${this.worker}: ${(e as Error).message}`, { cause: e });
        call.cancel();
      }
      arrived.wakeAll();
    });
    call.on('error', (e: grpc.ServiceError) => {
      failure ??= this.fromStatus(e);
      arrived.wakeAll();
    });
    call.on('end', () => {
      ended = true;
      arrived.wakeAll();
    });

    try {
      if (this.signal.aborted) onAbort();
      call.write(encodeFlightData(flightData({
        flightDescriptor: { type: DescriptorType.CMD, cmd: encodeTicket(this.key, this.range), path: [] },
        appMetadata: encodeAppMetadata({ credits: this.credits, compression: this.compression }),
      })));
      let delivered = false;
      for (;;) {
        // The consumer is back for more: the batch it had is consumed.
        if (delivered) call.write(CREDIT_ONE);
        while (inbox.length === 0 && !eos && failure === null && !ended) {
          const left = this.timeoutMs - (Date.now() - lastHeard);
          if (left <= 0) {
            failure = new ExchangeError('deadline_exceeded', `${where}: no message from worker ${this.worker} for ${this.timeoutMs} ms`);
            break;
          }
          await waitForWake(arrived, this.signal, `read of ${where}`, left);
        }
        const next = inbox.shift();
        if (next !== undefined) {
          const { m, raw } = next;
          const batch = this.codec.decodeBatch(this.schema!, m.dataHeader, m.dataBody);
          this.counters.batches++;
          this.counters.rows += batch.length;
          // The writer states the in-memory size; a foreign server that does not is counted by body.
          this.counters.rawBytes += raw ?? m.dataBody.byteLength;
          delivered = true;
          yield batch;
          continue;
        }
        if (failure !== null) throw failure;
        if (eos) { finished = true; return; }
        throw new ExchangeError('unavailable', `${where}: the stream from worker ${this.worker} ended without an end-of-stream marker`);
      }
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      if (finished) call.end();
      else call.cancel();
    }
  }
}
