/**
 * COPY … TO: a query's batches written to files as they arrive, never gathered in memory.
 *
 *   batches ─▶ one file:      <path>.tmp-XXXX ──rename when complete──▶ <path>
 *           └▶ PARTITION_BY:  <path>.tmp-XXXX/col=v/part-0.<ext> … ──rename──▶ <path>/
 *
 * Nothing appears at `path` until every byte is written: a failed or cancelled COPY
 * removes its temporary file or folder. An existing target is an error unless OVERWRITE.
 * Partition folders are hive-style (`col=value`, NULL as `col=NULL`, other characters
 * percent-encoded); the partition columns are not repeated inside the files. Buffered rows
 * of all partitions together stay under a bound: past it the largest partition's rows go
 * out as a row group early.
 *
 * PER_THREAD_OUTPUT (Parquet): `path` becomes a folder of part files, one per task of the
 * query's last stage, named so that their name order is the task order (for a distributed
 * ORDER BY: one file per range, in sort order):
 *
 *   <path>.tmp-XXXX/part-00000.parquet, part-00001.parquet … ──rename when complete──▶ <path>/
 *
 * In distributed mode each task writes its own part on its worker (the folder must be
 * reachable by the workers under the same path, and lie below their --data-root); the
 * coordinator never receives the rows. A query that runs here writes part-00000 itself.
 *
 * One file written by the workers (a plain COPY, CTAS or INSERT that runs distributed, when
 * the workers share this machine's files): the tasks write part files as for
 * PER_THREAD_OUTPUT into a temporary folder next to the target, and the coordinator joins
 * them into one file before renaming it over the target. Parquet parts: the row groups'
 * bytes are copied, the footer written anew (storage/parquet_concat.ts). CSV and JSON parts
 * (no header, no array brackets, gzip or not): their bytes one after the other, after the
 * CSV header written once or between a JSON array's brackets (storage/text_concat.ts; gzip
 * members concatenate into a valid gzip file):
 *
 *   .<name>.tmp-parts-XXXX/part-*.<ext> ──join (name order)──▶ .<name>.tmp-file-YYYY ──rename──▶ <path>
 *
 * To s3://bucket/key the same files are written to a local temporary folder first, then
 * uploaded (multipart when large): an S3 object appears only once its upload completed. With
 * PARTITION_BY the objects appear one by one; a failure removes those already uploaded.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { makeBatch, type Batch } from './columnar/column.js';
import { batchFromRows, takeBatch } from './columnar/kernels.js';
import type { MetricsSet } from './common/metrics.js';
import { QueryResult, type QueryStats } from './result.js';
import { SpillwayError } from './common/errors.js';
import type { Schema } from './common/types.js';
import { compareRows } from './exec/sort/row_compare.js';
import { formatCell } from './format.js';
import type { CopySpec } from './sql/copy.js';
import type { MemoryPool, MemoryReservation } from './memory/pool.js';
import { DEFAULT_ROW_GROUP_SIZE, ParquetFileWriter, rowGroupBytesFor } from './storage/parquet_writer.js';
import { concatParquetFiles } from './storage/parquet_concat.js';
import { concatTextFiles } from './storage/text_concat.js';
import { JSON_ARRAY_CLOSE, JSON_ARRAY_OPEN, JSON_ARRAY_SEPARATOR, TextFileWriter, textHeader } from './storage/text_writer.js';
import { localStore } from './storage/local_store.js';
import { s3Store } from './storage/object_store.js';
import { isS3Path } from './storage/s3_store.js';

/** Where batches of one output file go. */
interface FileSink {
  write(b: Batch): Promise<void>;
  /** Rows held in memory, not yet in the file. */
  readonly bufferedRows: number;
  flushBuffered(): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

export interface CopyResult {
  rows: number;
  files: number;
}

const EXTENSIONS = { parquet: 'parquet', csv: 'csv', json: 'json' } as const;

const COUNT_SCHEMA: Schema = { fields: [{ name: 'Count', type: 'int64', nullable: false }] };

/** What COPY answers: one row with the number of rows written. */
export function copyCountResult(rows: number, metrics: MetricsSet | null = null, stats: QueryStats | null = null): QueryResult {
  return new QueryResult(COUNT_SCHEMA, [batchFromRows(COUNT_SCHEMA, [[BigInt(rows)]])], null, metrics, stats);
}

/** How much a COPY may buffer: Parquet row groups end early under a memory limit (0 = none). */
export interface CopyOptions {
  memoryLimit?: number;
  /** The query's pool: the Parquet writers' buffered row groups are reserved on it (`Copy`). */
  memory?: MemoryPool;
}

/** Write every batch of `batches` (rows of `schema`) as `spec` says. */
export async function copyTo(spec: CopySpec, schema: Schema, batches: AsyncIterable<Batch>, opts: CopyOptions = {}): Promise<CopyResult> {
  if (isS3Path(spec.path)) return copyToS3(spec, schema, batches, opts);
  const reservation = opts.memory?.register('Copy', { spillable: false });
  try {
    return await copyToFiles(spec, schema, batches, { ...opts, reservation });
  } finally {
    reservation?.free();
  }
}

async function copyToFiles(spec: CopySpec, schema: Schema, batches: AsyncIterable<Batch>, opts: SinkOptions): Promise<CopyResult> {
  const target = spec.path.startsWith('file://') ? new URL(spec.path).pathname : spec.path;
  const existing = await stat(target).catch(() => null);
  if (existing && !spec.overwrite) {
    throw new SpillwayError('io', `cannot COPY to "${spec.path}": it already exists (add OVERWRITE to replace it)`);
  }
  const partitionCols = spec.partitionBy.map((name) => {
    const i = schema.fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase());
    if (i < 0) throw new SpillwayError('binder', `PARTITION_BY column "${name}" is not a column of the query (${schema.fields.map((f) => f.name).join(', ')})`);
    return i;
  });
  if (partitionCols.length > 0 && partitionCols.length === schema.fields.length) {
    throw new SpillwayError('binder', 'PARTITION_BY needs at least one column that is not a partition column');
  }
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  const dataCols = schema.fields.map((_f, i) => i).filter((i) => !partitionCols.includes(i));
  const fileSchema: Schema = { fields: dataCols.map((i) => schema.fields[i]!) };
  const sinks = new Map<string, FileSink>();
  let rows = 0;
  try {
    if (partitionCols.length === 0) {
      const sink = await openSink(spec, schema, temp, opts);
      sinks.set('', sink);
      for await (const b of batches) {
        await sink.write(b);
        rows += b.length;
      }
      await sink.finish();
    } else {
      await mkdir(temp);
      const budget = 4 * (spec.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE);
      for await (const b of batches) {
        for (const [folder, part] of splitByPartition(b, partitionCols, dataCols, fileSchema, schema)) {
          let sink = sinks.get(folder);
          if (!sink) {
            await mkdir(join(temp, folder), { recursive: true });
            sink = await openSink(spec, fileSchema, join(temp, folder, `part-0.${EXTENSIONS[spec.format]}${spec.format !== 'parquet' && spec.compression === 'gzip' ? '.gz' : ''}`), opts);
            sinks.set(folder, sink);
          }
          await sink.write(part);
        }
        rows += b.length;
        await keepUnder(budget, sinks);
      }
      for (const s of sinks.values()) await s.finish();
    }
    if (existing) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
    return { rows, files: sinks.size };
  } catch (e) {
    await Promise.all([...sinks.values()].map((s) => s.abort().catch(() => undefined)));
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw copyError(spec.path, e);
  }
}

