/**
 * writeParquet: batches → one Parquet file, a row group at a time.
 *
 *   batches ──► pending (< rowGroupSize rows, < maxRowGroupBytes) ──► row group ──► encode
 *     ──► each column chunk flushed to the temp file as soon as it is encoded
 *                                                                         │
 *   end: footer ──► close ──► rename temp → path        error: close + delete temp, rethrow
 *
 * Column chunks are encoded straight from the columns' typed arrays (parquet_encode.ts);
 * the footer is written by hyparquet-writer's thrift serializer.
 * Memory stays bounded by one row group: its buffered batches, one column of it
 * concatenated at a time, one encoded page and one encoded column chunk, flushed to the file
 * before the next column is encoded. Given a reservation, the buffered batches are reserved
 * on it, and a refusal ends the row group at once. A row group ends at rowGroupSize rows or when its buffered
 * batches reach maxRowGroupBytes, whichever comes first; COPY sets the latter from the memory
 * limit (rowGroupBytesFor), so a low limit gives smaller row groups.
 * Nobody ever sees a half-written file at `path`: the data goes to `path.tmp-<random>` first.
 *
 * Types: int32 → INT32, int64 → INT64, float64 → DOUBLE, utf8 → BYTE_ARRAY (UTF8),
 * date32 → INT32 (DATE), timestamp → INT64 TIMESTAMP(MICROS, not adjusted to UTC), bool →
 * BOOLEAN. Non-nullable fields are REQUIRED; nullable ones OPTIONAL. SNAPPY (or GZIP, BROTLI,
 * none), with statistics.
 */
