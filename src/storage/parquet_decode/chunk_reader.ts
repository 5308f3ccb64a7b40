/**
 * One column chunk read page by page and decoded a slice of rows at a time, so a scan holds
 * a bounded amount of it whatever the size of the row group:
 *
 *   chunk bytes ──window reads──▶ page ──decompress──▶ levels + values of the page
 *                                                         │ read(n): the next n rows
 *                                                         ▼
 *                                             PhysicalChunk of n rows (physical.ts)
 *
 * Held at any time: one window of compressed bytes (at least the current page), the current
 * page decompressed, its definition levels (one byte per row) and, for encodings that cannot
 * be cut at any row (dictionary indices, DELTA_*, BYTE_STREAM_SPLIT, booleans), the page's
 * values pre-decoded densely; plus the chunk's dictionary page. `heldBytes` says how much.
 * A slice never copies a page whole: it takes its rows from the current page and moves on.
 *
 * The values go through the same writers as the whole-chunk decoder (chunk.ts): FixedOut,
 * VarOut, decodeHybrid; slices of dictionary pages are typed gathers of the page's indices.
 */
import { parquetHeader } from 'hyparquet/src/column.js';
import type { PageHeader } from 'hyparquet';
import { decompress, type Codec } from './codecs.js';
import { deltaInt32, deltaInt64 } from './delta.js';
import { FixedOut, fixedDict, unsplitByteStream, type FixedDict } from './fixed_values.js';
import { physicalWidth, type PhysicalChunk, type PhysicalType } from './physical.js';
import { decodeHybrid, readUleb, unpackBits, viewOf } from './rle.js';
import { VarOut, varDict, varValues, type VarDict } from './var_values.js';

export interface ChunkLayout {
  physical: PhysicalType;
  /** FIXED_LEN_BYTE_ARRAY width. */
  typeLength?: number;
  /** OPTIONAL (max definition level 1) rather than REQUIRED. */
  optional: boolean;
  codec: Codec;
  /** Rows of the row group. */
  rows: number;
  /** Uncompressed size of the chunk (sizes string buffers up front). */
  uncompressedBytes: number;
  /**
   * BYTE_ARRAY only: return a dictionary-encoded chunk as its dictionary and per-row indices
   * (a 'dict' chunk) instead of gathering the values, as long as every data page is
   * dictionary-encoded (a writer may fall back to PLAIN mid-chunk; then it is gathered).
   */
  keepDictionary?: boolean;
  /**
   * A leaf of a nested column (parquet_nested.ts): its maximum repetition and definition
   * levels. Then `rows` counts level entries (the chunk's num_values), `optional` is
   * maxDef > 0, a value is valid where its definition level is maxDef, and the reader keeps
   * every entry's levels (ColumnChunkReader.levels) for assembly.
   */
  nested?: { maxRep: number; maxDef: number };
}

/** Bytes [start, end) of the file holding the chunk, as a fresh buffer. */
export type ByteFetch = (start: number, end: number) => Promise<ArrayBuffer>;

/**
 * A data page being read: where its rows and values stand and how its values are laid out.
 *   plain-fixed  values at page[pos…], `width` bytes each       plain-var  PLAIN strings from pos on
 *   dict         the indices, decoded as slices ask for them    dense-*    the page's values pre-decoded
 */
type PageValues =
  | { kind: 'plain-fixed'; page: Uint8Array; pos: number }
  | { kind: 'plain-var'; page: Uint8Array; pos: number; end: number }
  | { kind: 'dict'; indices: HybridCursor }
  | { kind: 'dense-fixed'; values: Uint8Array }
  | { kind: 'dense-var'; values: VarDict }
  | { kind: 'dense-bool'; values: Uint8Array };