/** The name of part `task` of a COPY written by tasks: name order is task order. */
export function partFileName(task: number, ext = 'parquet'): string {
  return `part-${String(task).padStart(5, '0')}.${ext}`;
}

/** The extension of the part files of a COPY to one file in `spec`'s format. */
export function partExtension(spec: CopySpec): string {
  return spec.format === 'parquet' ? 'parquet' : `${spec.format}${spec.compression === 'gzip' ? '.gz' : ''}`;
}

/**
 * COPY … (PER_THREAD_OUTPUT): `write(dir)` fills the folder `dir` (absolute, created here)
 * with part files; the folder appears at `spec.path` only once it returned, and is removed
 * when it failed or was cancelled.
 */
export async function copyParts(spec: CopySpec, write: (dir: string) => Promise<CopyResult>): Promise<CopyResult> {
  if (spec.format !== 'parquet') throw new SpillwayError('unsupported', `unsupported: PER_THREAD_OUTPUT with FORMAT ${spec.format} (Parquet only)`);
  if (spec.partitionBy.length > 0) throw new SpillwayError('unsupported', 'unsupported: PER_THREAD_OUTPUT with PARTITION_BY');
  if (isS3Path(spec.path)) throw new SpillwayError('unsupported', 'unsupported: PER_THREAD_OUTPUT to s3:// (a local or shared folder only)');
  if (spec.compression === 'zstd') throw new SpillwayError('unsupported', 'unsupported: writing Parquet with COMPRESSION zstd (snappy, gzip, brotli or none)');
  const target = resolve(spec.path.startsWith('file://') ? new URL(spec.path).pathname : spec.path);
  const existing = await stat(target).catch(() => null);
  if (existing && !spec.overwrite) {
    throw new SpillwayError('io', `cannot COPY to "${spec.path}": it already exists (add OVERWRITE to replace it)`);
  }
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(temp);
    const result = await write(temp);
    if (existing) await rm(target, { recursive: true, force: true });
    await rename(temp, target);
    return result;
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw copyError(spec.path, e);
  }
}

