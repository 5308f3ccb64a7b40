/**
 * DiskSpillManager: spill files as Arrow IPC streams on local disk, one folder per query.
 *
 *   <spill_dir>/<query id>/
 *       .spillway-owner          {"pid":…,"host":…} — lets removeStaleSpillDirs tell a dead
 *                                process's leftovers from a live query's folder
 *       Sort_p0-1.arrow          schema msg │ batch msg │ batch msg │ … │ EOS
 *       HashJoin_p3-2.arrow
 *
 * Writers append one framed batch message per write() through a file handle, so a file is
 * never held in memory; bodies are optionally LZ4 compressed (spill_compression). write()
 * encodes the batch before it returns, so the caller may reuse the batch's buffers at once
 * and need not wait for the file write (several files are then written at once). Readers
 * walk the messages through a 64 KiB read-ahead buffer and decode one batch at a time; each
 * body is copied into its own fresh (8-byte aligned) buffer, which the decoded columns then view.
 *
 * The disk quota (spill_disk_quota) bounds the bytes of this query's spill files on disk at
 * once (deleted files give their bytes back). A write that would exceed it removes the
 * partial file and fails with a resources error naming the owner.
 *
 * Stats are cumulative: files created and bytes written (plus bytes before compression),
 * for metrics and EXPLAIN ANALYZE.
 */
import { promises as fs, readFileSync, type Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Batch } from '../columnar/column.js';
import {
  IPC_END_OF_STREAM, decodeBatchMessage, encodeBatchMessage, encodeFixedWidthBatchMessage, encodeSchemaMessage, frameMessage, inspectMessage, readFramePrefix,
  type EncodedBatchMessage, type IpcCompression,
} from '../columnar/ipc.js';
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { formatBytes } from '../memory/pool.js';
import type { Schema } from '../common/types.js';
import { WHOLE_FILE_BYTES, type SpillFile, type SpillManager, type SpillWriter } from './spill_manager.js';
import type { SpillSink } from '../observe/prometheus.js';

export interface DiskSpillManagerOptions {
  /** Root spill folder; this query writes under <spillDir>/<queryId>/. */
  readonly spillDir: string;
  readonly queryId: string;
  readonly compression?: IpcCompression;
  /** Bytes this query's spill files may occupy at once; 0 = unlimited. */
  readonly diskQuota?: number;
  /** Told of every file created and every byte written (the runtime's Prometheus counters). */
  readonly sink?: SpillSink;
}

export interface SpillStats {
  /** Spill files created by this query. */
  files: number;
  /** Bytes written to spill files (after compression). */
  bytes: number;
  /** Batch body bytes before compression (equals the body part of `bytes` when uncompressed). */
  uncompressedBytes: number;
  rows: number;
}

/** Name of the marker file in each query folder. */
export const OWNER_MARKER = '.spillway-owner';

/** A file-name-safe rendering of an operator or query name: `Sort[p0]` → `Sort_p0`. */
export function sanitizeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '').slice(0, 80);
  return s === '' ? 'spill' : s;
}

export class DiskSpillManager implements SpillManager {
  readonly queryDir: string;
  readonly compression: IpcCompression;
  readonly diskQuota: number;
  readonly stats: SpillStats = { files: 0, bytes: 0, uncompressedBytes: 0, rows: 0 };
  /** Bytes of this query's spill files currently on disk (what the quota bounds). */
  private onDisk = 0;
  private fileSeq = 0;
  /** Bumped by cleanup(), so files from before it do not give bytes back twice. */
  private generation = 0;
  private dirReady: Promise<void> | null = null;
  private readonly openWriters = new Set<DiskSpillWriter>();
  private readonly sink: SpillSink | undefined;

  constructor(opts: DiskSpillManagerOptions) {
    this.queryDir = path.join(opts.spillDir, sanitizeFileName(opts.queryId));
    this.compression = opts.compression ?? 'none';
    this.diskQuota = opts.diskQuota ?? 0;
    this.sink = opts.sink;
  }

  /** Bytes of spill files currently on disk for this query. */
  get diskBytes(): number { return this.onDisk; }

