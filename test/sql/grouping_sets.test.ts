/**
 * Binding GROUP BY ROLLUP / CUBE / GROUPING SETS and grouping(), the pre-parse rewrites that
 * bring them (and listagg) through the grammar, and the binder's errors for the new
 * aggregates. Results are checked against DuckDB in test/e2e/grouping_differential.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/sql/statement.js';
import { SpillwayError } from '../../src/common/errors.js';
import { rewriteStatement } from '../../src/sql/preparse.js';
import { outputColumns, type LogicalPlan } from '../../src/plan/logical.js';
import { smallCatalog, testEnv } from './fixtures.js';

async function aggregateOf(sql: string): Promise<Extract<LogicalPlan, { kind: 'Aggregate' }>> {
  let p: LogicalPlan = (await planQuery(sql, smallCatalog(), testEnv())).plan;
  while (p.kind !== 'Aggregate') {
    if (p.kind === 'Scan' || p.kind === 'Values' || p.kind === 'Join' || p.kind === 'Union' || p.kind === 'SharedScan' || p.kind === 'RecursiveCte' || p.kind === 'WorkTable') throw new Error('no Aggregate');
    p = p.input;
  }
  return p;
}

/** Sets as key names, e.g. ['a,b', 'a', '']. */
async function setsOf(sql: string): Promise<string[] | null> {
  const agg = await aggregateOf(sql);
  if (!agg.groupingSets) return null;
  return agg.groupingSets.map((s) => s.map((i) => agg.groupColumns[i]!.name).join(','));
}

async function fails(sql: string, kind: string): Promise<string> {
  try {
    await planQuery(sql, smallCatalog(), testEnv());
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe(kind);
    return (e as Error).message;
  }
  throw new Error(`expected an error for: ${sql}`);
}

describe('pre-parse', () => {
  it('GROUPING SETS (…) → grouping_sets(…), () → the empty-set marker, GROUP BY () likewise', () => {
    expect(rewriteStatement('select 1 from t group by grouping sets ((a, b), (), a)').sql)
      .toBe('select 1 from t group by grouping_sets ((a, b), __empty_grouping_set(), a)');
    expect(rewriteStatement('select count(*) from t group by ()').sql).toBe('select count(*) from t group by grouping_sets(__empty_grouping_set())');
    // A call without arguments inside a set is not an empty set.
    expect(rewriteStatement('select 1 from t group by grouping sets ((a, now()))').sql).toBe('select 1 from t group by grouping_sets ((a, now()))');
  });

  it('listagg( → string_agg(, with positions mapped back', () => {
    const sql = "select listagg(s, ',' order by s) from t";
    const r = rewriteStatement(sql);
    expect(r.sql).toBe("select string_agg(s, ',' order by s) from t");
    expect(r.toOriginal(r.sql.indexOf(' from t'))).toBe(sql.indexOf(' from t'));
  });
});

