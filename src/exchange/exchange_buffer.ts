/**
 * ExchangeBuffer: the output partitions of the writer tasks that ran in this process,
 * kept until their query is released so that any reader can (re-)read them from the start.
 *
 *   writer task (query q, stage s, task t)            readers (by cursor, never destructive)
 *     │ append(p, batch)                                 ┌── stream A: cursor 5 ─┐
 *     ▼                                                  │                       │
 *   ┌──────── StageOutput q/s/t ───────────────┐         ▼                       ▼
 *   │ partition 0: [b0][b1][b2] … EOS          │◀── entries[i] (shared, immutable)
 *   │ partition 1: [b0][b1] …  (still writing) │◀── stream B: cursor 0 (a retry)
 *   │ reservation "ExchangeBuffer[q stage s task t]" (spillable)
 *   └──────────────────────────────────────────┘
 *
 * Buffers: every appended batch, either as the Batch itself (store: 'batches', embedded
 * mode: the in-process reader gets the very same object) or encoded once as an Arrow IPC
 * message (store: 'none' | 'lz4', worker mode: served to every remote reader as is).
 * Memory: each entry is accounted in the writer's reservation before it is kept. When the
 * pool refuses, the `onMemoryPressure` hook is asked to make room (this is where spilling
 * partitions to disk plugs in — not wired yet); without it, or if it cannot, the append
 * fails with a resources error naming the holders. Nothing is freed until releaseQuery.
 * Completion: finish() marks every partition of the writer complete (end of stream);
 * fail(err) records the error, which every current and later reader receives.
 * Metrics: bufferedBytes / per-writer bytes and rows (stats()).
 */
import { batchBytes, type Batch } from '../columnar/column.js';
import { resourcesError, SpillwayError } from '../errors.js';
import type { MemoryPool, MemoryReservation } from '../memory/pool.js';
import type { Schema } from '../types.js';
import { ipcBatchCodec, type BatchCodec, type EncodedBatchMessage, type ExchangeCompression } from './batch_codec.js';
import { describeKey, ExchangeError, type PartitionKey } from './transport.js';
import { waitForWake, Waiters } from './waiters.js';

/** How appended batches are kept. */
export type ExchangeStorage = 'batches' | ExchangeCompression;

/**
 * One buffered batch. A future 'spilled' variant (a SpillFile and an index into it) is
 * where spilling lands; readers only go through PartitionBuffer.readBatch/readEncoded.
 */
type StoredEntry =
  | { readonly kind: 'batch'; readonly batch: Batch; readonly bytes: number; readonly rawBytes: number }
  | { readonly kind: 'ipc'; readonly message: EncodedBatchMessage; readonly compression: ExchangeCompression; readonly bytes: number; readonly rawBytes: number };

/** A batch as the gRPC server sends it, with its counts. */
export interface OutgoingBatch {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  readonly rows: number;
  /** In-memory bytes of the batch (batchBytes) as the writer appended it. */
  readonly rawBytes: number;
}

export type WriterState = 'writing' | 'done' | 'failed' | 'released';

export interface WriterId {
  readonly queryId: string;
  readonly stageId: number;
  readonly task: number;
}

/** Called when the pool refuses `needed` bytes; resolve true once that much was freed. */
export type MemoryPressureHook = (writer: StageOutput, needed: number) => Promise<boolean>;

export interface ExchangeBufferOptions {
  pool: MemoryPool;
  /** Default 'batches' (embedded); workers serving remote readers use 'none' or 'lz4'. */
  storage?: ExchangeStorage;
  codec?: BatchCodec;
  /** The spill hook (see header). */
  onMemoryPressure?: MemoryPressureHook;
}

export interface WaitOptions {
  signal: AbortSignal;
  /** Fail with a deadline error after this many ms. */
  timeoutMs: number;
}

// ---------------------------------------------------------------------------------------

/** One output partition of one writer task: an append-only list of entries. */
export class PartitionBuffer {
  private readonly entries: StoredEntry[] = [];
  private readonly changed = new Waiters();
  rows = 0;

  constructor(readonly key: PartitionKey, private readonly owner: StageOutput) {}

  get schema(): Schema { return this.owner.schema; }
  get length(): number { return this.entries.length; }
  get state(): WriterState { return this.owner.state; }

  /** @internal */
  push(e: StoredEntry, rows: number): void {
    this.entries.push(e);
    this.rows += rows;
    this.changed.wakeAll();
  }

  /** @internal */
  notify(): void { this.changed.wakeAll(); }

