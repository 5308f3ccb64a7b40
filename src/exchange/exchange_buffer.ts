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
 * Memory: each in-memory entry is accounted in the writer's reservation before it is kept.
 * Completion: finish() marks every partition of the writer complete (end of stream);
 * fail(err) records the error, which every current and later reader receives.
 * Metrics: bufferedBytes / per-writer bytes, rows and spill figures (stats(), spillStats).
 *
 * Spilling (when the buffer has a SpillManager for the query):
 *
 *   partition p:  [seg 1: e0..e5 on disk][seg 2: e6..e9 on disk][e10 e11 e12 in memory]
 *                  └──────── spilled prefix (spilledUpTo = 10) ─┘└─ in-memory tail ──┘
 *
 * - When an append is refused by the pool, or the writer's reservation has spillRequested,
 *   the writer's whole in-memory output moves to disk: per partition (largest first) the
 *   in-memory tail becomes one spill file (a segment), in entry order, and its bytes leave
 *   the reservation. If the pool still refuses, writers of this buffer the pool asked to
 *   spill are spilled too; if even that is not enough (a batch larger than the fair share,
 *   or memory held by operators that cannot spill right now), the batch goes straight to
 *   disk as its own segment. Encoded entries are decoded and written through the spill
 *   manager (which encodes them with spill_compression).
 * - The pool calls back when it sets a writer's spillRequested (another consumer needs
 *   the memory, or the pool is above its high watermark): the writer's whole in-memory
 *   output moves to disk in the background at once, whether it is still writing or
 *   finished (a finished writer keeps its output until release and runs no code of its
 *   own). Flags are also served when any writer of this buffer appends or any reader reads.
 * - Readers go through a PartitionReader (one per stream): it pins the entry it is about
 *   to send (an in-memory entry stays alive even if it is spilled meanwhile), and reads
 *   spilled entries with its own sequential iterator over the segment's file, so each
 *   reader holds about one batch read from disk; a re-read from the start opens the file
 *   again. Batches read back from disk are not accounted in the pool (at most one per
 *   open reader).
 * - Release deletes the writer's spill files (after any spill in flight); the query's spill
 *   manager removes its folder anyway. A spill that fails leaves no partial file (the spill
 *   writer discards it) and its entries stay in memory.
 *
 * Range splits: a range-partitioned writer keeps its output whole (partition 0). The first
 * read of one of its range partitions (waitForPartition with a RangeSplit) starts the split
 * of that output into a second StageOutput of `partitions` partitions, kept under the same
 * writer id (same memory accounting, spilling and release): each batch of partition 0 is
 * routed once and its pieces, gathered per range, appended. Readers stream their range while it fills; later
 * readers (and re-reads) get the same split. Once the split is complete, the whole output
 * is released (memory and spill files): from then on it is read only through the split.
 * A split with other bounds is refused: the scheduler keeps the first bounds of a stage,
 * also for recomputed writers.
 */
import { batchBytes, type Batch } from '../columnar/column.js';
import { resourcesError, SpillwayError } from '../common/errors.js';
import type { MemoryPool, MemoryReservation } from '../memory/pool.js';
import type { SpillFile, SpillManager } from '../spill/spill_manager.js';
import type { Schema } from '../common/types.js';
import { concatBatches } from '../columnar/kernels.js';
import { scatterBatch } from '../columnar/scatter.js';
import { ipcBatchCodec, type BatchCodec, type EncodedBatchMessage, type ExchangeCompression } from './batch_codec.js';
import { describeKey, encodeRangeSplit, ExchangeError, type PartitionKey, type RangeSplit } from './transport.js';
import { waitForWake, Waiters } from './waiters.js';

/** How appended batches are kept. */
export type ExchangeStorage = 'batches' | ExchangeCompression;

/** One buffered batch held in memory. */
type StoredEntry =
  | { readonly kind: 'batch'; readonly batch: Batch; readonly bytes: number; readonly rawBytes: number }
  | { readonly kind: 'ipc'; readonly message: EncodedBatchMessage; readonly compression: ExchangeCompression; readonly bytes: number; readonly rawBytes: number };

