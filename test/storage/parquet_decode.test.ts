/**
 * Differential tests of the Parquet column decoder (storage/parquet_columns.ts and
 * storage/parquet_decode/) against DuckDB reading the same files.
 *
 *   DuckDB-written: every codec (UNCOMPRESSED, SNAPPY, ZSTD, GZIP, LZ4_RAW, BROTLI), format v1
 *     (PLAIN, dictionaries) and v2 (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 *     BYTE_STREAM_SPLIT, RLE_DICTIONARY), OPTIONAL columns with NULLs, several row groups,
 *     every engine type (and DECIMAL, FLOAT, small ints, unsigned, UUID, timestamp units).
 *   hyparquet-writer: data pages v2, REQUIRED and OPTIONAL columns, DELTA_BYTE_ARRAY, RLE
 *     booleans, several pages per column chunk, GZIP / BROTLI / SNAPPY.
 * Every value is compared exactly (NULLs included), row by row.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, FixedColumn } from '../../src/columnar/column.js';
import type { Batch } from '../../src/columnar/column.js';
import type { Field } from '../../src/common/types.js';
import { parquetScan } from '../../src/exec/parquet_scan.js';
import type { ParquetScanNode } from '../../src/plan/physical.js';
import { storeFor } from '../../src/storage/object_store.js';
import { readRowGroupColumns } from '../../src/storage/parquet_columns.js';
import { openParquetFile } from '../../src/storage/parquet_metadata.js';
import { testContext } from '../helpers/context.js';

type Cell = number | bigint | boolean | string | null;

const utf8 = new TextDecoder();

/** Row i of a Spillway column as a plain JS value (int64/timestamp as bigint, utf8 as text). */
function cell(c: Column, i: number): Cell {
  if (c.type === 'null' || (c.validity !== null && c.validity[i] === 0)) return null;
  switch (c.type) {
    case 'utf8': return utf8.decode(c.data.subarray(c.offsets[i]!, c.offsets[i + 1]!));
    case 'bool': return c.values[i] === 1;
    default: return (c as FixedColumn).values[i]!;
  }
}

/** Decode every row group of `path` with readRowGroupColumns; cells per column. */
async function decodeFile(path: string): Promise<{ fields: readonly Field[]; cols: Cell[][]; rowGroups: number }> {
  const { file, metadata, info } = await openParquetFile(path);
  try {
    const fields = info.schema.fields;
    const cols: Cell[][] = fields.map(() => []);
    for (const rg of info.rowGroups) {
      const columns = await readRowGroupColumns(file, metadata, rg.index, rg.rows, fields.map((f) => ({ name: f.name, type: f.type })));
      columns.forEach((c, j) => {
        expect(c.length).toBe(rg.rows);
        expect(c.type).toBe(fields[j]!.type);
        for (let i = 0; i < rg.rows; i++) cols[j]!.push(cell(c, i));
      });
    }
    return { fields, cols, rowGroups: info.rowGroups.length };
  } finally {
    await file.close();
  }
}

/**
 * DuckDB's reading of the same file, as the same JS values: `exprs` maps a column name to a
 * SQL expression over it (dates → day numbers, timestamps → epoch µs, ...).
 */
async function duckColumns(conn: DuckDBConnection, path: string, names: string[], exprs: Record<string, string>): Promise<Cell[][]> {
  const list = names.map((n) => `${exprs[n] ?? `"${n}"`} as "${n}"`).join(', ');
  const r = await conn.runAndReadAll(`select ${list} from read_parquet('${path}')`);
  return r.getColumns().map((col) => col.map((v) => {
    if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return v;
    return String(v);
  }));
}

/** Compare column by column; on a mismatch report the first differing row. */
function expectSameColumns(names: string[], got: Cell[][], want: Cell[][], normalise: Record<string, (v: Cell) => Cell> = {}): void {
  for (let j = 0; j < names.length; j++) {
    const g = got[j]!;
    const w = want[j]!;
    expect(g.length, names[j]).toBe(w.length);
    const norm = normalise[names[j]!] ?? ((v: Cell) => v);
    for (let i = 0; i < w.length; i++) {
      const a0 = g[i]!;
      // Decimal columns hold unscaled values as numbers or bigints (either form): compare as numbers when safe.
      const a = names[j]!.startsWith('dec') && typeof a0 === 'bigint' && a0 >= -9007199254740991n && a0 <= 9007199254740991n ? Number(a0) : a0;
      const b = norm(w[i]!);
      if (!Object.is(a, b)) throw new Error(`column ${names[j]}, row ${i}: decoded ${String(a)} (${typeof a}), DuckDB ${String(b)} (${typeof b})`);
    }
  }
}

