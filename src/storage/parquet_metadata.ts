/**
 * Parquet footers → Spillway schemas, row counts and row-group statistics.
 *
 * Only the footer is read (hyparquet's parquetMetadataAsync over a byte-range reader).
 *
 * Type mapping (leaves; LIST, MAP and STRUCT groups and repeated fields become list<…>,
 * map<…,…> and struct<…> of their leaves' types, parquet_nested.ts):
 *   BOOLEAN                               → bool
 *   INT32                                 → int32   (INT_8/16/32, UINT_8/16 too)
 *   INT32 UINT_32                         → int64   (does not fit int32)
 *   INT32 DATE                            → date32
 *   INT64                                 → int64
 *   INT64 TIMESTAMP (MILLIS|MICROS|NANOS) → timestamp (µs; nanos are truncated to µs)
 *   INT96 (legacy Spark/Impala times)     → timestamp (µs)
 *   FLOAT, DOUBLE, FLOAT16                → float64
 *   DECIMAL(p,s) (INT32, INT64, FIXED_LEN_BYTE_ARRAY, BYTE_ARRAY) → decimal(p,s) (exact; a
 *                                            value beyond int64 is an error when read); its
 *                                            statistics are not used
 *   BYTE_ARRAY STRING/UTF8/ENUM/JSON      → utf8
 *   FIXED_LEN_BYTE_ARRAY UUID             → utf8 (canonical text form)
 *   INT32 TIME(MILLIS), INT64 TIME(MICROS|NANOS) → time (µs; nanos truncated; UTC-adjusted or not)
 *   FIXED_LEN_BYTE_ARRAY(12) INTERVAL     → interval (months, days, millis)
 *   BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY without annotation → blob
 *   INT64 UINT_64                         → int64; a value above 2^63 - 1 fails the read,
 *                                            naming the column and the value
 * Everything else (other annotated binary such as geometry or BSON, nested columns with such a leaf) is
 * kept in the schema as a column of type NULL that cannot be read: the file stays readable
 * for queries that do not touch it, and reading it is a SpillwayError('unsupported') naming
 * the file, the column and its Parquet type (unsupportedColumnError).
 *
 * Statistics are decoded into Scalars in Spillway's representation (int64/timestamp as bigint,
 * date32 as a day number, utf8 as string). A bound that cannot be trusted is left undefined.
 */
import { parquetMetadataAsync } from 'hyparquet';
import type { ColumnChunk, FileMetaData, ParquetParsers, SchemaElement, Statistics } from 'hyparquet';
import { SpillwayError } from '../common/errors.js';
import type { DataType, Field, Scalar, Schema } from '../common/types.js';
import { decimalType, MAX_DECIMAL_PRECISION } from '../common/types.js';
import { storeFor, type ReadableObject } from './object_store.js';
import { cacheFooter, cachedFooter, hasCachedFooter } from './footer_cache.js';
import { isNestedElement, nestedShape, schemaTree, type Shape } from './parquet_nested.js';

/** Bounds of one column in one row group; undefined = unknown. */
export interface ColumnStatistics {
  min?: Scalar;
  max?: Scalar;
  nullCount?: number;
}

export interface RowGroupInfo {
  index: number;
  /** Row number of the group's first row within the file. */
  rowStart: number;
  rows: number;
  /** Compressed bytes of the group. */
  bytes: number;
  /** Per schema field (same order as ParquetFileInfo.schema.fields). */
  columns: ColumnStatistics[];
}

