/**
 * One Spillway column of a row group → one Parquet column chunk, encoded straight from its
 * typed arrays (no per-value objects):
 *
 *   int32, date32 → INT32; int64, timestamp → INT64; float64 → DOUBLE   PLAIN: the valid
 *                                                  values' bytes, copied once per page
 *   bool → BOOLEAN                                  PLAIN: bit-packed
 *   utf8 → BYTE_ARRAY                               RLE_DICTIONARY when the chunk has few
 *                                                  distinct values (a dictionary page, then
 *                                                  bit-packed indices), else PLAIN
 *   NULLs (OPTIONAL fields)                         definition levels, RLE / bit-packed hybrid
 *
 * Data pages (v1) of about PAGE_BYTES of values each, each compressed on its own; the
 * chunk's statistics are min, max and the NULL count. Page headers and the footer are
 * thrift, written by hyparquet-writer's serializers.
 */
import type { ColumnChunk, CompressionCodec, Encoding, SchemaElement } from 'hyparquet';
import type { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { SpillwayError } from '../common/errors.js';
import { fixedColumn, type Column, type DecimalColumn, type FixedColumn } from '../columnar/column.js';
import { decimalParams, isDecimal } from '../common/types.js';
import { hashColumns, valuesEqual } from '../columnar/hash.js';
import { compareBytes } from '../expr/compare.js';

export type Compressor = (bytes: Uint8Array) => Uint8Array;

/** Values per data page, in bytes before compression (as most writers: about 1 MiB). */
const PAGE_BYTES = 1 << 20;
/** A string chunk is dictionary-encoded while its distinct values stay under these. */
const MAX_DICTIONARY_BYTES = 1 << 20;
const MAX_DICTIONARY_SHARE = 0.5;

/** A growable byte buffer for one page body. */
class PageBuffer {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  reset(): void { this.length = 0; }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(need, this.bytes.length * 2));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  u8(v: number): void { this.ensure(1); this.bytes[this.length++] = v; }

  u32(v: number): void {
    this.ensure(4);
    const b = this.bytes, p = this.length;
    b[p] = v & 255; b[p + 1] = (v >>> 8) & 255; b[p + 2] = (v >>> 16) & 255; b[p + 3] = (v >>> 24) & 255;
    this.length += 4;
  }

  varint(v: number): void {
    while (v >= 0x80) { this.u8((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    this.u8(v);
  }

  append(src: Uint8Array, from: number, to: number): void {
    const len = to - from;
    this.ensure(len);
    if (len < 32) { const b = this.bytes; for (let i = 0; i < len; i++) b[this.length + i] = src[from + i]!; }
    else this.bytes.set(src.subarray(from, to), this.length);
    this.length += len;
  }

  view(): Uint8Array { return this.bytes.subarray(0, this.length); }
}

/** The distinct strings of a chunk and, per valid row, its entry (in row order). */
interface StringDictionary {
  count: number;
  /** Row whose value is entry e (the bytes are read from the column). */
  rowOf: Int32Array;
  /** Entry of each valid row, densely. */
  entries: Int32Array;
  bitWidth: number;
}

type Utf8 = Extract<Column, { type: 'utf8' }>;

export interface ChunkContext {
  out: ByteWriter;
  codec: CompressionCodec;
  compress: Compressor | null;
  page: PageBuffer;
}

export function chunkContext(out: ByteWriter, codec: CompressionCodec, compress: Compressor | null): ChunkContext {
  return { out, codec, compress, page: new PageBuffer() };
}

/** A leaf of a nested column (parquet_shred.ts): its path and each entry's levels. */
export interface LeafLevels {
  path: string[];
  maxRep: number;
  maxDef: number;
  rep: Uint8Array;
  def: Uint8Array;
}

/**
 * Encode column `c` (length = the row group's rows) at the writer's position; a nested leaf
 * (`levels`) has one value slot per entry and is written as one data page with its
 * repetition and definition levels.
 */
export function writeColumnChunk(ctx: ChunkContext, el: SchemaElement, c0: Column, levels?: LeafLevels): ColumnChunk {
  const c = isDecimal(c0.type) ? decimalPhysical(c0 as DecimalColumn) : physicalOf(c0);
  const n = c.length;
  const optional = levels === undefined && el.repetition_type === 'OPTIONAL';
  const valid = c.type === 'null' ? new Uint8Array(n) : c.validity;
  let nulls = 0;
  if (valid !== null) for (let i = 0; i < n; i++) nulls += valid[i] === 0 ? 1 : 0;
  const start = ctx.out.offset;
  let uncompressed = 0;
  const encodings: Encoding[] = [];
  const dict = c.type === 'utf8' ? stringDictionary(c, valid, n - nulls) : null;
  let dictionaryOffset: number | undefined;
  if (dict !== null && c.type === 'utf8') {
    dictionaryOffset = ctx.out.offset;
    const page = ctx.page;
    page.reset();
    for (let e = 0; e < dict.count; e++) {
      const r = dict.rowOf[e]!;
      page.u32(c.offsets[r + 1]! - c.offsets[r]!);
      page.append(c.data, c.offsets[r]!, c.offsets[r + 1]!);
    }
    uncompressed += writePage(ctx, 'DICTIONARY_PAGE', dict.count, 'PLAIN');
    encodings.push('PLAIN', 'RLE_DICTIONARY');
  } else {
    encodings.push('PLAIN');
  }
  if (optional || levels !== undefined) encodings.push('RLE');

  const dataOffset = ctx.out.offset;
  const encoding: Encoding = dict !== null ? 'RLE_DICTIONARY' : 'PLAIN';
  let validSoFar = 0;
  for (const [s, e] of levels !== undefined ? [[0, n] as [number, number]] : pageRanges(c, n)) {
    const page = ctx.page;
    page.reset();
    if (optional) writeLevels(page, valid, s, e);
    if (levels !== undefined) {
      if (levels.maxRep > 0) writeRleLevels(page, levels.rep, levels.maxRep);
      if (levels.maxDef > 0) writeRleLevels(page, levels.def, levels.maxDef);
    }
    const k = valid === null ? e - s : countValid(valid, s, e);
    if (dict !== null) {
      page.u8(dict.bitWidth);
      writeBitPacked(page, dict.entries, validSoFar, validSoFar + k, dict.bitWidth);
    } else {
      writePlainValues(page, c, valid, s, e);
    }
    validSoFar += k;
    uncompressed += writePage(ctx, 'DATA_PAGE', e - s, encoding);
  }

  const stats = statistics(c, valid, dict);
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: el.type!,
      encodings,
      path_in_schema: levels?.path ?? [el.name],
      codec: ctx.codec,
      num_values: BigInt(n),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(ctx.out.offset - start),
      data_page_offset: BigInt(dataOffset),
      ...(dictionaryOffset !== undefined ? { dictionary_page_offset: BigInt(dictionaryOffset) } : {}),
      statistics: { null_count: BigInt(nulls), ...stats },
    },
  };
}

/** Compress the page buffer and write header + body; returns the uncompressed size (header included). */
function writePage(ctx: ChunkContext, type: 'DATA_PAGE' | 'DICTIONARY_PAGE', values: number, encoding: Encoding): number {
  const body = ctx.page.view();
  const stored = ctx.compress === null ? body : ctx.compress(body);
  const before = ctx.out.offset;
  writePageHeader(ctx.out, {
    type,
    uncompressed_page_size: body.length,
    compressed_page_size: stored.length,
    ...(type === 'DATA_PAGE'
      ? { data_page_header: { num_values: values, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } }
      : { dictionary_page_header: { num_values: values, encoding } }),
  });
  const header = ctx.out.offset - before;
  ctx.out.appendBytes(stored);
  return header + body.length;
}

/**
 * A decimal column as the INT32 or INT64 column of its unscaled values (the physical type
 * parquet_writer.ts gives DECIMAL(p ≤ 18)); wider decimals stay (16-byte FIXED_LEN_BYTE_ARRAY).
 */
function decimalPhysical(c: DecimalColumn): Column {
  const { precision } = decimalParams(c.type);
  if (precision > 18) return c;
  const v = c.values, n = c.length;
  if (precision <= 9) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(v[i]!);
    return fixedColumn('int32', out, c.validity);
  }
  if (v instanceof BigInt64Array) return fixedColumn('int64', v, c.validity);
  // Exact doubles to int64 through their 32-bit halves: no BigInt per row.
  const out = new BigInt64Array(n), w = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) { const x = v[i]!, hi = Math.floor(x / 4294967296); w[2 * i] = x - hi * 4294967296; w[2 * i + 1] = hi; }
  return fixedColumn('int64', out, c.validity);
}

