/**
 * WITH queries read more than once are computed once (SharedSubplans / SharedRead):
 * answers agree with DuckDB on in-memory tables (used twice, three times, nested, from a
 * subquery, correlated readers), the plans show what is shared and what is inlined, a
 * shared output spills under a tiny memory limit, and worker threads (which inline shared
 * subplans) give the single-node answers, TPC-H Q15 included.
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

const SETUP = [
  'create table t(a integer, b integer, s varchar)',
  `insert into t values (1, 10, 'x'), (2, 20, 'y'), (2, 5, null), (3, null, 'x'), (null, 7, 'z'),
     (4, 40, 'y'), (4, 1, 'x'), (5, 50, null), (1, 3, 'z')`,
  'create table u(a integer, c integer)',
  'insert into u values (1, 100), (2, 200), (4, 400), (null, 0), (6, 600)',
];

/** Each reads a WITH query that does real work (an aggregate, a join, DISTINCT) at least twice. */
const SHARED: string[] = [
  // used twice: the TPC-H Q15 shape
  `with g as (select a, sum(b) as total from t group by a)
   select g.a, g.total from g where g.total = (select max(total) from g)`,
  // used three times, with different columns each
  `with g as (select a, count(*) as n, sum(b) as total from t group by a)
   select x.a, x.n, y.total, z.a from g x join g y on x.a = y.a left join g z on z.a = x.a + 1`,
  // nested: a shared CTE read twice by another shared CTE, itself read twice
  `with g as (select a, sum(b) as total from t group by a),
        h as (select g1.a, g1.total, g2.total as next from g g1 left join g g2 on g2.a = g1.a + 1)
   select * from h where next is not null union all select * from h where total > 20`,
  // read from subqueries: scalar, IN, EXISTS, and a correlated one
  `with g as (select a, sum(b) as total from t group by a)
   select a, b from t where a in (select a from g where total > 10) and b < (select max(total) from g)`,
  `with g as (select distinct a from t where a is not null)
   select u.a, u.c from u where exists (select 1 from g where g.a = u.a) or u.a > (select max(a) from g)`,
  `with g as (select a, sum(b) as total from t group by a)
   select t.a, t.b, (select count(*) from g where g.total > t.b) from t where t.a in (select a from g)`,
  // a join inside the CTE, read by both sides of a join and an aggregate over it
  `with j as (select t.a, t.s, u.c from t join u on t.a = u.a)
   select j1.s, count(*), sum(j2.c) from j j1 join j j2 on j1.a = j2.a group by j1.s`,
  // empty CTE, read twice
  `with g as (select a, count(*) as n from t where b > 1000 group by a)
   select (select count(*) from g), (select max(n) from g)`,
  // UNION of two readers
  `with g as (select s, count(*) as n from t group by s)
   select s, n from g where n > 1 union all select s, n + 100 from g where s is null`,
];

/** WITH queries inlined: read once, or cheap (a filtered scan). */
const INLINED: string[] = [
  'with g as (select a, sum(b) as total from t group by a) select * from g where a > 1',
  'with f as (select a, b from t where b > 4) select f1.a, f2.b from f f1 join f f2 on f1.a = f2.a',
];

