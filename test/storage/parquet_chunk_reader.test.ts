/**
 * The page-by-page chunk reader (storage/parquet_decode/chunk_reader.ts) against the
 * whole-chunk decoder (chunk.ts, itself checked against DuckDB in parquet_decode.test.ts):
 * every column chunk of several files is decoded whole and in slices of many sizes, with
 * windows from one page to the whole chunk, and the rows must be identical. Covers several
 * pages per chunk, pages v1 and v2, NULLs, every encoding the writers below emit, and a
 * dictionary-encoded chunk that falls back to PLAIN pages (kept as a dictionary or gathered).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnChunk, FileMetaData } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkLayout } from '../../src/storage/parquet_decode/chunk_reader.js';
import { decodeColumnChunk } from '../helpers/whole_chunk_decoder.js';
import { ColumnChunkReader } from '../../src/storage/parquet_decode/chunk_reader.js';
import type { Codec } from '../../src/storage/parquet_decode/codecs.js';
import type { PhysicalChunk, PhysicalType } from '../../src/storage/parquet_decode/physical.js';
import { openParquetFile } from '../../src/storage/parquet_metadata.js';

const text = new TextDecoder();

/** Row i of a physical chunk as a comparable value (NULL → null, dictionary entries resolved). */
function rowValue(c: PhysicalChunk, i: number): string | number | null {
  switch (c.kind) {
    case 'fixed': {
      if (c.validity !== null && c.validity[i] === 0) return null;
      let s = '';
      for (let b = i * c.width; b < (i + 1) * c.width; b++) s += String.fromCharCode(c.bytes[b]!);
      return s;
    }
    case 'bool':
      return c.validity !== null && c.validity[i] === 0 ? null : c.values[i]!;
    case 'var':
      return c.validity !== null && c.validity[i] === 0 ? null : text.decode(c.data.subarray(c.offsets[i]!, c.offsets[i + 1]!));
    case 'dict': {
      const d = c.indices[i]!;
      return d < 0 ? null : text.decode(c.data.subarray(c.offsets[d]!, c.offsets[d + 1]!));
    }
  }
}

function rowsOf(c: PhysicalChunk, n: number): (string | number | null)[] {
  return Array.from({ length: n }, (_, i) => rowValue(c, i));
}

/** Slice sizes cycling through `sizes` until `rows` are covered. */
function plan(rows: number, sizes: number[]): number[] {
  const out: number[] = [];
  let left = rows;
  for (let k = 0; left > 0; k++) {
    const n = Math.min(left, sizes[k % sizes.length]!);
    out.push(n);
    left -= n;
  }
  return out;
}

const PLANS = [[1, 2, 3, 250], [7, 333], [1 << 30]];
const WINDOWS = [0, 1 << 20];

/** Decode `bytes` (the chunk, starting at file offset `start`) whole and in every plan; expect equal rows. */
async function expectSlicesEqualWhole(bytes: Uint8Array, layout: ChunkLayout, label: string): Promise<{ kinds: Set<string> }> {
  const whole = rowsOf(decodeColumnChunk(bytes, layout), layout.rows);
  const kinds = new Set<string>();
  const start = 1000; // any file offset: the fetch maps it back
  const fetch = async (s: number, e: number): Promise<ArrayBuffer> => {
    expect(s).toBeGreaterThanOrEqual(start);
    expect(e).toBeLessThanOrEqual(start + bytes.length);
    return bytes.slice(s - start, e - start).buffer;
  };
  for (const sizes of PLANS) {
    for (const window of WINDOWS) {
      const reader = new ColumnChunkReader(layout, fetch, start, start + bytes.length, window);
      const got: (string | number | null)[] = [];
      let held = 0;
      for (const n of plan(layout.rows, sizes)) {
        const c = await reader.read(n);
        kinds.add(c.kind);
        for (const v of rowsOf(c, n)) got.push(v);
        held = Math.max(held, reader.heldBytes);
      }
      // held: the window, one page and the dictionary, never more than the chunk decoded twice
      expect(held).toBeLessThanOrEqual(3 * (bytes.length + layout.uncompressedBytes) + 8 * layout.rows);
      expect(reader.rowsDone).toBe(layout.rows);
      if (got.length !== whole.length || got.some((v, i) => v !== whole[i])) {
        const i = got.findIndex((v, j) => v !== whole[j]);
        throw new Error(`${label}, slices ${sizes.join('/')}, window ${window}: row ${i} is ${String(got[i])}, whole-chunk ${String(whole[i])}`);
      }
      await expect(reader.read(1)).rejects.toThrow(/past the row group/);
    }
  }
  return { kinds };
}