/**
 * TIME as the INT64 column of its microseconds and BLOB as a utf8-shaped column of its bytes
 * (the physical types parquet_writer.ts gives them); other columns as they are.
 */
function physicalOf(c: Column): Column {
  if (c.type === 'blob') return { type: 'utf8', length: c.length, validity: c.validity, offsets: c.offsets, data: c.data };
  if (c.type !== 'time') return c;
  const v = c.values, n = c.length;
  const out = new BigInt64Array(n), w = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) { const x = v[i]!, hi = Math.floor(x / 4294967296); w[2 * i] = x - hi * 4294967296; w[2 * i + 1] = hi; }
  return fixedColumn('int64', out, c.validity);
}

/** Row ranges of about PAGE_BYTES of values each. */
function pageRanges(c: Column, n: number): [number, number][] {
  const out: [number, number][] = [];
  if (c.type === 'utf8') {
    let s = 0;
    while (s < n) {
      let e = s + 1;
      const limit = c.offsets[s]! + PAGE_BYTES;
      // at least one row; then rows while their bytes (+ 4-byte lengths) fit
      while (e < n && c.offsets[e + 1]! + 4 * (e + 1 - s) <= limit) e++;
      out.push([s, e]);
      s = e;
    }
    return out;
  }
  const width = c.type === 'int64' || c.type === 'timestamp' || c.type === 'float64' ? 8 : c.type === 'bool' ? 1 / 8
    : isDecimal(c.type) ? 16 : c.type === 'interval' ? 12 : 4;
  const rows = Math.max(1024, Math.floor(PAGE_BYTES / width));
  for (let s = 0; s < n; s += rows) out.push([s, Math.min(n, s + rows)]);
  if (out.length === 0) out.push([0, 0]);
  return out;
}