/** A run of consecutive entries of one partition written to one spill file. */
interface SpillSegment {
  readonly file: SpillFile;
  /** Index of the segment's first entry in the partition. */
  readonly first: number;
  readonly count: number;
}

/** One entry moved to disk: its batch is entry `offset` of `segment.file`. */
interface SpilledEntry {
  readonly kind: 'spilled';
  readonly segment: SpillSegment;
  readonly offset: number;
  readonly rows: number;
  readonly rawBytes: number;
}

type Slot = StoredEntry | SpilledEntry;

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

/** Where a query's spill files go: one manager for every query, or per query (undefined = do not spill). */
export type ExchangeSpillSource = SpillManager | ((queryId: string) => SpillManager | undefined);

export interface ExchangeBufferOptions {
  pool: MemoryPool;
  /** Default 'batches' (embedded); workers serving remote readers use 'none' or 'lz4'. */
  storage?: ExchangeStorage;
  codec?: BatchCodec;
  /** Spill manager(s) for writers' outputs; without one, a refused append fails. */
  spill?: ExchangeSpillSource;
  /** Asked for room after spilling could not make enough (see header). */
  onMemoryPressure?: MemoryPressureHook;
  /** Routes rows to range partitions; without it, reads that name a range split fail. */
  rangeRouter?: RangeRouterFactory;
}

/**
 * Makes the function that gives every row of a batch its range partition (0 … partitions - 1)
 * for one split (exec/shuffle/range_bounds.ts provides it; the exchange does not evaluate
 * expressions). Throws on keys it cannot evaluate.
 */
export type RangeRouterFactory = (split: RangeSplit, schema: Schema) => (batch: Batch) => Int32Array;

export interface WaitOptions {
  signal: AbortSignal;
  /** Fail with a deadline error after this many ms. */
  timeoutMs: number;
}

/** What one writer moved to disk so far. */
export interface ExchangeSpillStats {
  /** Spill files written (segments). */
  files: number;
  /** Bytes of those files on disk. */
  bytes: number;
  rows: number;
  /** Batches moved to disk. */
  batches: number;
  /** Reservation bytes given back by spilling. */
  freedBytes: number;
}

const releasedError = (key: PartitionKey) => new ExchangeError('not_found', `${describeKey(key)}: the query was released on this worker`);

// ---------------------------------------------------------------------------------------

/** One output partition of one writer task: an append-only list of entries. */
export class PartitionBuffer {
  private readonly entries: Slot[] = [];
  private readonly changed = new Waiters();
  /** Entries pinned by readers that are about to send them: index → entry and pin count. */
  private readonly pins = new Map<number, { entry: StoredEntry; count: number }>();
  /** @internal Entries below this index are on disk, the rest in memory. */
  spilledUpTo = 0;
  /** @internal Reservation bytes of the in-memory entries. */
  memoryBytes = 0;
  /** @internal The spill files holding the spilled prefix, in order. */
  readonly segments: SpillSegment[] = [];
  rows = 0;

  constructor(readonly key: PartitionKey, private readonly owner: StageOutput) {}

  get schema(): Schema { return this.owner.schema; }
  get length(): number { return this.entries.length; }
  get state(): WriterState { return this.owner.state; }
  /** Entries currently on disk. */
  get spilledEntries(): number { return this.spilledUpTo; }

  /** @internal */
  push(e: Slot, rows: number): void {
    this.entries.push(e);
    this.rows += rows;
    if (e.kind === 'spilled') this.spilledUpTo = this.entries.length;
    else this.memoryBytes += e.bytes;
    this.changed.wakeAll();
  }

  /** @internal */
  notify(): void { this.changed.wakeAll(); }

