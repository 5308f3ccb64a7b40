/**
 * End to end through the library API: queries that must spill (ORDER BY, high-cardinality
 * GROUP BY, a join with a large build side) under a 1 MB memory limit return what they
 * return without a limit, and leave the spill folder empty after success, error and
 * cancellation. Uses the shared TPC-H sf0.01 files (skipped when absent). The same on two
 * worker threads, where exchange outputs spill too (needs the build in dist/).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { resultCells } from '../helpers/spillway.js';
import { HAVE_DIST, splitTpchTables, totalMetric } from '../scheduler/helpers.js';
import { tempSpillDir } from './spill_context.js';
import { TPCH_SF001 } from '../helpers/paths.js';

const TPCH = TPCH_SF001;
const have = existsSync(`${TPCH}/lineitem.parquet`);

const QUERIES: Record<string, string> = {
  sort: 'select l_orderkey, l_linenumber, l_comment from lineitem order by l_shipdate desc, l_comment, l_orderkey, l_linenumber',
  groupBy: `select l_orderkey, l_linenumber, count(*) as n, sum(l_quantity) as q, avg(l_discount) as d, max(l_comment) as c,
            count(distinct l_shipmode) as m from lineitem group by l_orderkey, l_linenumber`,
  join: `select a.l_orderkey, a.l_linenumber, a.l_comment, b.l_comment, b.l_shipmode from lineitem a full join lineitem b
         on a.l_orderkey = b.l_orderkey and a.l_linenumber = b.l_linenumber and a.l_quantity > 10`,
};

function sortedCells(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
}

describe.skipIf(!have)('spilling through Spillway.sql', () => {
  let spillDir: string;
  let limited: Spillway;
  let unlimited: Spillway;
  beforeAll(async () => {
    spillDir = tempSpillDir();
    limited = await Spillway.create({ tables: TPCH, workers: 0, memoryLimit: '1MB', settings: { batch_size: 512, spill_dir: spillDir } });
    unlimited = await Spillway.create({ tables: TPCH, workers: 0, settings: { batch_size: 4096, spill_dir: spillDir } });
  });
  afterAll(async () => {
    await limited.close();
    await unlimited.close();
    rmSync(spillDir, { recursive: true, force: true });
  });

  for (const [name, q] of Object.entries(QUERIES)) {
    it(`${name}: same answer under 1MB as unlimited, spills, leaves no files`, async () => {
      const got = await limited.sql(q);
      expect(got.stats!.spillFiles).toBeGreaterThan(0);
      const want = await unlimited.sql(q);
      expect(got.numRows).toBe(want.numRows);
      if (name === 'sort') expect(resultCells(got)).toEqual(resultCells(want));
      else expect(sortedCells(resultCells(got))).toEqual(sortedCells(resultCells(want)));
      expect(readdirSync(spillDir)).toEqual([]);
    });
  }

  it('an error while spilling leaves no files (disk quota)', async () => {
    await limited.sql("set spill_disk_quota = '200KB'");
    try {
      await expect(limited.sql(QUERIES.sort!)).rejects.toThrow(/spill disk quota of 200\.0 KiB exceeded/);
    } finally {
      await limited.sql('set spill_disk_quota = 0');
    }
    expect(readdirSync(spillDir)).toEqual([]);
  });

  it('cancellation while spilling leaves no files', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expect(limited.sql(QUERIES.groupBy!, { signal: controller.signal })).rejects.toThrow(/cancel/);
    expect(readdirSync(spillDir)).toEqual([]);
  });
});

// The shared files hold one row group per table; the split copy has many, so scans spread
// over both threads and every query shuffles between them.
describe.skipIf(!have || !HAVE_DIST)('spilling on two worker threads (exchange outputs spill)', () => {
  const THREAD_QUERIES: Record<string, string> = {
    sort: 'select l_orderkey, l_linenumber, l_shipdate, l_shipmode from lineitem order by l_shipdate desc, l_shipmode, l_orderkey, l_linenumber',
    groupBy: 'select l_orderkey, l_linenumber, count(*) as n, sum(l_quantity) as q from lineitem group by l_orderkey, l_linenumber',
    selfJoin: 'select a.o_orderkey, a.o_custkey, b.o_totalprice, b.o_orderdate from orders a join orders b on a.o_orderkey = b.o_orderkey',
  };
  let tables = '';
  let spillDir: string;
  let limited: Spillway;
  let reference: Spillway;
  beforeAll(async () => {
    tables = await splitTpchTables();
    spillDir = tempSpillDir();
    limited = await Spillway.create({
      tables, memoryLimit: '1MB', workers: 2, settings: { batch_size: 512, spill_dir: spillDir, force_distribution: true },
    });
    reference = await Spillway.create({ tables, workers: 0, settings: { spill_dir: spillDir } });
  }, 60_000);
  afterAll(async () => {
    await limited?.close();
    await reference?.close();
    rmSync(spillDir, { recursive: true, force: true });
    if (tables !== '') rmSync(tables, { recursive: true, force: true });
  }, 30_000);

  for (const [name, q] of Object.entries(THREAD_QUERIES)) {
    it(`${name}: same answer under 1MB on two threads as unlimited on one, spills exchange output, leaves no files`, async () => {
      const got = await limited.sql(q);
      expect(totalMetric(got, 'rowsReceived')).toBeGreaterThan(0); // it shuffled
      expect(totalMetric(got, 'exchangeSpillBytes')).toBeGreaterThan(0);
      // The query's figures add up what every worker spilled and held.
      let spilled = 0, files = 0;
      for (const m of got.metrics!.byNode.values()) { spilled += m.spillBytes; files += m.spillCount; }
      expect(got.stats!.spillBytes).toBe(spilled);
      expect(got.stats!.spillFiles).toBe(files);
      expect(got.stats!.spillBytes).toBeGreaterThanOrEqual(totalMetric(got, 'exchangeSpillBytes'));
      expect(got.stats!.peakMemoryBytes).toBeGreaterThan(0);
      const want = await reference.sql(q);
      expect(got.numRows).toBe(want.numRows);
      if (name === 'sort') expect(resultCells(got)).toEqual(resultCells(want));
      else expect(sortedCells(resultCells(got))).toEqual(sortedCells(resultCells(want)));
      expect(readdirSync(spillDir)).toEqual([]);
    }, 60_000);
  }
});
