/**
 * Differential test: Spillway and DuckDB run the same SQL over the same Parquet files
 * (random data with NULLs, duplicates and skew, written by Spillway's Parquet writer) and
 * must agree — as bags, or in order when the query has a total ORDER BY.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', '', 'Ünïcode', 'zeta'];

const QUERIES: { sql: string; ordered?: boolean }[] = [
  { sql: 'select count(*), count(a), count(s), sum(a), min(a), max(a), avg(x) from t' },
  { sql: 'select g, count(*), sum(a), avg(x), min(s), max(s), count(distinct a) from t group by g' },
  { sql: 'select g, s, count(*) from t group by g, s having count(*) > 1' },
  { sql: 'select * from t where a between 10 and 40 and s like \'%an%\'' },
  { sql: 'select a, s from t where a is null or s is null' },
  { sql: 'select a % 7 as m, sum(x) from t where a is not null group by a % 7' },
  { sql: 'select t.g, u.name, count(*) from t join u on t.g = u.g group by t.g, u.name' },
  { sql: 'select t.a, u.name from t left join u on t.g = u.g and t.a > 20' },
  { sql: 'select t.a, u.name from t right join u on t.g = u.g' },
  { sql: 'select t.a, u.name from t full join u on t.g = u.g' },
  { sql: 'select * from u where g in (select g from t where a > 45)' },
  { sql: 'select * from u where g not in (select g from t where g is not null)' },
  { sql: 'select * from u where exists (select 1 from t where t.g = u.g and t.a < 5)' },
  { sql: 'select * from u where not exists (select 1 from t where t.g = u.g)' },
  { sql: 'select a, s, x from t order by a desc nulls last, s, x limit 25', ordered: false },
  { sql: 'select distinct g, s from t' },
  { sql: 'select g from t union select g from u' },
  { sql: 'select g, a from t union all select g, g from u' },
  { sql: 'select case when a < 10 then \'low\' when a < 30 then \'mid\' else \'high\' end as c, count(*) from t group by 1' },
  { sql: 'select upper(s), length(s), substring(s, 2, 3), coalesce(s, \'none\') from t' },
  { sql: 'select d, count(*) from t where d >= date \'2020-03-01\' group by d' },
  { sql: 'select extract(year from d) y, extract(month from d) m, sum(a) from t group by 1, 2' },
  { sql: 'select g, (select max(a) from t t2 where t2.g = u.g) from u' },
  { sql: 'select cast(a as double) / 3, cast(x as integer), a * 2 - 1 from t where a is not null' },
];

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
])('Spillway ($mode) agrees with DuckDB on the same Parquet files', (mode) => {
  const fx = parquetFixture('spillway-diff-', async (dir) => {
    const r = rng(42);
    const tSchema = schema([field('g', 'int32'), field('a', 'int32'), field('x', 'float64'), field('s', 'utf8'), field('d', 'date32')]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 3000; i++) {
      const g = r() < 0.05 ? null : Math.floor(r() ** 2 * 12); // skewed, some NULL
      const a = r() < 0.1 ? null : Math.floor(r() * 50);
      const x = r() < 0.1 ? null : Math.round(r() * 10000) / 100;
      const s = r() < 0.1 ? null : WORDS[Math.floor(r() * WORDS.length)]!;
      const d = r() < 0.05 ? null : 18262 + Math.floor(r() * 400); // 2020-01-01 + up to 400 days
      rows.push([g, a, x, s, d]);
    }
    await writeParquet(join(dir, 't.parquet'), [batchFromRows(tSchema, rows.slice(0, 1700)), batchFromRows(tSchema, rows.slice(1700))], tSchema, { rowGroupSize: 1000 });
    const uSchema = schema([field('g', 'int32'), field('name', 'utf8')]);
    const uRows: Scalar[][] = Array.from({ length: 15 }, (_, i) => [i === 14 ? null : i, `name${i % 9}`]);
    await writeParquet(join(dir, 'u.parquet'), [batchFromRows(uSchema, uRows)], uSchema);
  }, mode);

  it('runs as the mode says', async () => {
    const plan = (await fx.db.sql('explain select g, count(*) from t group by g')).rows().map((r) => r[0]).join('\n');
    if (mode.settings.force_distribution === true) expect(plan).toMatch(/Distributed plan: \d+ stages/);
    else expect(plan).not.toMatch(/Distributed plan/);
  });

  for (const q of QUERIES) {
    it(q.sql, async () => {
      await expectAgreement(fx, q.sql, q.ordered ?? false);
    });
  }
});