interface PageState {
  rows: number;
  /** Rows of the page already handed out. */
  rowsDone: number;
  /** Valid (non-NULL) values of the page already handed out. */
  valuesDone: number;
  /** One byte per row of the page, 1 = valid; null when every row is valid. */
  levels: Uint8Array | null;
  /** Nested leaves: the page's repetition and definition levels, one per entry. */
  reps: Uint8Array | null;
  defs: Uint8Array | null;
  values: PageValues;
  /** Bytes this page holds (decompressed page, levels, pre-decoded values). */
  bytes: number;
}

type Dict = { kind: 'fixed'; dict: FixedDict } | { kind: 'var'; dict: VarDict };

/** Page headers are small; a window this large nearly always holds a whole one. */
const HEADER_PROBE = 16 << 10;

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

export class ColumnChunkReader {
  private readonly width: number;
  /** Compressed bytes [windowStart, windowStart + window.length) of the file. */
  private window = new Uint8Array(0);
  private windowStart: number;
  /** File offset of the next page header. */
  private next: number;
  private dict: Dict | null = null;
  private dictBytes = 0;
  private page: PageState | null = null;
  private rowsRead = 0;
  /** Dictionary indices of one slice. */
  private indices = new Int32Array(0);
  /** The first window, asked for early by prefetch() and not awaited yet. */
  private pending: { from: number; stop: number; bytes: Promise<ArrayBuffer> } | null = null;
  /** Nested leaves: the levels of the entries the last read() returned (null: all 0 / all maxDef). */
  levels: { rep: Uint8Array | null; def: Uint8Array | null } | null = null;

  /**
   * `start`, `end`: the chunk's byte range in the file; `readBytes`: how much to fetch per
   * read at least (a page larger than that is fetched whole).
   */
  constructor(
    private readonly layout: ChunkLayout, private readonly fetch: ByteFetch,
    start: number, private readonly end: number, public readBytes: number,
  ) {
    this.width = physicalWidth(layout.physical, layout.typeLength);
    this.windowStart = start;
    this.next = start;
  }

  /** Bytes held now: the window (or the one being fetched), the current page's buffers and the dictionary. */
  get heldBytes(): number {
    const pending = this.pending === null ? 0 : this.pending.stop - this.pending.from;
    return this.window.byteLength + pending + (this.page?.bytes ?? 0) + this.dictBytes + this.indices.byteLength;
  }

  /**
   * Start fetching the chunk's first window now, so the reads of a row group's columns (and
   * of the next row group, while this one decodes) overlap instead of waiting one by one.
   */
  prefetch(): void {
    if (this.pending !== null || this.window.length > 0 || this.next >= this.end || this.rowsRead > 0) return;
    const from = this.next;
    const stop = Math.min(this.end, from + Math.max(this.readBytes, HEADER_PROBE));
    const bytes = this.fetch(from, stop);
    bytes.catch(() => undefined); // a reader closed before it awaits the bytes leaves no unhandled rejection
    this.pending = { from, stop, bytes };
  }

  /** Rows handed out so far. */
  get rowsDone(): number { return this.rowsRead; }

  /** Drop everything held (the reader is not used again). */
  close(): void {
    this.pending = null;
    this.window = new Uint8Array(0);
    this.page = null;
    this.dict = null;
    this.dictBytes = 0;
  }