  /** A cursor for one stream; readers of spilled partitions must read through one. */
  openReader(): PartitionReader {
    return new PartitionReader(this, this.owner);
  }

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
      if (state === 'released') throw releasedError(this.key);
      const woken = await waitForWake(this.changed, signal, `read of ${describeKey(this.key)}`, heartbeat?.everyMs);
      if (!woken) heartbeat?.beat();
    }
  }

  /** Entry `index` as a Batch (decoded when it is stored encoded). */
  readBatch(index: number): Batch {
    const e = this.resident(index);
    return e.kind === 'batch' ? e.batch : this.owner.codec.decodeBatch(this.schema, e.message.header, e.message.body);
  }

  /**
   * In-memory bytes (batchBytes) of entry `index` as the writer appended it: the one "raw"
   * size every transport and compression reports, so metrics compare like with like.
   */
  rawBytesOf(index: number): number {
    return this.slot(index).rawBytes;
  }

  /**
   * Entry `index` as an IPC message with the requested body compression: as stored when
   * it matches, otherwise encoded (or re-encoded) for this stream only, not kept.
   */
  readEncoded(index: number, compression: ExchangeCompression): OutgoingBatch {
    const e = this.resident(index);
    let m: EncodedBatchMessage;
    if (e.kind === 'ipc' && e.compression === compression) m = e.message;
    else m = this.owner.codec.encodeBatch(this.readBatch(index), compression);
    return { header: m.header, body: m.body, rows: m.rows, rawBytes: e.rawBytes };
  }

  /** @internal */
  slot(index: number): Slot {
    const e = this.entries[index];
    if (e === undefined) throw new Error(`${describeKey(this.key)}: no entry ${index} (have ${this.entries.length})`);
    return e;
  }

  /** @internal Keep `entry` readable as entry `index` until unpin (the reader is sending it). */
  pin(index: number, entry: StoredEntry): void {
    const p = this.pins.get(index);
    if (p) p.count++;
    else this.pins.set(index, { entry, count: 1 });
  }

  /** @internal */
  unpin(index: number): void {
    const p = this.pins.get(index);
    if (p && --p.count === 0) this.pins.delete(index);
  }

  /**
   * @internal Replace entries [segment.first, segment.first + n) by their places in
   * `segment` (which may hold more batches after them). Returns the bytes freed.
   */
  markSpilled(segment: SpillSegment, n: number): number {
    let freed = 0;
    for (let i = 0; i < n; i++) {
      const at = segment.first + i;
      const e = this.slot(at);
      if (e.kind === 'spilled') throw new Error(`${describeKey(this.key)}: entry ${at} spilled twice`);
      freed += e.bytes;
      this.entries[at] = { kind: 'spilled', segment, offset: i, rows: entryRows(e), rawBytes: e.rawBytes };
    }
    this.segments.push(segment);
    this.spilledUpTo = segment.first + n;
    this.memoryBytes -= freed;
    return freed;
  }

  /** The entry as it is in memory: the stored one, or the copy a reader pinned. */
  private resident(index: number): StoredEntry {
    const e = this.slot(index);
    if (e.kind !== 'spilled') return e;
    const pinned = this.pins.get(index);
    if (pinned === undefined) throw new Error(`${describeKey(this.key)}: entry ${index} is on disk; read it through a PartitionReader`);
    return pinned.entry;
  }
}

function entryRows(e: StoredEntry): number {
  return e.kind === 'batch' ? e.batch.length : e.message.rows;
}

/**
 * One reader's cursor over a partition. waitForEntry(i) waits for entry i and makes it
 * readable through the partition's readBatch/readEncoded/rawBytesOf(i) until the next
 * waitForEntry or close(): an in-memory entry is pinned as is; a spilled one is read from
 * its spill file with this reader's own iterator (sequential reads cost one pass per
 * segment; a jump back reopens the file).
 */
export class PartitionReader {
  private pinned = -1;
  private disk: { segment: SpillSegment; iterator: AsyncIterator<Batch>; next: number } | null = null;
  private closed = false;

  /** @internal */
  constructor(readonly partition: PartitionBuffer, private readonly owner: StageOutput) {}

  async waitForEntry(index: number, signal: AbortSignal, heartbeat?: { everyMs: number; beat: () => void }): Promise<boolean> {
    if (this.closed) throw new Error(`${describeKey(this.partition.key)}: reader used after close()`);
    this.unpin();
    this.owner.serviceSpillRequests();
    if (!(await this.partition.waitForEntry(index, signal, heartbeat))) {
      await this.closeDisk();
      return false;
    }
    const slot = this.partition.slot(index);
    if (slot.kind !== 'spilled') {
      this.partition.pin(index, slot);
      this.pinned = index;
      return true;
    }
    let batch: Batch;
    try {
      batch = await this.readSpilled(slot);
    } catch (e) {
      await this.closeDisk();
      // Release deletes the files under a reader; report the release, not the missing file.
      if (this.owner.state === 'released') throw releasedError(this.partition.key);
      throw e;
    }
    if (this.owner.state === 'released') throw releasedError(this.partition.key);
    if (this.closed) return true;
    this.partition.pin(index, { kind: 'batch', batch, bytes: 0, rawBytes: slot.rawBytes });
    this.pinned = index;
    return true;
  }