/** DECIMAL text from DuckDB → the unscaled value the engine holds (a number when safe, else a bigint). */
function decimalValue(scale: number): (v: Cell) => Cell {
  return (v) => {
    if (v === null) return null;
    const [int, frac = ''] = String(v).split('.');
    const u = BigInt(int! + frac.padEnd(scale, '0'));
    return u >= -9007199254740991n && u <= 9007199254740991n ? Number(u) : u;
  };
}

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-decode-'));
  db = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await db.connect();
});

afterAll(async () => {
  conn?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

const N = 6000;

// NULLs in every column but i_req (NULL patterns differ per column: runs and scattered)
const DUCK_TABLE = `
  select
    i::integer as i_req,
    case when i % 7 = 3 then null else (i * 37 - 100000)::integer end as i32,
    case when i % 5 = 0 then null else (i % 11)::integer end as i32_dict,
    case when i % 3 = 1 then null else i * 1234567891011 - 99 end::bigint as i64,
    case when i % 9 = 0 then null else i / 3.0 end::double as f64,
    case when i % 4 = 2 then null else (i % 17) * 0.25 end::double as f64_dict,
    case when i % 8 = 1 then null else i / 7.0 end::real as f32,
    case when i % 6 = 0 then null else i % 3 = 0 end as b,
    case when i % 10 = 4 then null else 'v' || (i % 13) end as s_dict,
    case when i % 12 = 5 then null when i % 12 = 6 then '' else md5(i::varchar) || repeat('é', i % 5) end as s_plain,
    case when i % 2 = 0 then null else date '1990-01-01' + (i % 4000)::integer end as d,
    case when i % 3 = 0 then null else date '1969-12-01' + i::integer end as d_plain,
    case when i % 5 = 1 then null else timestamp '2001-02-03 04:05:06' + to_microseconds(i * 1000003) end as ts_us,
    case when i % 5 = 2 then null else (timestamp '1999-01-01' + to_milliseconds(i * 1001))::timestamp_ms end as ts_ms,
    case when i % 5 = 3 then null else (timestamp '2010-01-01' + to_microseconds(i * 77))::timestamp_ns end as ts_ns,
    case when i % 7 = 0 then null else (i * 1.01 - 500)::decimal(9, 2) end as dec9,
    case when i % 7 = 1 then null else (i * 123456.789 - 1)::decimal(18, 3) end as dec18,
    case when i % 7 = 2 then null else (i * 98765432.1234 - 7)::decimal(38, 4) end as dec38,
    case when i % 4 = 0 then null else (i % 200 - 100)::tinyint end as i8,
    case when i % 4 = 1 then null else (i * 3 - 10000)::smallint end as i16,
    case when i % 4 = 2 then null else (i * 400000)::uinteger end as u32,
    case when i % 9 = 4 then null else ('00000000-0000-4000-8000-' || lpad(printf('%x', i * 7919), 12, '0'))::uuid end as u
  from range(${N}) t(i)`;

const DUCK_EXPRS: Record<string, string> = {
  d: `(d - date '1970-01-01')::integer`,
  d_plain: `(d_plain - date '1970-01-01')::integer`,
  ts_us: 'epoch_us(ts_us)',
  ts_ms: 'epoch_us(ts_ms::timestamp)',
  ts_ns: 'epoch_us(ts_ns::timestamp)',
  dec9: 'dec9::varchar',
  dec18: 'dec18::varchar',
  dec38: 'dec38::varchar',
  f32: 'f32::double',
  u32: 'u32::bigint',
  u: 'u::varchar',
};

const DUCK_NORMALISE = { dec9: decimalValue(2), dec18: decimalValue(3), dec38: decimalValue(4) };

const CODECS = ['uncompressed', 'snappy', 'zstd', 'gzip', 'lz4_raw', 'brotli'] as const;

describe('decoding DuckDB-written Parquet', () => {
  let want: Cell[][] | null = null;
  let names: string[] = [];

  for (const version of ['v1', 'v2'] as const) {
    for (const codec of CODECS) {
      it(`${codec}, format ${version}: every value equals DuckDB's`, async () => {
        const path = nodePath.join(dir, `duck_${codec}_${version}.parquet`);
        await conn.run(`copy (${DUCK_TABLE}) to '${path}' (format parquet, compression ${codec}, row_group_size 1000, parquet_version ${version})`);
        const got = await decodeFile(path);
        expect(got.rowGroups).toBeGreaterThan(1);
        names = got.fields.map((f) => f.name);
        // DuckDB's view of the data is the same for every file: read it once
        want ??= await duckColumns(conn, path, names, DUCK_EXPRS);
        expectSameColumns(names, got.cols, want, DUCK_NORMALISE);
      });
    }
  }

  it('the files above use the encodings they are meant to cover', async () => {
    const seen = new Set<string>();
    for (const version of ['v1', 'v2']) {
      const { file, metadata } = await openParquetFile(nodePath.join(dir, `duck_snappy_${version}.parquet`));
      await file.close();
      for (const rg of metadata.row_groups) for (const c of rg.columns) for (const e of c.meta_data!.encodings) seen.add(e);
    }
    for (const e of ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'BYTE_STREAM_SPLIT']) {
      expect(seen, e).toContain(e);
    }
  });
});

describe('decoding hyparquet-writer Parquet (data pages v2, REQUIRED columns)', () => {
  const n = 7000;
  const ints = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
  const longs = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 9876543210123n - 5n ** 20n);
  const doubles = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6);
  const strs = Array.from({ length: n }, (_, i) => `prefix/common/${Math.floor(i / 3)}/${'x'.repeat(i % 40)}`);
  const nullable = <T>(v: T, i: number, m: number): T | null => (i % m === 0 ? null : v);

  const columns = [
    { name: 'r_i32', data: ints, type: 'INT32' as const, nullable: false },
    { name: 'r_i32_delta', data: ints, type: 'INT32' as const, nullable: false, encoding: 'DELTA_BINARY_PACKED' as const },
    { name: 'r_i64_delta', data: longs, type: 'INT64' as const, nullable: false, encoding: 'DELTA_BINARY_PACKED' as const },
    { name: 'r_f64_bss', data: doubles, type: 'DOUBLE' as const, nullable: false, encoding: 'BYTE_STREAM_SPLIT' as const },
    { name: 'r_s_dba', data: strs, type: 'STRING' as const, nullable: false, encoding: 'DELTA_BYTE_ARRAY' as const },
    { name: 'r_b', data: Array.from({ length: n }, (_, i) => i % 3 === 0), type: 'BOOLEAN' as const, nullable: false },
    { name: 'o_i32', data: Array.from(ints, (v, i) => nullable(v, i, 4)), type: 'INT32' as const },
    { name: 'o_i64_delta', data: Array.from(longs, (v, i) => nullable(v, i, 3)), type: 'INT64' as const, encoding: 'DELTA_BINARY_PACKED' as const },
    { name: 'o_f64_bss', data: Array.from(doubles, (v, i) => nullable(v, i, 5)), type: 'DOUBLE' as const, encoding: 'BYTE_STREAM_SPLIT' as const },
    { name: 'o_s_dba', data: strs.map((v, i) => nullable(v, i, 6)), type: 'STRING' as const, encoding: 'DELTA_BYTE_ARRAY' as const },
    { name: 'o_s_dlba', data: strs.map((v, i) => nullable(v, i, 7)), type: 'STRING' as const, encoding: 'DELTA_LENGTH_BYTE_ARRAY' as const },
    { name: 'o_s_dict', data: strs.map((v, i) => nullable(`k${i % 50}`, i, 8)), type: 'STRING' as const },
    { name: 'o_b_rle', data: Array.from({ length: n }, (_, i) => nullable(i % 5 < 2, i, 9)), type: 'BOOLEAN' as const, encoding: 'RLE' as const },
    { name: 'o_all_null', data: Array.from({ length: n }, () => null), type: 'INT32' as const },
  ];

  for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI'] as const) {
    it(`${codec}: every value equals DuckDB's, over several pages per column chunk`, async () => {
      const path = nodePath.join(dir, `hyp_${codec}.parquet`);
      const buf = parquetWriteBuffer({
        columnData: columns, codec, rowGroupSize: 3000, pageSize: 4096,
        compressors: { GZIP: (b) => gzipSync(b), BROTLI: (b) => brotliCompressSync(b, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }) },
      });
      await writeFile(path, new Uint8Array(buf));
      const got = await decodeFile(path);
      expect(got.rowGroups).toBe(3);
      const names = got.fields.map((f) => f.name);
      const { file, metadata } = await openParquetFile(path);
      await file.close();
      const required = metadata.schema.filter((e) => e.repetition_type === 'REQUIRED').map((e) => e.name);
      expect(required).toEqual(expect.arrayContaining(['r_i32', 'r_s_dba', 'r_b']));
      // several pages in the first chunk of a string column
      const chunk = metadata.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'r_s_dba')!.meta_data!;
      expect(Number(chunk.total_uncompressed_size)).toBeGreaterThan(3 * 4096);
      const want = await duckColumns(conn, path, names, {});
      expectSameColumns(names, got.cols, want);
    });
  }
});

