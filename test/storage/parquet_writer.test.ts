import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBytes, type Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { SpillwayError } from '../../src/common/errors.js';
import { parquetScan } from '../../src/exec/parquet_scan.js';
import type { ParquetScanNode } from '../../src/plan/physical.js';
import { readParquetMetadata } from '../../src/storage/parquet_metadata.js';
import { ParquetFileWriter, rowGroupBytesFor, writeParquet } from '../../src/storage/parquet_writer.js';
import { FairSpillPool } from '../../src/memory/fair_pool.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-writer-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const S: Schema = schema([
  field('id', 'int32', false),
  field('big', 'int64'),
  field('price', 'float64'),
  field('name', 'utf8'),
  field('day', 'date32'),
  field('at', 'timestamp'),
  field('flag', 'bool'),
]);

const ROWS: Scalar[][] = [
  [1, 10n, 1.5, 'alpha', 0, 0n, true],
  [2, null, -2.25, 'βeta', 18263, 1_577_934_245_123_456n, false],
  [3, -9_007_199_254_740_993n, null, null, -1, -1n, null],
  [4, 40n, 4, '', null, null, true],
  [5, 50n, 5.5, 'épsilon with a longer text', 20000, 1n, false],
  [6, null, null, null, null, null, null],
  [7, 70n, 7.75, 'g', 7, 7n, true],
  [8, 80n, 8, 'h', 8, 8_000_000n, false],
];

async function scanAll(path: string, s: Schema, batchSize = 8192): Promise<Scalar[][]> {
  const info = await readParquetMetadata(path);
  const node: ParquetScanNode = {
    kind: 'ParquetScan', id: 1, partitions: 1, table: 't', schema: s,
    slices: [[{ path, bytes: info.bytes }]], columns: s.fields.map((f) => f.name), pruning: [],
  };
  const out: Scalar[][] = [];
  for await (const b of parquetScan(node, 0, testContext({ batch_size: batchSize }))) out.push(...batchRows(b));
  return out;
}

async function duck(sql: string): Promise<unknown[][]> {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    const rows = (await conn.runAndReadAll(sql)).getRows() as unknown[][];
    // DuckDB returns dates and timestamps as objects: compare their day and microsecond numbers.
    return rows.map((r) => r.map((v) => {
      if (v !== null && typeof v === 'object' && 'days' in v) return (v as { days: number }).days;
      if (v !== null && typeof v === 'object' && 'micros' in v) return (v as { micros: bigint }).micros;
      return v;
    }));
  } finally {
    conn.closeSync();
  }
}

