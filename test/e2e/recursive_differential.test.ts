/**
 * WITH RECURSIVE, differential against DuckDB on random graphs and trees with NULLs and
 * cycles: one thread, worker threads with distribution forced (the recursive CTE runs in
 * one task, its anchor's scans spread), and one thread under a memory limit of 1 MB (the
 * work table spills). Also the errors: the iteration limit, BIGINT overflow, and the
 * invalid recursive references PostgreSQL refuses.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['usr', 'lib', 'bin', 'etc', 'Ünï', 'x'];

const QUERIES: string[] = [
  // Counting.
  'with recursive c(n) as (select 1 union all select n + 1 from c where n < 120) select count(*), sum(n), max(n) from c',
  'with recursive c(n) as (select 1 union all select n + 1 from c where n < 50) select n from c where n % 7 = 0',
  // The anchor is a set operation itself; several anchor rows.
  'with recursive c(n) as (select 1 union all select 2 union all select n + 10 from c where n < 60) select n from c',
  'with recursive c(k, n) as (select g, 0 from grp union all select k, n + 1 from c where n < k) select k, count(*), sum(n) from c group by k',
  // Graph reachability: UNION removes pairs seen before, so the cycles end.
  'with recursive reach(a, b) as (select src, dst from edges union select r.a, e.dst from reach r join edges e on r.b = e.src) select a, b from reach',
  'with recursive reach(node) as (select 0 union select e.dst from edges e join reach r on e.src = r.node) select node from reach',
  'with recursive reach(node, hops) as (select 1, 0 union all select e.dst, hops + 1 from reach r join edges e on e.src = r.node where hops < 4) select node, hops, count(*) from reach group by node, hops',
  // UNION compares NULLs as equal.
  'with recursive t(x, y) as (select null::int, 1 union select x, y % 4 + 1 from t) select x, y from t',
  'with recursive t(a, b) as (select src, dst from edges where dst is null union select b, a from t) select a, b from t',
  // Tree paths with string concatenation.
  "with recursive p(id, path, depth) as (select id, name, 1 from tree where parent is null union all select t.id, p.path || '/' || t.name, p.depth + 1 from tree t join p on t.parent = p.id) select id, path, depth from p",
  'with recursive sub(id, root) as (select id, id from tree where parent is null union all select t.id, s.root from tree t, sub s where t.parent = s.id) select root, count(*) from sub group by root',
  // Fibonacci up to what BIGINT holds.
  'with recursive f(i, a, b) as (select 1, 0::bigint, 1::bigint union all select i + 1, b, a + b from f where i < 90) select i, a, b from f',
  // Several CTEs, one recursive; the recursive one read twice by the main query.
  'with recursive small as (select src, dst from edges where src < 10), c(n) as (select 0 union all select n + 1 from c where n < 9) select n, count(dst) from c left join small on small.src = c.n group by n',
  'with recursive c(n) as (select 1 union all select n + 1 from c where n < 20) select a.n, b.n from c a join c b on b.n = a.n * 2',
  'with recursive c(n) as (select 1 union all select n + 1 from c where n < 20) select (select count(*) from c) + (select max(n) from c)',
  // Wider rows over many iterations: the work table spills under the memory limit.
  "with recursive w(i, s) as (select id, name from tree union all select i, s || '.' || i::varchar from w where length(s) < 60) select count(*), sum(length(s)), max(s) from w",
];

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
  { mode: 'one thread, 1 MB memory limit', workers: 0, settings: { memory_limit: 1 << 20 } },
])('WITH RECURSIVE agrees with DuckDB ($mode)', (mode) => {
  const fx = parquetFixture('spillway-recursive-', async (dir) => {
    const r = rng(11);
    const edgeSchema = schema([field('src', 'int32'), field('dst', 'int32')]);
    const edges: Scalar[][] = [];
    for (let i = 0; i < 160; i++) {
      edges.push([r() < 0.05 ? null : Math.floor(r() * 60), r() < 0.05 ? null : Math.floor(r() * 60)]);
    }
    await writeParquet(join(dir, 'edges.parquet'), [batchFromRows(edgeSchema, edges.slice(0, 80)), batchFromRows(edgeSchema, edges.slice(80))], edgeSchema, { rowGroupSize: 40 });
    const treeSchema = schema([field('id', 'int32'), field('parent', 'int32'), field('name', 'utf8')]);
    const tree: Scalar[][] = [];
    for (let i = 0; i < 1200; i++) {
      const parent = i < 4 || r() < 0.002 ? null : Math.floor(r() * i);
      tree.push([i, parent, r() < 0.03 ? null : WORDS[Math.floor(r() * WORDS.length)]!]);
    }
    await writeParquet(join(dir, 'tree.parquet'), [batchFromRows(treeSchema, tree)], treeSchema, { rowGroupSize: 400 });
    const grpSchema = schema([field('g', 'int32')]);
    await writeParquet(join(dir, 'grp.parquet'), [batchFromRows(grpSchema, [[3], [0], [null], [7], [3]])], grpSchema);
  }, mode);

  for (const sql of QUERIES) {
    it(sql, async () => {
      await expectAgreement(fx, sql);
    });
  }

  it('spills the work table when it does not fit (memory limit only) and still agrees', async () => {
    const sql = "with recursive w(i, s) as (select n * 1000 + m, 'x' from (with recursive g(n) as (select 1 union all select n + 1 from g where n < 100) select n from g) a, "
      + "(with recursive h(m) as (select 1 union all select m + 1 from h where m < 200) select m from h) b union all select i, s || 'abcdefgh' from w where length(s) < 50) select count(*), sum(length(s)), sum(i) from w";
    await expectAgreement(fx, sql);
    if (mode.settings.memory_limit !== undefined && mode.workers === 0) {
      const plan = (await fx.db.sql(`explain analyze ${sql}`)).rows().map((r) => r.join(' ')).join('\n');
      expect(plan).toMatch(/RecursiveCte w UNION ALL .* spills=[1-9]/);
    }
  });

  it('runs the recursive CTE in one task, its anchor distributed and gathered into it', async () => {
    const sql = 'explain with recursive r(n) as (select src from edges where dst = 0 union select e.dst from edges e join r on e.src = r.n) select count(*) from r';
    const text = (await fx.db.sql(sql)).rows().map((r) => r.join(' ')).join('\n');
    expect(text).toMatch(/RecursiveCte r UNION .*\n(?:.*\n)*\s+WorkTableScan r/);
    if (mode.settings.force_distribution !== true) return;
    const dag = text.slice(text.indexOf('Stage DAG:'));
    // The stage holding the RecursiveCte has one task; the anchor arrives through an exchange,
    // the recursive term (scan, join, work table) stays whole under it.
    expect(dag).toMatch(/Stage \d+: 1 task, output result reads stage \d+\n(?:.*\n)*?\s+RecursiveCte r UNION .*\n\s+ExchangeRead stage=\d+ single/);
    expect(dag).toMatch(/RecursiveCte r UNION(?:.*\n)*?\s+HashJoin\[inner\].*\n\s+ParquetScan edges .*\n\s+WorkTableScan r/);
  });

  it('fails with "bigint out of range" when fibonacci leaves BIGINT, as DuckDB fails too', async () => {
    const sql = 'with recursive f(i, a, b) as (select 1, 0::bigint, 1::bigint union all select i + 1, b, a + b from f where i < 100) select max(b) from f';
    await expect(fx.db.sql(sql)).rejects.toThrow(/bigint out of range/);
    await expect(fx.duck.query(sql)).rejects.toThrow(/overflow/i);
  });

  it('fails naming the CTE when it runs past max_recursion_depth', async () => {
    const s = await Spillway.create({ tables: fx.dir, workers: mode.workers, settings: { ...mode.settings, max_recursion_depth: 50 } });
    try {
      await expect(s.sql('with recursive c(n) as (select 1 union all select n + 1 from c where n < 51) select count(*) from c'))
        .rejects.toThrow('recursive CTE "c" still adds rows after 50 iterations (max_recursion_depth');
      // 50 iterations are allowed: the 51st adds nothing.
      expect((await s.sql('with recursive c(n) as (select 1 union all select n + 1 from c where n < 50) select count(*) from c')).rows()).toEqual([[50n]]);
      // A cycle under UNION ALL never ends.
      await expect(s.sql('with recursive r(n) as (select 0 union all select (n + 1) % 5 from r) select count(*) from r'))
        .rejects.toThrow(/recursive CTE "r" still adds rows/);
    } finally {
      await s.close();
    }
  });
});

describe('WITH RECURSIVE errors', () => {
  let db: Spillway;
  beforeAll(async () => { db = await Spillway.create({ workers: 0 }); });
  afterAll(async () => { await db?.close(); });

  const cases: [string, string | RegExp][] = [
    ['with recursive t(n) as (select n from t union all select 1) select * from t', 'recursive reference to query "t" must not appear within its non-recursive term'],
    ['with recursive t(n) as (select 1 union all select 2 where exists (select 1 from t)) select * from t', 'recursive reference to query "t" must not appear within a subquery'],
    ['with recursive t(n) as (select 1 union all select count(*) from t) select * from t', 'aggregate functions are not allowed in a recursive query\'s recursive term'],
    ['with recursive t(n) as (select 1 union all select n + 1 from t group by n) select * from t', 'aggregate functions are not allowed in a recursive query\'s recursive term'],
    ['with recursive t(n) as (select 1 union all select t.n + 1 from (select 1 as k) x left join t on true where t.n < 3) select * from t', 'recursive reference to query "t" must not appear within an outer join'],
    ['with recursive t(n) as (select 1 union all select a.n + 1 from t a, t b) select * from t', 'recursive reference to query "t" must not appear more than once'],
    ["with recursive t(n) as (select 1 union all select 'x' || n from t where n < 3) select * from t", 'recursive query "t" column 1 ("n") has type INTEGER in the non-recursive term but type VARCHAR in the recursive term'],
    ['with recursive t(n) as (select 1 union all select n + 1, 2 from t) select * from t', 'each UNION query must have the same number of columns'],
    ['with recursive t(n) as (select 1 union all select n + 1 from t where n < 3 order by n) select * from t', 'unsupported: ORDER BY in a recursive query ("t")'],
    ['with recursive t(n) as (select 1 except select n + 1 from t) select * from t', 'recursive query "t" does not have the form non-recursive-term UNION [ALL] recursive-term'],
    ['with recursive t(a, b) as (select 1 union all select a + 1 from t where a < 3) select * from t', 'WITH query "t" has 1 columns available but 2 columns specified'],
  ];
  for (const [sql, message] of cases) {
    it(sql, async () => {
      await expect(db.sql(sql)).rejects.toThrow(message);
    });
  }

  it('stops an endless recursion once a LIMIT above it has its rows, as PostgreSQL does', async () => {
    const r = await db.sql('with recursive t(n) as (select 1 union all select n + 1 from t) select n from t limit 5');
    expect(r.rows()).toEqual([[1], [2], [3], [4], [5]]);
  });

  it('a recursive CTE may read another one', async () => {
    const r = await db.sql('with recursive t(n) as (select 1 union all select n + 1 from t where n < 3), u(m) as (select n from t union all select m * 10 from u where m < 100) select m from u order by m');
    expect(r.rows()).toEqual([[1], [2], [3], [10], [20], [30], [100], [200], [300]]);
  });

  it('a WITH RECURSIVE item that does not read itself is a plain CTE', async () => {
    const r = await db.sql('with recursive a(x) as (select 1 union all select 2), b(y) as (select x * 10 from a) select y from b order by y');
    expect(r.rows()).toEqual([[10], [20]]);
  });

  it('a bigint column of the anchor takes the recursive term\'s integers', async () => {
    const r = await db.sql('with recursive t(n) as (select 1::bigint union all select n + 1 from t where n < 3) select n from t order by n');
    expect(r.rows()).toEqual([[1n], [2n], [3n]]);
  });
});