  /** The next `n` rows of the chunk. */
  async read(n: number): Promise<PhysicalChunk> {
    const layout = this.layout;
    if (this.rowsRead + n > layout.rows) throw new Error(`asked for rows past the row group's ${layout.rows}`);
    const physical = layout.physical;
    const validity = layout.optional ? new Uint8Array(n) : null;
    // without NULLs every row slot is written: the buffer needs no zeroing
    const fixed = physical !== 'BOOLEAN' && physical !== 'BYTE_ARRAY' ? new FixedOut(n, this.width, validity === null) : null;
    const bools = physical === 'BOOLEAN' ? new Uint8Array(n) : null;
    let varOut: VarOut | null = null;
    const strings = (): VarOut => varOut ??= new VarOut(n, this.stringBytesHint(n));
    // keepDictionary: per-row indices while every page of this slice is dictionary-encoded
    let kept: Int32Array | null = null;
    let gathered = false;
    let nulls = 0;
    const nested = layout.nested;
    const repOut = nested !== undefined && nested.maxRep > 0 ? new Uint8Array(n) : null;
    const defOut = nested !== undefined && nested.maxDef > 0 ? new Uint8Array(n) : null;

    let filled = 0;
    while (filled < n) {
      let page = this.page;
      if (page === null || page.rowsDone === page.rows) {
        this.page = null;
        page = await this.nextDataPage();
      }
      const m = Math.min(n - filled, page.rows - page.rowsDone);
      if (repOut !== null) repOut.set(page.reps!.subarray(page.rowsDone, page.rowsDone + m), filled);
      if (defOut !== null) {
        if (page.defs === null) defOut.fill(nested!.maxDef, filled, filled + m);
        else defOut.set(page.defs.subarray(page.rowsDone, page.rowsDone + m), filled);
      }
      let k = m;
      if (validity !== null) {
        if (page.levels === null) validity.fill(1, filled, filled + m);
        else {
          validity.set(page.levels.subarray(page.rowsDone, page.rowsDone + m), filled);
          k = 0;
          for (let r = filled, stop = filled + m; r < stop; r++) k += validity[r]!;
          nulls += m - k;
        }
      }
      const v = page.values;
      const j = page.valuesDone;
      switch (v.kind) {
        case 'dict': {
          const idx = this.scratch(k);
          v.indices.read(idx, k);
          const dict = this.dict!;
          if (dict.kind === 'fixed') fixed!.gather(dict.dict, idx, k, filled, m, validity);
          else if (layout.keepDictionary === true && !gathered) {
            kept ??= new Int32Array(n);
            keepIndices(dict.dict, idx, kept, filled, m, validity);
          } else strings().gather(dict.dict, idx, filled, m, validity);
          break;
        }
        case 'plain-fixed':
          fixed!.placeDense(v.page.subarray(v.pos + j * this.width), k, filled, m, validity);
          break;
        case 'dense-fixed':
          fixed!.placeDense(v.values.subarray(j * this.width), k, filled, m, validity);
          break;
        case 'plain-var':
        case 'dense-var':
          if (kept !== null) { gatherKept(strings(), this.dict, kept, filled, validity); kept = null; }
          gathered = true;
          if (v.kind === 'plain-var') v.pos = strings().plain(v.page, v.pos, v.end, filled, m, validity);
          else strings().gather(v.values, identity(j, k), filled, m, validity);
          break;
        case 'dense-bool': {
          const out = bools!;
          if (validity === null || k === m) out.set(v.values.subarray(j, j + k), filled);
          else {
            let s = j;
            for (let r = filled, stop = filled + m; r < stop; r++) if (validity[r] !== 0) out[r] = v.values[s++]!;
          }
          break;
        }
      }
      page.rowsDone += m;
      page.valuesDone += k;
      filled += m;
    }
    this.rowsRead += n;
    if (this.page !== null && this.page.rowsDone === this.page.rows) this.page = null;
    this.levels = nested !== undefined ? { rep: repOut, def: defOut } : null;

    const valid = validity !== null && nulls > 0 ? validity : null;
    if (bools !== null) return { kind: 'bool', values: bools, validity: valid };
    if (kept !== null) {
      const d = (this.dict as { kind: 'var'; dict: VarDict }).dict;
      return { kind: 'dict', count: d.count, offsets: d.offsets, data: d.data, indices: kept };
    }
    if (physical === 'BYTE_ARRAY') {
      const { offsets, data } = strings().finish();
      return { kind: 'var', offsets, data, validity: valid };
    }
    return { kind: 'fixed', width: this.width, bytes: fixed!.bytes, validity: valid };
  }