function layoutOf(metadata: FileMetaData, chunk: ColumnChunk, rows: number, keepDictionary: boolean): ChunkLayout {
  const md = chunk.meta_data!;
  const el = metadata.schema.find((e, i) => i > 0 && e.name === md.path_in_schema[0])!;
  const physical = (el.type ?? md.type) as PhysicalType;
  return {
    physical, typeLength: el.type_length, optional: el.repetition_type !== 'REQUIRED', codec: md.codec as Codec, rows,
    uncompressedBytes: Number(md.total_uncompressed_size), keepDictionary: keepDictionary && physical === 'BYTE_ARRAY',
  };
}

function chunkBytes(file: Uint8Array, chunk: ColumnChunk): Uint8Array {
  const md = chunk.meta_data!;
  const data = Number(md.data_page_offset);
  const dict = md.dictionary_page_offset !== undefined ? Number(md.dictionary_page_offset) : undefined;
  const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
  return file.subarray(start, start + Number(md.total_compressed_size));
}

/** Every column chunk of every row group of `path`, sliced, equals its whole decoding. */
async function checkFile(path: string): Promise<{ pagesPerChunk: number; kinds: Set<string> }> {
  const { file, metadata } = await openParquetFile(path);
  await file.close();
  const bytes = new Uint8Array(await readFile(path));
  let pagesPerChunk = 0;
  const kinds = new Set<string>();
  for (const [g, rg] of metadata.row_groups.entries()) {
    for (const chunk of rg.columns) {
      const name = chunk.meta_data!.path_in_schema[0]!;
      const b = chunkBytes(bytes, chunk);
      for (const keep of [false, true]) {
        const layout = layoutOf(metadata, chunk, Number(rg.num_rows), keep);
        if (keep && layout.keepDictionary !== true) continue;
        const r = await expectSlicesEqualWhole(b, layout, `${nodePath.basename(path)} row group ${g} column ${name}${keep ? ' (kept dictionary)' : ''}`);
        for (const k of r.kinds) kinds.add(k);
      }
      pagesPerChunk = Math.max(pagesPerChunk, Number(chunk.meta_data!.total_uncompressed_size) / 1024);
    }
  }
  return { pagesPerChunk, kinds };
}

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-chunk-reader-'));
  db = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await db.connect();
});