  createWriter(owner: string, schema: Schema): SpillWriter {
    const file = path.join(this.queryDir, `${sanitizeFileName(owner)}-${++this.fileSeq}.arrow`);
    const w = new DiskSpillWriter(this, owner, schema, file);
    this.openWriters.add(w);
    return w;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.openWriters].map((w) => w.abort()));
    this.dirReady = null;
    this.generation++;
    await fs.rm(this.queryDir, { recursive: true, force: true });
    this.onDisk = 0;
  }

  /** @internal Create the query folder (once) with its owner marker. */
  ensureDir(): Promise<void> {
    this.dirReady ??= (async () => {
      await fs.mkdir(this.queryDir, { recursive: true });
      await fs.writeFile(path.join(this.queryDir, OWNER_MARKER), JSON.stringify({ pid: process.pid, host: hostname() }));
    })().catch((e: unknown) => {
      this.dirReady = null;
      throw spillIoError(`cannot create spill folder ${this.queryDir}`, e);
    });
    return this.dirReady;
  }

  /**
   * @internal Reserve disk bytes for a write before it happens, so concurrent writers cannot
   * overshoot the quota together. False when the quota would be exceeded.
   */
  reserveDisk(bytes: number): boolean {
    if (this.diskQuota > 0 && this.onDisk + bytes > this.diskQuota) return false;
    this.onDisk += bytes;
    return true;
  }

  /** @internal Current cleanup generation (see releaseDisk). */
  get diskGeneration(): number { return this.generation; }

  /** @internal Give back disk bytes reserved in `generation` (ignored after a cleanup). */
  releaseDisk(bytes: number, generation = this.generation): void {
    if (generation === this.generation) this.onDisk = Math.max(0, this.onDisk - bytes);
  }

  /** @internal */
  fileCreated(): void { this.stats.files++; this.sink?.spilled(0, 1); }

  /** @internal */
  written(bytes: number, uncompressedBytes: number, rows: number): void {
    this.stats.bytes += bytes;
    this.stats.uncompressedBytes += uncompressedBytes;
    this.stats.rows += rows;
    this.sink?.spilled(bytes, 0);
  }

  /** @internal */
  writerDone(w: DiskSpillWriter): void { this.openWriters.delete(w); }
}

function spillIoError(what: string, cause: unknown): SpillwayError {
  if (cause instanceof SpillwayError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SpillwayError('io', `${what}: ${detail}`, { cause });
}

async function writeAll(fh: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  let done = await fh.writev(chunks, position).then((r) => r.bytesWritten);
  // Short writes are rare on regular files; finish the rest chunk by chunk.
  while (done < total) {
    let skip = done;
    for (const c of chunks) {
      if (skip >= c.byteLength) { skip -= c.byteLength; continue; }
      const part = c.subarray(skip);
      const { bytesWritten } = await fh.write(part, 0, part.byteLength, position + done);
      done += bytesWritten;
      break;
    }
  }
}

type WriterState = 'open' | 'finished' | 'aborted';

class DiskSpillWriter implements SpillWriter {
  private fh: FileHandle | null = null;
  private position = 0;
  private rows = 0;
  /** Bytes of this file counted against the quota. */
  private reserved = 0;
  private state: WriterState = 'open';
  /** Writes run one after another even if the caller does not await each one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly manager: DiskSpillManager, private readonly owner: string, private readonly schema: Schema, readonly path: string) {}

  write(batch: Batch): Promise<void> {
    if (this.state !== 'open') return this.enqueue(async () => this.assertOpen());
    let m: EncodedBatchMessage;
    try {
      const compression = this.manager.compression;
      m = (compression === 'none' ? encodeFixedWidthBatchMessage(batch) : null) ?? encodeBatchMessage(batch, compression);
    } catch (e) {
      return this.enqueue(async () => {
        if (this.state === 'open') { this.state = 'aborted'; await this.discard(); }
        throw spillIoError(`cannot write spill file ${this.path}`, e);
      });
    }
    const rows = batch.length;
    return this.enqueue(() => this.append(m, rows));
  }

  finish(): Promise<SpillFile> {
    return this.enqueue(async () => {
      this.assertOpen();
      try {
        await this.openFile();
        await this.appendChunks([IPC_END_OF_STREAM]);
        await this.closeFile();
      } catch (e) {
        if (this.state === 'open') { this.state = 'aborted'; await this.discard(); }
        throw spillIoError(`cannot write spill file ${this.path}`, e);
      }
      this.state = 'finished';
      this.manager.writerDone(this);
      return new DiskSpillFile(this.manager, this.path, this.schema, this.rows, this.position, this.manager.diskGeneration);
    });
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.queue.catch(() => undefined);
    await this.discard();
  }

  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`spill writer for ${this.owner} used after ${this.state === 'finished' ? 'finish()' : 'abort()'}`);
  }

  private async append(m: EncodedBatchMessage, rows: number): Promise<void> {
    this.assertOpen();
    try {
      await this.openFile();
      const chunks = frameMessage(m.header, m.body);
      await this.appendChunks(chunks);
      this.rows += rows;
      this.manager.written(0, m.uncompressedBytes, rows);
    } catch (e) {
      if (this.state === 'open') { this.state = 'aborted'; await this.discard(); }
      throw spillIoError(`cannot write spill file ${this.path}`, e);
    }
  }

  private async openFile(): Promise<void> {
    if (this.fh !== null) return;
    await this.manager.ensureDir();
    this.fh = await fs.open(this.path, 'w');
    this.manager.fileCreated();
    await this.appendChunks(frameMessage(encodeSchemaMessage(this.schema)));
  }

  private async appendChunks(chunks: Uint8Array[]): Promise<void> {
    let n = 0;
    for (const c of chunks) n += c.byteLength;
    if (!this.manager.reserveDisk(n)) {
      const quota = this.manager.diskQuota;
      this.state = 'aborted';
      await this.discard();
      throw new SpillwayError('resources', `spill disk quota of ${formatBytes(quota)} exceeded by ${this.owner}`);
    }
    this.reserved += n;
    await writeAll(this.fh!, chunks, this.position);
    this.position += n;
    this.manager.written(n, 0, 0);
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fh.close();
  }

  /** Close and remove the partial file; give its bytes back to the quota. */
  private async discard(): Promise<void> {
    this.manager.writerDone(this);
    await this.closeFile().catch(() => undefined);
    await fs.rm(this.path, { force: true }).catch(() => undefined);
    this.manager.releaseDisk(this.reserved);
    this.reserved = 0;
  }
}

class DiskSpillFile implements SpillFile {
  private deleted = false;

  constructor(
    private readonly manager: DiskSpillManager, readonly path: string, readonly schema: Schema, readonly rows: number, readonly bytes: number,
    private readonly generation: number,
  ) {}

  read(opts: { whole?: boolean } = {}): AsyncIterable<Batch> {
    return readSpillFile(this.path, this.schema, opts.whole === true ? this.bytes : undefined);
  }

  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    await fs.rm(this.path, { force: true });
    this.manager.releaseDisk(this.bytes, this.generation);
  }
}