describe('the ParquetScan operator over the decoder', () => {
  async function scanAll(path: string, columns: string[], rowGroups?: number[]): Promise<Batch[]> {
    const { file, info } = await openParquetFile(path);
    await file.close();
    const fields = columns.map((c) => info.schema.fields.find((f) => f.name === c)!);
    const node: ParquetScanNode = {
      kind: 'ParquetScan', id: 1, table: 't', schema: { fields }, partitions: 1,
      slices: [[{ path, bytes: info.bytes, ...(rowGroups ? { rowGroups } : {}) }]], columns, pruning: [],
    };
    const out: Batch[] = [];
    for await (const b of parquetScan(node, 0, testContext({ batch_size: 1000 }))) out.push(b);
    return out;
  }

  it('projects, repeats columns and reads row-group ranges', async () => {
    const path = nodePath.join(dir, 'duck_zstd_v1.parquet');
    const { file, info } = await openParquetFile(path);
    await file.close();
    const groups = info.rowGroups;
    expect(groups.length).toBeGreaterThanOrEqual(3);
    const last = groups[groups.length - 1]!;
    const batches = await scanAll(path, ['s_dict', 'i_req', 's_dict'], [1, last.index]);
    const rows = batches.reduce((n, b) => n + b.length, 0);
    expect(rows).toBe(groups[1]!.rows + last.rows);
    const ids: Cell[] = batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => cell(b.columns[1]!, i)));
    expect(ids[0]).toBe(groups[1]!.rowStart);
    expect(ids[groups[1]!.rows]).toBe(last.rowStart);
    for (const b of batches) {
      for (let i = 0; i < b.length; i++) {
        const id = cell(b.columns[1]!, i) as number;
        const want = id % 10 === 4 ? null : `v${id % 13}`;
        expect(cell(b.columns[0]!, i)).toBe(want);
        expect(cell(b.columns[2]!, i)).toBe(want);
      }
    }
  });

  it('reads a file with no rows', async () => {
    const path = nodePath.join(dir, 'empty.parquet');
    await conn.run(`copy (select 1::integer as a, 'x' as s where false) to '${path}' (format parquet)`);
    const batches = await scanAll(path, ['a', 's']);
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(0);
  });

  it('names the file when a column chunk is corrupt', async () => {
    const path = nodePath.join(dir, 'corrupt.parquet');
    await conn.run(`copy (select i::integer as a from range(1000) t(i)) to '${path}' (format parquet, compression snappy)`);
    const { file, metadata } = await openParquetFile(path);
    await file.close();
    const md = metadata.row_groups[0]!.columns[0]!.meta_data!;
    const bytes = await storeFor(path).read(path, 0, (await storeFor(path).stat(path))!.size);
    const start = Number(md.data_page_offset);
    bytes.fill(0xff, start + 10, start + Number(md.total_compressed_size));
    await writeFile(path, bytes);
    await expect(scanAll(path, ['a'])).rejects.toThrow(/corrupt\.parquet/);
  });
});
