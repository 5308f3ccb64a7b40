/**
 * Column chunks of a Parquet row group → Spillway Columns.
 *
 * hyparquet decodes only the footer (parquet_metadata.ts); the data path is ours: each
 * column chunk's byte range is read through the ObjectStore in windows, its pages are decoded
 * page by page straight into typed arrays (parquet_decode/chunk_reader.ts) and converted once
 * into the column type the schema mapping chose (parquet_decode/convert.ts).
 *
 *   RowGroupReader         slices of rows (what the scan uses): what is held is bounded by
 *                          the pages, not by the row group
 *   readRowGroupColumns    a whole row group at once, through the same reader
 */
import type { ColumnChunk, FileMetaData, SchemaElement } from 'hyparquet';
import { columnBytes, emptyColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import type { ReadableObject } from './object_store.js';
import { ColumnChunkReader, type ChunkLayout } from './parquet_decode/chunk_reader.js';
import type { Codec } from './parquet_decode/codecs.js';
import { toColumn } from './parquet_decode/convert.js';
import type { PhysicalChunk, PhysicalType } from './parquet_decode/physical.js';
import { isUnsigned64, nestedColumnShape, unsupportedColumnError } from './parquet_metadata.js';
import { assembleNested, isNestedElement, schemaTree, shapeLeaves, type LeafStream, type Shape } from './parquet_nested.js';
import { sliceColumn } from '../columnar/kernels.js';

/** What to read of one column: its top-level name in the file and the Spillway type it maps to. */
export interface ColumnRequest {
  name: string;
  type: DataType;
  /** readRowGroupColumnsEncoded: a utf8 chunk whose pages are all dictionary-encoded stays so. */
  keepDictionary?: boolean;
}

/**
 * A utf8 column chunk kept dictionary-encoded: `dictionary` holds its distinct values and
 * `indices` one position in it per row (-1 = NULL), so `take(dictionary, indices)` is the
 * column. Lets a scan evaluate a predicate once per distinct value.
 */
export interface DictionaryColumn {
  kind: 'dictionary';
  dictionary: Column;
  indices: Int32Array;
}

/**
 * The top-level schema element named `name`; a column of a type Spillway does not read
 * (parquet_metadata.ts) fails here, naming the column and its type.
 */
function schemaElement(file: ReadableObject, metadata: FileMetaData, name: string): SchemaElement {
  const el = topLevelElement(metadata, name);
  if (!el) throw new Error(`column "${name}" is not in the file schema`);
  const problem = unsupportedColumnError(file.path, el);
  if (problem !== null) throw problem;
  return el;
}

/** Schema index of the top-level column named `name`, or -1. */
function topLevelIndex(metadata: FileMetaData, name: string): number {
  const elements = metadata.schema;
  let i = 1;
  for (let c = 0; c < (elements[0]?.num_children ?? 0) && i < elements.length; c++) {
    if (elements[i]!.name === name) return i;
    i = schemaTree(elements, i).next;
  }
  return -1;
}

function topLevelElement(metadata: FileMetaData, name: string): SchemaElement | undefined {
  const elements = metadata.schema;
  let i = 1;
  for (let c = 0; c < (elements[0]?.num_children ?? 0) && i < elements.length; c++) {
    if (elements[i]!.name === name) return elements[i];
    // skip the column's descendants
    let pending = elements[i]!.num_children ?? 0;
    i++;
    while (pending > 0 && i < elements.length) { pending += (elements[i]!.num_children ?? 0) - 1; i++; }
  }
  return undefined;
}

/** A UINT_64 value above 2^63 - 1 wraps negative in int64 bits: refuse it, naming it. */
function checkUnsigned64(column: Column, path: string, name: string): void {
  if (column.type !== 'int64') return;
  const v = column.values;
  for (let i = 0; i < column.length; i++) {
    if (v[i]! < 0n && (column.validity === null || column.validity[i] === 1)) {
      throw new SpillwayError('execution', `Parquet file "${path}": column "${name}": UINT64 value ${BigInt.asUintN(64, v[i]!)} is out of range for BIGINT (at most 9223372036854775807)`);
    }
  }
}

function columnChunk(metadata: FileMetaData, rowGroup: number, name: string): ColumnChunk {
  const rg = metadata.row_groups[rowGroup];
  if (!rg) throw new Error(`row group ${rowGroup} does not exist`);
  const chunk = rg.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === name);
  if (!chunk?.meta_data) throw new Error(`row group ${rowGroup} has no column chunk for "${name}"`);
  if (chunk.file_path) throw new Error(`column "${name}" is stored in another file ("${chunk.file_path}"), which is not supported`);
  return chunk;
}

