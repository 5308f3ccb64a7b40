/**
 * The reference decoder of the Parquet tests: one column chunk's bytes → its physical
 * values, one slot per row (src/storage/parquet_decode/physical.ts), all at once. The scans
 * use ColumnChunkReader (chunk_reader.ts), which decodes a slice of rows at a time; the
 * tests check it against this simpler whole-chunk walk.
 *
 * Walks the pages (hyparquet parses the thrift page headers), decompresses each, decodes
 * definition levels straight into validity bytes (1 = valid) and the values, whatever the
 * encoding, into the row slots of one preallocated output:
 *   PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY (indices into an Int32Array, then a typed gather),
 *   RLE (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 *   BYTE_STREAM_SPLIT; data pages v1 and v2. Top-level (flat) columns only: max repetition
 *   level 0, max definition level 0 (REQUIRED) or 1 (OPTIONAL).
 */
import { parquetHeader } from 'hyparquet/src/column.js';
import type { PageHeader } from 'hyparquet';
import { decompress } from '../../src/storage/parquet_decode/codecs.js';
import type { ChunkLayout } from '../../src/storage/parquet_decode/chunk_reader.js';
import { deltaInt32, deltaInt64 } from '../../src/storage/parquet_decode/delta.js';
import { FixedOut, fixedDict, unsplitByteStream, type FixedDict } from '../../src/storage/parquet_decode/fixed_values.js';
import { physicalWidth, type PhysicalChunk } from '../../src/storage/parquet_decode/physical.js';
import { decodeHybrid } from '../../src/storage/parquet_decode/rle.js';
import { VarOut, varDict, type VarDict } from '../../src/storage/parquet_decode/var_values.js';


type Dict = { kind: 'fixed'; dict: FixedDict } | { kind: 'var'; dict: VarDict };

/**
 * A page's dictionary indices, reused by every chunk this thread decodes (decoding is
 * synchronous and the indices never outlive a page): a fresh array per chunk costs page
 * faults on first touch, as much as decoding into it.
 */
let indexScratch = new Int32Array(0);

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

class ChunkDecoder {
  private readonly width: number;
  private readonly fixed: FixedOut | null = null;
  /** BYTE_ARRAY values; created on first use (a chunk kept as a dictionary needs none). */
  private varOut: VarOut | null = null;
  private readonly bools: Uint8Array | null = null;
  private readonly validity: Uint8Array | null;
  private dict: Dict | null = null;

  /** Per-row dictionary indices (-1 = NULL) while every page so far was dictionary-encoded. */
  private rowIndices: Int32Array | null = null;
  /** A page that is not dictionary-encoded was seen: values are gathered into varOut. */
  private gathered = false;
  rowPos = 0;

  constructor(private readonly layout: ChunkLayout) {
    const n = layout.rows;
    this.width = physicalWidth(layout.physical, layout.typeLength);
    if (layout.physical === 'BOOLEAN') this.bools = new Uint8Array(n);
    else if (layout.physical === 'BYTE_ARRAY') { /* varOut on first use */ }
    else this.fixed = new FixedOut(n, this.width);
    this.validity = layout.optional ? new Uint8Array(n) : null;
  }

  private var(): VarOut {
    return this.varOut ??= new VarOut(this.layout.rows, this.layout.uncompressedBytes);
  }

  private indices(k: number): Int32Array {
    if (indexScratch.length < k) indexScratch = new Int32Array(Math.max(k, indexScratch.length * 2));
    return indexScratch;
  }

  page(header: PageHeader, body: Uint8Array): void {
    const codec = this.layout.codec;
    switch (header.type) {
      case 'DICTIONARY_PAGE': {
        const dh = header.dictionary_page_header;
        if (!dh) throw new Error('dictionary page without a dictionary page header');
        this.readDictionary(decompress(codec, body, header.uncompressed_page_size), dh.num_values);
        return;
      }
      case 'DATA_PAGE': {
        const dh = header.data_page_header;
        if (!dh) throw new Error('data page without a data page header');
        const page = decompress(codec, body, header.uncompressed_page_size);
        const rows = dh.num_values;
        this.checkRows(rows);
        let p = 0;
        let k = rows;
        if (this.validity !== null) {
          if (dh.definition_level_encoding === 'RLE') {
            const len = u32(page, 0);
            if (4 + len > page.length) throw new Error('definition levels run past the end of the page');
            decodeHybrid(page, 4, 4 + len, 1, this.validity, this.rowPos, rows);
            p = 4 + len;
          } else if (dh.definition_level_encoding === 'BIT_PACKED') {
            // deprecated: most significant bit first
            for (let i = 0; i < rows; i++) this.validity[this.rowPos + i] = (page[i >> 3]! >> (7 - (i & 7))) & 1;
            p = Math.ceil(rows / 8);
          } else {
            throw new Error(`unsupported definition level encoding ${dh.definition_level_encoding}`);
          }
          k = this.countValid(rows);
        }
        this.values(dh.encoding, page, p, page.length, k, rows);
        this.rowPos += rows;
        return;
      }
      case 'DATA_PAGE_V2': {
        const dh = header.data_page_header_v2;
        if (!dh) throw new Error('data page v2 without its header');
        const rows = dh.num_rows;
        this.checkRows(rows);
        const rl = dh.repetition_levels_byte_length;
        const dl = dh.definition_levels_byte_length;
        if (rl !== 0) throw new Error('repetition levels in a top-level column');
        let k = rows;
        if (this.validity !== null) {
          if (dl > 0) {
            decodeHybrid(body, rl, rl + dl, 1, this.validity, this.rowPos, rows);
            k = this.countValid(rows);
          } else {
            this.validity.fill(1, this.rowPos, this.rowPos + rows);
          }
        }
        let values = body.subarray(rl + dl);
        if (dh.is_compressed !== false) values = decompress(codec, values, header.uncompressed_page_size - rl - dl);
        this.values(dh.encoding, values, 0, values.length, k, rows);
        this.rowPos += rows;
        return;
      }
      default:
        return; // index pages and unknown page types carry no values
    }
  }