/** Bytes a spill file reader reads ahead: headers and most bodies come from one read. */
const READ_AHEAD = 64 * 1024;

/**
 * Stream the record batches of an IPC stream file, one at a time. Given its `size`, a
 * file up to WHOLE_FILE_BYTES is read whole and its batches are views of that one buffer
 * (the writer keeps every body 8-byte aligned). Otherwise reads go through a READ_AHEAD buffer
 * (one read serves several small messages); each message's header and body are copied out
 * of it into fresh (8-byte aligned) buffers, so a batch never keeps the read buffer alive;
 * a body larger than the buffer is read straight into its own.
 */
export async function* readSpillFile(file: string, schema: Schema, size?: number): AsyncGenerator<Batch> {
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    throw spillIoError(`cannot open spill file ${file}`, e);
  }
  try {
    if (size !== undefined && size <= WHOLE_FILE_BYTES) {
      yield* batchesOf(await readWhole(fh, file, size), file, schema);
      return;
    }
    const buf = new Uint8Array(READ_AHEAD);
    // buf[lo, hi) holds the next unread bytes of the file; filePos is the file offset of buf[hi].
    let lo = 0, hi = 0, filePos = 0;
    const truncated = (): SpillwayError => new SpillwayError('io', `spill file ${file} is truncated at byte ${filePos}`);
    const readInto = async (dst: Uint8Array, at: number, min: number): Promise<number> => {
      let got = 0;
      while (got < min) {
        const { bytesRead } = await fh.read(dst, at + got, dst.length - at - got, filePos);
        if (bytesRead === 0) throw truncated();
        got += bytesRead;
        filePos += bytesRead;
      }
      return got;
    };
    /** The next n bytes: a view of the read buffer (valid until the next call), or a fresh copy. */
    const take = async (n: number, copy: boolean): Promise<Uint8Array> => {
      if (n > READ_AHEAD) {
        const out = new Uint8Array(n);
        const have = hi - lo;
        out.set(buf.subarray(lo, hi));
        lo = hi = 0;
        let got = have;
        while (got < n) {
          const { bytesRead } = await fh.read(out, got, n - got, filePos);
          if (bytesRead === 0) throw truncated();
          got += bytesRead;
          filePos += bytesRead;
        }
        return out;
      }
      if (hi - lo < n) {
        buf.copyWithin(0, lo, hi);
        hi -= lo;
        lo = 0;
        hi += await readInto(buf, hi, n - hi);
      }
      const v = buf.subarray(lo, lo + n);
      lo += n;
      return copy ? v.slice() : v;
    };
    let sawSchema = false;
    for (;;) {
      const headerLength = readFramePrefix(await take(8, false), file);
      if (headerLength === 0) return;
      const header = await take(headerLength, true);
      const info = inspectMessage(header);
      const body = info.bodyLength > 0 ? await take(info.bodyLength, true) : new Uint8Array(0);
      if (isBatchMessage(info.kind, !sawSchema, file)) yield decodeBatchMessage(schema, header, body);
      sawSchema = true;
    }
  } catch (e) {
    throw spillIoError(`cannot read spill file ${file}`, e);
  } finally {
    await fh.close();
  }
}