  /** Unpin and close the open spill file. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.unpin();
    await this.closeDisk();
  }

  private unpin(): void {
    if (this.pinned < 0) return;
    this.partition.unpin(this.pinned);
    this.pinned = -1;
  }

  private async readSpilled(slot: SpilledEntry): Promise<Batch> {
    const { segment, offset } = slot;
    if (this.disk === null || this.disk.segment !== segment || this.disk.next > offset) {
      await this.closeDisk();
      this.disk = { segment, iterator: segment.file.read()[Symbol.asyncIterator](), next: 0 };
    }
    const d = this.disk;
    for (;;) {
      const r = await d.iterator.next();
      if (r.done === true) {
        this.disk = null;
        throw new SpillwayError('io', `${describeKey(this.partition.key)}: spill file ${segment.file.path} ends after ${d.next} of ${segment.count} batches`);
      }
      if (d.next++ === offset) {
        if (d.next === segment.count) await this.closeDisk();
        return r.value;
      }
    }
  }

  private async closeDisk(): Promise<void> {
    const d = this.disk;
    this.disk = null;
    if (d !== null) await d.iterator.return?.().catch(() => undefined);
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
  readonly spillStats: ExchangeSpillStats = { files: 0, bytes: 0, rows: 0, batches: 0, freedBytes: 0 };
  private readonly reservation: MemoryReservation;
  /** Appends run one after another, so entries keep their order even if not awaited. */
  private appendTail: Promise<unknown> = Promise.resolve();
  /** Spills run one after another (appends, flags and readers may all ask). */
  private spillTail: Promise<unknown> = Promise.resolve();
  private spillsQueued = 0;
  /** A spill asked for by a flag failed: do not retry in the background. */
  private backgroundSpillFailed = false;

  constructor(
    readonly id: WriterId,
    readonly schema: Schema,
    partitionCount: number,
    private readonly buffer: ExchangeBuffer,
    readonly codec: BatchCodec,
    private readonly storage: ExchangeStorage,
    what?: string,
  ) {
    this.partitions = [];
    for (let p = 0; p < partitionCount; p++) this.partitions.push(new PartitionBuffer({ ...id, partition: p }, this));
    this.reservation = buffer.pool.register(`ExchangeBuffer[q ${id.queryId} stage ${id.stageId} task ${id.task}${what ? ` ${what}` : ''}]`, {
      spillable: true,
      onSpillRequest: () => this.serviceSpillRequest(),
    });
  }

  get partitionCount(): number { return this.partitions.length; }
  /** Bytes held in memory (the reservation). */
  get bytes(): number { return this.reservation.size; }
  /** True when the pool asked this writer to spill. */
  get spillRequested(): boolean { return this.reservation.spillRequested; }
  /** True while a spill is running or queued. */
  get spilling(): boolean { return this.spillsQueued > 0; }

