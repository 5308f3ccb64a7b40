/**
 * COPY … TO: Parquet, CSV and JSON files that DuckDB reads back with the same rows,
 * hive-style partition folders, and no file or temporary file left by a COPY that fails
 * or is cancelled.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway, SpillwayError } from '../../src/index.js';
import { DuckOracle } from '../helpers/duckdb.js';

let dir: string;
let db: Spillway;
let duck: DuckOracle;

const values = (n: number) => Array.from({ length: n }, (_, i) => `(${i}, ${i % 3 === 0 ? 'null' : `'s${i % 5}'`}, ${i * 0.5}, date '2024-01-01' + ${i % 4})`).join(',');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-copy-'));
  db = await Spillway.create({ workers: 0, batchSize: 100 });
  await db.sql(`create table t as select * from (values ${values(1000)}) v(id, s, x, d)`);
  duck = await DuckOracle.open();
});

afterAll(async () => {
  await db.close();
  duck.close();
  rmSync(dir, { recursive: true, force: true });
});

const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

describe('COPY TO', () => {
  it('writes Parquet that DuckDB reads with the same rows, and returns the count', async () => {
    const path = join(dir, 'out.parquet');
    const res = await db.sql(`copy (select id, s, x, d from t where id < 700 order by id desc) to '${path}' (format parquet, row_group_size 128, compression gzip)`);
    expect(res.rows()).toEqual([[700n]]);
    expect(await duck.query(`select count(*)::int, sum(id)::int, count(s)::int, sum(x)::double, min(d)::varchar from '${path}'`)).toEqual([[700, 244650, 466, 122325, '2024-01-01']]);
    // In order: the first row is the largest id.
    expect(await duck.query(`select id from '${path}' limit 1`)).toEqual([[699]]);
    expect(await duck.query(`select count(distinct row_group_id)::int from parquet_metadata('${path}')`)).toEqual([[6]]);
  });

  it('writes a table as CSV with the header and delimiter asked for, and gzip', async () => {
    const path = join(dir, 'out.csv');
    await db.sql(`copy t to '${path}' (header false, delimiter ';')`);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(1000);
    expect(lines[0]).toBe('0;;0.0;2024-01-01'); // x is DECIMAL(11,1): 0 and 0.5 as DuckDB types them
    expect(lines[1]).toBe('1;s1;0.5;2024-01-02');
    await db.sql(`copy (select id, s from t where id < 3) to '${join(dir, 'out.csv.gz')}'`);
    expect(gunzipSync(readFileSync(join(dir, 'out.csv.gz'))).toString()).toBe('id,s\n0,\n1,s1\n2,s2\n');
  });

  it('writes JSON lines', async () => {
    const path = join(dir, 'out.json');
    await db.sql(`copy (select id, s from t where id in (0, 1)) to '${path}' (format json)`);
    expect(readFileSync(path, 'utf8')).toBe('{"id":0,"s":null}\n{"id":1,"s":"s1"}\n');
  });

  it('writes one JSON array with ARRAY true, which DuckDB reads back; ARRAY is for json only', async () => {
    const path = join(dir, 'array.json');
    await db.sql(`copy (select id, s from t where id in (0, 1)) to '${path}' (format json, array true)`);
    expect(readFileSync(path, 'utf8')).toBe('[\n{"id":0,"s":null},\n{"id":1,"s":"s1"}\n]\n');
    expect(await duck.query(`select count(*)::int, max(id)::int from read_json('${path}')`)).toEqual([[2, 1]]);
    await db.sql(`copy (select id from t where id < 0) to '${path}' (array, overwrite)`);
    expect(readFileSync(path, 'utf8')).toBe('[\n]\n');
    await expect(db.sql(`copy t to '${join(dir, 'x.csv')}' (array true)`)).rejects.toThrow(/expected options of FORMAT csv \(ARRAY is for json\)/);
  });

  it('writes hive-style partition folders that DuckDB reads back', async () => {
    const path = join(dir, 'parts');
    const res = await db.sql(`copy (select id, s, d from t) to '${path}' (format parquet, partition_by (s))`);
    expect(res.rows()).toEqual([[1000n]]);
    expect(readdirSync(path).sort()).toEqual(['s=NULL', 's=s0', 's=s1', 's=s2', 's=s3', 's=s4']);
    expect(readdirSync(join(path, 's=s1'))).toEqual(['part-0.parquet']);
    const back = await duck.query(`select s, count(*)::int, sum(id)::int from read_parquet('${path}/*/*.parquet', hive_partitioning = true) group by s order by s nulls first`);
    const want = await duck.query(`select s, count(*)::int, sum(id)::int from (select range as id, case when range % 3 = 0 then null else 's' || (range % 5) end as s from range(1000)) group by s order by s nulls first`);
    expect(back).toEqual(want);
  });

  it('refuses to replace an existing file unless OVERWRITE', async () => {
    const path = join(dir, 'exists.parquet');
    writeFileSync(path, 'old');
    const err = await db.sql(`copy t to '${path}'`).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as Error).message).toBe(`cannot COPY to "${path}": it already exists (add OVERWRITE to replace it)`);
    await db.sql(`copy t to '${path}' (overwrite)`);
    expect(await duck.query(`select count(*)::int from '${path}'`)).toEqual([[1000]]);
  });

  it('names a bad path and leaves nothing behind', async () => {
    const path = join(dir, 'no', 'such', 'dir', 'x.parquet');
    const err = await db.sql(`copy t to '${path}'`).then(() => null, (e: unknown) => e);
    expect((err as SpillwayError).kind).toBe('io');
    expect((err as Error).message).toContain(path);
    expect(leftovers()).toEqual([]);
  });

  it('a query that fails midway leaves no file and no temporary file', async () => {
    const path = join(dir, 'failed.csv');
    const err = await db.sql(`copy (select 10 / (500 - id) * 0 + cast(case when id = 900 then 'x' else '1' end as integer) from t) to '${path}'`)
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a cancelled COPY leaves no file and no temporary file', async () => {
    const path = join(dir, 'cancelled.parquet');
    const big = Array.from({ length: 2000 }, (_, i) => `(${i})`).join(',');
    const ac = new AbortController();
    const run = db.sql(`copy (select a.x * 2000 + b.x as y from (values ${big}) a(x), (values ${big}) b(x)) to '${path}'`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const err = await run.then(() => null, (e: unknown) => e);
    expect((err as SpillwayError).kind).toBe('cancelled');
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('reports bad options with their position', async () => {
    await expect(db.sql(`copy t to '${join(dir, 'x.parquet')}' (format xml)`)).rejects.toThrow(/line 1, column \d+: expected FORMAT parquet, csv or json in COPY, found "xml"/);
    await expect(db.sql(`copy t to '${join(dir, 'x.parquet')}' (colour red)`)).rejects.toThrow(/expected a COPY option .* found "colour"/);
    await expect(db.sql(`copy (select nope from t) to '${join(dir, 'x.parquet')}'`)).rejects.toThrow(/nope/);
    await expect(db.sql(`copy t to '${join(dir, 'y.csv')}' (partition_by (nope))`)).rejects.toThrow(/PARTITION_BY column "nope"/);
    expect(leftovers()).toEqual([]);
  });
});
