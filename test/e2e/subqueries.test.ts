/**
 * Subqueries end to end, compared with DuckDB on the same in-memory tables: correlated
 * scalar subqueries with non-equality correlation (the COUNT bug, NULL outer values),
 * EXISTS / IN / NOT IN under OR, CASE and in the select list (three-valued IN), nested
 * correlation, empty inner tables and duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';

const SETUP = [
  'create table t1(a integer, b integer, c integer, d integer)',
  `insert into t1 values (1, 10, 5, 7), (2, 20, null, 3), (3, null, 8, 8), (4, 20, 2, null),
     (null, 30, 9, 1), (5, 10, 5, 7), (6, 40, 1, 9), (null, null, null, null)`,
  'create table t2(x integer, y integer, s varchar)',
  `insert into t2 values (1, 10, 'p'), (2, null, 'q'), (2, 25, null), (null, 40, 'p'), (7, 5, 'r'), (3, 10, 'q')`,
  'create table e(x integer, y integer)',
  'create table k(x integer)',
  'insert into k values (1), (2), (3)',
];

const QUERIES: string[] = [
  // A. correlated scalar subqueries whose correlation is not an equality
  'select a, b, (select count(*) from t1 as x where x.b < t1.b) from t1',
  'select a, (select count(*) from t1 as x where x.c > t1.c and x.d < t1.d) from t1',
  'select a from t1 where (select count(*) from t1 as x where x.b < t1.b) >= 2',
  'select a, (select max(x.y) from t2 as x where x.x <= t1.a) from t1',
  'select a, (select sum(y) from t2 where t2.x < t1.a or t1.a is null) from t1',
  'select a, (select count(y) from t2 where t2.y > t1.b) from t1',
  'select a, (select count(*) from e where e.x < t1.a) from t1',
  'select a, (select count(*) + t1.a from t2 where t2.x <> t1.a) from t1',
  'select a, (select avg(y) * 2 from t2 where t2.x = t1.a and t2.y > t1.c) from t1',
  'select a, (select count(*) from t2 where t2.x = t1.a) from t1',
  'select a, (select max(s) from t2 where t2.y >= t1.b) from t1',
  'select s, (select count(*) from t2 as z where z.s < t2.s or (z.s is null and t2.s is null)) from t2',
  'select b, (select count(*) from t1 as x where x.b < t1.b) as n from t1 order by n, b',
  'select a, (select y from t2 where t2.x = t1.a and t2.y is not null) from t1 where a <> 2 or a is null',
  'select a, (select sum(t1.c * x) from t2 where t2.y < t1.b) from t1',
  'select a, (select count(*) from (select distinct x from t2) as q where q.x < t1.a) from t1',
  'select a, (select count(*) from t2 join k on t2.x = k.x where k.x < t1.a) from t1',
  'select a, (select max(n) from (select t2.x, count(*) as n from t2 where t2.y < t1.b group by t2.x) as g) from t1',
  'select a, (select count(*) from (select x from t2 where x < t1.a union all select x from k where x > t1.a) as u) from t1',
  // outer columns NULL-extended by an outer join: the domain must include that NULL
  'select t1.a, k.x, (select count(*) from t2 where t2.x < k.x or k.x is null) from t1 left join k on k.x = t1.a',
  'select t1.a, k.x, (select count(*) from t2 where t2.x < t1.a) from k right join t1 on k.x = t1.a + 1 where t1.b > 10',
  // nested: the innermost subquery reads the outermost query
  'select a, (select count(*) from t2 where t2.x < t1.a and exists (select 1 from k where k.x = t2.x and k.x < t1.a)) from t1',
  // B. EXISTS / IN under OR, CASE and in the select list
  'select a from t1 where exists (select 1 from t1 as x where x.b < t1.b) or a > 4',
  'select a from t1 where not exists (select 1 from t1 as x where x.b < t1.b) or a > 4',
  'select a, exists (select 1 from t2 where t2.x = t1.a) from t1',
  'select a, not exists (select 1 from t2 where t2.y > t1.b) from t1',
  'select a, exists (select 1 from e where e.x = t1.a) from t1',
  'select a, exists (select 1 from t2) , exists (select 1 from e) from t1',
  'select a, case when exists (select 1 from t2 where t2.x < t1.a) then 1 else 0 end from t1',
  'select a, a in (select x from t2) from t1',
  'select a, a not in (select x from t2) from t1',
  'select a, a in (select x from t2 where x is not null) from t1',
  'select a, a not in (select x from e) from t1',
  'select a, a in (select y from t2 where t2.x = t1.a) from t1',
  'select a, a not in (select y - 8 from t2 where t2.x < t1.a) from t1',
  'select a from t1 where a in (select x from t2) or b > 30',
  'select a from t1 where a not in (select x from t2 where x < t1.a) or b is null',
  'select a from t1 where a not in (select x from t2 where x is not null and x < t1.b)',
  'select a from t1 where a in (select x from t2 where t2.y < t1.b)',
  'select a from t1 where exists (select 1 from t2 where t2.y < t1.b and t2.x > t1.a)',
  'select a from t1 where not exists (select t2.x from t2 where t2.y = t1.b group by t2.x having count(*) > 1)',
  'select a from t1 where case when a > 2 then a in (select x from t2) else not exists (select 1 from t2 where t2.y = t1.b) end',
  'select a, count(*) from t1 where exists (select 1 from t2 where t2.x < t1.a) or a is null group by a',
  'select a from t1 where exists (select 1 from t2 where t2.x = t1.a) and (select count(*) from t2 where t2.y < t1.b) > 0',
  // other positions: a FROM-less subquery, aggregate arguments, HAVING, an inner join's ON
  'select a, (select t1.a + 1) from t1',
  'select sum((select count(*) from t2 where t2.x < t1.a)) from t1',
  'select b, count(*) from t1 group by b having count(*) >= (select count(*) from t2 where t2.y = t1.b)',
  'select b, count(*) from t1 group by b having exists (select 1 from t2 where t2.y < t1.b) or b is null',
  'select t1.a, k.x from t1 join k on k.x = t1.a and exists (select 1 from t2 where t2.x = k.x)',
  // uncorrelated, unchanged shapes
  'select a from t1 where a in (select x from t2)',
  'select a from t1 where a not in (select x from t2 where x is not null)',
  'select a, (select max(y) from t2) from t1',
];

describe('subqueries agree with DuckDB', () => {
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

  it.each(QUERIES)('%s', async (sql) => {
    const ours = resultCells(await db.sql(sql));
    const theirs = await duck.query(sql);
    expect(diffRows(ours, theirs, false)).toBeNull();
  });

  it('orders by a correlated subquery', async () => {
    const sql = 'select a, b from t1 order by (select count(*) from t2 where t2.y < t1.b) desc, a';
    const ours = resultCells(await db.sql(sql));
    expect(diffRows(ours, await duck.query(sql), true)).toBeNull();
  });

  it('fails at run time when a correlated scalar subquery returns more than one row', async () => {
    await expect(db.sql('select a, (select y from t2 where t2.x < t1.a) from t1')).rejects.toThrow(/more than one row/);
    // One row per outer row: no error.
    const r = resultCells(await db.sql('select a, (select y from t2 where t2.x < t1.a) from t1 where a = 2'));
    expect(r).toEqual([[2, 10]]);
  });

  it('decorrelates an outer join whose ON condition reads the outer query (DuckDB cannot)', async () => {
    const r = resultCells(await db.sql(
      'select a, b, (select count(t2.y) from k left join t2 on t2.x = k.x and t2.y < t1.b) from t1',
    ));
    const expected = [[1, 10, 0], [2, 20, 2], [3, null, 0], [4, 20, 2], [null, 30, 3], [5, 10, 0], [6, 40, 3], [null, null, 0]];
    expect(diffRows(r, expected, false)).toBeNull();
  });

  it('rejects LIMIT inside a correlated subquery with a clear error', async () => {
    await expect(db.sql('select a, (select y from t2 where t2.x < t1.a order by y limit 1) from t1'))
      .rejects.toThrow(/unsupported subquery: LIMIT or OFFSET in a correlated subquery/);
  });

  it('gives the right answer when no outer row reaches the subquery', async () => {
    const r = resultCells(await db.sql('select a, (select count(*) from t2 where t2.x < t1.a) from t1 where a > 100'));
    expect(r).toEqual([]);
  });
});