function countValid(valid: Uint8Array, s: number, e: number): number {
  let k = 0;
  for (let i = s; i < e; i++) k += valid[i]!;
  return k;
}

/** Definition levels of rows [s, e) as a length-prefixed RLE / bit-packed hybrid (bit width 1). */
function writeLevels(page: PageBuffer, valid: Uint8Array | null, s: number, e: number): void {
  const lengthAt = page.length;
  page.u32(0);
  const begin = page.length;
  if (valid === null) {
    if (e > s) { page.varint((e - s) * 2); page.u8(1); }
  } else {
    let i = s;
    let groupsAt = -1, groups = 0; // an open bit-packed run
    const closeGroups = () => {
      if (groupsAt < 0) return;
      page.bytes[groupsAt] = (groups << 1) | 1;
      groupsAt = -1; groups = 0;
    };
    while (i < e) {
      const v = valid[i]!;
      let r = i + 1;
      while (r < e && valid[r] === v) r++;
      if (r - i >= 16 || r === e) {
        closeGroups();
        page.varint((r - i) * 2);
        page.u8(v);
        i = r;
        continue;
      }
      // eight values bit-packed (past e: zero padding, never read)
      if (groupsAt < 0) { page.u8(0); groupsAt = page.length - 1; }
      let byte = 0;
      for (let b = 0; b < 8 && i + b < e; b++) byte |= valid[i + b]! << b;
      page.u8(byte);
      i += 8;
      if (++groups === 63) closeGroups();
    }
    closeGroups();
  }
  const len = page.length - begin;
  const b = page.bytes;
  b[lengthAt] = len & 255; b[lengthAt + 1] = (len >>> 8) & 255; b[lengthAt + 2] = (len >>> 16) & 255; b[lengthAt + 3] = (len >>> 24) & 255;
}

/** Levels (each ≤ max) as a length-prefixed RLE / bit-packed hybrid of RLE runs only. */
function writeRleLevels(page: PageBuffer, levels: Uint8Array, max: number): void {
  const bytes = (32 - Math.clz32(max) + 7) >> 3;
  const lengthAt = page.length;
  page.u32(0);
  const begin = page.length;
  for (let i = 0; i < levels.length;) {
    const v = levels[i]!;
    let r = i + 1;
    while (r < levels.length && levels[r] === v) r++;
    page.varint((r - i) * 2);
    for (let b = 0; b < bytes; b++) page.u8(b === 0 ? v : 0);
    i = r;
  }
  const len = page.length - begin;
  const b = page.bytes;
  b[lengthAt] = len & 255; b[lengthAt + 1] = (len >>> 8) & 255; b[lengthAt + 2] = (len >>> 16) & 255; b[lengthAt + 3] = (len >>> 24) & 255;
}

