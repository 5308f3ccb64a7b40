/**
 * Window functions, differential against DuckDB: random data with NULLs and ties, one
 * thread, worker threads with distribution forced, and one thread under a memory limit of
 * a few MB (the Sort below each Window spills). Every query orders by a unique id or uses
 * only functions whose value does not depend on the order among ties.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['apple', 'banana', 'cherry', '', 'zeta', 'Ünïcode'];

/** `id` is unique, so ORDER BY …, id is a total order; g, a, x, s have NULLs and ties. */
const QUERIES: string[] = [
  'select id, row_number() over (partition by g order by a nulls first, id) from t',
  'select id, rank() over (partition by g order by a), dense_rank() over (partition by g order by a desc nulls last) from t',
  'select id, percent_rank() over (partition by g order by a), cume_dist() over (partition by g order by a) from t',
  'select id, ntile(4) over (partition by g order by id), ntile(7) over (order by id) from t',
  'select id, lag(a) over (partition by g order by id), lead(a, 2) over (partition by g order by id), lag(s, 1, \'none\') over (order by id) from t',
  'select id, lead(x, 3, -1.0) over (partition by s order by id) from t',
  'select id, first_value(a) over (partition by g order by id), last_value(a) over (partition by g order by id rows between unbounded preceding and unbounded following) from t',
  'select id, nth_value(s, 2) over (partition by g order by id rows between 1 preceding and 3 following) from t',
  'select id, sum(a) over (partition by g), count(*) over (partition by g), count(a) over (), avg(x) over (partition by s) from t',
  'select id, sum(a) over (partition by g order by a), min(s) over (partition by g order by a), max(x) over (order by a) from t',
  'select id, sum(a) over (partition by g order by id rows between 2 preceding and current row), avg(a) over (order by id rows 3 preceding) from t',
  'select id, min(a) over (partition by g order by id rows between 3 preceding and 1 following), max(s) over (partition by g order by id rows between current row and 4 following) from t',
  'select id, count(a) over (partition by g order by id rows between 2 following and 5 following), max(a) over (order by id rows between 5 preceding and 2 preceding) from t',
  'select id, sum(a) over (partition by g order by a range between 5 preceding and 5 following), count(*) over (order by a desc range between 3 preceding and current row) from t',
  'select id, sum(a) over (partition by g order by a groups between 1 preceding and 1 following), count(*) over (order by a groups between current row and 2 following) from t',
  'select id, max(x) over (order by x range between unbounded preceding and current row) from t',
  'select id, sum(x) over w, row_number() over w from t window w as (partition by g order by id)',
  'select g, sum(a), rank() over (order by sum(a) desc nulls last), sum(sum(a)) over () from t group by g',
  'select id, a from t qualify row_number() over (partition by g order by a desc nulls last, id) <= 2',
  'select id, row_number() over (partition by g order by id) as rn from t qualify rn = 1',
  'select id, sum(a) over (partition by g order by id) from t where a > 10',
  'select * from (select g, id, rank() over (partition by g order by a) r from t) q where g = 3 and r < 4',
];

/**
 * Random window queries: a function, PARTITION BY, ORDER BY (with NULLS placement spelled
 * out) and a frame. Functions whose value depends on the order among ties (row_number,
 * ntile, lag/lead, first/last/nth_value, ROWS frames) get `id` as the last order key.
 */
