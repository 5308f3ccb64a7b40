/**
 * The exchange transport contract: how a reader task pulls one output partition of one
 * writer task. Two implementations, and nothing above this file knows which one it has:
 *   - InProcessTransport (in_process_transport.ts): straight from a local ExchangeBuffer;
 *   - GrpcTransport (grpc_transport.ts): DoExchange against the writer's worker.
 *
 * Flow control, identical on both (see credits.ts):
 *   A stream opens with `credits` = N. The sending side hands over a batch only while it
 *   holds a credit; every batch costs one. The reading side returns one credit each time
 *   its consumer asks for the next batch (the previous one is then consumed). Hence at any
 *   moment   batches sent − batches consumed ≤ N   per stream: a slow consumer slows what
 *   is sent to it. The WRITER TASK is not throttled by readers: its output stays in the
 *   exchange buffer until the query is released (so a failed reader can re-read from the
 *   start), and that memory is bounded by the MemoryPool reservation + spilling instead.
 */
import type { Batch } from '../columnar/column.js';
import { SpillwayError, type ErrorKind } from '../common/errors.js';
import type { MetricsSet } from '../common/metrics.js';
import type { Scalar, Schema } from '../common/types.js';
import type { SortKey } from '../expr/expr.js';
import type { ExchangeCompression } from './batch_codec.js';

/** One output partition of one writer task. */
export interface PartitionKey {
  readonly queryId: string;
  readonly stageId: number;
  /**
   * The writer task (= the stage partition it ran) whose output to read. A consumer of
   * output partition p reads it from every writer task of the stage, one stream each, so a
   * lost writer can be re-run elsewhere without touching the other streams.
   */
  readonly task: number;
  /** Output partition of that writer. */
  readonly partition: number;
}

/**
 * How a range-partitioned writer's whole output (its output partition 0) is split for its
 * readers: the writer's side splits it once, on the first read that names a range, into
 * `partitions` range partitions by the sort keys against the bounds (exec/shuffle/range_bounds.ts),
 * and serves range partition p to reader p (ExchangeBuffer.waitForPartition).
 */
export interface RangeSplit {
  readonly keys: readonly SortKey[];
  /** Ascending upper bounds, at most partitions - 1 rows of sort-key values. */
  readonly bounds: readonly (readonly Scalar[])[];
  readonly partitions: number;
}

/** The most range partitions a split may ask for (the plan's partition limit). */
export const MAX_RANGE_PARTITIONS = 4096;

export interface ExchangeTarget extends PartitionKey {
  /** "host:port" of the worker that ran the writer task; null = this process. */
  readonly worker: string | null;
  /** Read range partition `partition` of the writer's whole output, split by this (see RangeSplit). */
  readonly range?: RangeSplit;
  readonly compression: ExchangeCompression;
  /** Batches granted at once; defaults to the transport's setting (config exchange_credits). */
  readonly credits?: number;
}

/** Per-stream byte and batch counts, for MetricsSet (recordStreamMetrics). */
export interface StreamCounters {
  batches: number;
  rows: number;
  /**
   * In-memory bytes of the batches as the writer appended them (batchBytes: before IPC
   * encoding and compression), the same figure on every transport and compression.
   */
  rawBytes: number;
  /**
   * Bytes that crossed the wire, counted by the transport: every FlightData message of the
   * stream (schema, batches, heartbeats, end of stream) over gRPC; the schema and batch
   * payloads (header + body) over MessagePorts; 0 in-process.
   */
  wireBytes: number;
  /**
   * Time the sending side of this stream held a ready batch but no credit (the writer
   * waiting for this reader): counted by the sender, told to the reader at end of stream.
   */
  writerCreditWaitMs: number;
}

export function newStreamCounters(): StreamCounters {
  return { batches: 0, rows: 0, rawBytes: 0, wireBytes: 0, writerCreditWaitMs: 0 };
}