/** values[s, e) bit-packed at `width` bits, in runs of at most 63 groups of eight. */
function writeBitPacked(page: PageBuffer, values: Int32Array, s: number, e: number, width: number): void {
  for (let run = s; run < e; run += 63 * 8) {
    const end = Math.min(e, run + 63 * 8);
    const groups = Math.ceil((end - run) / 8);
    page.varint((groups << 1) | 1);
    page.ensure(groups * width);
    let acc = 0, bits = 0;
    for (let i = run, stop = run + groups * 8; i < stop; i++) {
      acc += (i < end ? values[i]! : 0) * 2 ** bits;
      bits += width;
      while (bits >= 8) {
        page.bytes[page.length++] = acc % 256;
        acc = Math.floor(acc / 256);
        bits -= 8;
      }
    }
  }
}

/** PLAIN values of the valid rows in [s, e). */
function writePlainValues(page: PageBuffer, c: Column, valid: Uint8Array | null, s: number, e: number): void {
  switch (c.type) {
    case 'null': return;
    case 'utf8': {
      const o = c.offsets;
      page.ensure(o[e]! - o[s]! + 4 * (e - s));
      for (let i = s; i < e; i++) {
        if (valid !== null && valid[i] === 0) continue;
        page.u32(o[i + 1]! - o[i]!);
        page.append(c.data, o[i]!, o[i + 1]!);
      }
      return;
    }
    case 'interval': {
      // FIXED_LEN_BYTE_ARRAY(12): months, days, milliseconds, little-endian.
      page.ensure(12 * (e - s));
      for (let i = s; i < e; i++) {
        if (valid !== null && valid[i] === 0) continue;
        if (c.months[i]! < 0 || c.days[i]! < 0 || c.micros[i]! < 0) {
          throw new SpillwayError('unsupported', 'Parquet cannot hold a negative INTERVAL (its parts are unsigned), as in DuckDB');
        }
        page.u32(c.months[i]! >>> 0);
        page.u32(c.days[i]! >>> 0);
        page.u32(Math.trunc(c.micros[i]! / 1000) >>> 0);
      }
      return;
    }
    case 'bool': {
      let byte = 0, bit = 0;
      for (let i = s; i < e; i++) {
        if (valid !== null && valid[i] === 0) continue;
        byte |= (c.values[i]! & 1) << bit;
        if (++bit === 8) { page.u8(byte); byte = 0; bit = 0; }
      }
      if (bit > 0) page.u8(byte);
      return;
    }
    case 'time': case 'blob': throw new Error(`writePlainValues: ${c.type} is written through physicalOf`);
    default: {
      const values = (c as FixedColumn).values;
      if (isDecimal(c.type)) { writeDecimal16(page, values as Float64Array | BigInt64Array, valid, s, e); return; }
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      const w = values.BYTES_PER_ELEMENT;
      if (valid === null) { page.append(bytes, s * w, e * w); return; }
      let i = s;
      while (i < e) {
        while (i < e && valid[i] === 0) i++;
        let r = i;
        while (r < e && valid[r] === 1) r++;
        if (r > i) page.append(bytes, i * w, r * w);
        i = r;
      }
    }
  }
}

/** 16-byte big-endian two's complement values (FIXED_LEN_BYTE_ARRAY DECIMAL) of the valid rows. */
function writeDecimal16(page: PageBuffer, v: Float64Array | BigInt64Array, valid: Uint8Array | null, s: number, e: number): void {
  const buf = new Uint8Array(16), dv = new DataView(buf.buffer);
  for (let i = s; i < e; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const x = v[i]!;
    const b = typeof x === 'bigint' ? x : BigInt(x);
    dv.setBigInt64(0, b < 0n ? -1n : 0n);
    dv.setBigInt64(8, b);
    page.append(buf, 0, 16);
  }
}

/**
 * The chunk's distinct strings, or null when a dictionary would not pay (more distinct values
 * than MAX_DICTIONARY_SHARE of the valid rows, or more than MAX_DICTIONARY_BYTES of them).
 */