describe('writeParquet', () => {
  it('round-trips every type with NULLs across row groups and batch boundaries', async () => {
    const path = nodePath.join(dir, 'all_types.parquet');
    const batches = [batchFromRows(S, ROWS.slice(0, 2)), batchFromRows(S, ROWS.slice(2, 7)), batchFromRows(S, []), batchFromRows(S, ROWS.slice(7))];
    const res = await writeParquet(path, batches, S, { rowGroupSize: 3 });
    expect(res).toMatchObject({ rows: 8, rowGroups: 3 });
    expect(res.bytes).toBe((await stat(path)).size);

    const info = await readParquetMetadata(path);
    expect(info.schema).toEqual(S);
    expect(info.rows).toBe(8);
    expect(info.rowGroups.map((g) => [g.rowStart, g.rows])).toEqual([[0, 3], [3, 3], [6, 2]]);
    expect(info.rowGroups[0]!.columns[0]).toEqual({ min: 1, max: 3, nullCount: 0 });
    expect(info.rowGroups[0]!.columns[1]).toEqual({ min: -9_007_199_254_740_993n, max: 10n, nullCount: 1 });
    expect(info.rowGroups[0]!.columns[3]).toEqual({ min: 'alpha', max: 'βeta', nullCount: 1 });
    expect(info.rowGroups[1]!.columns[4]).toEqual({ min: 20000, max: 20000, nullCount: 2 });
    expect(info.rowGroups[0]!.columns[5]).toEqual({ min: -1n, max: 1_577_934_245_123_456n, nullCount: 0 });

    expect(await scanAll(path, S)).toEqual(ROWS);
    expect(await scanAll(path, S, 2)).toEqual(ROWS);
  });

  it('ends a row group early when its buffered batches reach maxRowGroupBytes; rowGroupBytesFor follows the memory limit', async () => {
    const path = nodePath.join(dir, 'row_group_bytes.parquet');
    const rows = Array.from({ length: 400 }, (_, i) => ROWS[i % ROWS.length]!.map((v, j) => (j === 0 ? i : v)));
    const batches = Array.from({ length: 40 }, (_, k) => batchFromRows(S, rows.slice(k * 10, k * 10 + 10)));
    const one = batchBytes(batches[0]!);
    // about five batches per row group, well under the 1,000-row bound
    const res = await writeParquet(path, batches, S, { rowGroupSize: 1000, maxRowGroupBytes: 5 * one });
    expect(res.rows).toBe(400);
    expect(res.rowGroups).toBeGreaterThanOrEqual(6);
    expect(res.rowGroups).toBeLessThanOrEqual(10);
    const info = await readParquetMetadata(path);
    for (const g of info.rowGroups.slice(0, -1)) expect(g.rows).toBeLessThanOrEqual(60);
    expect(await scanAll(path, S)).toEqual(rows);
    expect(rowGroupBytesFor(0)).toBeUndefined();
    expect(rowGroupBytesFor(64 << 20)).toBe(4 << 20);
    expect(rowGroupBytesFor(4 << 20)).toBe(1 << 20);
  });

  it('reserves its buffered batches on a given reservation, and a refusal ends the row group', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ROWS[i % ROWS.length]!.map((v, j) => (j === 0 ? i : v)));
    const batches = Array.from({ length: 40 }, (_, k) => batchFromRows(S, rows.slice(k * 10, k * 10 + 10)));
    const one = batchBytes(batches[0]!);
    for (const [limit, groups] of [[100 * one, [1, 1]], [3.5 * one, [10, 14]]] as const) {
      const pool = new FairSpillPool({ limit });
      const reservation = pool.register('Copy', { spillable: false });
      const path = nodePath.join(dir, `reserved_${limit}.parquet`);
      const w = await ParquetFileWriter.create(path, S, { rowGroupSize: 1000, reservation });
      let held = 0;
      for (const b of batches) {
        await w.write(b);
        held = Math.max(held, reservation.size);
        expect(reservation.size).toBeLessThanOrEqual(limit);
      }
      const res = await w.finish();
      expect(reservation.size).toBe(0);
      expect(res.rowGroups).toBeGreaterThanOrEqual(groups[0]);
      expect(res.rowGroups).toBeLessThanOrEqual(groups[1]);
      expect(held).toBeGreaterThanOrEqual(Math.min(limit - one, 39 * one));
      expect(await scanAll(path, S)).toEqual(rows);
      reservation.free();
    }
  });

  it('writes files DuckDB reads with the same types and values', async () => {
    const path = nodePath.join(dir, 'for_duckdb.parquet');
    await writeParquet(path, (async function* () { yield batchFromRows(S, ROWS); })(), S, { rowGroupSize: 5 });
    const types = await duck(`SELECT column_name, column_type, "null" FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`);
    expect(types).toEqual([
      ['id', 'INTEGER', 'YES'], ['big', 'BIGINT', 'YES'], ['price', 'DOUBLE', 'YES'], ['name', 'VARCHAR', 'YES'],
      ['day', 'DATE', 'YES'], ['at', 'TIMESTAMP', 'YES'], ['flag', 'BOOLEAN', 'YES'],
    ]);
    const rows = await duck(`SELECT * FROM read_parquet('${path}') ORDER BY id`);
    expect(rows).toEqual(ROWS);
    const required = await duck(`SELECT name, repetition_type FROM parquet_schema('${path}') WHERE name IN ('id', 'big') ORDER BY name`);
    expect(required).toEqual([['big', 'OPTIONAL'], ['id', 'REQUIRED']]);
  });

  it('encodes many rows as DuckDB reads them back: NULL patterns, several pages, dictionary and PLAIN strings, every codec', async () => {
    const W = schema([field('i', 'int32'), field('b', 'int64'), field('f', 'float64'), field('low', 'utf8'), field('high', 'utf8'), field('ok', 'bool')]);
    let x = 7;
    const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x / 4294967296; };
    const n = 300_000; // float64 and int64 take more than one 1 MiB page per row group
    const rows: Scalar[][] = [];
    for (let r = 0; r < n; r++) {
      // NULLs in short alternating runs (bit-packed levels) and in long runs (RLE levels)
      const nullish = (r % 1000 < 300) ? rnd() < 0.5 : r % 1000 > 900;
      rows.push([
        nullish ? null : (r * 37) % 1000 - 500,
        r % 7 === 0 ? null : BigInt(r) * -1234567891n,
        nullish ? null : rnd() * 1e6 - 5e5,
        r % 11 === 0 ? null : ['red', 'green', 'blue', 'ümlaut'][r % 4]!,
        nullish ? null : `row ${r} ${'x'.repeat(r % 40)}`,
        r % 13 === 0 ? null : rnd() < 0.3,
      ]);
    }
    for (const compression of ['snappy', 'gzip', 'none'] as const) {
      const path = nodePath.join(dir, `many_${compression}.parquet`);
      await writeParquet(path, [batchFromRows(W, rows.slice(0, 150_001)), batchFromRows(W, rows.slice(150_001))], W, { rowGroupSize: 200_000, compression });
      const got = await duck(`SELECT * FROM read_parquet('${path}')`);
      expect(got.length).toBe(n);
      for (let r = 0; r < n; r += 997) expect(got[r], `row ${r}`).toEqual(rows[r]);
      const sums = await duck(`SELECT count(i), sum(i), count(b), sum(b), count(f), count(low), count(high), sum(length(high)), count(ok), sum(ok::int) FROM read_parquet('${path}')`);
      const want = [0, 0, 0, 0n, 0, 0, 0, 0, 0, 0];
      let sumB = 0n;
      for (const row of rows) {
        if (row[0] !== null) { want[0]!++; (want[1] as number) += row[0] as number; }
        if (row[1] !== null) { want[2]!++; sumB += row[1] as bigint; }
        if (row[2] !== null) want[4]!++;
        if (row[3] !== null) want[5]!++;
        if (row[4] !== null) { want[6]!++; (want[7] as number) += (row[4] as string).length; }
        if (row[5] !== null) { want[8]!++; (want[9] as number) += row[5] ? 1 : 0; }
      }
      expect(sums[0]!.map((v) => (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v)))
        .toEqual([want[0], want[1], want[2], sumB, want[4], want[5], want[6], want[7], want[8], want[9]]);
      // the low-cardinality strings are dictionary-encoded, the unique ones PLAIN
      const enc = await duck(`SELECT path_in_schema, encodings FROM parquet_metadata('${path}') WHERE row_group_id = 0 AND path_in_schema IN ('low', 'high') ORDER BY 1`);
      expect(enc).toEqual([['high', 'PLAIN, RLE'], ['low', 'PLAIN, RLE_DICTIONARY, RLE']]);
      // the row-group statistics Spillway prunes with
      const info = await readParquetMetadata(path);
      expect(info.rowGroups[0]!.columns[3]).toEqual({ min: 'blue', max: 'ümlaut', nullCount: rows.slice(0, 200_000).filter((row) => row[3] === null).length });
      expect(await scanAll(path, W).then((all) => all.length)).toBe(n);
    }
  });

  it('writes a valid empty file for no rows', async () => {
    const path = nodePath.join(dir, 'empty.parquet');
    const res = await writeParquet(path, [], S);
    expect(res).toMatchObject({ rows: 0, rowGroups: 0 });
    expect((await readParquetMetadata(path)).rows).toBe(0);
    expect(await scanAll(path, S)).toEqual([]);
    expect(await duck(`SELECT count(*) FROM read_parquet('${path}')`)).toEqual([[0n]]);
  });

  it('leaves neither the file nor a temp file behind when the input fails', async () => {
    const sub = await mkdtemp(nodePath.join(dir, 'fail-'));
    const path = nodePath.join(sub, 'broken.parquet');
    async function* failing(): AsyncGenerator<Batch> {
      yield batchFromRows(S, ROWS.slice(0, 4));
      throw new Error('upstream failed');
    }
    await expect(writeParquet(path, failing(), S, { rowGroupSize: 2 })).rejects.toThrow('upstream failed');
    expect(await readdir(sub)).toEqual([]);
  });

  it('rejects NULL in a NOT NULL column, cleaning up', async () => {
    const sub = await mkdtemp(nodePath.join(dir, 'notnull-'));
    const strict = schema([field('x', 'int32', false)]);
    const withNull = batchFromRows(schema([field('x', 'int32')]), [[1], [null]]);
    const err = await writeParquet(nodePath.join(sub, 'x.parquet'), [withNull], strict).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as Error).message).toMatch(/column "x" is NOT NULL/);
    expect(await readdir(sub)).toEqual([]);
  });

  it('rejects the NULL type and names the column', async () => {
    const err = await writeParquet(nodePath.join(dir, 'n.parquet'), [], schema([field('nothing', 'null')])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('unsupported');
    expect((err as Error).message).toContain('"nothing"');
  });

  it('names the path when the directory does not exist', async () => {
    const path = nodePath.join(dir, 'no-such-dir', 'x.parquet');
    await expect(writeParquet(path, [], S)).rejects.toThrow(`cannot write Parquet file "${path}": no such directory`);
  });

  it('replaces an existing file only on success', async () => {
    const path = nodePath.join(dir, 'replace.parquet');
    await writeParquet(path, [batchFromRows(S, ROWS.slice(0, 1))], S);
    await writeParquet(path, [batchFromRows(S, ROWS.slice(0, 3))], S);
    expect((await readParquetMetadata(path)).rows).toBe(3);
  });
});