  private checkRows(rows: number): void {
    if (this.rowPos + rows > this.layout.rows) {
      throw new Error(`column chunk holds more than the row group's ${this.layout.rows} rows`);
    }
  }

  private countValid(rows: number): number {
    const v = this.validity!;
    let k = 0;
    for (let r = this.rowPos, end = this.rowPos + rows; r < end; r++) k += v[r]!;
    return k;
  }

  private readDictionary(page: Uint8Array, count: number): void {
    switch (this.layout.physical) {
      case 'BYTE_ARRAY':
        this.dict = { kind: 'var', dict: varDict(page, count) };
        return;
      case 'BOOLEAN':
        throw new Error('dictionary-encoded BOOLEAN columns are not supported');
      default:
        this.dict = { kind: 'fixed', dict: fixedDict(page, count, this.width) };
    }
  }

  /** `k` non-NULL values from page[p, end) into rows [rowPos, rowPos + rows). */
  private values(encoding: string, page: Uint8Array, p: number, end: number, k: number, rows: number): void {
    const validity = this.validity;
    const rowPos = this.rowPos;
    if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      const dict = this.dict;
      if (dict === null) throw new Error('dictionary-encoded page without a dictionary page');
      const idx = this.indices(k);
      if (k > 0) decodeHybrid(page, p + 1, end, page[p]!, idx, 0, k);
      if (dict.kind === 'fixed') this.fixed!.gather(dict.dict, idx, k, rowPos, rows, validity);
      else if (this.layout.keepDictionary === true && !this.gathered) this.keepIndices(dict.dict, idx, rowPos, rows, validity);
      else this.var().gather(dict.dict, idx, rowPos, rows, validity);
      return;
    }
    if (this.rowIndices !== null) this.gatherKept();
    this.gathered = true;
    if (this.bools !== null) {
      this.boolValues(encoding, page, p, end, k, rows);
      return;
    }
    if (this.layout.physical === 'BYTE_ARRAY') {
      const out = this.var();
      switch (encoding) {
        case 'PLAIN': out.plain(page, p, end, rowPos, rows, validity); return;
        case 'DELTA_LENGTH_BYTE_ARRAY': out.deltaLength(page, p, end, k, rowPos, rows, validity); return;
        case 'DELTA_BYTE_ARRAY': out.deltaByteArray(page, p, end, k, rowPos, rows, validity); return;
        default: throw new Error(`unsupported encoding ${encoding} for BYTE_ARRAY`);
      }
    }
    const fixed = this.fixed!;
    const w = this.width;
    switch (encoding) {
      case 'PLAIN':
        fixed.placeDense(page.subarray(p, end), k, rowPos, rows, validity);
        return;
      case 'BYTE_STREAM_SPLIT':
        fixed.placeDense(unsplitByteStream(page.subarray(p, end), k, w), k, rowPos, rows, validity);
        return;
      case 'DELTA_BINARY_PACKED': {
        let dense: Uint8Array;
        if (this.layout.physical === 'INT32') {
          const v = new Int32Array(k);
          deltaInt32(page, p, end, k, v);
          dense = new Uint8Array(v.buffer);
        } else if (this.layout.physical === 'INT64') {
          const v = new BigInt64Array(k);
          deltaInt64(page, p, end, k, v);
          dense = new Uint8Array(v.buffer);
        } else {
          throw new Error(`DELTA_BINARY_PACKED is not valid for ${this.layout.physical}`);
        }
        fixed.placeDense(dense, k, rowPos, rows, validity);
        return;
      }
      case 'DELTA_BYTE_ARRAY': {
        // FIXED_LEN_BYTE_ARRAY: decode as byte arrays, then check every value has the width
        const tmp = new VarOut(k, k * w);
        tmp.deltaByteArray(page, p, end, k, 0, k, null);
        const { offsets, data } = tmp.finish();
        for (let j = 0; j < k; j++) {
          if (offsets[j + 1]! - offsets[j]! !== w) throw new Error(`DELTA_BYTE_ARRAY value of a ${w}-byte column has another length`);
        }
        fixed.placeDense(data, k, rowPos, rows, validity);
        return;
      }
      default:
        throw new Error(`unsupported encoding ${encoding} for ${this.layout.physical}`);
    }
  }

  /** Dictionary indices of the valid rows into per-row slots (NULL rows: -1). */
  private keepIndices(dict: VarDict, idx: Int32Array, rowPos: number, rows: number, validity: Uint8Array | null): void {
    this.rowIndices ??= new Int32Array(this.layout.rows);
    const out = this.rowIndices;
    const n = dict.count;
    let j = 0;
    for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
      if (validity !== null && validity[r] === 0) { out[r] = -1; continue; }
      const d = idx[j++]!;
      if (d >>> 0 >= n) throw new Error(`dictionary index ${d} is out of range (the dictionary has ${n} entries)`);
      out[r] = d;
    }
  }

  /** A non-dictionary page follows kept indices: gather the rows decoded so far. */
  private gatherKept(): void {
    const kept = this.rowIndices!;
    const dict = this.dict;
    if (dict === null || dict.kind !== 'var') throw new Error('kept dictionary indices without a BYTE_ARRAY dictionary');
    const dense = new Int32Array(this.rowPos);
    let k = 0;
    for (let r = 0; r < this.rowPos; r++) if (kept[r]! >= 0) dense[k++] = kept[r]!;
    this.var().gather(dict.dict, dense, 0, this.rowPos, this.validity);
    this.rowIndices = null;
  }

  private boolValues(encoding: string, page: Uint8Array, p: number, end: number, k: number, rows: number): void {
    const out = this.bools!;
    const validity = this.validity;
    const rowPos = this.rowPos;
    const all = validity === null || k === rows;
    const dense = all ? out.subarray(rowPos, rowPos + rows) : new Uint8Array(k);
    if (encoding === 'PLAIN') {
      if (p + Math.ceil(k / 8) > end) throw new Error('BOOLEAN values run past the end of the page');
      for (let i = 0; i < k; i++) dense[i] = (page[p + (i >> 3)]! >> (i & 7)) & 1;
    } else if (encoding === 'RLE') {
      const len = u32(page, p);
      decodeHybrid(page, p + 4, Math.min(end, p + 4 + len), 1, dense, 0, k);
    } else {
      throw new Error(`unsupported encoding ${encoding} for BOOLEAN`);
    }
    if (all) return;
    let j = 0;
    for (let r = rowPos, stop = rowPos + rows; r < stop; r++) if (validity[r] !== 0) out[r] = dense[j++]!;
  }

  finish(): PhysicalChunk {
    const n = this.layout.rows;
    if (this.rowPos !== n) throw new Error(`column chunk holds ${this.rowPos} rows where the row group has ${n}`);
    let validity = this.validity;
    if (validity !== null) {
      let nulls = 0;
      for (let i = 0; i < n; i++) nulls += validity[i]! ^ 1;
      if (nulls === 0) validity = null;
    }
    if (this.bools !== null) return { kind: 'bool', values: this.bools, validity };
    if (this.rowIndices !== null) {
      const d = (this.dict as { kind: 'var'; dict: VarDict }).dict;
      return { kind: 'dict', count: d.count, offsets: d.offsets, data: d.data, indices: this.rowIndices };
    }
    if (this.layout.physical === 'BYTE_ARRAY') {
      const { offsets, data } = this.var().finish();
      return { kind: 'var', offsets, data, validity };
    }
    return { kind: 'fixed', width: this.width, bytes: this.fixed!.bytes, validity };
  }
}

/** Decode the pages of one column chunk (bytes from its first page to its end). */
export function decodeColumnChunk(chunk: Uint8Array, layout: ChunkLayout): PhysicalChunk {
  const decoder = new ChunkDecoder(layout);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let pos = 0;
  while (decoder.rowPos < layout.rows) {
    if (pos >= chunk.length) break;
    const reader = { view, offset: pos };
    const header = parquetHeader(reader);
    const start = reader.offset;
    const end = start + header.compressed_page_size;
    if (end > chunk.length) throw new Error('page runs past the end of the column chunk');
    decoder.page(header, chunk.subarray(start, end));
    pos = end;
  }
  return decoder.finish();
}