  /**
   * Bytes n rows of strings likely take: the dictionary's mean value length once it is read
   * (the chunk's uncompressed size then counts indices, not strings), else the chunk's
   * uncompressed bytes per row.
   */
  private stringBytesHint(n: number): number {
    const dict = this.dict;
    if (dict !== null && dict.kind === 'var') return Math.ceil((dict.dict.data.length / Math.max(1, dict.dict.count)) * n);
    return Math.ceil((this.layout.uncompressedBytes / Math.max(1, this.layout.rows)) * n);
  }

  private scratch(k: number): Int32Array {
    if (this.indices.length < k) this.indices = new Int32Array(Math.max(k, this.indices.length * 2));
    return this.indices;
  }

  /** Bytes [from, from + len) of the file from the window, reading more when needed. */
  private async bytesAt(from: number, len: number): Promise<Uint8Array> {
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      const fresh = new Uint8Array(await p.bytes);
      if (fresh.length !== p.stop - p.from) throw new Error(`read ${fresh.length} bytes of a column chunk where ${p.stop - p.from} were asked`);
      this.window = fresh;
      this.windowStart = p.from;
    }
    const have = this.windowStart + this.window.length;
    if (from < this.windowStart || from + len > have) {
      // keep nothing before `from`; read at least readBytes, never past the chunk
      const stop = Math.min(this.end, Math.max(from + len, from + this.readBytes));
      if (from + len > this.end) throw new Error('page runs past the end of the column chunk');
      const keepFrom = Math.max(from, this.windowStart);
      const kept = keepFrom < have ? this.window.subarray(keepFrom - this.windowStart) : new Uint8Array(0);
      const readFrom = Math.max(from, have);
      this.window = new Uint8Array(0); // let the old window go before the new one arrives
      const fresh = new Uint8Array(await this.fetch(readFrom, stop));
      if (fresh.length !== stop - readFrom) throw new Error(`read ${fresh.length} bytes of a column chunk where ${stop - readFrom} were asked`);
      if (kept.length === 0 || readFrom === from) this.window = fresh;
      else {
        const joined = new Uint8Array(kept.length + fresh.length);
        joined.set(kept);
        joined.set(fresh, kept.length);
        this.window = joined;
      }
      this.windowStart = keepFrom < have ? keepFrom : readFrom;
      if (this.windowStart > from) throw new Error('column chunk window lost bytes');
    }
    const at = from - this.windowStart;
    return this.window.subarray(at, at + len);
  }

  /** The next page header and its body (compressed), or null at the end of the chunk. */
  private async nextPage(): Promise<{ header: PageHeader; body: Uint8Array } | null> {
    if (this.next >= this.end) return null;
    let probe = Math.min(this.end - this.next, HEADER_PROBE);
    for (;;) {
      const bytes = await this.bytesAt(this.next, probe);
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      let header: PageHeader;
      try {
        header = parquetHeader(reader);
      } catch (e) {
        // a header cut by the end of what was read: read more and parse again
        if (e instanceof RangeError && this.next + probe < this.end) { probe = Math.min(this.end - this.next, probe * 4); continue; }
        throw e;
      }
      const bodyStart = this.next + reader.offset;
      const size = header.compressed_page_size;
      if (!(size >= 0) || bodyStart + size > this.end) throw new Error('page runs past the end of the column chunk');
      const body = await this.bytesAt(bodyStart, size);
      this.next = bodyStart + size;
      // nothing buffered after this page: the window goes once the page is decompressed
      if (this.windowStart + this.window.length === this.next && this.layout.codec !== 'UNCOMPRESSED') this.window = new Uint8Array(0);
      return { header, body };
    }
  }

  /** Load pages until a data page; dictionary pages are decoded and kept, others skipped. */
  private async nextDataPage(): Promise<PageState> {
    for (;;) {
      const p = await this.nextPage();
      if (p === null) throw new Error(`column chunk holds ${this.rowsRead} rows where the row group has ${this.layout.rows}`);
      const page = this.decodePage(p.header, p.body);
      if (page === null) continue;
      if (page.rows === 0) continue;
      this.page = page;
      return page;
    }
  }

  private decodePage(header: PageHeader, body: Uint8Array): PageState | null {
    const codec = this.layout.codec;
    switch (header.type) {
      case 'DICTIONARY_PAGE': {
        const dh = header.dictionary_page_header;
        if (!dh) throw new Error('dictionary page without a dictionary page header');
        const page = decompress(codec, body, header.uncompressed_page_size);
        this.readDictionary(page, dh.num_values);
        return null;
      }
      case 'DATA_PAGE': {
        const dh = header.data_page_header;
        if (!dh) throw new Error('data page without a data page header');
        const page = decompress(codec, body, header.uncompressed_page_size);
        const rows = dh.num_values;
        this.checkRows(rows);
        let p = 0;
        let levels: Uint8Array | null = null;
        let k = rows;
        const nested = this.layout.nested;
        if (nested !== undefined) {
          // repetition then definition levels, each RLE with a 4-byte length
          let reps: Uint8Array | null = null, defs: Uint8Array | null = null;
          if (nested.maxRep > 0) {
            reps = new Uint8Array(rows);
            p = readV1Levels(page, p, dh.repetition_level_encoding, 'repetition', nested.maxRep, reps);
          }
          if (nested.maxDef > 0) {
            defs = new Uint8Array(rows);
            p = readV1Levels(page, p, dh.definition_level_encoding, 'definition', nested.maxDef, defs);
            levels = validFromDefs(defs, nested.maxDef);
            k = countValid(levels);
          }
          const state = this.pageState(dh.encoding, page, p, page.length, k, rows, levels, codec === 'UNCOMPRESSED' ? 0 : page.byteLength);
          return { ...state, reps, defs, bytes: state.bytes + rows * 2 };
        }
        if (this.layout.optional) {
          levels = new Uint8Array(rows);
          if (dh.definition_level_encoding === 'RLE') {
            const len = u32(page, 0);
            if (4 + len > page.length) throw new Error('definition levels run past the end of the page');
            decodeHybrid(page, 4, 4 + len, 1, levels, 0, rows);
            p = 4 + len;
          } else if (dh.definition_level_encoding === 'BIT_PACKED') {
            // deprecated: most significant bit first
            for (let i = 0; i < rows; i++) levels[i] = (page[i >> 3]! >> (7 - (i & 7))) & 1;
            p = Math.ceil(rows / 8);
          } else {
            throw new Error(`unsupported definition level encoding ${dh.definition_level_encoding}`);
          }
          k = countValid(levels);
        }
        return this.pageState(dh.encoding, page, p, page.length, k, rows, levels, codec === 'UNCOMPRESSED' ? 0 : page.byteLength);
      }
      case 'DATA_PAGE_V2': {
        const dh = header.data_page_header_v2;
        if (!dh) throw new Error('data page v2 without its header');
        const nested = this.layout.nested;
        const rows = nested !== undefined ? dh.num_values : dh.num_rows;
        this.checkRows(rows);
        const rl = dh.repetition_levels_byte_length;
        const dl = dh.definition_levels_byte_length;
        if (rl !== 0 && (nested === undefined || nested.maxRep === 0)) throw new Error('repetition levels in a top-level column');
        let levels: Uint8Array | null = null;
        let reps: Uint8Array | null = null, defs: Uint8Array | null = null;
        let k = rows;
        if (nested !== undefined) {
          if (nested.maxRep > 0) { reps = new Uint8Array(rows); decodeHybrid(body, 0, rl, bitWidth(nested.maxRep), reps, 0, rows); }
          if (nested.maxDef > 0) {
            defs = new Uint8Array(rows);
            decodeHybrid(body, rl, rl + dl, bitWidth(nested.maxDef), defs, 0, rows);
            levels = validFromDefs(defs, nested.maxDef);
            k = countValid(levels);
          }
        } else if (this.layout.optional && dl > 0) {
          levels = new Uint8Array(rows);
          decodeHybrid(body, rl, rl + dl, 1, levels, 0, rows);
          k = countValid(levels);
        }
        let values = body.subarray(rl + dl);
        if (dh.is_compressed !== false) values = decompress(codec, values, header.uncompressed_page_size - rl - dl);
        // a view of the window only when nothing is compressed (else the window may be gone)
        const own = codec === 'UNCOMPRESSED' ? 0 : values.byteLength;
        const state = this.pageState(dh.encoding, values, 0, values.length, k, rows, levels, own);
        return nested !== undefined ? { ...state, reps, defs, bytes: state.bytes + rows * 2 } : state;
      }
      default:
        return null; // index pages and unknown page types carry no values
    }
  }

  private checkRows(rows: number): void {
    const ahead = this.rowsRead + (this.page === null ? 0 : this.page.rows - this.page.rowsDone);
    if (ahead + rows > this.layout.rows) throw new Error(`column chunk holds more than the row group's ${this.layout.rows} rows`);
  }

  private readDictionary(page: Uint8Array, count: number): void {
    switch (this.layout.physical) {
      case 'BYTE_ARRAY': {
        const dict = varDict(page, count);
        this.dict = { kind: 'var', dict };
        this.dictBytes = dict.offsets.byteLength + dict.data.buffer.byteLength;
        return;
      }
      case 'BOOLEAN':
        throw new Error('dictionary-encoded BOOLEAN columns are not supported');
      default: {
        const dict = fixedDict(page, count, this.width);
        this.dict = { kind: 'fixed', dict };
        this.dictBytes = dict.bytes.buffer.byteLength;
      }
    }
  }

  /**
   * How the `k` valid values of a page at page[p, end) are read slice by slice; `own`: bytes of
   * the decompressed page (0 when it is a view of the window).
   */
  private pageState(
    encoding: string, page: Uint8Array, p: number, end: number, k: number, rows: number, levels: Uint8Array | null, own: number,
  ): PageState {
    const state = (values: PageValues, extra: number): PageState => ({
      rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values, bytes: own + (levels?.byteLength ?? 0) + extra,
    });
    const physical = this.layout.physical;
    const w = this.width;
    if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      if (this.dict === null) throw new Error('dictionary-encoded page without a dictionary page');
      if (k > 0 && p >= end) throw new Error('dictionary-encoded page without indices');
      return state({ kind: 'dict', indices: new HybridCursor(page, p + 1, end, k > 0 ? page[p]! : 0) }, 0);
    }
    if (physical === 'BOOLEAN') {
      const values = new Uint8Array(k);
      if (encoding === 'PLAIN') {
        if (p + Math.ceil(k / 8) > end) throw new Error('BOOLEAN values run past the end of the page');
        for (let i = 0; i < k; i++) values[i] = (page[p + (i >> 3)]! >> (i & 7)) & 1;
      } else if (encoding === 'RLE') {
        const len = u32(page, p);
        decodeHybrid(page, p + 4, Math.min(end, p + 4 + len), 1, values, 0, k);
      } else {
        throw new Error(`unsupported encoding ${encoding} for BOOLEAN`);
      }
      return { rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values: { kind: 'dense-bool', values }, bytes: (levels?.byteLength ?? 0) + k };
    }
    if (physical === 'BYTE_ARRAY') {
      switch (encoding) {
        case 'PLAIN': return state({ kind: 'plain-var', page, pos: p, end }, 0);
        case 'DELTA_LENGTH_BYTE_ARRAY': case 'DELTA_BYTE_ARRAY': {
          const tmp = new VarOut(k, end - p);
          if (encoding === 'DELTA_LENGTH_BYTE_ARRAY') tmp.deltaLength(page, p, end, k, 0, k, null);
          else tmp.deltaByteArray(page, p, end, k, 0, k, null);
          const { offsets, data } = tmp.finish();
          return { rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values: { kind: 'dense-var', values: varValues(k, offsets, data) }, bytes: (levels?.byteLength ?? 0) + offsets.byteLength + data.buffer.byteLength };
        }
        default: throw new Error(`unsupported encoding ${encoding} for BYTE_ARRAY`);
      }
    }
    switch (encoding) {
      case 'PLAIN':
        if (end - p < k * w) throw new Error(`page holds ${end - p} value bytes, ${k * w} needed`);
        return state({ kind: 'plain-fixed', page, pos: p }, 0);
      case 'BYTE_STREAM_SPLIT': {
        const values = unsplitByteStream(page.subarray(p, end), k, w);
        return { rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values: { kind: 'dense-fixed', values }, bytes: (levels?.byteLength ?? 0) + values.byteLength };
      }
      case 'DELTA_BINARY_PACKED': {
        let values: Uint8Array;
        if (physical === 'INT32') {
          const v = new Int32Array(k);
          deltaInt32(page, p, end, k, v);
          values = new Uint8Array(v.buffer);
        } else if (physical === 'INT64') {
          const v = new BigInt64Array(k);
          deltaInt64(page, p, end, k, v);
          values = new Uint8Array(v.buffer);
        } else {
          throw new Error(`DELTA_BINARY_PACKED is not valid for ${physical}`);
        }
        return { rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values: { kind: 'dense-fixed', values }, bytes: (levels?.byteLength ?? 0) + values.byteLength };
      }
      case 'DELTA_BYTE_ARRAY': {
        // FIXED_LEN_BYTE_ARRAY: decode as byte arrays, then check every value has the width
        const tmp = new VarOut(k, k * w);
        tmp.deltaByteArray(page, p, end, k, 0, k, null);
        const { offsets, data } = tmp.finish();
        for (let j = 0; j < k; j++) {
          if (offsets[j + 1]! - offsets[j]! !== w) throw new Error(`DELTA_BYTE_ARRAY value of a ${w}-byte column has another length`);
        }
        return { rows, rowsDone: 0, valuesDone: 0, levels, reps: null, defs: null, values: { kind: 'dense-fixed', values: data }, bytes: (levels?.byteLength ?? 0) + data.buffer.byteLength };
      }
      default:
        throw new Error(`unsupported encoding ${encoding} for ${physical}`);
    }
  }
}