  append(partition: number, batch: Batch): Promise<void> {
    if (this.state !== 'writing') {
      return Promise.reject(new Error(`exchange writer of query ${this.id.queryId} stage ${this.id.stageId} task ${this.id.task}: append after ${this.state}`));
    }
    const part = this.partitions[partition];
    if (part === undefined) return Promise.reject(new RangeError(`exchange writer: partition ${partition} out of range 0..${this.partitions.length - 1}`));
    if (batch.length === 0) return Promise.resolve();
    const run = this.appendTail.then(() => this.appendNow(part, batch));
    this.appendTail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(part: PartitionBuffer, batch: Batch): Promise<void> {
    if (this.state !== 'writing') return; // released while queued
    let entry: StoredEntry;
    const rawBytes = batchBytes(batch);
    if (this.storage === 'batches') {
      entry = { kind: 'batch', batch, bytes: rawBytes, rawBytes };
    } else {
      const message = this.codec.encodeBatch(batch, this.storage);
      entry = { kind: 'ipc', message, compression: this.storage, bytes: message.header.byteLength + message.body.byteLength, rawBytes };
    }
    this.buffer.serviceSpillRequests(this);
    const spill = this.buffer.spillManagerFor(this.id.queryId);
    if (spill && this.reservation.spillRequested && this.bytes > 0) await this.spillToDisk();
    if (this.state !== 'writing') return;
    if (await this.reserve(entry.bytes, spill !== undefined)) {
      // The query may have been released while we waited for memory or disk.
      if (this.state !== 'writing') { this.reservation.shrink(entry.bytes); return; }
      part.push(entry, batch.length);
      return;
    }
    if (spill === undefined) {
      throw resourcesError(
        `out of memory buffering exchange output of query ${this.id.queryId} stage ${this.id.stageId} task ${this.id.task}: ` +
          `${entry.bytes} more bytes refused (limit ${this.buffer.pool.limit}; held: ${this.buffer.pool.describe()})`,
      );
    }
    // Still no room: this batch goes straight to disk, behind the partition's spilled prefix.
    await this.enqueueSpill(() => this.spillPartition(part, spill, batch));
  }

  /** Take `bytes`, spilling (when `canSpill`) and then asking the hook; false when refused. */
  private async reserve(bytes: number, canSpill: boolean): Promise<boolean> {
    if (this.reservation.tryGrow(bytes)) return true;
    if (canSpill) {
      if (this.bytes > 0) await this.spillToDisk();
      if (this.retryGrow(bytes)) return true;
      await this.buffer.spillRequested(this);
      if (this.retryGrow(bytes)) return true;
    }
    const hook = this.buffer.onMemoryPressure;
    return hook !== undefined && (await hook(this, bytes)) && this.retryGrow(bytes);
  }

  /** tryGrow after waiting; the query may have been released (and the reservation freed) meanwhile. */
  private retryGrow(bytes: number): boolean {
    if (this.state === 'released') {
      throw new SpillwayError('cancelled', `query ${this.id.queryId} was released while stage ${this.id.stageId} task ${this.id.task} waited for memory`);
    }
    return this.reservation.tryGrow(bytes);
  }

  /**
   * Move every in-memory entry of this writer to disk, partitions largest first. Resolves
   * with the reservation bytes given back (0 without a spill manager or once released).
   */
  spillToDisk(): Promise<number> {
    return this.enqueueSpill(async () => {
      const spill = this.buffer.spillManagerFor(this.id.queryId);
      if (spill === undefined) return 0;
      const order = this.partitions.filter((p) => p.memoryBytes > 0).sort((a, b) => b.memoryBytes - a.memoryBytes);
      let freed = 0;
      for (const p of order) {
        if (this.state === 'released') break;
        freed += await this.spillPartition(p, spill, null);
      }
      return freed;
    });
  }

  /** @internal Spill in the background if the pool asked this writer to (errors are kept, not thrown). */
  serviceSpillRequest(): void {
    if (!this.reservation.spillRequested || this.bytes === 0 || this.spilling || this.backgroundSpillFailed || this.state === 'released') return;
    if (this.buffer.spillManagerFor(this.id.queryId) === undefined) return;
    this.spillToDisk().catch(() => { this.backgroundSpillFailed = true; });
  }

  /** @internal Serve pending spill requests of every writer of the buffer. */
  serviceSpillRequests(): void {
    this.buffer.serviceSpillRequests();
  }

  private enqueueSpill<T>(step: () => Promise<T>): Promise<T> {
    this.spillsQueued++;
    const run = this.spillTail.then(step).finally(() => { this.spillsQueued--; });
    this.spillTail = run.catch(() => undefined);
    return run;
  }

  /**
   * Write the in-memory tail of `part` (then `extra`, a batch not yet kept) to one spill
   * file and swap those entries for their places in it. Runs inside the spill queue.
   */
  private async spillPartition(part: PartitionBuffer, spill: SpillManager, extra: Batch | null): Promise<number> {
    const from = part.spilledUpTo;
    const to = part.length;
    if (from === to && extra === null) return 0;
    const writer = spill.createWriter(`Exchange_q${this.id.queryId}_s${this.id.stageId}_t${this.id.task}_p${part.key.partition}`, this.schema);
    let file: SpillFile;
    let rows = 0;
    try {
      for (let i = from; i < to; i++) {
        const b = part.readBatch(i);
        rows += b.length;
        await writer.write(b);
      }
      if (extra !== null) { rows += extra.length; await writer.write(extra); }
      file = await writer.finish();
    } catch (e) {
      await writer.abort();
      if (this.state === 'released') return 0;
      throw e;
    }
    if (this.state === 'released') {
      await file.delete().catch(() => undefined);
      return 0;
    }
    const count = to - from;
    const segment: SpillSegment = { file, first: from, count: count + (extra !== null ? 1 : 0) };
    const freed = part.markSpilled(segment, count);
    // The batch not yet kept is the file's last entry (appends are serialized, so it is next).
    if (extra !== null) part.push({ kind: 'spilled', segment, offset: count, rows: extra.length, rawBytes: batchBytes(extra) }, extra.length);
    this.reservation.shrink(freed);
    const s = this.spillStats;
    s.files++;
    s.bytes += file.bytes;
    s.rows += rows;
    s.batches += count + (extra !== null ? 1 : 0);
    s.freedBytes += freed;
    return freed;
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

  /** @internal Free the memory at once; resolves when the spill files are deleted. */
  release(): Promise<void> {
    if (this.state === 'released') return Promise.resolve();
    this.state = 'released';
    this.reservation.free();
    for (const p of this.partitions) p.notify();
    // A spill in flight sees 'released' and deletes its own file.
    return this.spillTail.then(async () => {
      const files = new Set<SpillFile>();
      for (const p of this.partitions) for (const s of p.segments) files.add(s.file);
      await Promise.allSettled([...files].map((f) => f.delete()));
    });
  }
}

const SEP = '\u0000';
const writerKey = (id: WriterId) => `${id.queryId}${SEP}${id.stageId}${SEP}${id.task}`;

/** A writer's output split into range partitions, and what it was split from and by. */
interface RangeSplitOutput {
  readonly source: StageOutput;
  readonly by: string;
  readonly output: StageOutput;
}

/** Remember this many released query ids, so late readers fail fast instead of waiting. */
const RELEASED_MEMORY = 10_000;

/** What the transports served from a buffer to other processes or threads. */
export interface ServedCounters {
  /** Streams opened by remote readers (gRPC or MessagePort). */
  streams: number;
  /** Bytes those streams put on the wire, as the serving transport counted them. */
  wireBytes: number;
}

export class ExchangeBuffer {
  readonly pool: MemoryPool;
  /** Incremented by the gRPC and MessagePort servers (worker status, figures tests). */
  readonly served: ServedCounters = { streams: 0, wireBytes: 0 };
  readonly codec: BatchCodec;
  readonly storage: ExchangeStorage;
  readonly onMemoryPressure: MemoryPressureHook | undefined;
  private readonly spill: ExchangeSpillSource | undefined;
  private readonly writers = new Map<string, StageOutput>();
  /** Range splits of writers' outputs, by writer key. */
  private readonly splits = new Map<string, RangeSplitOutput>();
  private readonly rangeRouter: RangeRouterFactory | undefined;
  private readonly opened = new Waiters();
  private readonly released = new Set<string>();

  constructor(opts: ExchangeBufferOptions) {
    this.pool = opts.pool;
    this.codec = opts.codec ?? ipcBatchCodec;
    this.storage = opts.storage ?? 'batches';
    this.onMemoryPressure = opts.onMemoryPressure;
    this.spill = opts.spill;
    this.rangeRouter = opts.rangeRouter;
  }

  /** The spill manager for a query's outputs, if spilling is configured. */
  spillManagerFor(queryId: string): SpillManager | undefined {
    const s = this.spill;
    return typeof s === 'function' ? s(queryId) : s;
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
    void old?.release();
    this.dropSplit(k);
    const w = new StageOutput(id, schema, partitionCount, this, this.codec, this.storage);
    this.writers.set(k, w);
    this.opened.wakeAll();
    return w;
  }

  /** The partition if its writer has started here; throws if it can never appear. */
  lookup(key: PartitionKey): PartitionBuffer | undefined {
    if (this.released.has(key.queryId)) throw releasedError(key);
    const w = this.writers.get(writerKey(key));
    if (!w) return undefined;
    const p = w.partitions[key.partition];
    if (!p) throw new ExchangeError('not_found', `${describeKey(key)}: the writer has only ${w.partitionCount} output partitions`);
    return p;
  }

  /** The writer of task `id`, if it is held here. */
  writer(id: WriterId): StageOutput | undefined {
    return this.writers.get(writerKey(id));
  }

  /**
   * Drop the output of writer task `id` unless it is being written (a failed or cancelled
   * attempt, or an output the scheduler replaced): memory at once, spill files in the
   * background. Its readers get 'not_found'. True when something was dropped.
   */
  dropWriter(id: WriterId): boolean {
    const k = writerKey(id);
    const w = this.writers.get(k);
    if (w === undefined || w.state === 'writing') return false;
    this.writers.delete(k);
    void w.release();
    this.dropSplit(k);
    return true;
  }

  private dropSplit(k: string): void {
    const s = this.splits.get(k);
    if (s === undefined) return;
    this.splits.delete(k);
    void s.output.release();
  }

  /**
   * Wait for the writer of `key` to start here, at most `timeoutMs`. With `range`, the
   * partition is range partition `key.partition` of the writer's whole output (its
   * partition 0), split once by `range` (see the header).
   */
  async waitForPartition(key: PartitionKey, opts: WaitOptions, range?: RangeSplit): Promise<PartitionBuffer> {
    if (range !== undefined) {
      const source = await this.waitForPartition({ ...key, partition: 0 }, opts);
      return this.rangePartition(key, source, range);
    }
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

  private rangePartition(key: PartitionKey, source: PartitionBuffer, range: RangeSplit): PartitionBuffer {
    if (key.partition >= range.partitions) {
      throw new ExchangeError('invalid_argument', `${describeKey(key)}: range partition out of range 0..${range.partitions - 1}`);
    }
    const k = writerKey(key);
    const by = encodeRangeSplit(range);
    let split = this.splits.get(k);
    const owner = this.writers.get(k)!;
    if (split !== undefined && split.source !== owner) { this.dropSplit(k); split = undefined; }
    if (split === undefined) {
      if (owner.partitionCount !== 1) {
        throw new ExchangeError('invalid_argument', `${describeKey(key)}: a range split needs a writer with one output partition, this one has ${owner.partitionCount}`);
      }
      const router = this.rangeRouter;
      if (router === undefined) throw new ExchangeError('invalid_argument', `${describeKey(key)}: this exchange buffer cannot split range partitions`);
      let route: (b: Batch) => Int32Array;
      try {
        route = router(range, owner.schema);
      } catch (e) {
        throw new ExchangeError('invalid_argument', `${describeKey(key)}: malformed exchange range split: ${(e as Error).message}`, { cause: e });
      }
      const output = new StageOutput(owner.id, owner.schema, range.partitions, this, this.codec, this.storage, 'range split');
      split = { source: owner, by, output };
      this.splits.set(k, split);
      // Once split, the whole output is read only through the split: give its memory and files back.
      void runRangeSplit(source, output, range.partitions, route).then((ok) => { if (ok && this.splits.get(k)?.output === output) void owner.release(); });
    } else if (split.by !== by) {
      throw new ExchangeError('invalid_argument', `${describeKey(key)}: the output was already split by other range bounds`);
    }
    return split.output.partitions[key.partition]!;
  }

  /** @internal Start background spills of writers the pool asked to spill (except `except`). */
  serviceSpillRequests(except?: StageOutput): void {
    for (const w of this.writers.values()) if (w !== except) w.serviceSpillRequest();
    for (const s of this.splits.values()) if (s.output !== except) s.output.serviceSpillRequest();
  }

  /** @internal Spill every other writer the pool asked to spill, largest first, and wait. */
  async spillRequested(except: StageOutput): Promise<void> {
    const asked = [...this.writers.values(), ...[...this.splits.values()].map((s) => s.output)]
      .filter((w) => w !== except && w.state !== 'released' && w.bytes > 0 && this.spillManagerFor(w.id.queryId) !== undefined && w.spillRequested)
      .sort((a, b) => b.bytes - a.bytes);
    for (const w of asked) await w.spillToDisk().catch(() => 0);
  }

  /**
   * Drop every buffer of the query, free its memory, fail its readers and waiters. The
   * memory is free at once; the promise resolves when its spill files are deleted.
   */
  releaseQuery(queryId: string): Promise<void> {
    const deleting: Promise<void>[] = [];
    for (const [k, w] of this.writers) {
      if (w.id.queryId !== queryId) continue;
      deleting.push(w.release());
      this.writers.delete(k);
    }
    for (const [k, s] of this.splits) {
      if (s.output.id.queryId !== queryId) continue;
      deleting.push(s.output.release());
      this.splits.delete(k);
    }
    this.released.add(queryId);
    if (this.released.size > RELEASED_MEMORY) this.released.delete(this.released.values().next().value!);
    this.opened.wakeAll();
    return Promise.all(deleting).then(() => undefined);
  }

  /** Bytes held in memory by all buffers. */
  get bufferedBytes(): number {
    let n = 0;
    for (const w of this.writers.values()) n += w.bytes;
    for (const s of this.splits.values()) n += s.output.bytes;
    return n;
  }

  stats(): { queryId: string; stageId: number; task: number; state: WriterState; bytes: number; rows: number; spilledBytes: number; spillFiles: number }[] {
    return [...this.writers.values()].map((w) => ({
      ...w.id,
      state: w.state,
      bytes: w.bytes,
      rows: w.partitions.reduce((s, p) => s + p.rows, 0),
      spilledBytes: w.spillStats.bytes,
      spillFiles: w.spillStats.files,
    }));
  }
}

/** Source batches' worth of rows the split may hold back at once while gathering pieces. */
const GATHERED_BATCHES = 4;

/**
 * Route every batch of `source` (a writer's whole output) to its range partitions of
 * `output`, one scatter per batch; the output finishes when the source does, and fails
 * with it (or with the split's own error). The pieces of one range are gathered up to
 * about one source batch of rows before they are appended (few large messages instead of
 * many small ones), holding back at most GATHERED_BATCHES batches' worth of rows in all.
 */
async function runRangeSplit(source: PartitionBuffer, output: StageOutput, partitions: number, route: (b: Batch) => Int32Array): Promise<boolean> {
  const reader = source.openReader();
  const stop = new AbortController();
  const pending: Batch[][] = Array.from({ length: partitions }, () => []);
  const pendingRows = new Array<number>(partitions).fill(0);
  let held = 0;
  let target = 1;
  const flush = async (p: number): Promise<void> => {
    const pieces = pending[p]!;
    if (pieces.length === 0) return;
    pending[p] = [];
    held -= pendingRows[p]!;
    pendingRows[p] = 0;
    await output.append(p, pieces.length === 1 ? pieces[0]! : concatBatches(output.schema, pieces));
  };
  try {
    for (let i = 0; await reader.waitForEntry(i, stop.signal); i++) {
      if (output.state !== 'writing') return false; // released
      const batch = source.readBatch(i);
      target = Math.max(target, batch.length);
      const pieces = partitions === 1 ? [batch] : scatterBatch(batch, route(batch), partitions);
      for (let p = 0; p < pieces.length; p++) {
        const piece = pieces[p];
        if (!piece || piece.length === 0) continue;
        if (piece.length >= target && pendingRows[p] === 0) { await output.append(p, piece); continue; }
        pending[p]!.push(piece);
        pendingRows[p]! += piece.length;
        held += piece.length;
        if (pendingRows[p]! >= target) await flush(p);
      }
      if (held > GATHERED_BATCHES * target) for (let p = 0; p < partitions; p++) await flush(p);
    }
    for (let p = 0; p < partitions; p++) await flush(p);
    output.finish();
    return output.state === 'done';
  } catch (e) {
    output.fail(e);
    return false;
  } finally {
    await reader.close();
  }
}
