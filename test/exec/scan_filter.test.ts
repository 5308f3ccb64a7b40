/**
 * A ParquetScan's own filter (exec/scan_filter.ts): conjuncts over one dictionary-encoded
 * string column are evaluated per distinct value. Checked against DuckDB on a file DuckDB
 * writes (dictionary and PLAIN string chunks, NULLs, several row groups), and the decoder's
 * kept dictionary checked when a chunk falls back from dictionary to PLAIN pages mid-way.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { openParquetFile } from '../../src/storage/parquet_metadata.js';
import { decodeColumnChunk } from '../helpers/whole_chunk_decoder.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';

const WHERE = [
  "s = 'b'",
  "s in ('a', 'c', 'zz')",
  "s not in ('a', 'c')",
  's is null',
  "s is not null and i > 50",
  "s <> 'a' or s is null",
  "coalesce(s, 'none') = 'none'",
  "s like 'a%' or s like '%é%'",
  "upper(s) = 'B' and t like '%7%'",
  's = t',
  "s > 'b'",
  "not (s = 'a')",
  "case when s = 'a' then i > 30 else false end",
  "t like 'row-1%' and s in ('b', 'd')",
  "s = 'b' and s2 = 'y'",
  "length(s) = 1 and i is null",
];

describe('scan filter over dictionary-encoded strings', () => {
  let dir: string;
  let db: Spillway;
  let duck: DuckOracle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scan-filter-'));
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    // s, s2: few distinct values with NULLs (dictionary); t: all distinct (PLAIN); 5 row groups.
    await conn.run(`copy (
      select
        case when r % 11 = 0 then null else ['a', 'b', 'c', 'd', 'é', 'aa'][1 + (r * 7) % 6] end as s,
        case when r % 13 = 0 then null else ['x', 'y'][1 + r % 2] end as s2,
        'row-' || r as t,
        case when r % 9 = 0 then null else r % 100 end as i
      from range(10000) t(r)
    ) to '${join(dir, 'f.parquet')}' (format parquet, row_group_size 2000)`);
    conn.closeSync();
    db = await Spillway.create({ tables: dir, workers: 0, batchSize: 700 });
    duck = await DuckOracle.open(dir);
  });

  afterAll(async () => {
    await db?.close();
    duck?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const where of WHERE) {
    it(`where ${where}`, async () => {
      const sql = `select s, s2, t, i from f where ${where}`;
      const got = resultCells(await db.sql(sql));
      const want = await duck.query(sql);
      expect(diffRows(got, want, false)).toBeNull();
    });
  }

  it('shows the filter on the scan in EXPLAIN', async () => {
    const res = await db.sql("explain select t from f where s = 'b'");
    const text = res.rows().map((r) => String(r[0])).join('\n');
    expect(text).toMatch(/ParquetScan f cols=\[.*\] files=1 filter=s = 'b'/);
    expect(text).not.toMatch(/^\s*Filter /m);
  });

  it('keeps a chunk as a dictionary until a PLAIN page follows, then gathers the rows so far', async () => {
    // Two DuckDB files, one column each: dictionary-encoded in one, PLAIN in the other.
    const inst = await DuckDBInstance.create(':memory:');
    const conn: DuckDBConnection = await inst.connect();
    const a = join(dir, 'dict.parquet'), b = join(dir, 'plain.parquet');
    await conn.run(`copy (select case when r % 5 = 0 then null else ['p', 'q', 'r'][1 + r % 3] end as v from range(300) t(r)) to '${a}' (format parquet, compression uncompressed)`);
    await conn.run(`copy (select case when r % 7 = 0 then null else 'plain-' || r end as v from range(200) t(r)) to '${b}' (format parquet, compression uncompressed)`);
    const want = [
      ...(await conn.runAndReadAll(`select v from '${a}'`)).getRows().map((r) => r[0] as string | null),
      ...(await conn.runAndReadAll(`select v from '${b}'`)).getRows().map((r) => r[0] as string | null),
    ];
    conn.closeSync();
    const chunkBytes = async (path: string, withDictionary: boolean) => {
      const { file, metadata } = await openParquetFile(path);
      await file.close();
      const md = metadata.row_groups[0]!.columns[0]!.meta_data!;
      const dict = md.dictionary_page_offset !== undefined ? Number(md.dictionary_page_offset) : undefined;
      expect(dict !== undefined && dict > 0).toBe(withDictionary);
      const start = withDictionary ? dict! : Number(md.data_page_offset);
      return readFileSync(path).subarray(start, start + Number(md.total_compressed_size));
    };
    const first = await chunkBytes(a, true), second = await chunkBytes(b, false);
    const both = new Uint8Array(first.length + second.length);
    both.set(first); both.set(second, first.length);
    const layout = { physical: 'BYTE_ARRAY' as const, optional: true, codec: 'UNCOMPRESSED' as const, rows: 500, uncompressedBytes: both.length };
    const text = new TextDecoder();
    for (const keepDictionary of [false, true]) {
      const chunk = decodeColumnChunk(both, { ...layout, keepDictionary });
      if (chunk.kind !== 'var') throw new Error(`expected gathered values, got ${chunk.kind}`);
      const values = Array.from({ length: 500 }, (_, i) => (chunk.validity !== null && chunk.validity[i] === 0 ? null
        : text.decode(chunk.data.subarray(chunk.offsets[i]!, chunk.offsets[i + 1]!))));
      expect(values).toEqual(want);
    }
    // The dictionary file alone stays a dictionary.
    const kept = decodeColumnChunk(first, { ...layout, rows: 300, uncompressedBytes: first.length, keepDictionary: true });
    if (kept.kind !== 'dict') throw new Error(kept.kind);
    const values = Array.from(kept.indices, (d) => (d < 0 ? null : text.decode(kept.data.subarray(kept.offsets[d]!, kept.offsets[d + 1]!))));
    expect(values).toEqual(want.slice(0, 300));
  });
});