const NUM = ['a', 'x'];
const ANY = ['a', 'x', 's'];
const windowQueryArb = fc.record({
  fn: fc.oneof(
    fc.constantFrom('row_number()', 'rank()', 'dense_rank()', 'percent_rank()', 'cume_dist()', 'count(*)'),
    fc.integer({ min: 1, max: 9 }).map((k) => `ntile(${k})`),
    fc.tuple(fc.constantFrom('lag', 'lead'), fc.constantFrom(...ANY), fc.integer({ min: 0, max: 4 }), fc.boolean())
      .map(([f, c, n, d]) => (d && c !== 's' ? `${f}(${c}, ${n}, 0)` : `${f}(${c}, ${n})`)),
    fc.tuple(fc.constantFrom('first_value', 'last_value'), fc.constantFrom(...ANY)).map(([f, c]) => `${f}(${c})`),
    fc.tuple(fc.constantFrom(...ANY), fc.integer({ min: 1, max: 4 })).map(([c, n]) => `nth_value(${c}, ${n})`),
    fc.tuple(fc.constantFrom('count', 'min', 'max'), fc.constantFrom(...ANY)).map(([f, c]) => `${f}(${c})`),
    fc.tuple(fc.constantFrom('sum', 'avg'), fc.constantFrom(...NUM)).map(([f, c]) => `${f}(${c})`),
  ),
  partition: fc.constantFrom('', 'partition by g', 'partition by s', 'partition by g, s'),
  order: fc.constantFrom('', 'a asc nulls last', 'a desc nulls first', 'a asc nulls first', 'x desc nulls last'),
  units: fc.constantFrom('none', 'rows', 'range', 'groups'),
  start: fc.constantFrom('unbounded preceding', '2 preceding', 'current row', '1 following'),
  end: fc.constantFrom('current row', '3 following', 'unbounded following', '1 preceding'),
}).map((q) => {
  const aggregate = /^(count|sum|avg|min|max)\(/.test(q.fn);
  const framed = aggregate || /^(first_value|last_value|nth_value)\(/.test(q.fn);
  let units = framed ? q.units : 'none';
  if (units !== 'none' && q.order === '' && units !== 'rows') units = 'none';
  let start: string = q.start;
  let end: string = q.end;
  const rank = (b: string) => ['unbounded preceding', '2 preceding', '1 preceding', 'current row', '1 following', '3 following', 'unbounded following'].indexOf(b);
  if (rank(start) > rank(end)) [start, end] = [end, start];
  if (start === 'unbounded following' || end === 'unbounded preceding' || rank(start) > rank(end)) { start = 'unbounded preceding'; end = 'current row'; }
  const tieFree = aggregate && units !== 'rows' && !(units === 'none' && q.order === '');
  const rankLike = /^(rank|dense_rank|percent_rank|cume_dist)\(/.test(q.fn);
  const orderKeys = [q.order, tieFree || rankLike ? '' : 'id'].filter((s) => s !== '');
  // RANGE with offsets needs exactly one numeric ORDER BY key.
  if (units === 'range' && orderKeys.length !== 1 && /preceding|following/.test(`${start} ${end}`.replace(/unbounded \w+|current row/g, ''))) units = 'groups';
  const frame = units === 'none' ? '' : ` ${units} between ${start} and ${end}`;
  const order = orderKeys.length > 0 ? `order by ${orderKeys.join(', ')}` : '';
  return `select id, ${q.fn} over (${[q.partition, order].filter((s) => s !== '').join(' ')}${frame}) from t`;
});

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
  { mode: 'one thread, 4 MB memory limit', workers: 0, settings: { memory_limit: 4 << 20 } },
])('window functions agree with DuckDB ($mode)', (mode) => {
  const fx = parquetFixture('spillway-window-', async (dir) => {
    const r = rng(7);
    const tSchema = schema([field('id', 'int32'), field('g', 'int32'), field('a', 'int32'), field('x', 'float64'), field('s', 'utf8')]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 20000; i++) {
      const g = r() < 0.05 ? null : Math.floor(r() ** 2 * 12);
      const a = r() < 0.1 ? null : Math.floor(r() * 40);
      const x = r() < 0.1 ? null : Math.round(r() * 1000) / 4;
      const s = r() < 0.1 ? null : WORDS[Math.floor(r() * WORDS.length)]!;
      rows.push([i, g, a, x, s]);
    }
    await writeParquet(join(dir, 't.parquet'), [batchFromRows(tSchema, rows.slice(0, 9000)), batchFromRows(tSchema, rows.slice(9000))], tSchema, { rowGroupSize: 3000 });
  }, mode, 512);

  it('random window queries (property)', async () => {
    await fc.assert(fc.asyncProperty(windowQueryArb, async (sql) => {
      await expectAgreement(fx, sql);
    }), { numRuns: 30, seed: 20261205 });
  }, 300_000);

  for (const sql of QUERIES) {
    it(sql, async () => {
      await expectAgreement(fx, sql);
    });
  }
});