export interface ParquetFileInfo {
  path: string;
  /** File size in bytes. */
  bytes: number;
  rows: number;
  schema: Schema;
  rowGroups: RowGroupInfo[];
  /** hyparquet's footer, decoded with SPILLWAY_PARSERS (reused by the scan). */
  metadata: FileMetaData;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/**
 * Value parsers handed to hyparquet for both statistics and data: dates stay day numbers,
 * timestamps become bigint microseconds, strings stay raw UTF-8 bytes (the scan copies them
 * straight into a column's byte buffer; statistics decode them here).
 */
export const SPILLWAY_PARSERS: Partial<ParquetParsers> = {
  dateFromDays: (days: number) => days,
  timestampFromMilliseconds: (millis: bigint) => millis * 1000n,
  timestampFromMicroseconds: (micros: bigint) => micros,
  timestampFromNanoseconds: (nanos: bigint) => floorDiv(nanos, 1000n),
  stringFromBytes: (bytes: Uint8Array) => bytes,
  jsonFromBytes: (bytes: Uint8Array) => bytes,
};

/** `cannot read Parquet file "<path>": <reason>` — one line, naming the file. */
export function parquetReadError(path: string, cause: unknown): SpillwayError {
  if (cause instanceof SpillwayError) return cause;
  return new SpillwayError('io', `cannot read Parquet file "${path}": ${describeCause(cause)}`, { cause });
}

function describeCause(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('footer != PAR1')) return 'not a Parquet file (no PAR1 footer)';
  if (/exceeds available buffer|too short|outside the file|end of file|offset is outside|out of bounds/i.test(msg)) {
    return `file is truncated or corrupt (${firstLine(msg)})`;
  }
  return firstLine(msg);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** Read the footer of an open file; errors name the file. */
export async function readFooter(file: ReadableObject): Promise<FileMetaData> {
  if (file.byteLength < 12) {
    throw new SpillwayError('io', `cannot read Parquet file "${file.path}": file is too short to be Parquet (${file.byteLength} bytes)`);
  }
  try {
    return await parquetMetadataAsync(file, { parsers: SPILLWAY_PARSERS, geoparquet: false });
  } catch (e) {
    throw parquetReadError(file.path, e);
  }
}

/** An open Parquet file with its footer read; the caller closes `file`. */
export interface OpenParquetFile {
  file: ReadableObject;
  metadata: FileMetaData;
  info: ParquetFileInfo;
}

/** Open a Parquet file and read its footer (or reuse it, footer_cache.ts); errors name the file, and nothing stays open. */
export async function openParquetFile(path: string): Promise<OpenParquetFile> {
  let file: ReadableObject;
  try {
    file = await storeFor(path).open(path);
  } catch (e) {
    throw parquetReadError(path, e);
  }
  try {
    const cached = cachedFooter(path, file.version);
    if (cached !== undefined) return { file, metadata: cached.metadata, info: cached.info };
    const metadata = await readFooter(file);
    const info = parquetFileInfo(path, file.byteLength, metadata);
    cacheFooter(path, file.version, { metadata, info });
    return { file, metadata, info };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/**
 * Footer, schema, row count and statistics of one Parquet file. A cached footer is checked
 * with one stat of the file, without opening it; a file never cached is opened at once (no
 * stat, which on S3 would be a second HEAD).
 */
export async function readParquetMetadata(path: string): Promise<ParquetFileInfo> {
  if (hasCachedFooter(path)) {
    const stat = await storeFor(path).stat(path).catch(() => null);
    const cached = stat?.kind === 'file' ? cachedFooter(path, stat.version) : undefined;
    if (cached !== undefined) return cached.info;
  }
  const { file, info } = await openParquetFile(path);
  await file.close();
  return info;
}

/** Build the file info from an already decoded footer. */
export function parquetFileInfo(path: string, bytes: number, metadata: FileMetaData): ParquetFileInfo {
  const columns = topLevelColumns(path, metadata);
  const schema: Schema = { fields: columns.map((c) => c.field) };
  const byName = new Map<string, number>();
  columns.forEach((c, i) => byName.set(c.field.name, i));
  const rowGroups: RowGroupInfo[] = [];
  let rowStart = 0;
  metadata.row_groups.forEach((rg, index) => {
    const rows = Number(rg.num_rows);
    const stats: ColumnStatistics[] = columns.map(() => ({}));
    let chunkBytes = 0;
    for (const chunk of rg.columns) {
      const md = chunk.meta_data;
      if (!md) continue;
      chunkBytes += Number(md.total_compressed_size);
      const i = byName.get(md.path_in_schema[0] ?? '');
      if (i === undefined || md.path_in_schema.length !== 1) continue;
      stats[i] = columnStatistics(chunk, columns[i]!);
    }
    const bytesOfGroup = rg.total_compressed_size !== undefined ? Number(rg.total_compressed_size) : chunkBytes;
    rowGroups.push({ index, rowStart, rows, bytes: bytesOfGroup, columns: stats });
    rowStart += rows;
  });
  return { path, bytes, rows: Number(metadata.num_rows), schema, rowGroups, metadata };
}

interface MappedColumn {
  field: Field;
  element: SchemaElement;
}

/** The file's top-level columns as Spillway fields, or an 'unsupported' error naming file and column. */
function topLevelColumns(path: string, metadata: FileMetaData): MappedColumn[] {
  const elements = metadata.schema;
  const root = elements[0];
  if (!root) throw parquetReadError(path, new Error('the footer has no schema'));
  const out: MappedColumn[] = [];
  let i = 1;
  for (let c = 0; c < (root.num_children ?? 0); c++) {
    const el = elements[i];
    if (!el) throw parquetReadError(path, new Error('the footer schema is truncated'));
    if (isNestedElement(el)) {
      let type: DataType = 'null';
      try { type = nestedColumnShape(path, elements, i).type; } catch (e) { if (!(e instanceof SpillwayError)) throw e; }
      out.push({ field: { name: el.name, type, nullable: el.repetition_type !== 'REQUIRED' || type === 'null' }, element: el });
      i += subtreeSize(elements, i);
      continue;
    }
    const problem = unsupportedColumnError(path, el);
    const type = problem === null ? spillwayType(path, el) : 'null';
    out.push({ field: { name: el.name, type, nullable: problem !== null || el.repetition_type !== 'REQUIRED' }, element: el });
    i += subtreeSize(elements, i);
  }
  return out;
}

/** Schema elements of the column at `i` with all its descendants. */
function subtreeSize(elements: readonly SchemaElement[], i: number): number {
  let size = 1;
  for (let c = 0; c < (elements[i]?.num_children ?? 0); c++) size += subtreeSize(elements, i + size);
  return size;
}

/**
 * Why a top-level column cannot be read (its error, naming file, column and type), or null
 * when it maps to a Spillway type. Such a column is in the schema as NULL and fails only the
 * reads that touch it (parquet_columns.ts).
 */
export function unsupportedColumnError(path: string, el: SchemaElement): SpillwayError | null {
  if (el.num_children !== undefined && el.num_children > 0) {
    return unsupportedColumn(path, el, 'nested (list, map or struct) columns are not supported');
  }
  if (el.repetition_type === 'REPEATED') return unsupportedColumn(path, el, 'repeated columns are not supported');
  try {
    spillwayType(path, el);
    return null;
  } catch (e) {
    if (e instanceof SpillwayError) return e;
    throw e;
  }
}

/**
 * The shape (type and levels, parquet_nested.ts) of the nested top-level column at schema
 * index i; a SpillwayError('unsupported') naming file and column when a leaf has a type
 * Spillway does not read or the groups do not follow the spec.
 */
export function nestedColumnShape(path: string, elements: readonly SchemaElement[], i: number): Shape {
  const top = elements[i]!;
  const leafType = (leaf: SchemaElement): DataType => {
    try {
      return spillwayType(path, leaf);
    } catch (e) {
      if (!(e instanceof SpillwayError)) throw e;
      throw unsupportedColumn(path, top, `its field "${leaf.name}" (${describeElement(leaf)}): ${e.message.slice(e.message.indexOf('): ') + 3)}`);
    }
  };
  try {
    return nestedShape(schemaTree(elements, i).node, leafType);
  } catch (e) {
    if (e instanceof SpillwayError) throw e;
    throw unsupportedColumn(path, top, e instanceof Error ? e.message : String(e));
  }
}

/** INT64 UINT_64: stored as int64 bits; values above 2^63 - 1 are refused on read. */
export function isUnsigned64(el: SchemaElement): boolean {
  return el.type === 'INT64' && (el.converted_type === 'UINT_64' || (el.logical_type?.type === 'INTEGER' && !el.logical_type.isSigned));
}

function unsupportedColumn(path: string, el: SchemaElement, why: string): SpillwayError {
  return new SpillwayError('unsupported', `Parquet file "${path}": column "${el.name}" has an unsupported type (${describeElement(el)}): ${why}`);
}

function describeElement(el: SchemaElement): string {
  const parts: string[] = [el.type ?? 'group'];
  if (el.logical_type) parts.push(el.logical_type.type);
  else if (el.converted_type) parts.push(el.converted_type);
  return parts.join(' ');
}

/** Parquet physical + logical type → Spillway type (see the table atop this file). */
export function spillwayType(path: string, el: SchemaElement): DataType {
  const lt = el.logical_type;
  const ct = el.converted_type;
  const no = (why: string): never => { throw unsupportedColumn(path, el, why); };
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') {
    const precision = lt?.type === 'DECIMAL' ? lt.precision : el.precision ?? 0;
    const scale = lt?.type === 'DECIMAL' ? lt.scale : el.scale ?? 0;
    if (!(precision >= 1 && precision <= MAX_DECIMAL_PRECISION && scale >= 0 && scale <= precision)) return no(`DECIMAL(${precision},${scale}) is beyond DECIMAL(38)`);
    return decimalType(precision, scale);
  }
  switch (el.type) {
    case 'BOOLEAN': return 'bool';
    case 'INT32':
      if (ct === 'DATE' || lt?.type === 'DATE') return 'date32';
      if (ct === 'TIME_MILLIS' || lt?.type === 'TIME') return 'time';
      if (ct === 'UINT_32' || (lt?.type === 'INTEGER' && !lt.isSigned && lt.bitWidth === 32)) return 'int64';
      return 'int32';
    case 'INT64':
      if (lt?.type === 'TIMESTAMP' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS') return 'timestamp';
      if (ct === 'TIME_MICROS' || lt?.type === 'TIME') return 'time';
      return 'int64';
    case 'INT96': return 'timestamp';
    case 'FLOAT': case 'DOUBLE': return 'float64';
    case 'BYTE_ARRAY':
      if (ct === 'UTF8' || ct === 'ENUM' || ct === 'JSON' || lt?.type === 'STRING' || lt?.type === 'ENUM' || lt?.type === 'JSON') return 'utf8';
      if (lt === undefined && ct === undefined) return 'blob';
      return no(`${lt?.type ?? ct} is not read`);
    case 'FIXED_LEN_BYTE_ARRAY':
      if (lt?.type === 'UUID') return 'utf8';
      if (lt?.type === 'FLOAT16') return 'float64';
      if (ct === 'INTERVAL' || lt?.type === 'INTERVAL') {
        if (el.type_length !== 12) return no(`INTERVAL of ${el.type_length ?? '?'} bytes (12 expected)`);
        return 'interval';
      }
      if (lt === undefined && ct === undefined) return 'blob';
      return no(`${lt?.type ?? ct} is not read`);
    default:
      return no('unknown physical type');
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One bound as a Spillway scalar of `type`, or undefined when it cannot be trusted. */
function statScalar(v: unknown, type: DataType): Scalar | undefined {
  if (v === undefined || v === null) return undefined;
  switch (type) {
    case 'utf8':
      if (typeof v === 'string') return v;
      if (v instanceof Uint8Array) {
        try { return strictUtf8.decode(v); } catch { return undefined; }
      }
      return undefined;
    case 'int32': case 'date32':
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'int64': case 'timestamp':
      if (typeof v === 'bigint') return v;
      return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
    case 'float64':
      if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
      return typeof v === 'bigint' ? Number(v) : undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    default:
      return undefined;
  }
}

function columnStatistics(chunk: ColumnChunk, col: MappedColumn): ColumnStatistics {
  const s: Statistics | undefined = chunk.meta_data?.statistics;
  if (!s) return {};
  const el = col.element;
  const out: ColumnStatistics = {};
  if (s.null_count !== undefined) out.nullCount = Number(s.null_count);
  // INT96 has no defined sort order: its bounds are meaningless.
  if (el.type === 'INT96') return out;
  // The deprecated min/max used signed comparisons: wrong for byte arrays and unsigned ints.
  const legacyOk = el.type !== 'BYTE_ARRAY' && el.type !== 'FIXED_LEN_BYTE_ARRAY'
    && !(el.converted_type?.startsWith('UINT_') ?? false)
    && !(el.logical_type?.type === 'INTEGER' && !el.logical_type.isSigned);
  const min = s.min_value ?? (legacyOk ? s.min : undefined);
  const max = s.max_value ?? (legacyOk ? s.max : undefined);
  const type = col.field.type;
  const lo = statScalar(min, type);
  const hi = statScalar(max, type);
  // UINT_64 bounds above 2^63 - 1 do not fit: such a chunk has no usable bounds.
  if (isUnsigned64(el) && (typeof lo !== 'bigint' || typeof hi !== 'bigint' || lo < 0n || hi < 0n || hi > 9223372036854775807n)) return out;
  // Keep bounds only in pairs: one side alone is rarely useful and easy to misuse.
  if (lo !== undefined && hi !== undefined) { out.min = lo; out.max = hi; }
  return out;
}