describe('WITH queries read more than once are computed once', () => {
  let db: Spillway;
  let duck: DuckOracle;

  beforeAll(async () => {
    db = await Spillway.create({ workers: 0 });
    duck = await DuckOracle.open();
    for (const s of SETUP) {
      await db.sql(s);
      await duck.run(s);
    }
  });

  afterAll(async () => {
    await db?.close();
    duck?.close();
  });

  it.each([...SHARED, ...INLINED])('%s', async (sql) => {
    const ours = resultCells(await db.sql(sql));
    expect(diffRows(ours, await duck.query(sql), false)).toBeNull();
  });

  it.each(SHARED)('shares: %s', async (sql) => {
    const plan = await explainText(db, sql);
    expect(plan).toMatch(/SharedSubplans \[g#\d+ \([2-9] readers\)|SharedSubplans \[.*[jg]#\d+ \([2-9] readers\)/);
    expect(plan).toMatch(/SharedRead [gjh]#\d+/);
  });

  it.each(INLINED)('inlines: %s', async (sql) => {
    const plan = await explainText(db, sql);
    expect(plan).not.toMatch(/Shared/);
  });

  it('counts every reader, nested ones included, and the shared plan runs once', async () => {
    const plan = await explainText(db, SHARED[2]!);
    // h is read twice by the query, g twice by h.
    expect(plan).toMatch(/SharedSubplans \[(h#\d+ \(2 readers\), g#\d+ \(2 readers\)|g#\d+ \(2 readers\), h#\d+ \(2 readers\))\]/);
    const analyzed = await explainText(db, SHARED[0]!, true);
    // One MemoryScan of t under the shared aggregate: t is read once for both readers.
    expect(analyzed.match(/MemoryScan t/g)).toHaveLength(1);
  });
});

async function explainText(db: Spillway, sql: string, analyze = false): Promise<string> {
  const r = await db.sql(`explain ${analyze ? 'analyze ' : ''}${sql}`);
  return r.rows().map((row) => String(row[row.length - 1])).join('\n');
}

describe.skipIf(!HAVE_SHARED)('shared WITH queries on the TPC-H files', () => {
  const q15 = HAVE_SHARED ? readFileSync(join(TPCH_DIR, 'queries', 'q15.sql'), 'utf8') : '';
  const expected = HAVE_SHARED ? parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', 'q15.csv'), 'utf8')).rows : [];

  // Wide rows from a join (nothing in the CTE itself holds memory), read by two aggregates
  // with tiny states: only the shared buffer needs the memory, so it must spill.
  const WIDE = `with w as (select l_orderkey, l_comment, n_name from lineitem join nation on l_suppkey % 25 = n_nationkey)
    select (select count(*) from w), (select max(l_comment) from w), (select min(n_name || l_comment) from w)`;

  it('Q15 reads lineitem once and matches the expected answer', async () => {
    const db = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    try {
      const res = await db.sql(q15);
      expect(diffRows(resultCells(res), expected, true)).toBeNull();
      const plan = await explainText(db, q15);
      expect(plan.match(/ParquetScan lineitem/g)).toHaveLength(1);
      expect(plan).toMatch(/SharedSubplans \[revenue#\d+ \(2 readers\)\]/);
    } finally {
      await db.close();
    }
  });

  it('a shared output larger than the memory limit spills and gives the same answer', async () => {
    const free = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    const tight = await Spillway.create({ tables: TPCH_SF001, workers: 0, settings: { memory_limit: '1MB', batch_size: 1024 } });
    try {
      const want = resultCells(await free.sql(WIDE));
      const res = await tight.sql(WIDE);
      expect(diffRows(resultCells(res), want, false)).toBeNull();
      expect(res.stats?.spillFiles ?? 0).toBeGreaterThan(0);
      expect(await explainText(tight, WIDE)).toMatch(/SharedSubplans \[w#\d+ \(3 readers\)\]/);
      // Everything was given back: the next query has the whole pool.
      expect(resultCells(await tight.sql('select count(*) from nation'))).toEqual([[25]]);
    } finally {
      await free.close();
      await tight.close();
    }
  });

  it('worker threads (shared subplans inlined per stage) give the single-node answers', async () => {
    // The shared files hold one row group per table: copies in row groups of 4,096 rows, so scans split over the threads.
    const dir = mkdtempSync(join(tmpdir(), 'spillway-cte-'));
    const local = await Spillway.create({ tables: TPCH_SF001, workers: 0 });
    for (const t of ['lineitem', 'supplier', 'nation']) {
      await local.sql(`copy ${t} to '${join(dir, `${t}.parquet`)}' (format parquet, row_group_size 4096)`);
    }
    const threads = await Spillway.create({ tables: dir, workers: 2, settings: { force_distribution: true } });
    try {
      for (const sql of [q15, WIDE, `with g as (select l_suppkey, sum(l_quantity) as q from lineitem group by l_suppkey)
          select count(*), sum(q) from g where q > (select avg(q) from g)`]) {
        const want = resultCells(await local.sql(sql));
        const res = await threads.sql(sql);
        expect(res.stats?.stages.length ?? 0, 'ran as a stage DAG').toBeGreaterThan(1);
        expect(diffRows(resultCells(res), want, false)).toBeNull();
      }
      expect(diffRows(resultCells(await threads.sql(q15)), expected, true)).toBeNull();
      // Unforced, the guards keep Q15 local: distributed, its revenue view would be computed twice.
      const guarded = await Spillway.create({ tables: dir, workers: 2, settings: { distribute_min_bytes: 1, distribute_min_decoded_bytes: 0, distribute_max_exchange_ratio: 0 } });
      try {
        expect(await explainText(guarded, q15)).toMatch(/Local plan \(guard shared_work_repeated fired\): the distributed plan recomputes its shared WITH queries/);
        expect(diffRows(resultCells(await guarded.sql(q15)), expected, true)).toBeNull();
        // The same view read once is not shared, and distributes.
        expect(await explainText(guarded, 'with g as (select l_suppkey, sum(l_quantity) as q from lineitem group by l_suppkey) select count(*), sum(q) from g'))
          .toMatch(/Distributed plan: \d+ stages/);
      } finally {
        await guarded.close();
      }
    } finally {
      await local.close();
      await threads.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
