/**
 * GROUPING SETS / ROLLUP / CUBE / grouping() and the aggregates beyond count/sum/avg/min/max,
 * differential against DuckDB on random data with NULLs and ties: one thread, worker threads
 * with distribution forced (Expand under a partial aggregate, an exchange, the final one;
 * DISTINCT and holistic aggregates over a hash exchange of raw rows), and one thread and
 * worker threads under a memory limit of 384 KB (one thread) or 1 MB (512 KB per thread) (the aggregation spills; checked below).
 * Every string_agg orders by a unique id, or by the value, so its result is deterministic.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['apple', 'banana', 'cherry', '', 'zeta', 'Ünïcode'];

/** `id` is unique; g, h, a, x, s, b have NULLs and ties. */
const QUERIES: string[] = [
  // grouping sets
  'select g, s, count(*), sum(a), avg(x), min(s), max(a), grouping(g, s) from t group by rollup(g, s)',
  'select g, s, b, count(a), sum(x), grouping(b, g), grouping_id(g, s, b) from t group by cube(g, s, b)',
  'select g, s, count(*), sum(a) from t group by grouping sets ((g, s), (g), (s), ())',
  'select g, count(*), grouping(g) from t group by grouping sets ((g), (g), ())',
  'select g, s, b, count(*) from t group by g, rollup(s, b)',
  'select g, s, b, sum(a) from t group by rollup((g, s), b)',
  'select g, s, count(*) from t group by cube(g, s) having grouping(g, s) < 3 and count(*) > 5',
  'select g, count(*), sum(a) from t where id < 0 group by rollup(g)',
  'select g, s, count(*) from t where id < 0 group by cube(g, s)',
  'select g, count(distinct a), count(*) from t group by rollup(g)',
  'select g, count(distinct a), sum(a) from t where id < 0 group by rollup(g)',
  'select g, id, count(*), sum(a), max(s) from t group by rollup(g, id)',
  'select g + 1 as k, s, count(*) from t group by rollup(1, s)',
  'select count(*) from t group by ()',
  'select g, s, count(*) from t group by rollup(g, s) having g = 1 or g is null',
  // the other aggregates
  'select g, bool_and(a > 10), bool_or(b), var_samp(x), var_pop(a), stddev_samp(a), stddev_pop(x), variance(a), stddev(x) from t group by g',
  'select bool_and(b), bool_or(a > 38), var_pop(x), stddev(a) from t',
  'select g, var_samp(distinct a), bool_or(distinct b), stddev(all a) from t group by g',
  'select bool_and(b), var_samp(x), stddev_pop(a) from t where id < 0',
  "select g, string_agg(s, ',' order by id), listagg(s, '|' order by s desc nulls last, id) from t group by g",
  "select h, string_agg(distinct s, ',' order by s), string_agg(a, '-' order by a nulls first, id) from t group by h",
  'select h, median(x), median(a), quantile_cont(x, 0.25), quantile_disc(a, 0.9), quantile(a, 0.5) from t group by h',
  'select g, percentile_cont(0.75) within group (order by x desc), percentile_disc(0.3) within group (order by s), percentile_disc(0.6) within group (order by a desc) from t group by g',
  "select g, s, median(a), string_agg(s, '' order by id) from t group by rollup(g, s)",
  "select median(x), percentile_disc(0.1) within group (order by id), string_agg(s, ',' order by id) from t",
  "select median(x), string_agg(s, ',') from t where id < 0",
  // FILTER (WHERE …)
  "select g, count(*) filter (where x > 100), sum(a) filter (where b), count(distinct s) filter (where a < 20), string_agg(s, ',' order by id) filter (where h < 30) from t group by rollup(g)",
  'select h, percentile_cont(0.5) within group (order by x) filter (where b), min(s) filter (where g = 1), avg(x) filter (where a > 30) from t group by cube(h)',
  // correlated subqueries: outer columns inside the value and the ORDER BY of the aggregate
  "select id, (select median(x + t.a) from t t2 where t2.g = t.g and t2.h < 5) from t where id < 300",
  "select id, (select string_agg(s, ',' order by x * t.a nulls first, id) from t t2 where t2.g = t.g and t2.h < 5) from t where id < 300",
  "select id % 1500 as k, median(x), string_agg(s, '' order by id), quantile_disc(id, 0.5) from t group by id % 1500",
];