/**
 * Reads the values of an RLE / bit-packed hybrid run sequence a few at a time (a slice's
 * dictionary indices), so a page's indices are never held decoded all at once. Keeps the run
 * it is in; a bit-packed group cut by a slice is decoded once and its rest kept.
 */
class HybridCursor {
  private runLeft = 0;
  private rle = true;
  private value = 0;
  /** Bit-packed run: byte position of its next group of 8 values. */
  private packedPos = 0;
  private readonly group = new Int32Array(8);
  private groupAt = 8;
  private readonly cursor: { pos: number };
  /** The page as a DataView, for the bit-packed runs' word loads (made once per page, not per run). */
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, pos: number, private readonly end: number, private readonly width: number) {
    if (width > 32) throw new Error(`RLE bit width ${width} is larger than 32`);
    this.cursor = { pos };
    this.view = viewOf(bytes);
  }

  /** The next `count` values into out[0, count). */
  read(out: Int32Array, count: number): void {
    if (this.width === 0) { out.fill(0, 0, count); return; }
    const w = this.width;
    let o = 0;
    while (o < count) {
      if (this.runLeft === 0) this.nextRun(o, count);
      const take = Math.min(this.runLeft, count - o);
      if (this.rle) {
        out.fill(this.value, o, o + take);
      } else {
        let t = 0;
        while (t < take && this.groupAt < 8) out[o + t++] = this.group[this.groupAt++]!;
        const groups = (take - t) >> 3;
        if (groups > 0) {
          if (this.packedPos + groups * w > this.end) throw new Error('bit-packed run runs past the end of the page');
          unpackBits(this.bytes, this.packedPos, w, out, o + t, groups * 8, this.view);
          this.packedPos += groups * w;
          t += groups * 8;
        }
        if (t < take) {
          // a group cut by the slice: decode what the page holds of it, keep the rest
          const have = Math.min(8, Math.floor(((this.end - this.packedPos) * 8) / w));
          if (have < take - t) throw new Error('bit-packed run runs past the end of the page');
          unpackBits(this.bytes, this.packedPos, w, this.group, 0, have, this.view);
          this.packedPos += w;
          this.groupAt = 0;
          while (t < take) out[o + t++] = this.group[this.groupAt++]!;
        }
      }
      this.runLeft -= take;
      o += take;
    }
  }

  private nextRun(done: number, count: number): void {
    const c = this.cursor;
    if (c.pos >= this.end) throw new Error(`RLE data ends after ${done} of ${count} values`);
    const header = readUleb(this.bytes, c);
    if ((header & 1) === 0) {
      this.rle = true;
      this.runLeft = Math.floor(header / 2);
      const byteWidth = (this.width + 7) >> 3;
      let v = 0;
      for (let i = 0; i < byteWidth; i++) v += this.bytes[c.pos + i]! * 2 ** (8 * i);
      this.value = v | 0;
      c.pos += byteWidth;
    } else {
      const groups = Math.floor(header / 2);
      this.rle = false;
      this.runLeft = groups * 8;
      this.packedPos = c.pos;
      this.groupAt = 8;
      c.pos += groups * this.width;
    }
    if (this.runLeft === 0) this.nextRun(done, count);
  }
}