/**
 * Whether an IPC message of a spill file is a record batch: the first must be the schema,
 * every later one a batch; anything else is an io error naming the file.
 */
function isBatchMessage(kind: string, first: boolean, file: string): boolean {
  if (first) {
    if (kind !== 'schema') throw new SpillwayError('io', `spill file ${file} does not start with a schema message`);
    return false;
  }
  if (kind !== 'batch') throw new SpillwayError('io', `spill file ${file} holds an unexpected ${kind} message`);
  return true;
}

/** The first `size` bytes of a file (an io error when it is shorter). */
async function readWhole(fh: FileHandle, file: string, size: number): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(buf, got, size - got, got);
    if (bytesRead === 0) throw new SpillwayError('io', `spill file ${file} is truncated at byte ${got}`);
    got += bytesRead;
  }
  return buf;
}

/** The record batches of a whole IPC stream file in memory, as views of it. */
function* batchesOf(bytes: Uint8Array, file: string, schema: Schema): Generator<Batch> {
  const truncated = (at: number): SpillwayError => new SpillwayError('io', `spill file ${file} is truncated at byte ${at}`);
  let pos = 0, sawSchema = false;
  for (;;) {
    if (pos + 8 > bytes.length) throw truncated(bytes.length);
    const headerLength = readFramePrefix(bytes.subarray(pos, pos + 8), file);
    pos += 8;
    if (headerLength === 0) return;
    if (pos + headerLength > bytes.length) throw truncated(bytes.length);
    const header = bytes.subarray(pos, pos + headerLength);
    pos += headerLength;
    const info = inspectMessage(header);
    if (pos + info.bodyLength > bytes.length) throw truncated(bytes.length);
    const body = bytes.subarray(pos, pos + info.bodyLength);
    pos += info.bodyLength;
    if (isBatchMessage(info.kind, !sawSchema, file)) yield decodeBatchMessage(schema, header, body);
    sawSchema = true;
  }
}

/**
 * At process start-up: remove query folders under `spillDir` left by processes that are no
 * longer running (their owner marker names a dead pid on this host). Folders without a
 * marker, or owned by a live process, are left alone, so a mistyped spill_dir never loses
 * unrelated data. Returns the removed folders.
 */
export async function removeStaleSpillDirs(spillDir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(spillDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw spillIoError(`cannot list spill folder ${spillDir}`, e);
  }
  const removed: string[] = [];
  const host = hostname();
  for (const ent of entries) {
    if (!ent.isDirectory()) continue;
    const dir = path.join(spillDir, ent.name);
    let owner: { pid?: unknown; host?: unknown };
    try {
      owner = JSON.parse(await fs.readFile(path.join(dir, OWNER_MARKER), 'utf8')) as { pid?: unknown; host?: unknown };
    } catch {
      continue; // not a Spillway query folder (or being created right now)
    }
    if (typeof owner.pid !== 'number' || (owner.host !== undefined && owner.host !== host)) continue;
    if (isProcessAlive(owner.pid)) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as dead. */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

/** The query's spill manager as configured (spill_dir, spill_compression, spill_disk_quota). */
export function createSpillManager(config: Pick<Config, 'spill_dir' | 'spill_compression' | 'spill_disk_quota'>, queryId: string, sink?: SpillSink): DiskSpillManager {
  return new DiskSpillManager({ spillDir: config.spill_dir, queryId, compression: config.spill_compression, diskQuota: config.spill_disk_quota, ...(sink ? { sink } : {}) });
}