import { randomBytes } from 'node:crypto';
import { open as openFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { compressSync as snappyCompress } from 'snappy';
import type { ColumnChunk, CompressionCodec, RowGroup, SchemaElement } from 'hyparquet';
import { batchBytes, type Batch, type Column } from '../columnar/column.js';
import { concatColumns, sliceBatch } from '../columnar/kernels.js';
import { isNested } from '../common/nested_types.js';
import { nestedFieldPlan, shredNested, type NestedFieldPlan } from './parquet_shred.js';
import { SpillwayError } from '../common/errors.js';
import { decimalParams, isDecimal, sqlTypeName, type Field, type Schema } from '../common/types.js';
import { localPath } from './local_store.js';
import type { MemoryReservation } from '../memory/pool.js';
import { chunkContext, writeColumnChunk, type ChunkContext, type Compressor } from './parquet_encode.js';

export interface WriteParquetOptions {
  /** Rows per row group (default 122880, as DuckDB). */
  rowGroupSize?: number;
  /** Default snappy. */
  compression?: ParquetWriteCodec;
  /** End a row group early when its buffered batches hold this many bytes (default: no bound). */
  maxRowGroupBytes?: number;
  /**
   * Where the buffered batches are reserved (an unspillable reservation of the caller's,
   * which may be shared by several writers): a row group ends early when it is refused.
   */
  reservation?: MemoryReservation;
}

export interface WriteParquetResult {
  path: string;
  rows: number;
  rowGroups: number;
  /** File size in bytes. */
  bytes: number;
}

export const DEFAULT_ROW_GROUP_SIZE = 122_880;

/**
 * The byte bound of a row group under a memory limit (0 = none): 1/16 of it, at least 1 MiB.
 * The writer holds that plus one concatenated column outside the pool.
 */
export function rowGroupBytesFor(memoryLimit: number): number | undefined {
  return memoryLimit > 0 ? Math.max(1 << 20, Math.floor(memoryLimit / 16)) : undefined;
}

function schemaElement(f: Field): SchemaElement {
  const repetition_type = f.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = f.name;
  if (isDecimal(f.type)) {
    // DECIMAL as DuckDB writes it: INT32 up to 9 digits, INT64 up to 18, else 16 bytes big-endian.
    const { precision, scale } = decimalParams(f.type);
    const physical = precision <= 9 ? { type: 'INT32' as const } : precision <= 18 ? { type: 'INT64' as const } : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: 16 };
    return { name, ...physical, converted_type: 'DECIMAL', scale, precision, logical_type: { type: 'DECIMAL', scale, precision }, repetition_type };
  }
  if (isNested(f.type)) throw new Error(`schemaElement: ${f.type} is nested (see nestedFieldPlan)`);
  switch (f.type) {
    case 'int32': return { name, type: 'INT32', repetition_type };
    case 'int64': return { name, type: 'INT64', repetition_type };
    case 'float64': return { name, type: 'DOUBLE', repetition_type };
    case 'bool': return { name, type: 'BOOLEAN', repetition_type };
    case 'utf8': return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
    case 'date32': return { name, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type };
    case 'timestamp':
      // No converted_type: TIMESTAMP_MICROS would mean "adjusted to UTC"; Spillway timestamps have no zone.
      return { name, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' }, repetition_type };
    case 'time': return { name, type: 'INT64', converted_type: 'TIME_MICROS', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' }, repetition_type };
    // Parquet's INTERVAL: months, days, milliseconds as three little-endian uint32 (microseconds below a millisecond are lost).
    case 'interval': return { name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, converted_type: 'INTERVAL', repetition_type };
    case 'blob': return { name, type: 'BYTE_ARRAY', repetition_type };
    case 'null':
      throw new SpillwayError('unsupported', `cannot write column "${f.name}" of type ${sqlTypeName(f.type)} to Parquet: cast it to a concrete type`);
    default: throw new Error(`schemaElement: ${f.type}`);
  }
}

/** A field's schema elements (a nested one's whole group, parquet_shred.ts) and its leaf plan. */
function fieldElements(f: Field): { elements: SchemaElement[]; nested: NestedFieldPlan | null } {
  if (!isNested(f.type)) return { elements: [schemaElement(f)], nested: null };
  let plan: NestedFieldPlan;
  try {
    plan = nestedFieldPlan(f.name, f.type, f.nullable, (name, type, nullable) => schemaElement({ name, type, nullable }));
  } catch (e) {
    if (e instanceof SpillwayError) throw e;
    throw new SpillwayError('unsupported', `cannot write column "${f.name}" of type ${sqlTypeName(f.type)} to Parquet: ${(e as Error).message}`);
  }
  return { elements: plan.elements, nested: plan };
}

/** A NOT NULL field must not receive NULLs (c holds the row group's rows from firstRow on). */
function checkNotNull(f: Field, c: Column, firstRow: number): void {
  if (f.nullable) return;
  if (c.type === 'null' && c.length > 0) throw new SpillwayError('execution', `column "${f.name}" is NOT NULL but a row group has NULLs`);
  const v = c.validity;
  if (v === null) return;
  for (let i = 0; i < c.length; i++) {
    if (v[i] === 0) throw new SpillwayError('execution', `column "${f.name}" is NOT NULL but row ${firstRow + i + 1} of a row group is NULL`);
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/** Codecs the writer compresses with (ZSTD has no compressor on Node 20). */
export type ParquetWriteCodec = 'snappy' | 'gzip' | 'brotli' | 'none';

const CODEC_NAMES: Record<ParquetWriteCodec, CompressionCodec> = {
  snappy: 'SNAPPY', gzip: 'GZIP', brotli: 'BROTLI', none: 'UNCOMPRESSED',
};

const COMPRESSORS: Record<ParquetWriteCodec, Compressor | null> = {
  snappy: (b) => { const out = snappyCompress(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { copyOutputData: true }); return new Uint8Array(out.buffer, out.byteOffset, out.byteLength); },
  gzip: (b) => new Uint8Array(gzipSync(b)),
  brotli: (b) => new Uint8Array(brotliCompressSync(b)),
  none: null,
};

const MAGIC = 0x31524150; // "PAR1"

/**
 * One Parquet file written batch by batch (push): rows gather into row groups of
 * `rowGroupSize`, each encoded and flushed before the next starts. `finish` writes the
 * footer and renames the temporary file to `path`; `abort` removes it.
 */
export class ParquetFileWriter {
  private pending: Batch[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private rows = 0;
  private rowGroups = 0;
  private done = false;
  /** Bytes this writer holds on the reservation (the buffered batches it was granted). */
  private reserved = 0;

  private readonly groups: RowGroup[] = [];

  private constructor(
    readonly path: string, private readonly schema: Schema, private readonly rowGroupSize: number, private readonly maxRowGroupBytes: number,
    private readonly temp: string, private readonly handle: FileHandle, private readonly bytes: ByteWriter,
    private readonly elements: SchemaElement[], private readonly chunks: ChunkContext,
    private readonly fields: { elements: SchemaElement[]; nested: NestedFieldPlan | null }[],
    private readonly reservation: MemoryReservation | undefined,
  ) {}

  static async create(path: string, schema: Schema, opts: WriteParquetOptions = {}): Promise<ParquetFileWriter> {
    const rowGroupSize = Math.max(1, Math.floor(opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE));
    const fields = schema.fields.map(fieldElements);
    const elements: SchemaElement[] = [{ name: 'spillway_schema', num_children: schema.fields.length }, ...fields.flatMap((f) => f.elements)];
    const target = localPath(path);
    const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    let fh: FileHandle;
    try {
      fh = await openFile(temp, 'wx');
    } catch (e) {
      throw writeError(path, e);
    }
    const handle = fh;
    const bytes = new ByteWriter(1 << 16);
    bytes.appendUint32(MAGIC);
    const compression = opts.compression ?? 'snappy';
    const chunks = chunkContext(bytes, CODEC_NAMES[compression], COMPRESSORS[compression]);
    const maxBytes = opts.maxRowGroupBytes !== undefined && opts.maxRowGroupBytes > 0 ? opts.maxRowGroupBytes : Infinity;
    return new ParquetFileWriter(path, schema, rowGroupSize, maxBytes, temp, handle, bytes, elements, chunks, fields, opts.reservation);
  }

  /** Move the encoded bytes to disk (the writer's offset keeps counting file bytes). */
  private async flushBytes(): Promise<void> {
    if (this.bytes.index === 0) return;
    await writeAll(this.handle, new Uint8Array(this.bytes.buffer, 0, this.bytes.index));
    this.bytes.index = 0;
  }

  /** Rows buffered for the next row group. */
  get bufferedRows(): number { return this.pendingRows; }

  async write(b: Batch): Promise<void> {
    try {
      checkBatch(b, this.schema, this.path);
      if (b.length === 0) return;
      const bytes = batchBytes(b);
      this.pending.push(b);
      this.pendingRows += b.length;
      this.pendingBytes += bytes;
      let refused = false;
      if (this.reservation !== undefined) {
        if (this.reservation.tryGrow(bytes)) this.reserved += bytes; else refused = true;
      }
      while (this.pendingRows >= this.rowGroupSize) {
        // The first rowGroupSize rows: whole batches, then a slice (a view) of the one across the end.
        const group: Batch[] = [];
        let rows = 0;
        while (rows < this.rowGroupSize) {
          const next = this.pending.shift()!;
          const want = this.rowGroupSize - rows;
          if (next.length > want) {
            group.push(sliceBatch(next, 0, want));
            this.pending.unshift(sliceBatch(next, want, next.length));
          } else {
            group.push(next);
          }
          rows += Math.min(want, next.length);
        }
        await this.writeGroup(group, rows);
        this.pendingRows -= rows;
        this.pendingBytes = 0;
        for (const p of this.pending) this.pendingBytes += batchBytes(p);
        this.release(this.pendingBytes);
      }
      if (refused || this.pendingBytes >= this.maxRowGroupBytes) await this.writeBuffered();
    } catch (e) {
      throw writeError(this.path, e);
    }
  }

  /** Write what is buffered as a (smaller) row group now, to give its memory back. */
  async flushRowGroup(): Promise<void> {
    try {
      await this.writeBuffered();
    } catch (e) {
      throw writeError(this.path, e);
    }
  }

  private async writeBuffered(): Promise<void> {
    if (this.pendingRows === 0) return;
    const group = this.pending, rows = this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    await this.writeGroup(group, rows);
    this.release(0);
  }

  /** Give back what the reservation holds beyond `keep` bytes. */
  private release(keep: number): void {
    const excess = this.reserved - Math.min(keep, this.reserved);
    if (excess === 0) return;
    this.reservation!.shrink(excess);
    this.reserved -= excess;
  }

  async finish(): Promise<WriteParquetResult> {
    await this.flushRowGroup();
    try {
      writeMetadata(this.bytes, {
        version: 2, created_by: 'spillway', schema: this.elements, row_groups: this.groups,
        num_rows: BigInt(this.rows), metadata_length: 0,
      });
      this.bytes.appendUint32(MAGIC);
      await this.flushBytes();
      const size = this.bytes.offset;
      await this.handle.close();
      await rename(this.temp, localPath(this.path));
      this.done = true;
      return { path: this.path, rows: this.rows, rowGroups: this.rowGroups, bytes: size };
    } catch (e) {
      throw writeError(this.path, e);
    }
  }

  /** Close and delete the temporary file (idempotent; a no-op after finish). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.release(0);
    await this.handle.close().catch(() => undefined);
    await rm(this.temp, { force: true }).catch(() => undefined);
  }

  /** One row group of the batches' rows, concatenated a column at a time (never the whole group at once). */
  private async writeGroup(parts: readonly Batch[], rows: number): Promise<void> {
    const start = this.bytes.offset;
    for (let i = 0, first = 0; i < parts.length; first += parts[i]!.length, i++) {
      this.schema.fields.forEach((f, j) => checkNotNull(f, parts[i]!.columns[j]!, first));
    }
    const columns: ColumnChunk[] = [];
    for (let i = 0; i < this.schema.fields.length; i++) {
      const f = this.schema.fields[i]!;
      const column = parts.length === 1 ? parts[0]!.columns[i]! : concatColumns(f.type, parts.map((p) => p.columns[i]!));
      const plan = this.fields[i]!.nested;
      if (plan !== null) {
        for (const leaf of shredNested(plan, column)) {
          columns.push(writeColumnChunk(this.chunks, leaf.el, leaf.values, leaf));
          await this.flushBytes();
        }
        continue;
      }
      columns.push(writeColumnChunk(this.chunks, this.fields[i]!.elements[0]!, column));
      // one encoded chunk at a time in memory
      await this.flushBytes();
    }
    let uncompressed = 0n;
    for (const c of columns) uncompressed += c.meta_data!.total_uncompressed_size;
    this.groups.push({
      columns, total_byte_size: uncompressed, num_rows: BigInt(rows),
      file_offset: BigInt(start), total_compressed_size: BigInt(this.bytes.offset - start),
    });
    await this.flushBytes();
    this.rows += rows;
    this.rowGroups++;
  }
}

export async function writeParquet(
  path: string,
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  schema: Schema,
  opts: WriteParquetOptions = {},
): Promise<WriteParquetResult> {
  const w = await ParquetFileWriter.create(path, schema, opts);
  try {
    for await (const b of batches) await w.write(b);
    return await w.finish();
  } catch (e) {
    await w.abort();
    throw writeError(path, e);
  }
}

function checkBatch(b: Batch, schema: Schema, path: string): void {
  const fields = schema.fields;
  if (b.columns.length !== fields.length || b.columns.some((c, i) => c.type !== fields[i]!.type && c.type !== 'null')) {
    throw new Error(`batch columns (${b.columns.map((c) => c.type).join(', ')}) do not match the schema of "${path}" (${fields.map((f) => f.type).join(', ')})`);
  }
}

function writeError(path: string, e: unknown): Error {
  if (e instanceof SpillwayError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined) {
    const reason = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'ENOSPC' ? 'no space left on device' : (e as Error).message;
    return new SpillwayError('io', `cannot write Parquet file "${path}": ${reason}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