afterAll(async () => {
  conn?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('page-by-page decoding equals whole-chunk decoding', () => {
  it('hyparquet-writer: pages v2 of 1 KiB, DELTA_*, BYTE_STREAM_SPLIT, RLE booleans, dictionaries, NULLs', async () => {
    const n = 2400;
    const nullable = <T>(v: T, i: number, m: number): T | null => (i % m === 0 ? null : v);
    const ints = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
    const longs = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 9876543210123n - 5n ** 20n);
    const doubles = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6);
    const strs = Array.from({ length: n }, (_, i) => `prefix/${Math.floor(i / 3)}/${'x'.repeat(i % 40)}`);
    const columns = [
      { name: 'r_i32', data: ints, type: 'INT32' as const, nullable: false },
      { name: 'r_i32_delta', data: ints, type: 'INT32' as const, nullable: false, encoding: 'DELTA_BINARY_PACKED' as const },
      { name: 'o_i64_delta', data: Array.from(longs, (v, i) => nullable(v, i, 3)), type: 'INT64' as const, encoding: 'DELTA_BINARY_PACKED' as const },
      { name: 'o_f64_bss', data: Array.from(doubles, (v, i) => nullable(v, i, 5)), type: 'DOUBLE' as const, encoding: 'BYTE_STREAM_SPLIT' as const },
      { name: 'o_s_dba', data: strs.map((v, i) => nullable(v, i, 6)), type: 'STRING' as const, encoding: 'DELTA_BYTE_ARRAY' as const },
      { name: 'o_s_dlba', data: strs.map((v, i) => nullable(v, i, 7)), type: 'STRING' as const, encoding: 'DELTA_LENGTH_BYTE_ARRAY' as const },
      { name: 'o_s_plain', data: strs.map((v, i) => nullable(v, i, 4)), type: 'STRING' as const, encoding: 'PLAIN' as const },
      { name: 'o_s_dict', data: strs.map((_v, i) => nullable(`k${i % 50}`, i, 8)), type: 'STRING' as const },
      { name: 'r_b', data: Array.from({ length: n }, (_, i) => i % 3 === 0), type: 'BOOLEAN' as const, nullable: false },
      { name: 'o_b_rle', data: Array.from({ length: n }, (_, i) => nullable(i % 5 < 2, i, 9)), type: 'BOOLEAN' as const, encoding: 'RLE' as const },
      { name: 'o_all_null', data: Array.from({ length: n }, () => null), type: 'INT32' as const },
    ];
    const path = nodePath.join(dir, 'hyp.parquet');
    await writeFile(path, new Uint8Array(parquetWriteBuffer({ columnData: columns, codec: 'SNAPPY', rowGroupSize: 1200, pageSize: 1024 })));
    const r = await checkFile(path);
    expect(r.pagesPerChunk).toBeGreaterThan(3);
    expect([...r.kinds].sort()).toEqual(['bool', 'dict', 'fixed', 'var']);
  });

  for (const version of ['v1', 'v2'] as const) {
    it(`DuckDB, format ${version}: dictionaries, PLAIN and NULL runs, several row groups`, async () => {
      const path = nodePath.join(dir, `duck_${version}.parquet`);
      await conn.run(`copy (select
          case when i % 7 = 3 then null else (i * 37 - 100000)::integer end as i32,
          case when i % 5 = 0 then null else (i % 11)::integer end as i32_dict,
          case when i < 300 or i % 3 = 1 then null else i * 1234567891011 - 99 end::bigint as i64,
          case when i % 10 = 4 then null else 'v' || (i % 13) end as s_dict,
          case when i % 12 = 5 then null else md5(i::varchar) || repeat('é', i % 5) end as s_plain,
          case when i % 6 = 0 then null else i % 3 = 0 end as b,
          (i / 3.0)::double as f64
        from range(3000) t(i)) to '${path}' (format parquet, compression snappy, row_group_size 1200, parquet_version ${version})`);
      const r = await checkFile(path);
      expect(r.kinds).toContain('dict');
    });
  }

  it('a dictionary-encoded chunk that falls back to PLAIN pages: kept or gathered, in any slicing', async () => {
    const a = nodePath.join(dir, 'dict.parquet'), b = nodePath.join(dir, 'plain.parquet');
    await conn.run(`copy (select case when r % 5 = 0 then null else ['p', 'q', 'r'][1 + r % 3] end as v from range(300) t(r)) to '${a}' (format parquet, compression uncompressed)`);
    await conn.run(`copy (select case when r % 7 = 0 then null else 'plain-' || r end as v from range(200) t(r)) to '${b}' (format parquet, compression uncompressed)`);
    const chunkOf = async (path: string) => {
      const { file, metadata } = await openParquetFile(path);
      await file.close();
      return chunkBytes(new Uint8Array(await readFile(path)), metadata.row_groups[0]!.columns[0]!);
    };
    const first = await chunkOf(a), second = await chunkOf(b);
    const both = new Uint8Array(first.length + second.length);
    both.set(first); both.set(second, first.length);
    const layout: ChunkLayout = { physical: 'BYTE_ARRAY', optional: true, codec: 'UNCOMPRESSED', rows: 500, uncompressedBytes: both.length };
    const gathered = await expectSlicesEqualWhole(both, layout, 'fallback');
    expect([...gathered.kinds]).toEqual(['var']);
    const kept = await expectSlicesEqualWhole(both, { ...layout, keepDictionary: true }, 'fallback, kept');
    // slices wholly before the PLAIN pages stay dictionaries, the others are gathered
    expect([...kept.kinds].sort()).toEqual(['dict', 'var']);
  });

  it('a chunk with fewer rows than the row group says fails with a clear error', async () => {
    const path = nodePath.join(dir, 'short.parquet');
    await conn.run(`copy (select i::integer as a from range(100) t(i)) to '${path}' (format parquet, compression uncompressed)`);
    const { file, metadata } = await openParquetFile(path);
    await file.close();
    const chunk = metadata.row_groups[0]!.columns[0]!;
    const bytes = chunkBytes(new Uint8Array(await readFile(path)), chunk);
    const layout = { ...layoutOf(metadata, chunk, 100, false), rows: 150 };
    const reader = new ColumnChunkReader(layout, async (s, e) => bytes.slice(s, e).buffer, 0, bytes.length, 0);
    await reader.read(100);
    await expect(reader.read(50)).rejects.toThrow(/holds 100 rows where the row group has 150/);
  });
});