/** Whether a COPY to `spec` can be written as parts by the workers and joined into one file here. */
export function canJoinParts(spec: CopySpec): boolean {
  if (spec.partitionBy.length > 0 || spec.perTask === true || isS3Path(spec.path)) return false;
  return spec.format === 'parquet' ? spec.compression !== 'zstd' : spec.compression === 'gzip' || spec.compression === 'none';
}

/** How the part files of one output file are joined: which files are parts, and how. */
export interface PartJoiner {
  /** The parts' extension (what `partExtension` gives). */
  ext: string;
  join(parts: readonly string[], file: string): Promise<void>;
}

/** Parquet parts: row groups copied, footer written anew (storage/parquet_concat.ts). */
export const PARQUET_PARTS: PartJoiner = { ext: 'parquet', join: async (parts, file) => { await concatParquetFiles(parts, file); } };

/**
 * The joiner of COPY `spec`'s parts: Parquet's, or for CSV and JSON the parts' bytes one
 * after the other, after the CSV header, or between a JSON array's brackets with a comma
 * between non-empty parts (each its own gzip member when compressed).
 */
export function partJoiner(spec: CopySpec, schema: Schema): PartJoiner {
  if (spec.format === 'parquet') return PARQUET_PARTS;
  const gzip = spec.compression === 'gzip';
  const around = spec.format === 'json' && spec.array === true ? { head: JSON_ARRAY_OPEN, separator: JSON_ARRAY_SEPARATOR, tail: JSON_ARRAY_CLOSE }
    : spec.format === 'csv' && spec.header ? { head: textHeader(schema, { delimiter: spec.delimiter }) } : {};
  return { ext: partExtension(spec), join: async (parts, file) => { await concatTextFiles(parts, file, { gzip, ...around }); } };
}

/**
 * One Parquet file at `target` made of the part files `write(dir)` puts in a temporary
 * folder next to it (joined in name order), after the bytes of the files `before` (an
 * INSERT's table file, kept first so its offsets stay valid). `write` returns null when it
 * wrote no parts (the query ran here): then nothing is touched and null is returned.
 * `replace`: the target may exist and is replaced (atomically, by rename).
 */
