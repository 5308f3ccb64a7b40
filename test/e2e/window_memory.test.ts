/**
 * Window functions beyond memory: one window partition of 300,000 rows under a 2 MB memory
 * limit. Running frames stream (only the last n rows and running sums are kept) and agree
 * with DuckDB; a frame that needs the whole partition fails with the resources error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';

const ROWS = 300_000;

describe('window functions over a partition larger than memory', () => {
  let dir: string;
  let db: Spillway;
  let duck: DuckOracle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-window-mem-'));
    const s = schema([field('id', 'int32'), field('k', 'int32'), field('a', 'int32')]);
    const batches = [];
    for (let b = 0; b < ROWS; b += 50_000) {
      const rows: Scalar[][] = [];
      // id is unique; k has ties (100 rows each) so peer groups span batches; a has NULLs.
      for (let i = b; i < b + 50_000; i++) rows.push([(i * 7919) % ROWS, ((i * 7919) % ROWS) % 3000, i % 13 === 0 ? null : (i * 31) % 1000]);
      batches.push(batchFromRows(s, rows));
    }
    await writeParquet(join(dir, 'big.parquet'), batches, s, { rowGroupSize: 50_000 });
    db = await Spillway.create({ tables: dir, batchSize: 1024, workers: 0, settings: { memory_limit: 2 << 20 } });
    duck = await DuckOracle.open(dir);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    duck?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Aggregated so that the result is small; each checks every row's window value.
  const QUERIES = [
    'select count(*), sum(rn * a), sum(r * a), sum(dr * a), sum(l * id), count(l), sum(s), sum(c), sum(m) from (select id, a, '
      + 'row_number() over (order by id) rn, rank() over (order by k) r, dense_rank() over (order by k) dr, lag(a, 3) over (order by id) l, '
      + 'sum(a) over (order by id) s, count(a) over (order by k) c, max(a) over (order by id rows between 5 preceding and current row) m from big) q',
    'select sum(x), sum(y), count(z) from (select avg(a) over (order by k) x, sum(a) over (order by id rows between 2 preceding and 1 preceding) y, '
      + 'first_value(a) over (order by id rows 4 preceding) z from big) q',
    'select sum(lo * id), sum(hi * id), sum(m) from (select id, min(a) over (order by id) lo, max(a) over (order by k, id) hi, '
      + 'min(a) over (order by id desc rows unbounded preceding) m from big) q',
  ];

  for (const sql of QUERIES) {
    it(sql, async () => {
      const ours = resultCells(await db.sql(sql));
      const theirs = await duck.query(sql);
      const diff = diffRows(ours, theirs, false);
      expect(diff, diff ?? '').toBeNull();
    }, 120_000);
  }

  it('streams: the Window held at most a few batches, the Sort below it spilled', async () => {
    const text = (await db.sql('explain analyze select sum(s) from (select sum(a) over (order by id) s from big) q')).rows().map((r) => String(r[0])).join('\n');
    const held = /maxRowsHeld[=: ]+(\d+)/.exec(text);
    expect(held, text).not.toBeNull();
    expect(Number(held![1])).toBeLessThan(10_000);
    expect(text).toMatch(/spill/i);
  }, 120_000);

  it('a frame over the whole partition that does not fit fails with the resources error', async () => {
    await expect(db.sql('select sum(t) from (select sum(a) over () t from big) q')).rejects.toThrow(/Window\[p0\]#\d+: a window partition of at least \d+ rows does not fit in memory/);
  }, 120_000);
});