/** Byte range [start, end) of a column chunk: its dictionary page (if any) through its last page. */
function chunkRange(chunk: ColumnChunk): [number, number] {
  const md = chunk.meta_data!;
  const data = Number(md.data_page_offset);
  const dict = md.dictionary_page_offset !== undefined ? Number(md.dictionary_page_offset) : undefined;
  // some writers store 0 or an offset past the data pages for "no dictionary"
  const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
  return [start, start + Number(md.total_compressed_size)];
}

function chunkLayout(el: SchemaElement, chunk: ColumnChunk, type: DataType, rows: number, keepDictionary: boolean): ChunkLayout {
  const md = chunk.meta_data!;
  const physical = (el.type ?? md.type) as PhysicalType;
  return {
    physical,
    typeLength: el.type_length,
    optional: el.repetition_type !== 'REQUIRED',
    codec: md.codec as Codec,
    rows,
    uncompressedBytes: Number(md.total_uncompressed_size),
    keepDictionary: keepDictionary && type === 'utf8' && physical === 'BYTE_ARRAY',
  };
}

function asColumn(phys: PhysicalChunk, el: SchemaElement, type: DataType, rows: number): Column | DictionaryColumn {
  if (phys.kind === 'dict') {
    const dictionary: Column = { type: 'utf8', length: phys.count, validity: null, offsets: phys.offsets, data: phys.data };
    return { kind: 'dictionary', dictionary, indices: phys.indices };
  }
  return toColumn(phys, el, type, rows);
}

/**
 * Read and decode the requested columns of one row group whole, in order (a column named
 * twice is decoded once and shared): the scan's RowGroupReader, fetching each chunk in one
 * read and decoding all its rows at once.
 */
export async function readRowGroupColumns(
  file: ReadableObject, metadata: FileMetaData, rowGroup: number, rows: number, columns: readonly ColumnRequest[],
): Promise<Column[]> {
  const reader = new RowGroupReader(file, metadata, rowGroup, rows, columns, false, Number.MAX_SAFE_INTEGER);
  try {
    if (rows === 0) return columns.map((c) => emptyColumn(c.type));
    return await reader.read(rows) as Column[];
  } finally {
    reader.close();
  }
}

/**
 * The requested columns of one row group, read a slice of rows at a time: `read(n)` gives the
 * next n rows of every column (in request order; a column named twice is decoded once and
 * shared). Requests marked keepDictionary may come back as DictionaryColumns when `encoded`.
 * `heldBytes` is what the readers hold between slices (windows of compressed bytes, the
 * current page of each column, dictionaries); `readBytes` how much each column fetches at
 * least per read (smaller: more reads, less held).
 */
export class RowGroupReader {
  private readonly readers: { name: string; el: SchemaElement; type: DataType; reader: ColumnChunkReader | NestedColumnReader }[];
  private done = 0;
  /** The file's path (for errors). */
  readonly path: string;

  constructor(
    file: ReadableObject, metadata: FileMetaData, private readonly rowGroup: number, readonly rows: number,
    private readonly columns: readonly ColumnRequest[], encoded: boolean, readBytes: number,
  ) {
    this.path = file.path;
    const unique: ColumnRequest[] = [];
    for (const c of columns) if (!unique.some((u) => u.name === c.name)) unique.push(c);
    this.readers = unique.map((c) => {
      const at = topLevelIndex(metadata, c.name);
      if (at >= 0 && isNestedElement(metadata.schema[at]!)) {
        const shape = nestedColumnShape(file.path, metadata.schema, at); // an unsupported leaf fails here, by name
        return { name: c.name, el: metadata.schema[at]!, type: c.type, reader: new NestedColumnReader(file, metadata, rowGroup, rows, shape, readBytes) };
      }
      const el = schemaElement(file, metadata, c.name); // an unsupported type fails here, by name
      const chunk = columnChunk(metadata, rowGroup, c.name);
      const [start, end] = chunkRange(chunk);
      const layout = chunkLayout(el, chunk, c.type, rows, encoded && c.keepDictionary === true);
      return { name: c.name, el, type: c.type, reader: new ColumnChunkReader(layout, (s, e) => file.slice(s, e), start, end, readBytes) };
    });
  }

  /** Rows not read yet. */
  get left(): number { return this.rows - this.done; }

  get heldBytes(): number {
    let n = 0;
    for (const r of this.readers) n += r.reader.heldBytes;
    return n;
  }

  /** Start fetching every column's first window (all at once, not one column after another). */
  prefetch(): void {
    for (const r of this.readers) r.reader.prefetch();
  }