describe('grouping sets', () => {
  it('ROLLUP, CUBE and GROUPING SETS list their sets; plain keys multiply them', async () => {
    expect(await setsOf('select a, b, count(*) from t group by rollup(a, b)')).toEqual(['a,b', 'a', '']);
    expect(await setsOf('select a, b, count(*) from t group by cube(a, b)')).toEqual(['a,b', 'a', 'b', '']);
    expect(await setsOf('select a, b, count(*) from t group by grouping sets ((a, b), b, ())')).toEqual(['a,b', 'b', '']);
    expect(await setsOf('select a, b, s, count(*) from t group by a, rollup(b, s)')).toEqual(['a,b,s', 'a,b', 'a']);
    expect(await setsOf('select a, b, s, count(*) from t group by rollup((a, b), s)')).toEqual(['a,b,s', 'a,b', '']);
    expect(await setsOf('select a, count(*) from t group by grouping sets (a, a)')).toEqual(['a', 'a']);
    expect(await setsOf('select a, b, count(*) from t group by grouping sets (rollup(a), (b))')).toEqual(['a', '', 'b']);
  });

  it('a plain GROUP BY and GROUP BY () have no grouping sets', async () => {
    expect(await setsOf('select a, count(*) from t group by a')).toBeNull();
    const agg = await aggregateOf('select count(*) from t group by ()');
    expect(agg.groupBy).toEqual([]);
    expect(agg.groupingSets).toBeUndefined();
  });

  it('the grouping id is a hidden int32 group column after the keys', async () => {
    const agg = await aggregateOf('select a, count(*) from t group by rollup(a)');
    expect(agg.groupingId).toMatchObject({ type: 'int32', nullable: false });
    const { plan, columnNames } = await planQuery('select a, count(*), grouping(a) from t group by rollup(a)', smallCatalog(), testEnv());
    expect(columnNames).toEqual(['a', 'count_star()', 'grouping(a)']);
    expect(outputColumns(plan).map((c) => c.type)).toEqual(['int32', 'int64', 'int64']);
  });

  it('grouping() needs GROUP BY expressions and a grouped query', async () => {
    expect(await fails('select grouping(s) from t group by rollup(a)', 'binder')).toMatch(/arguments of grouping\(s\) must be GROUP BY expressions/);
    expect(await fails('select grouping(a) from t', 'binder')).toMatch(/grouping is not allowed in SELECT: it needs a GROUP BY/);
    expect(await fails('select a from t where grouping(a) = 0 group by a', 'binder')).toMatch(/grouping is not allowed in WHERE/);
  });

  it('refuses more than 4,096 sets and sets that are all empty', async () => {
    const keys = Array.from({ length: 13 }, () => 'a').join(', ');
    expect(await fails(`select count(*) from t group by cube(${keys})`, 'binder')).toMatch(/at most 12 items/);
    expect(await fails('select count(*) from t group by rollup(a), rollup(b), cube(a, b, s, d), cube(a, b, s, d), cube(a, b, s)', 'binder')).toMatch(/at most 4096 are allowed/);
    expect(await fails('select count(*) from t group by grouping sets ((), ())', 'unsupported')).toMatch(/empty sets only/);
  });
});

describe('the other aggregates: binding', () => {
  it('types and spellings', async () => {
    const { plan } = await planQuery(
      "select median(a), median(s), quantile(a, 0.5), quantile_cont(a, 0.5), percentile_disc(0.5) within group (order by d), variance(a), stddev(a), bool_and(a > 1), approx_count_distinct(s), string_agg(a, '-'), listagg(s) from t",
      smallCatalog(), testEnv(),
    );
    expect(outputColumns(plan).map((c) => c.type)).toEqual(['float64', 'utf8', 'int32', 'float64', 'date32', 'float64', 'float64', 'bool', 'int64', 'utf8', 'utf8']);
    const agg = await aggregateOf('select percentile_cont(0.25) within group (order by a desc) from t');
    expect(agg.aggregates[0]).toMatchObject({ fn: 'percentile_cont', fraction: 0.25, orderBy: [{ ascending: false }] });
    expect((await aggregateOf('select variance(a), stddev(a), quantile(a, 0.1) from t')).aggregates.map((a) => a.fn))
      .toEqual(['var_samp', 'stddev_samp', 'percentile_disc']);
  });

  it('one clear error for each misuse', async () => {
    expect(await fails('select quantile_cont(a, 1.5) from t', 'binder')).toMatch(/fraction of quantile_cont must be a constant from 0 to 1/);
    expect(await fails('select quantile_cont(a, b) from t', 'binder')).toMatch(/fraction of quantile_cont must be a constant/);
    expect(await fails('select quantile_cont(s, 0.5) from t', 'type')).toMatch(/percentile_cont expects a number, got VARCHAR/);
    expect(await fails('select quantile_disc(a) from t', 'binder')).toMatch(/takes 2 arguments/);
    expect(await fails('select bool_and(a) from t', 'type')).toMatch(/bool_and expects a boolean, got INTEGER/);
    expect(await fails('select stddev(s) from t', 'type')).toMatch(/stddev expects a number, got VARCHAR/);
    expect(await fails("select string_agg(s, s) from t", 'binder')).toMatch(/separator of string_agg must be a constant string/);
    expect(await fails("select string_agg(distinct s, ',' order by a) from t", 'binder')).toMatch(/ORDER BY may only name the aggregated value/);
    expect(await fails('select percentile_cont(0.5) within group (order by s) from t', 'type')).toMatch(/percentile_cont expects a number/);
    expect(await fails('select median(median(a)) from t', 'binder')).toMatch(/cannot be nested/);
    expect(await fails('select sum(a) filter (where a) from t', 'type')).toMatch(/argument of FILTER must be type BOOLEAN/);
  });
});