/** Random grouping-set queries: keys, a construct, aggregates, sometimes grouping(). */
const KEYS = ['g', 's', 'b', 'h'];
const AGGS = ['count(*)', 'count(a)', 'sum(a)', 'avg(x)', 'min(s)', 'max(x)', 'count(distinct s)', 'bool_or(b)', 'var_pop(a)', 'median(a)',
  "string_agg(s, ',' order by id)", 'quantile_disc(x, 0.25)'];
const groupingQueryArb = fc.record({
  keys: fc.shuffledSubarray(KEYS, { minLength: 1, maxLength: 3 }),
  plain: fc.integer({ min: 0, max: 1 }),
  construct: fc.constantFrom('rollup', 'cube', 'sets'),
  aggs: fc.subarray(AGGS, { minLength: 1, maxLength: 3 }),
  grouping: fc.boolean(),
  where: fc.constantFrom('', 'where a > 20', 'where id < 0'),
}).map((q) => {
  const plain = q.keys.slice(0, Math.min(q.plain, q.keys.length - 1));
  const rest = q.keys.slice(plain.length);
  const construct = q.construct === 'sets'
    ? `grouping sets (${[`(${rest.join(', ')})`, ...rest.map((k) => `(${k})`), '()'].join(', ')})`
    : `${q.construct}(${rest.join(', ')})`;
  const cols = [...q.keys, ...q.aggs, ...(q.grouping ? [`grouping(${q.keys.join(', ')})`] : [])];
  return `select ${cols.join(', ')} from t ${q.where} group by ${[...plain, construct].join(', ')}`;
});

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
  { mode: 'one thread, 384 KB memory limit', workers: 0, settings: { memory_limit: 384 << 10 } },
  { mode: '2 worker threads, distribution forced, 1 MB memory limit', workers: 2, settings: { force_distribution: true, memory_limit: 1 << 20 } },
])('grouping sets and aggregates agree with DuckDB ($mode)', (mode) => {
  const fx = parquetFixture('spillway-grouping-', async (dir) => {
    const r = rng(11);
    const tSchema = schema([
      field('id', 'int32'), field('g', 'int32'), field('h', 'int32'), field('a', 'int32'), field('x', 'float64'), field('s', 'utf8'), field('b', 'bool'),
    ]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 5000; i++) {
      const g = r() < 0.05 ? null : Math.floor(r() ** 2 * 8);
      const h = r() < 0.05 ? null : Math.floor(r() * 300);
      const a = r() < 0.1 ? null : Math.floor(r() * 40);
      const x = r() < 0.1 ? null : Math.round(r() * 1000) / 4;
      const s = r() < 0.1 ? null : WORDS[Math.floor(r() * WORDS.length)]!;
      const b = r() < 0.1 ? null : r() < 0.7;
      rows.push([i, g, h, a, x, s, b]);
    }
    await writeParquet(join(dir, 't.parquet'), [batchFromRows(tSchema, rows.slice(0, 3000)), batchFromRows(tSchema, rows.slice(3000))], tSchema, { rowGroupSize: 2000 });
  }, mode, 512);

  async function agree(sql: string): Promise<void> {
    await expectAgreement(fx, sql);
  }

  for (const sql of QUERIES) it(sql, () => agree(sql));

  it('random grouping-set queries (property)', async () => {
    await fc.assert(fc.asyncProperty(groupingQueryArb, agree), { numRuns: 10, seed: 20261205 });
  }, 300_000);

  it.runIf(mode.settings.memory_limit !== undefined)('spills: many groups of grouping sets, and (one thread) held values of holistic aggregates', async () => {
    const queries = ['select g, id, count(*), sum(a), max(s) from t group by rollup(g, id)'];
    if (mode.workers === 0) queries.push("select id % 1500 as k, median(x), median(a), quantile_disc(id, 0.5), string_agg(s, '' order by id), string_agg(s || s, ',' order by x desc nulls last, id) from t group by id % 1500");
    for (const sql of queries) {
      const text = (await fx.db.sql(`explain analyze ${sql}`)).rows().map((r) => String(r[0])).join('\n');
      expect(text, text).toMatch(/HashAggregate\[(single|final)\][^\n]*spills=[1-9]/);
      await agree(sql);
    }
  });

  it.runIf(mode.settings.memory_limit !== undefined && mode.workers === 0)('one group whose held values exceed the limit fails with one resources error', async () => {
    const sql = "select median(x), median(a), quantile_disc(id, 0.5), string_agg(s || s || s || s || s || s || s || s, ',' order by x desc nulls last, id) from t";
    await expect(fx.db.sql(sql)).rejects.toThrow(/the single group of an aggregate without GROUP BY needs more memory than the limit allows/);
  });
});