  /** Fetch at least this many bytes per read from now on. */
  setReadBytes(bytes: number): void {
    for (const r of this.readers) r.reader.readBytes = bytes;
  }

  async read(n: number): Promise<(Column | DictionaryColumn)[]> {
    if (n <= 0 || n > this.left) throw new Error(`cannot read ${n} rows of a row group with ${this.left} left`);
    if (this.done === 0) this.prefetch();
    const decoded = new Map<string, Column | DictionaryColumn>();
    for (const r of this.readers) {
      try {
        if (r.reader instanceof NestedColumnReader) { decoded.set(r.name, await r.reader.read(n)); continue; }
        const column = asColumn(await r.reader.read(n), r.el, r.type, n);
        if (isUnsigned64(r.el) && !('kind' in column)) checkUnsigned64(column, this.path, r.name);
        decoded.set(r.name, column);
      } catch (e) {
        if (e instanceof SpillwayError) throw e; // the store's own error (S3 unreachable, …) says it all
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`column "${r.name}", row group ${this.rowGroup}: ${msg}`, { cause: e });
      }
    }
    this.done += n;
    return this.columns.map((c) => decoded.get(c.name)!);
  }

  close(): void {
    for (const r of this.readers) r.reader.close();
  }
}

/**
 * A nested column of one row group: every leaf chunk is decoded page by page into its entries'
 * levels and values, the column is assembled once (parquet_nested.ts) on the first read, and
 * each read(n) hands out the next n rows of it. Holds the row group's column whole (nested
 * rows cannot be cut before their levels are read).
 */
class NestedColumnReader {
  private readonly leaves: { el: SchemaElement; type: DataType; entries: number; reader: ColumnChunkReader }[];
  private column: Column | null = null;
  private done = 0;

  constructor(file: ReadableObject, metadata: FileMetaData, rowGroup: number, private readonly rows: number, private readonly shape: Shape, readBytes: number) {
    const rg = metadata.row_groups[rowGroup];
    if (!rg) throw new Error(`row group ${rowGroup} does not exist`);
    this.leaves = shapeLeaves(shape).map((leaf) => {
      const chunk = rg.columns.find((c) => c.meta_data !== undefined && c.meta_data.path_in_schema.join('\u0000') === leaf.path.join('\u0000'));
      if (!chunk?.meta_data) throw new Error(`row group ${rowGroup} has no column chunk for "${leaf.path.join('.')}"`);
      if (chunk.file_path) throw new Error(`column "${leaf.path.join('.')}" is stored in another file ("${chunk.file_path}"), which is not supported`);
      const md = chunk.meta_data;
      const entries = Number(md.num_values);
      const [start, end] = chunkRange(chunk);
      const layout: ChunkLayout = {
        physical: (leaf.el.type ?? md.type) as PhysicalType,
        typeLength: leaf.el.type_length,
        optional: leaf.maxDef > 0,
        codec: md.codec as Codec,
        rows: entries,
        uncompressedBytes: Number(md.total_uncompressed_size),
        nested: { maxRep: leaf.maxRep, maxDef: leaf.maxDef },
      };
      return { el: leaf.el, type: leaf.type, entries, reader: new ColumnChunkReader(layout, (s, e) => file.slice(s, e), start, end, readBytes) };
    });
  }

  /** Start fetching every leaf's first window. */
  prefetch(): void {
    for (const l of this.leaves) l.reader.prefetch();
  }

  get heldBytes(): number {
    let n = 0;
    for (const l of this.leaves) n += l.reader.heldBytes;
    return n + (this.column === null ? 0 : columnBytes(this.column));
  }

  set readBytes(bytes: number) {
    for (const l of this.leaves) l.reader.readBytes = bytes;
  }

  async read(n: number): Promise<Column> {
    if (this.column === null) {
      const streams: LeafStream[] = [];
      for (const l of this.leaves) {
        if (l.entries === 0) { streams.push({ rep: null, def: null, values: emptyColumn(l.type) }); continue; }
        const phys = await l.reader.read(l.entries);
        const values = toColumn(phys as Exclude<PhysicalChunk, { kind: 'dict' }>, l.el, l.type, l.entries);
        const levels = l.reader.levels!;
        streams.push({ rep: levels.rep, def: levels.def, values });
        l.reader.close();
      }
      this.column = assembleNested(this.shape, streams, this.rows);
    }
    const out = sliceColumn(this.column, this.done, this.done + n);
    this.done += n;
    return out;
  }

  close(): void {
    for (const l of this.leaves) l.reader.close();
    this.column = null;
  }
}