  /**
   * Resolve true once entry `index` exists, false at end of stream (the writer finished
   * with fewer entries). Throws the writer's error, a not-found error once the query is
   * released, or the abort reason. Waits for the writer without a deadline — it is local
   * and reports its own failure — but calls `heartbeat` every `heartbeatMs` while waiting.
   */
  async waitForEntry(index: number, signal: AbortSignal, heartbeat?: { everyMs: number; beat: () => void }): Promise<boolean> {
    for (;;) {
      if (index < this.entries.length) return true;
      const state = this.owner.state;
      if (state === 'done') return false;
      if (state === 'failed') throw this.owner.readerError(this.key);
      if (state === 'released') throw new ExchangeError('not_found', `${describeKey(this.key)}: the query was released on this worker`);
      const woken = await waitForWake(this.changed, signal, `read of ${describeKey(this.key)}`, heartbeat?.everyMs);
      if (!woken) heartbeat?.beat();
    }
  }

  /** Entry `index` as a Batch (decoded when it is stored encoded). */
  readBatch(index: number): Batch {
    const e = this.entry(index);
    return e.kind === 'batch' ? e.batch : this.owner.codec.decodeBatch(this.schema, e.message.header, e.message.body);
  }

  /**
   * In-memory bytes (batchBytes) of entry `index` as the writer appended it: the one "raw"
   * size every transport and compression reports, so metrics compare like with like.
   */
  rawBytesOf(index: number): number {
    return this.entry(index).rawBytes;
  }

  /**
   * Entry `index` as an IPC message with the requested body compression: as stored when
   * it matches, otherwise encoded (or re-encoded) for this stream only, not kept.
   */
  readEncoded(index: number, compression: ExchangeCompression): OutgoingBatch {
    const e = this.entry(index);
    let m: EncodedBatchMessage;
    if (e.kind === 'ipc' && e.compression === compression) m = e.message;
    else m = this.owner.codec.encodeBatch(this.readBatch(index), compression);
    return { header: m.header, body: m.body, rows: m.rows, rawBytes: e.rawBytes };
  }

  private entry(index: number): StoredEntry {
    const e = this.entries[index];
    if (e === undefined) throw new Error(`${describeKey(this.key)}: no entry ${index} (have ${this.entries.length})`);
    return e;
  }
}

/** The writer side: one per writer task, holding its n output partitions. */
export interface ExchangeWriter {
  readonly partitionCount: number;
  /** Keep `batch` in output partition `partition` (empty batches are dropped). */
  append(partition: number, batch: Batch): Promise<void>;
  /** End of stream for every partition. */
  finish(): void;
  /** Record the writer's error; readers receive it. */
  fail(error: unknown): void;
}

export class StageOutput implements ExchangeWriter {
  state: WriterState = 'writing';
  error: Error | null = null;
  readonly partitions: PartitionBuffer[];
  private readonly reservation: MemoryReservation;

  constructor(
    readonly id: WriterId,
    readonly schema: Schema,
    partitionCount: number,
    private readonly buffer: ExchangeBuffer,
    readonly codec: BatchCodec,
    private readonly storage: ExchangeStorage,
  ) {
    this.partitions = [];
    for (let p = 0; p < partitionCount; p++) this.partitions.push(new PartitionBuffer({ ...id, partition: p }, this));
    this.reservation = buffer.pool.register(`ExchangeBuffer[q ${id.queryId} stage ${id.stageId} task ${id.task}]`, { spillable: true });
  }

  get partitionCount(): number { return this.partitions.length; }
  get bytes(): number { return this.reservation.size; }

  async append(partition: number, batch: Batch): Promise<void> {
    if (this.state !== 'writing') {
      throw new Error(`exchange writer of query ${this.id.queryId} stage ${this.id.stageId} task ${this.id.task}: append after ${this.state}`);
    }
    const part = this.partitions[partition];
    if (part === undefined) throw new RangeError(`exchange writer: partition ${partition} out of range 0..${this.partitions.length - 1}`);
    if (batch.length === 0) return;
    let entry: StoredEntry;
    const rawBytes = batchBytes(batch);
    if (this.storage === 'batches') {
      entry = { kind: 'batch', batch, bytes: rawBytes, rawBytes };
    } else {
      const message = this.codec.encodeBatch(batch, this.storage);
      entry = { kind: 'ipc', message, compression: this.storage, bytes: message.header.byteLength + message.body.byteLength, rawBytes };
    }
    await this.reserve(entry.bytes);
    // The query may have been released while we waited for memory.
    if (this.state !== 'writing') { this.reservation.shrink(entry.bytes); return; }
    part.push(entry, batch.length);
  }

  private async reserve(bytes: number): Promise<void> {
    if (this.reservation.tryGrow(bytes)) return;
    const hook = this.buffer.onMemoryPressure;
    if (hook && (await hook(this, bytes)) && this.reservation.tryGrow(bytes)) return;
    throw resourcesError(
      `out of memory buffering exchange output of query ${this.id.queryId} stage ${this.id.stageId} task ${this.id.task}: ` +
        `${bytes} more bytes refused (limit ${this.buffer.pool.limit}; held: ${this.buffer.pool.describe()})`,
    );
  }

