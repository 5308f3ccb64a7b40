/**
 * Join key filters: a hash join with a small build side hands its keys to the Parquet scans
 * under its probe side, which drop rows that cannot match. Answers agree with DuckDB and with
 * the filters off (NULL keys on both sides, int and date keys, semi/anti/outer joins, an
 * aggregate and another join in between, worker threads); EXPLAIN shows which scans take
 * which join's keys, and joins whose unmatched probe rows reach the output get none.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { diffRows, parseCsv } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { HAVE_SHARED, TPCH_DIR, TPCH_SF001 } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';

/** Queries whose probe-side scan of o takes a join's keys. */
const FILTERED: string[] = [
  // inner join, small build side
  "select count(*), sum(tp) from o join c on o.ck = c.ck where c.seg = 'BUILDING' and c.nk = 3",
  // semi joins
  'select count(*), sum(tp) from o where o.ck in (select ck from c where nk = 3)',
  'select count(*) from o where exists (select 1 from c where c.ck = o.ck and c.nk = 3)',
  // an aggregate grouped by the key between the join and the scan
  'select count(*), sum(g.cnt) from (select ck, count(*) as cnt from o group by ck) g join c on g.ck = c.ck where c.nk = 3',
  // the TPC-H Q17 shape: a correlated average per key
  'select count(*), sum(tp) from o, c where o.ck = c.ck and c.nk = 3 and tp > (select avg(tp) from o o2 where o2.ck = c.ck)',
  // date keys
  'select count(*), sum(tp) from o join d on o.od = d.d',
  // the IN set reaches o through the inner join's equal keys (the TPC-H Q18 shape)
  'select count(*), sum(tp) from c join o on o.ck = c.ck where c.ck in (select ck from c c2 where c2.nk = 3 and c2.seg = \'MACHINERY\')',
  // through another join
  "select n.name, count(*) from o join c on o.ck = c.ck join n on c.nk = n.nk where n.name = 'GERMANY' group by n.name",
];

/** Queries where o's unmatched rows reach the output: no key filter on o. */
const UNFILTERED: string[] = [
  'select count(*), count(c.ck) from o left join (select ck from c where nk = 3) c on o.ck = c.ck',
  'select count(*) from o where not exists (select 1 from c where c.ck = o.ck and c.nk = 3)',
  'select count(*) from o where o.ck not in (select ck from c where nk = 3)',
  'select count(*), count(o.ck), count(c.ck) from o full join (select ck from c where nk = 3) c on o.ck = c.ck',
];