export interface ExchangeStream extends AsyncIterable<Batch> {
  /** Filled as batches arrive; final once iteration ends. */
  readonly counters: Readonly<StreamCounters>;
  /** The writer's schema, once the stream has received it. */
  readonly schema: Schema | null;
}

/**
 * What the sending side of a stream reports, for metrics and tests: 'open' once the
 * partition is found, 'sent' after each batch, 'blocked' when a batch is ready but no
 * credit is left, then 'eos' or 'error'.
 */
export interface ExchangeStreamEvent {
  readonly type: 'open' | 'sent' | 'blocked' | 'eos' | 'error';
  readonly key: PartitionKey | null;
  /** Batches sent on this stream so far. */
  readonly sent: number;
  readonly counters: Readonly<StreamCounters>;
  readonly message?: string;
}

export type StreamObserver = (e: ExchangeStreamEvent) => void;

export interface ExchangeTransport {
  /** Pull the batches of one partition, in the order the writer appended them. */
  open(target: ExchangeTarget, signal: AbortSignal): ExchangeStream;
  /** Release connections and timers. */
  close(): Promise<void>;
}

/** Add a stream's counters to an operator's metrics (reader: 'received'; server: 'sent'). */
export function recordStreamMetrics(metrics: MetricsSet, nodeId: number, c: Readonly<StreamCounters>, direction: 'received' | 'sent'): void {
  const d = direction === 'received' ? 'Received' : 'Sent';
  metrics.add(nodeId, `batches${d}`, c.batches);
  metrics.add(nodeId, `rows${d}`, c.rows);
  metrics.add(nodeId, `bytes${d}`, c.rawBytes);
  metrics.add(nodeId, `bytes${d}Wire`, c.wireBytes);
  if (direction === 'received') {
    metrics.add(nodeId, 'streamsReceived', 1);
    metrics.add(nodeId, 'writerCreditWaitMs', c.writerCreditWaitMs);
  }
}

/** What the end-of-stream message tells the reader about the sending side. */
export interface EndOfStreamFigures {
  /** Time the sender held a ready batch but no credit. */
  creditWaitMs: number;
}

/** The figures of an end-of-stream message's metadata (absent or foreign fields count 0). */
export function endOfStreamFigures(meta: Record<string, unknown>): EndOfStreamFigures {
  const w = meta.creditWaitMs;
  return { creditWaitMs: typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w : 0 };
}

export function describeKey(k: PartitionKey): string {
  return `query ${k.queryId} stage ${k.stageId} task ${k.task} partition ${k.partition}`;
}

/** Why an exchange call failed; maps onto a gRPC status code on the wire. */
export type ExchangeFailure =
  | 'invalid_argument'   // malformed or foreign request
  | 'not_found'          // query released, or no such partition
  | 'deadline_exceeded'  // a wait ran past network_timeout_ms
  | 'writer_failed'      // the writer task recorded an error
  | 'cancelled'
  | 'unauthenticated'    // the worker refused our token or certificate
  | 'unavailable';       // the worker cannot be reached

const FAILURE_KIND: Record<ExchangeFailure, ErrorKind> = {
  invalid_argument: 'remote',
  not_found: 'remote',
  deadline_exceeded: 'timeout',
  writer_failed: 'remote',
  cancelled: 'cancelled',
  unauthenticated: 'config',
  unavailable: 'remote',
};

export class ExchangeError extends SpillwayError {
  readonly failure: ExchangeFailure;
  constructor(failure: ExchangeFailure, message: string, options?: { cause?: unknown; kind?: ErrorKind }) {
    super(options?.kind ?? FAILURE_KIND[failure], message, options);
    this.failure = failure;
    this.name = 'ExchangeError';
  }
}

// ---------------------------------------------------------------------------------------
// What travels in FlightDescriptor.cmd and FlightData.app_metadata (JSON, UTF-8)
// ---------------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * FlightDescriptor.cmd naming the partition: {"query","stage","task","partition"}, plus
 * "range" (the RangeSplit as bigint-safe JSON text) when the read names a range partition.
 */