  finish(): void {
    if (this.state !== 'writing') return;
    this.state = 'done';
    for (const p of this.partitions) p.notify();
  }

  fail(error: unknown): void {
    if (this.state !== 'writing') return;
    this.state = 'failed';
    this.error = error instanceof Error ? error : new Error(String(error));
    for (const p of this.partitions) p.notify();
  }

  /** @internal The error a reader of `key` gets when this writer failed. */
  readerError(key: PartitionKey): ExchangeError {
    const cause = this.error ?? new Error('unknown error');
    const kind = cause instanceof SpillwayError ? cause.kind : 'execution';
    return new ExchangeError('writer_failed', `${describeKey(key)}: writer task failed: ${cause.message}`, { cause, kind });
  }

  /** @internal */
  release(): void {
    if (this.state === 'released') return;
    this.state = 'released';
    this.reservation.free();
    for (const p of this.partitions) p.notify();
  }
}

const SEP = '\u0000';
const writerKey = (id: WriterId) => `${id.queryId}${SEP}${id.stageId}${SEP}${id.task}`;

/** Remember this many released query ids, so late readers fail fast instead of waiting. */
const RELEASED_MEMORY = 10_000;

export class ExchangeBuffer {
  readonly pool: MemoryPool;
  readonly codec: BatchCodec;
  readonly storage: ExchangeStorage;
  readonly onMemoryPressure: MemoryPressureHook | undefined;
  private readonly writers = new Map<string, StageOutput>();
  private readonly opened = new Waiters();
  private readonly released = new Set<string>();

  constructor(opts: ExchangeBufferOptions) {
    this.pool = opts.pool;
    this.codec = opts.codec ?? ipcBatchCodec;
    this.storage = opts.storage ?? 'batches';
    this.onMemoryPressure = opts.onMemoryPressure;
  }

  /**
   * Start buffering the output of writer task `id` with `partitionCount` output
   * partitions. A failed earlier attempt of the same task is replaced (its readers already
   * got its error); a running or finished one is an error.
   */
  openWriter(id: WriterId, schema: Schema, partitionCount: number): ExchangeWriter {
    if (this.released.has(id.queryId)) throw new SpillwayError('cancelled', `query ${id.queryId} was already released; not starting its exchange writer`);
    if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError(`exchange writer needs at least 1 output partition, got ${partitionCount}`);
    const k = writerKey(id);
    const old = this.writers.get(k);
    if (old && old.state !== 'failed') {
      throw new Error(`exchange output of query ${id.queryId} stage ${id.stageId} task ${id.task} is already ${old.state === 'done' ? 'complete' : 'being written'}`);
    }
    old?.release();
    const w = new StageOutput(id, schema, partitionCount, this, this.codec, this.storage);
    this.writers.set(k, w);
    this.opened.wakeAll();
    return w;
  }

  /** The partition if its writer has started here; throws if it can never appear. */
  lookup(key: PartitionKey): PartitionBuffer | undefined {
    if (this.released.has(key.queryId)) throw new ExchangeError('not_found', `${describeKey(key)}: the query was released on this worker`);
    const w = this.writers.get(writerKey(key));
    if (!w) return undefined;
    const p = w.partitions[key.partition];
    if (!p) throw new ExchangeError('not_found', `${describeKey(key)}: the writer has only ${w.partitionCount} output partitions`);
    return p;
  }

  /** Wait for the writer of `key` to start here, at most `timeoutMs`. */
  async waitForPartition(key: PartitionKey, opts: WaitOptions): Promise<PartitionBuffer> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const p = this.lookup(key);
      if (p) return p;
      const left = deadline - Date.now();
      if (left <= 0 || !(await waitForWake(this.opened, opts.signal, `read of ${describeKey(key)}`, left))) {
        if (this.lookup(key)) continue;
        throw new ExchangeError('deadline_exceeded', `${describeKey(key)}: timed out after ${opts.timeoutMs} ms waiting for the writer task to start`);
      }
    }
  }

  /** Drop every buffer of the query, free its memory, fail its readers and waiters. */
  releaseQuery(queryId: string): void {
    for (const [k, w] of this.writers) {
      if (w.id.queryId !== queryId) continue;
      w.release();
      this.writers.delete(k);
    }
    this.released.add(queryId);
    if (this.released.size > RELEASED_MEMORY) this.released.delete(this.released.values().next().value!);
    this.opened.wakeAll();
  }

  /** Bytes held by all buffers. */
  get bufferedBytes(): number {
    let n = 0;
    for (const w of this.writers.values()) n += w.bytes;
    return n;
  }

  stats(): { queryId: string; stageId: number; task: number; state: WriterState; bytes: number; rows: number }[] {
    return [...this.writers.values()].map((w) => ({
      ...w.id,
      state: w.state,
      bytes: w.bytes,
      rows: w.partitions.reduce((s, p) => s + p.rows, 0),
    }));
  }
}