function stringDictionary(c: Utf8, valid: Uint8Array | null, validRows: number): StringDictionary | null {
  const n = c.length;
  if (validRows === 0) return null;
  const maxEntries = Math.min(Math.max(1, Math.floor(validRows * MAX_DICTIONARY_SHARE)), 1 << 20);
  let cap = 16;
  while (cap < 2 * maxEntries) cap *= 2;
  const slots = new Int32Array(cap).fill(-1);
  const rowOf = new Int32Array(maxEntries);
  const entries = new Int32Array(validRows);
  const hashes = hashColumns([c], n);
  const o = c.offsets;
  let count = 0, bytes = 0, k = 0;
  for (let r = 0; r < n; r++) {
    if (valid !== null && valid[r] === 0) continue;
    const h = hashes[r]!;
    let slot = h & (cap - 1);
    let found = -1;
    for (;;) {
      const at = slots[slot]!;
      if (at < 0) break;
      const q = rowOf[at]!;
      if (hashes[q] === h && valuesEqual(c, q, c, r)) { found = at; break; }
      slot = (slot + 1) & (cap - 1);
    }
    if (found < 0) {
      if (count >= maxEntries) return null;
      bytes += o[r + 1]! - o[r]! + 4;
      if (bytes > MAX_DICTIONARY_BYTES) return null;
      found = count++;
      slots[slot] = found;
      rowOf[found] = r;
    }
    entries[k++] = found;
  }
  let bitWidth = 0;
  while ((1 << bitWidth) < count) bitWidth++;
  return { count, rowOf: rowOf.subarray(0, count), entries, bitWidth };
}

type MinMax = { min_value?: number | bigint | boolean | Uint8Array; max_value?: number | bigint | boolean | Uint8Array };

function statistics(c: Column, valid: Uint8Array | null, dict: StringDictionary | null): MinMax {
  const n = c.length;
  switch (c.type) {
    case 'null': return {};
    case 'utf8': {
      let lo = -1, hi = -1;
      const o = c.offsets, d = c.data;
      const consider = (r: number) => {
        if (lo < 0) { lo = r; hi = r; return; }
        if (compareBytes(d, o[r]!, o[r + 1]!, d, o[lo]!, o[lo + 1]!) < 0) lo = r;
        if (compareBytes(d, o[r]!, o[r + 1]!, d, o[hi]!, o[hi + 1]!) > 0) hi = r;
      };
      if (dict !== null) for (let e = 0; e < dict.count; e++) consider(dict.rowOf[e]!);
      else for (let r = 0; r < n; r++) if (valid === null || valid[r] === 1) consider(r);
      if (lo < 0) return {};
      return { min_value: d.slice(o[lo]!, o[lo + 1]!), max_value: d.slice(o[hi]!, o[hi + 1]!) };
    }
    case 'bool': {
      let any0 = false, any1 = false;
      for (let r = 0; r < n; r++) if (valid === null || valid[r] === 1) { if (c.values[r] === 1) any1 = true; else any0 = true; }
      if (!any0 && !any1) return {};
      return { min_value: !any0, max_value: any1 };
    }
    case 'int64': case 'timestamp': {
      // compare as (high signed word, low unsigned word): no BigInt per row
      const w = new Int32Array(c.values.buffer, c.values.byteOffset, 2 * n);
      let lo = -1, hi = -1;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        if (lo < 0) { lo = r; hi = r; continue; }
        const h = w[2 * r + 1]!, l = w[2 * r]! >>> 0;
        const lh = w[2 * lo + 1]!, ll = w[2 * lo]! >>> 0;
        if (h < lh || (h === lh && l < ll)) lo = r;
        const hh = w[2 * hi + 1]!, hl = w[2 * hi]! >>> 0;
        if (h > hh || (h === hh && l > hl)) hi = r;
      }
      return lo < 0 ? {} : { min_value: c.values[lo]!, max_value: c.values[hi]! };
    }
    case 'interval': case 'time': case 'blob': return {}; // intervals have no order in Parquet; time and blob come physical
    default: {
      if (isDecimal(c.type)) return {}; // 16-byte decimals: no statistics
      const v = (c as FixedColumn).values as Float64Array | Int32Array;
      let min = Infinity, max = -Infinity, any = false;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const x = v[r]!;
        if (x !== x) continue; // NaN: not ordered
        any = true;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (!any) return {};
      // -0 and +0 compare equal; Parquet asks writers to store -0 as min and +0 as max.
      return { min_value: min === 0 ? -0 : min, max_value: max === 0 ? 0 : max };
    }
  }
}