describe('join key filters', () => {
  let dir: string;
  let db: Spillway;
  let off: Spillway;
  let duck: DuckOracle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-keyfilter-'));
    const src = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    try {
      // NULL keys on both sides; several row groups per file
      await src.sql(`copy (select case when o_orderkey % 11 = 0 then null else o_custkey end as ck, o_orderkey as ok,
        o_orderdate as od, o_totalprice as tp from orders) to '${join(dir, 'o.parquet')}' (format parquet, row_group_size 2048)`);
      await src.sql(`copy (select case when c_custkey % 13 = 0 then null else c_custkey end as ck, c_nationkey as nk,
        c_mktsegment as seg from customer) to '${join(dir, 'c.parquet')}' (format parquet, row_group_size 512)`);
      await src.sql(`copy (select distinct o_orderdate as d from orders where o_orderdate < date '1992-02-01')
        to '${join(dir, 'd.parquet')}' (format parquet)`);
      await src.sql(`copy (select n_nationkey as nk, n_name as name from nation) to '${join(dir, 'n.parquet')}' (format parquet)`);
    } finally {
      await src.close();
    }
    db = await Spillway.create({ tables: dir, workers: 0, settings: { batch_size: 256 } });
    off = await Spillway.create({ tables: dir, workers: 0, settings: { batch_size: 256, join_key_filters: false } });
    duck = await DuckOracle.open(dir);
  });

  afterAll(async () => {
    await db?.close();
    await off?.close();
    duck?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([...FILTERED, ...UNFILTERED])('%s', async (sql) => {
    const ours = resultCells(await db.sql(sql));
    expect(diffRows(ours, await duck.query(sql), false)).toBeNull();
    expect(diffRows(ours, resultCells(await off.sql(sql)), false)).toBeNull();
  });

  it.each(FILTERED)('filters the scan of o: %s', async (sql) => {
    const plan = await explainText(db, sql, true);
    const scan = plan.split('\n').find((l) => /ParquetScan o cols=\[(ck|od)/.test(l) && l.includes('keyFilters='));
    expect(scan, plan).toBeDefined();
    const id = /keyFilters=\[(?:ck|od) from keyFilter#(\d+)/.exec(scan!)![1];
    expect(plan).toMatch(new RegExp(`HashJoin\\[(inner|semi|right_semi)\\] .* keyFilter#${id}\\b`));
    const rowsIn = Number(/keyFilterRowsIn=(\d+)/.exec(scan!)![1]);
    const rowsOut = Number(/keyFilterRowsOut=(\d+)/.exec(scan!)![1]);
    expect(rowsIn).toBeGreaterThanOrEqual(15000); // every row of o, once per set it met
    expect(rowsOut).toBeLessThan(rowsIn / 4);
    // with the setting off, nothing is marked
    expect(await explainText(off, sql)).not.toMatch(/keyFilter/);
  });

  it.each(UNFILTERED)('leaves the scan of o alone: %s', async (sql) => {
    const plan = await explainText(db, sql);
    const scan = plan.split('\n').find((l) => l.includes('ParquetScan o '));
    expect(scan, plan).toBeDefined();
    expect(scan).not.toMatch(/keyFilters/);
  });

  it('a LIMIT between the join and the scan stops the filter', async () => {
    const sql = 'select count(*) from (select ck from o limit 100) x join c on x.ck = c.ck where c.nk = 3';
    expect(await explainText(db, sql)).not.toMatch(/ParquetScan o .*keyFilters/);
    expect(diffRows(resultCells(await db.sql(sql)), resultCells(await off.sql(sql)), false)).toBeNull();
  });

  it('worker threads give the single-thread answers', async () => {
    const threads = await Spillway.create({ tables: dir, workers: 2, settings: { batch_size: 256, force_distribution: true } });
    try {
      for (const sql of [FILTERED[0]!, FILTERED[3]!, FILTERED[4]!, FILTERED[6]!]) {
        expect(diffRows(resultCells(await threads.sql(sql)), resultCells(await db.sql(sql)), false)).toBeNull();
      }
    } finally {
      await threads.close();
    }
  });

  it('on worker threads, a query whose filter would not reach its scan across an exchange stays local (key_filters_lost)', async () => {
    // The aggregate grouped by ck would be hash-partitioned, so o's scan would sit in a stage below the join's.
    const settings = { batch_size: 256, distribute_min_bytes: 1, distribute_min_decoded_bytes: 0, distribute_max_exchange_ratio: 0 };
    const threads = await Spillway.create({ tables: dir, workers: 2, settings });
    const threadsOff = await Spillway.create({ tables: dir, workers: 2, settings: { ...settings, join_key_filters: false } });
    try {
      const sql = FILTERED[3]!;
      expect(await explainText(threads, sql)).toMatch(/Local plan \(guard key_filters_lost fired\): join key filters would not reach scans decoding .* across exchanges/);
      expect(diffRows(resultCells(await threads.sql(sql)), resultCells(await db.sql(sql)), false)).toBeNull();
      // Without key filters nothing is lost: the same query is distributed.
      expect(await explainText(threadsOff, sql)).toMatch(/Distributed plan: \d+ stages/);
      // A join whose probe scan stays in the join's stage (broadcast) keeps its filter and distributes.
      expect(await explainText(threads, FILTERED[0]!)).toMatch(/Distributed plan: \d+ stages/);
    } finally {
      await threads.close();
      await threadsOff.close();
    }
  });
});

async function explainText(db: Spillway, sql: string, analyze = false): Promise<string> {
  const r = await db.sql(`explain ${analyze ? 'analyze ' : ''}${sql}`);
  return r.rows().map((row) => String(row[row.length - 1])).join('\n');
}

describe.skipIf(!HAVE_SHARED)('join key filters on TPC-H Q17', () => {
  it('both lineitem scans take the part keys, the average runs over the matching rows, the answers are right', async () => {
    const q17 = readFileSync(join(TPCH_DIR, 'queries', 'q17.sql'), 'utf8').replace(/^--.*$/gm, '');
    const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', 'q17.csv'), 'utf8')).rows;
    // at SF 0.01 no part is a 'MED BOX' of Brand#23: the variant without the container finds some
    const variant = q17.replace("and p_container = 'MED BOX'", '');
    expect(variant).not.toBe(q17);
    const db = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    const duck = await DuckOracle.open(TPCH_SF001);
    try {
      expect(diffRows(resultCells(await db.sql(q17)), expected, true)).toBeNull();
      expect(diffRows(resultCells(await db.sql(variant)), await duck.query(variant), true)).toBeNull();
      const plan = await explainText(db, variant, true);
      const scans = plan.split('\n').filter((l) => l.includes('ParquetScan lineitem'));
      expect(scans).toHaveLength(2);
      for (const s of scans) {
        expect(s).toMatch(/keyFilters=\[l_partkey from keyFilter#\d+\]/);
        expect(Number(/keyFilterRowsIn=(\d+)/.exec(s)![1])).toBe(60175);
        expect(Number(/keyFilterRowsOut=(\d+)/.exec(s)![1])).toBeLessThan(3000);
      }
      const agg = plan.split('\n').find((l) => l.includes('HashAggregate[single] group=[l_partkey]'));
      expect(Number(/groups=(\d+)/.exec(agg!)![1])).toBeLessThan(100); // of 2,000 parts
    } finally {
      await db.close();
      duck.close();
    }
  });

  it('Q18: the order keys of the IN subquery reach the orders scan and the lineitem scan of the join', async () => {
    const q18 = readFileSync(join(TPCH_DIR, 'queries', 'q18.sql'), 'utf8').replace(/^--.*$/gm, '');
    const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', 'q18.csv'), 'utf8')).rows;
    const db = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    try {
      expect(diffRows(resultCells(await db.sql(q18)), expected, true)).toBeNull();
      const plan = await explainText(db, q18, true);
      const orders = plan.split('\n').find((l) => l.includes('ParquetScan orders'));
      expect(orders).toMatch(/keyFilters=\[o_orderkey from keyFilter#\d+/);
      const filtered = plan.split('\n').filter((l) => l.includes('ParquetScan lineitem') && l.includes('l_orderkey from keyFilter#'));
      expect(filtered).toHaveLength(1);
      expect(Number(/ rows=(\d+)/.exec(filtered[0]!)![1])).toBeLessThan(100);
    } finally {
      await db.close();
    }
  });
});
