import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { SpillwayError } from '../../src/common/errors.js';
import { parquetScan } from '../../src/exec/parquet_scan.js';
import type { ParquetScanNode } from '../../src/plan/physical.js';
import { readParquetMetadata } from '../../src/storage/parquet_metadata.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
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