export async function joinPartsInto(
  target: string, before: readonly string[], replace: boolean, write: (dir: string) => Promise<CopyResult | null>, joiner: PartJoiner = PARQUET_PARTS,
): Promise<CopyResult | null> {
  const path = resolve(target);
  if (!replace && await stat(path).catch(() => null)) throw new SpillwayError('io', `cannot write "${target}": it already exists`);
  // Hidden names: a table folder's readers (discovery skips '.' names) never see them.
  const hidden = (what: string) => join(dirname(path), `.${basename(path)}.tmp-${what}-${randomBytes(6).toString('hex')}`);
  const dir = hidden('parts');
  const file = hidden('file');
  try {
    await mkdir(dir);
    const wrote = await write(dir);
    if (wrote === null) return null;
    const parts = (await readdir(dir)).filter((f) => f.endsWith(`.${joiner.ext}`)).sort().map((f) => join(dir, f));
    await joiner.join([...before, ...parts], file);
    await rename(file, path);
    return { rows: wrote.rows, files: 1 };
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    await rm(file, { force: true }).catch(() => undefined);
  }
}

/**
 * COPY … TO one file (Parquet, CSV or JSON; rows of `schema`), written by the workers
 * as parts and joined here; null when the query ran here (then the caller writes the file
 * from the batches as usual).
 */
export async function copyJoiningParts(spec: CopySpec, schema: Schema, write: (dir: string) => Promise<CopyResult | null>): Promise<CopyResult | null> {
  const target = spec.path.startsWith('file://') ? new URL(spec.path).pathname : spec.path;
  if (!spec.overwrite && await stat(target).catch(() => null)) {
    throw new SpillwayError('io', `cannot COPY to "${spec.path}": it already exists (add OVERWRITE to replace it)`);
  }
  const existing = spec.overwrite ? await stat(target).catch(() => null) : null;
  // A folder cannot be renamed over: it goes first (the COPY replaces it either way).
  try {
    return await joinPartsInto(target, [], true, async (dir) => {
      const r = await write(dir);
      if (r !== null && existing?.isDirectory()) await rm(target, { recursive: true, force: true });
      return r;
    }, partJoiner(spec, schema));
  } catch (e) {
    throw copyError(spec.path, e);
  }
}