export function encodeTicket(k: PartitionKey, range?: RangeSplit): Uint8Array {
  const t: Record<string, unknown> = { query: k.queryId, stage: k.stageId, task: k.task, partition: k.partition };
  if (range !== undefined) t.range = encodeRangeSplit(range);
  return utf8.encode(JSON.stringify(t));
}

/** A RangeSplit as JSON text that keeps bigints ({"$bigint":"…"}) and non-finite doubles. */
export function encodeRangeSplit(r: RangeSplit): string {
  return JSON.stringify(r, (_k, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
}

export function decodeRangeSplit(text: string): RangeSplit {
  let v: unknown;
  try {
    v = JSON.parse(text, (_k, x: unknown) => {
      if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
        const o = x as Record<string, unknown>;
        const keys = Object.keys(o);
        if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
        if (keys.length === 1 && typeof o.$num === 'string') return Number(o.$num);
      }
      return x;
    });
  } catch {
    throw new ExchangeError('invalid_argument', 'malformed exchange range split: not JSON');
  }
  return checkRangeSplit(v);
}

/** `v` as a RangeSplit, or an invalid_argument error naming what is wrong (the keys are checked by the splitter). */
export function checkRangeSplit(v: unknown): RangeSplit {
  const bad = (what: string) => new ExchangeError('invalid_argument', `malformed exchange range split: ${what}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('expected an object {keys, bounds, partitions}');
  const { keys, bounds, partitions } = v as Record<string, unknown>;
  if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > MAX_RANGE_PARTITIONS) {
    throw bad(`partitions must be an integer from 1 to ${MAX_RANGE_PARTITIONS}, got ${JSON.stringify(partitions)}`);
  }
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null)) throw bad('keys must be a non-empty list of sort keys');
  if (!Array.isArray(bounds) || bounds.length >= partitions || !bounds.every((r) => Array.isArray(r) && r.length === keys.length)) {
    throw bad(`bounds must be at most ${partitions - 1} rows of ${keys.length} values`);
  }
  return v as RangeSplit;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8.decode(bytes));
  } catch {
    throw new ExchangeError('invalid_argument', `malformed ${what}: not UTF-8 JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ExchangeError('invalid_argument', `malformed ${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

export function parseTicket(bytes: Uint8Array): PartitionKey & { range?: RangeSplit } {
  const o = parseJsonObject(bytes, 'exchange descriptor');
  const { query, stage, task, partition, range } = o;
  if (typeof query !== 'string' || query === '' || !isIndex(stage) || !isIndex(task) || !isIndex(partition) || (range !== undefined && typeof range !== 'string')) {
    throw new ExchangeError('invalid_argument', 'malformed exchange descriptor: expected {"query": string, "stage": int, "task": int, "partition": int, "range"?: string}');
  }
  const key = { queryId: query, stageId: stage, task, partition };
  return range === undefined ? key : { ...key, range: decodeRangeSplit(range) };
}

/** The most credits one message may grant (guards against overflow from foreign clients). */
export const MAX_CREDITS = 1 << 20;

export interface OpenRequestMetadata { credits: number; compression: ExchangeCompression }

export function encodeAppMetadata(m: Record<string, string | number | boolean>): Uint8Array {
  return utf8.encode(JSON.stringify(m));
}

export function parseOpenMetadata(bytes: Uint8Array): OpenRequestMetadata {
  const o = parseJsonObject(bytes, 'exchange request metadata');
  const compression = o.compression ?? 'none';
  if (compression !== 'none' && compression !== 'lz4') {
    throw new ExchangeError('invalid_argument', `unsupported exchange compression ${JSON.stringify(compression)}: expected "none" or "lz4"`);
  }
  return { credits: parseCredits(o.credits), compression };
}

export function parseCredits(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CREDITS) {
    throw new ExchangeError('invalid_argument', `malformed exchange credits ${JSON.stringify(v)}: expected an integer from 1 to ${MAX_CREDITS}`);
  }
  return v;
}
