/** Hive partition folders (`year=2024/month=1/`) as columns, and files pruned by them, on local storage. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import type { QueryResult } from '../../src/result.js';
import { hivePartitionColumns, partitionValues } from '../../src/storage/hive_partitions.js';

function scanExtra(r: QueryResult, key: string): number {
  let n = 0;
  for (const m of r.metrics?.byNode.values() ?? []) n += m.extra[key] ?? 0;
  return n;
}

describe('hive partition helpers', () => {
  it('finds the keys every file shares and types them', () => {
    expect(hivePartitionColumns(['year=2024/month=1/a.parquet', 'year=2023/month=12/b.parquet'], ['x'])).toEqual([
      { name: 'year', type: 'int64', nullable: false }, { name: 'month', type: 'int64', nullable: false },
    ]);
    expect(hivePartitionColumns(['k=a%2Fb/a.parquet', 'k=NULL/b.parquet'], ['x'])).toEqual([{ name: 'k', type: 'utf8', nullable: true }]);
    expect(hivePartitionColumns(['year=2024/a.parquet', 'b.parquet'], ['x'])).toEqual([]);
    expect(hivePartitionColumns(['x=1/a.parquet'], ['x'])).toEqual([]);
    const v = partitionValues('/d/t/k=a%2Fb/year=7/f.parquet', [{ name: 'year', type: 'int64', nullable: true }, { name: 'k', type: 'utf8', nullable: true }]);
    expect([...v]).toEqual([[0, 7n], [1, 'a/b']]);
  });
});

describe('hive-partitioned tables', () => {
  let dir: string;
  let db: Spillway;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-hive-'));
    mkdirSync(join(dir, 'tables'));
    db = await Spillway.create({ workers: 0 });
    await db.sql(`copy (select i as id, i * 10 as v, 2020 + i % 3 as year, i % 2 + 1 as month from (values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11)) t(i))
      to '${join(dir, 'tables', 'events')}' (format parquet, partition_by (year, month))`);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exposes the folders as columns and prunes files from predicates on them', async () => {
    const t = await Spillway.create({ workers: 0, tables: join(dir, 'tables') });
    try {
      const all = await t.sql('select year, month, count(*) c, sum(v) s from events group by year, month order by year, month');
      expect(all.rows()).toEqual([
        [2020n, 1n, 2n, 60n], [2020n, 2n, 2n, 120n], [2021n, 1n, 2n, 140n], [2021n, 2n, 2n, 80n], [2022n, 1n, 2n, 100n], [2022n, 2n, 2n, 160n],
      ]);
      const one = await t.sql('select id from events where year = 2021 and month = 2 order by id');
      expect(one.rows()).toEqual([[1], [7]]);
      expect(scanExtra(one, 'filesPruned')).toBe(5);
      expect(scanExtra(one, 'filesRead')).toBe(1);
      const glob = await t.sql(`select count(*) from read_parquet('${join(dir, 'tables', 'events')}/**/*.parquet') where year >= 2021`);
      expect(glob.rows()).toEqual([[8n]]);
      expect(scanExtra(glob, 'filesPruned')).toBe(2);
    } finally {
      await t.close();
    }
  });
});