/** COPY to S3: write locally as for a file target, then upload each finished file. */
async function copyToS3(spec: CopySpec, schema: Schema, batches: AsyncIterable<Batch>, opts: CopyOptions): Promise<CopyResult> {
  const store = s3Store();
  const base = spec.path.replace(/\/+$/, '');
  const existing = await store.stat(base);
  if (existing && !spec.overwrite) {
    throw new SpillwayError('io', `cannot COPY to "${spec.path}": it already exists (add OVERWRITE to replace it)`);
  }
  const before = existing === null ? [] : existing.kind === 'file' ? [base] : await store.list(base);
  const dir = await mkdtemp(join(tmpdir(), 'spillway-copy-'));
  const local = join(dir, 'out');
  const uploaded: string[] = [];
  try {
    const result = await copyTo({ ...spec, path: local, overwrite: false }, schema, batches, opts);
    const files = spec.partitionBy.length === 0 ? [local] : await localStore.list(local);
    for (const f of files) {
      const key = f === local ? base : `${base}/${relative(local, f).split(sep).join('/')}`;
      await store.upload(f, key);
      uploaded.push(key);
    }
    const stale = before.filter((k) => !uploaded.includes(k));
    if (stale.length > 0) await store.remove(stale);
    return result;
  } catch (e) {
    const mine = uploaded.filter((k) => !before.includes(k));
    await store.remove(mine).catch(() => undefined);
    throw copyError(spec.path, e);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function keepUnder(budget: number, sinks: Map<string, FileSink>): Promise<void> {
  let total = 0;
  for (const s of sinks.values()) total += s.bufferedRows;
  while (total > budget) {
    let largest: FileSink | null = null;
    for (const s of sinks.values()) if (largest === null || s.bufferedRows > largest.bufferedRows) largest = s;
    if (largest === null || largest.bufferedRows === 0) return;
    total -= largest.bufferedRows;
    await largest.flushBuffered();
  }
}

/** Any fixed order: only equality of partition values is asked of compareRows. */
const ANY_ORDER = { ascending: true, nullsFirst: false };

/** One batch per partition folder, partition columns dropped, rows in input order. */
function splitByPartition(b: Batch, partitionCols: readonly number[], dataCols: readonly number[], fileSchema: Schema, schema: Schema): [string, Batch][] {
  const rowsOf = new Map<string, number[]>();
  const keys = partitionCols.map((c) => b.columns[c]!);
  const orders = keys.map(() => ANY_ORDER);
  let list: number[] = [];
  for (let i = 0; i < b.length; i++) {
    // The folder name is built only where the partition values change (input is often clustered).
    if (i === 0 || compareRows(keys, i - 1, keys, i, orders) !== 0) {
      let folder = '';
      for (const c of partitionCols) {
        const v = formatCell(b.columns[c]!, i);
        folder += `${folder === '' ? '' : '/'}${encodeSegment(schema.fields[c]!.name)}=${v === null ? 'NULL' : encodeSegment(v)}`;
      }
      list = rowsOf.get(folder) ?? [];
      rowsOf.set(folder, list);
    }
    list.push(i);
  }
  const projected = makeBatch(fileSchema, dataCols.map((c) => b.columns[c]!), b.length);
  return [...rowsOf].map(([folder, list]) => [folder, list.length === b.length ? projected : takeBatch(projected, Int32Array.from(list))]);
}

/** Characters that cannot stand in a folder name, or would be read as structure, are percent-encoded. */
function encodeSegment(s: string): string {
  const out = s.replace(/[\x00-\x1f%/\\=:*?"<>|#\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return out === '.' || out === '..' ? out.replace(/\./g, '%2E') : out;
}

interface SinkOptions extends CopyOptions {
  reservation?: MemoryReservation | undefined;
}

async function openSink(spec: CopySpec, schema: Schema, path: string, opts: SinkOptions): Promise<FileSink> {
  if (spec.format === 'parquet') {
    if (spec.compression === 'zstd') throw new SpillwayError('unsupported', 'unsupported: writing Parquet with COMPRESSION zstd (snappy, gzip, brotli or none)');
    const w = await ParquetFileWriter.create(path, schema, {
      rowGroupSize: spec.rowGroupSize ?? undefined, compression: spec.compression,
      maxRowGroupBytes: rowGroupBytesFor(opts.memoryLimit ?? 0), ...(opts.reservation !== undefined ? { reservation: opts.reservation } : {}),
    });
    return {
      write: (b) => w.write(b),
      get bufferedRows() { return w.bufferedRows; },
      flushBuffered: () => w.flushRowGroup(),
      finish: async () => { await w.finish(); },
      abort: () => w.abort(),
    };
  }
  return openTextSink(spec, schema, path);
}

/** CSV, JSON lines or a JSON array (storage/text_writer.ts). */
async function openTextSink(spec: CopySpec, schema: Schema, path: string): Promise<FileSink> {
  const w = await TextFileWriter.create(path, schema, {
    format: spec.format === 'csv' ? 'csv' : 'json', compression: spec.compression === 'gzip' ? 'gzip' : 'none', header: spec.header, delimiter: spec.delimiter,
    array: spec.array === true,
  });
  return {
    write: (b) => w.write(b),
    bufferedRows: 0,
    flushBuffered: async () => {},
    finish: async () => { await w.finish(); },
    abort: () => w.abort(),
  };
}

function copyError(path: string, e: unknown): Error {
  if (e instanceof SpillwayError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined) {
    const reason = code === 'ENOENT' ? `no such directory ${dirname(path)}` : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'ENOSPC' ? 'no space left on device' : code === 'EEXIST' ? 'it already exists' : (e as Error).message;
    return new SpillwayError('io', `cannot COPY to "${path}": ${reason}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