/**
 * A data page v1's RLE levels at page[p…] (a 4-byte length, then the runs) into `out`, one
 * per entry; returns the position after them.
 */
function readV1Levels(page: Uint8Array, p: number, encoding: string, what: string, max: number, out: Uint8Array): number {
  if (encoding !== 'RLE') throw new Error(`unsupported ${what} level encoding ${encoding}`);
  const len = u32(page, p);
  decodeHybrid(page, p + 4, p + 4 + len, bitWidth(max), out, 0, out.length);
  return p + 4 + len;
}

/** Bits needed for levels up to max. */
function bitWidth(max: number): number {
  return 32 - Math.clz32(max);
}

/** 1 where an entry's definition level is the maximum (a value is present), else 0. */
function validFromDefs(defs: Uint8Array, maxDef: number): Uint8Array {
  const out = new Uint8Array(defs.length);
  for (let i = 0; i < defs.length; i++) out[i] = defs[i] === maxDef ? 1 : 0;
  return out;
}

function countValid(levels: Uint8Array): number {
  let k = 0;
  for (let i = 0; i < levels.length; i++) k += levels[i]!;
  return k;
}

/** Indices from, from + 1, …, from + k − 1 (to copy pre-decoded strings through a gather). */
function identity(from: number, k: number): Int32Array {
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = from + i;
  return out;
}

/** Dictionary indices of the valid rows into per-row slots (NULL rows: -1). */
function keepIndices(dict: VarDict, idx: Int32Array, out: Int32Array, rowPos: number, rows: number, validity: Uint8Array | null): void {
  const n = dict.count;
  let j = 0;
  for (let r = rowPos, stop = rowPos + rows; r < stop; r++) {
    if (validity !== null && validity[r] === 0) { out[r] = -1; continue; }
    const d = idx[j++]!;
    if (d >>> 0 >= n) throw new Error(`dictionary index ${d} is out of range (the dictionary has ${n} entries)`);
    out[r] = d;
  }
}

/** A page that is not dictionary-encoded follows kept indices: gather rows [0, rows) of the slice. */
function gatherKept(out: VarOut, dict: Dict | null, kept: Int32Array, rows: number, validity: Uint8Array | null): void {
  if (dict === null || dict.kind !== 'var') throw new Error('kept dictionary indices without a BYTE_ARRAY dictionary');
  const dense = new Int32Array(rows);
  let k = 0;
  for (let r = 0; r < rows; r++) if (kept[r]! >= 0) dense[k++] = kept[r]!;
  out.gather(dict.dict, dense, 0, rows, validity);
}
