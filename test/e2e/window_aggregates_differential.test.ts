/**
 * Every aggregate over a window (string_agg/listagg, median, quantiles, bool_and/or, the
 * variances, approx_count_distinct, DISTINCT, FILTER), differential against DuckDB on
 * random data with NULLs and ties: one thread, worker threads with distribution forced, and
 * one thread under a memory limit of a few MB. Frames whose rows depend on the order among
 * ties get `id` as the last ORDER BY key; string_agg orders its values by `id` itself.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { diffRows } from '../helpers/compare.js';
import { resultCells } from '../helpers/spillway.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['apple', 'banana', 'cherry', '', 'zeta', 'Ünïcode'];

const QUERIES: string[] = [
  "select id, string_agg(s, ',' order by id) over (partition by g order by id rows between 2 preceding and 1 following) from t",
  "select id, string_agg(s, ',') over (partition by g order by id rows between 3 preceding and current row), string_agg(s) over (order by id desc rows between current row and 2 following) from t",
  "select id, listagg(s, '-' order by id desc) over (partition by g order by id rows between 3 preceding and current row), string_agg(s, '' order by s, id) over (order by a range between 2 preceding and current row) from t",
  'select id, median(x) over (partition by g), median(a) over (order by id rows between 3 preceding and 3 following) from t',
  'select id, quantile_cont(x, 0.25) over (partition by g order by id rows between unbounded preceding and current row) from t',
  'select id, quantile_disc(a, 0.75) over (partition by s order by a range between 5 preceding and 5 following), quantile_disc(s, 0.5) over (partition by g) from t',
  'select id, bool_and(b) over (partition by g order by id rows between 2 preceding and 2 following), bool_or(b) over (order by a groups between 1 preceding and current row) from t',
  'select id, var_samp(x) over (partition by g), var_pop(a) over (partition by g order by a), stddev_samp(x) over (order by id rows between 4 preceding and current row), stddev_pop(x) over (partition by s) from t',
  'select id, variance(a) over (partition by g order by id rows between current row and 6 following), stddev(x) over (order by a desc nulls first groups between 2 preceding and 1 following) from t',
  'select id, count(distinct s) over (partition by g), sum(distinct a) over (order by id rows between 10 preceding and current row), avg(distinct x) over (partition by s order by a) from t',
  'select id, sum(a) filter (where b) over (partition by g order by id), count(*) filter (where a > 10) over (order by id rows between 5 preceding and 5 following) from t',
  'select id, avg(x) filter (where s is not null) over (partition by g), max(s) filter (where a < 20) over (order by a) from t',
  'select id, median(x) filter (where b) over (partition by g order by id), bool_or(b) filter (where a > 30) over (partition by g) from t',
  'select g, string_agg(g::varchar, \',\' order by g) over (order by g), median(g) over () from t group by g',
  'select g, median(sum(a)) over (order by g rows between 1 preceding and 1 following), bool_or(max(a) > 38) over (), var_pop(count(*)) over () from t group by g',
];

const FUNCTIONS = [
  "string_agg(s, ',' order by id)", "string_agg(s, ';' order by a desc nulls last, id)", 'median(x)', 'median(a)', 'quantile_cont(x, 0.9)', 'quantile_disc(a, 0.3)',
  'bool_and(b)', 'bool_or(b)', 'var_samp(x)', 'var_pop(a)', 'stddev_samp(a)', 'stddev_pop(x)',
  'count(distinct a)', 'sum(distinct a)', 'sum(x) filter (where b)', 'count(*) filter (where s is null)', 'median(a) filter (where b)',
];

/** A random aggregate over a random window and frame. */
const queryArb = fc.record({
  fn: fc.constantFrom(...FUNCTIONS),
  partition: fc.constantFrom('', 'partition by g', 'partition by s'),
  order: fc.constantFrom('', 'a asc nulls last', 'a desc nulls first', 'x asc nulls first'),
  units: fc.constantFrom('none', 'rows', 'range', 'groups'),
  start: fc.constantFrom('unbounded preceding', '2 preceding', 'current row', '1 following'),
  end: fc.constantFrom('current row', '3 following', 'unbounded following', '1 preceding'),
}).map((q) => {
  let units = q.units;
  if (units !== 'none' && q.order === '' && units !== 'rows') units = 'none';
  let start: string = q.start;
  let end: string = q.end;
  const rank = (b: string) => ['unbounded preceding', '2 preceding', '1 preceding', 'current row', '1 following', '3 following', 'unbounded following'].indexOf(b);
  if (rank(start) > rank(end)) [start, end] = [end, start];
  if (rank(start) > rank(end)) { start = 'unbounded preceding'; end = 'current row'; }
  const tieFree = units !== 'rows' && !(units === 'none' && q.order === '');
  const orderKeys = [q.order, tieFree ? '' : 'id'].filter((s) => s !== '');
  if (units === 'range' && orderKeys.length !== 1 && /preceding|following/.test(`${start} ${end}`.replace(/unbounded \w+|current row/g, ''))) units = 'groups';
  const frame = units === 'none' ? '' : ` ${units} between ${start} and ${end}`;
  const order = orderKeys.length > 0 ? `order by ${orderKeys.join(', ')}` : '';
  return `select id, ${q.fn} over (${[q.partition, order].filter((s) => s !== '').join(' ')}${frame}) from t`;
});

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
  { mode: 'one thread, 4 MB memory limit', workers: 0, settings: { memory_limit: 4 << 20 } },
])('aggregates over windows agree with DuckDB ($mode)', (mode) => {
  const fx = parquetFixture('spillway-window-agg-', async (dir) => {
    const r = rng(23);
    const tSchema = schema([field('id', 'int32'), field('g', 'int32'), field('a', 'int32'), field('x', 'float64'), field('s', 'utf8'), field('b', 'bool')]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 1000; i++) {
      const g = r() < 0.05 ? null : Math.floor(r() ** 2 * 8);
      const a = r() < 0.1 ? null : Math.floor(r() * 40);
      const x = r() < 0.1 ? null : Math.round(r() * 1000) / 4;
      const s = r() < 0.1 ? null : WORDS[Math.floor(r() * WORDS.length)]!;
      const b = r() < 0.1 ? null : r() < 0.7;
      rows.push([i, g, a, x, s, b]);
    }
    await writeParquet(join(dir, 't.parquet'), [batchFromRows(tSchema, rows.slice(0, 500)), batchFromRows(tSchema, rows.slice(500))], tSchema, { rowGroupSize: 250 });
  }, mode);

  for (const sql of QUERIES) {
    it(sql, async () => {
      await expectAgreement(fx, sql);
    });
  }

  it('approx_count_distinct over a window is exact for few values, as DuckDB\'s count(DISTINCT) over it', async () => {
    const windows = ['partition by g order by id', 'order by id rows between 20 preceding and current row', 'partition by s'];
    for (const w of windows) {
      const ours = resultCells(await fx.db.sql(`select id, approx_count_distinct(g) over (${w}), approx_count_distinct(s) over (${w}) from t`));
      const theirs = await fx.duck.query(`select id, count(distinct g) over (${w}), count(distinct s) over (${w}) from t`);
      const diff = diffRows(ours, theirs, false);
      expect(diff, diff ?? '').toBeNull();
    }
  });

  it('random aggregates over random frames (property)', async () => {
    await fc.assert(fc.asyncProperty(queryArb, async (sql) => {
      await expectAgreement(fx, sql);
    }), { numRuns: 10, seed: 20261205 });
  }, 120_000);
});
