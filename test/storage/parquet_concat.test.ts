/**
 * concatParquetFiles: Parquet files joined into one without decoding. DuckDB reads the
 * joined file as the inputs one after another; the first input's bytes keep their
 * offsets; statistics survive where they round-trip and are dropped (never wrong) where
 * they would not; files with other columns are refused in one line naming both.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatParquetFiles } from '../../src/storage/parquet_concat.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { tempDir } from '../scheduler/helpers.js';

let dir = '';
let duck: DuckOracle;

const PART = (from: number, to: number) => `select i::bigint as k, 'v' || i as s, (i / 8)::decimal(10, 2) as price,
  timestamp '2024-01-01 00:00:00' + to_seconds(i) as ts, case when i % 3 = 0 then null else i % 5 = 0 end as flag from range(${from}, ${to}) r(i)`;

beforeAll(async () => {
  dir = tempDir('spillway-concat-');
  duck = await DuckOracle.open();
  await duck.run(`copy (${PART(0, 3000)}) to '${join(dir, 'a.parquet')}' (format parquet, row_group_size 1000)`);
  await duck.run(`copy (${PART(3000, 3500)}) to '${join(dir, 'b.parquet')}' (format parquet)`);
  await duck.run(`copy (${PART(3500, 5000)}) to '${join(dir, 'c.parquet')}' (format parquet, row_group_size 700, compression gzip)`);
  await duck.run(`copy (select 1 as k) to '${join(dir, 'other.parquet')}' (format parquet)`);
});

afterAll(() => {
  duck?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('concatParquetFiles', () => {
  it('joins the row groups in order; DuckDB reads the inputs\' rows; the first input keeps its offsets', async () => {
    const out = join(dir, 'joined.parquet');
    const inputs = ['a', 'b', 'c'].map((n) => join(dir, `${n}.parquet`));
    const r = await concatParquetFiles(inputs, out);
    let groups = 0;
    for (const f of inputs) groups += (await duck.query(`select count(distinct row_group_id)::int from parquet_metadata('${f}')`))[0]![0] as number;
    expect(r).toMatchObject({ rows: 5000, rowGroups: groups });
    expect(await duck.query(`select * from '${out}'`)).toEqual(await duck.query(`${PART(0, 5000)}`));
    const a = readFileSync(inputs[0]!);
    const footer = a.readUInt32LE(a.length - 8);
    expect(readFileSync(out).subarray(0, a.length - 8 - footer).equals(a.subarray(0, a.length - 8 - footer))).toBe(true);
    // Min/max kept for the integer and string columns, dropped for DECIMAL (hyparquet reads it as a float).
    const stats = await duck.query(`select path_in_schema, count(stats_min_value)::int, min(stats_min_value), sum(stats_null_count)::int
      from parquet_metadata('${out}') where path_in_schema in ('k', 's', 'price', 'flag') group by 1 order by 1`);
    expect(stats).toEqual([['flag', groups, 'false', 1667], ['k', groups, '0', 0], ['price', 0, null, 0], ['s', groups, 'v0', 0]]);
    rmSync(out);
  });

  it('refuses files with other columns, naming both, and leaves no output', async () => {
    const out = join(dir, 'bad.parquet');
    await expect(concatParquetFiles([join(dir, 'a.parquet'), join(dir, 'other.parquet')], out))
      .rejects.toThrow(`cannot join Parquet files "${join(dir, 'a.parquet')}" and "${join(dir, 'other.parquet')}": different columns`);
    await expect(duck.query(`select 1 from glob('${out}')`)).resolves.toEqual([]);
  });
});
