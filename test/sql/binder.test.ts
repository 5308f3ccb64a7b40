import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/sql/statement.js';
import { SpillwayError } from '../../src/common/errors.js';
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan, type SharedCte } from '../../src/plan/logical.js';
import { showExpr, showPlan, smallCatalog, testEnv } from './fixtures.js';

async function bind(sql: string) {
  return planQuery(sql, smallCatalog(), testEnv());
}

async function fails(sql: string, kind?: string): Promise<string> {
  try {
    await bind(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    if (kind) expect((e as SpillwayError).kind).toBe(kind);
    return (e as Error).message;
  }
  throw new Error(`expected an error for: ${sql}`);
}

function find(p: LogicalPlan, kind: LogicalPlan['kind']): LogicalPlan[] {
  const out: LogicalPlan[] = [];
  const seen = new Set<SharedCte>();
  const walk = (n: LogicalPlan) => {
    if (n.kind === kind) out.push(n);
    if (n.kind === 'SharedScan' && !seen.has(n.cte)) {
      seen.add(n.cte);
      walk(n.cte.plan);
    }
    logicalChildren(n).forEach(walk);
  };
  walk(p);
  return out;
}

function filterText(p: LogicalPlan): string {
  const f = find(p, 'Filter')[0];
  if (!f || f.kind !== 'Filter') throw new Error('no Filter');
  return showExpr(f.predicate);
}

function projectExprs(p: LogicalPlan): string[] {
  if (p.kind !== 'Project') throw new Error(`root is ${p.kind}`);
  return p.exprs.map(showExpr);
}

/** Every column a node's expressions reference must be an output of its input (or an outer/aggregate id). */
function idsProducedBy(p: LogicalPlan): Set<number> {
  return new Set(outputColumns(p).map((c) => c.id));
}

describe('output shape', () => {
  it('ends with a Project carrying the visible names', async () => {
    const q = await bind('select a, b + 1, a as x, sum_col from (select a, b, 1 as sum_col from t) s');
    expect(q.plan.kind).toBe('Project');
    expect(q.columnNames).toEqual(['a', '(b + 1)', 'x', 'sum_col']);
    expect(outputColumns(q.plan).map((c) => c.name)).toEqual(q.columnNames);
  });

  it('names unaliased aggregates like DuckDB', async () => {
    const q = await bind('select a, sum(b), count(*), count(distinct s) from t group by a');
    expect(q.columnNames).toEqual(['a', 'sum(b)', 'count_star()', 'count(DISTINCT s)']);
  });

  it('gives every computed column a fresh, unique id', async () => {
    const q = await bind('select a, a, b from t');
    const ids = outputColumns(q.plan).map((c) => c.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('SELECT without FROM reads a one-row Values', async () => {
    const q = await bind('select 1 as one');
    expect(showPlan(q.plan)).toContain('Values [] ()');
  });
});

describe('name resolution', () => {
  it('resolves qualified names, aliases and * / t.*', async () => {
    const q = await bind('select x.*, u.c from t as x join u on x.a = u.a');
    expect(q.columnNames).toEqual(['a', 'b', 's', 'd', 'c']);
    const j = find(q.plan, 'Join')[0]!;
    expect(j.kind === 'Join' && j.joinType).toBe('inner');
  });

  it('unknown table suggests the nearest name and gives the position', async () => {
    const cat = smallCatalog();
    await expect(planQuery('select *\nfrom linitem', cat, testEnv())).rejects.toThrow(
      'unknown table "linitem" at line 2, column 6 (did you mean "lineitem"?)');
  });

  it('unknown column suggests the nearest visible column with its position', async () => {
    expect(await fails('select l_quantty from lineitem', 'binder')).toBe(
      'unknown column "l_quantty" at line 1, column 8 (did you mean "l_quantity"?)');
    expect(await fails('select t.zz from t', 'binder')).toMatch(/^unknown column "t.zz"/);
    expect(await fails('select q.a from t', 'binder')).toMatch(/^missing FROM-clause entry for table "q"/);
  });

  it('ambiguous columns list the candidates', async () => {
    expect(await fails('select a from t, u', 'binder')).toBe('column reference "a" is ambiguous at line 1, column 8: t.a, u.a');
  });

  it('JOIN USING hides the right copy from unqualified lookup and from *', async () => {
    const q = await bind('select a, t.a, u.a, c from t join u using (a)');
    expect(q.columnNames).toEqual(['a', 'a', 'a', 'c']);
    const star = await bind('select * from t join u using (a)');
    expect(star.columnNames).toEqual(['a', 'b', 's', 'd', 'c', 'big']);
    expect(showPlan(star.plan)).toMatch(/Join inner \(a#\d+ = a#\d+\)/);
  });

  it('NATURAL JOIN joins on the common names', async () => {
    const q = await bind('select * from t natural join u');
    expect(q.columnNames).toEqual(['a', 'b', 's', 'd', 'c', 'big']);
    expect(showPlan(q.plan)).toMatch(/Join inner \(a#\d+ = a#\d+\)/);
  });

  it('comma joins are inner joins without condition; LEFT JOIN keeps its type', async () => {
    const q = await bind('select * from t, u left join lineitem on l_orderkey = u.a');
    const joins = find(q.plan, 'Join');
    expect(joins.map((j) => j.kind === 'Join' && `${j.joinType}:${j.condition ? 'on' : 'cross'}`)).toEqual(['left:on', 'inner:cross']);
  });

  it('derived tables and CTEs take column lists; a CTE used twice is bound once and read through its own columns', async () => {
    const q = await bind('with r (x, y) as (select a, b from t) select r1.x, r2.y from r r1, r r2 where r1.x = r2.x');
    expect(q.columnNames).toEqual(['x', 'y']);
    expect(find(q.plan, 'Scan')).toHaveLength(1);
    const reads = find(q.plan, 'SharedScan').flatMap((s) => (s.kind === 'SharedScan' ? [s] : []));
    expect(reads).toHaveLength(2);
    expect(reads[0]!.cte).toBe(reads[1]!.cte);
    expect(reads.map((s) => s.columns.map((c) => c.name))).toEqual([['x', 'y'], ['x', 'y']]);
    const ids = reads.flatMap((s) => s.columns.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(reads[0]!.sources).toEqual(outputColumns(reads[0]!.cte.plan).map((c) => c.id));
    const d = await bind('select c_count from (select a, count(*) from t group by a) as c_orders (c_custkey, c_count)');
    expect(d.columnNames).toEqual(['c_count']);
  });

  it('VALUES in FROM with an alias and column names', async () => {
    const q = await bind("select y, x from (values (1, 'a'), (2, null)) as v(x, y)");
    expect(q.columnNames).toEqual(['y', 'x']);
    const v = find(q.plan, 'Values')[0]!;
    expect(v.kind === 'Values' && v.columns.map((c) => c.type)).toEqual(['int32', 'utf8']);
  });

  it('read_parquet in FROM goes through env.resolveParquet', async () => {
    const env = testEnv();
    const q = await planQuery("select x from read_parquet('data/*.parquet') as r where r.y = 'k'", smallCatalog(), env);
    expect(env.resolved).toEqual(['data/*.parquet']);
    const scan = find(q.plan, 'Scan')[0]!;
    expect(scan.kind === 'Scan' && scan.source).toEqual({ kind: 'parquet', files: ['/data/read_parquet.parquet'] });
  });

  it('memory tables scan from memory', async () => {
    const q = await bind('select a from t');
    const scan = find(q.plan, 'Scan')[0]!;
    expect(scan.kind === 'Scan' && scan.source).toEqual({ kind: 'memory', name: 't' });
  });

  it('LATERAL and DISTINCT ON are named as unsupported', async () => {
    expect(await fails('select * from t, lateral (select 1) x', 'unsupported')).toBe('unsupported: LATERAL');
    expect(await fails('select distinct on (a) a from t', 'unsupported')).toBe('unsupported: DISTINCT ON');
  });
});

describe('aggregates over windows', () => {
  it('DISTINCT, FILTER and the aggregates beyond count/sum/avg/min/max carry the aggregate to run per frame', async () => {
    const q = await bind("select sum(distinct a) over (), median(a) filter (where a > 1) over (order by a), string_agg(b, '-') over (), sum(a) filter (where a > 2) over () from t");
    const fns = find(q.plan, 'Window').flatMap((w) => (w.kind === 'Window' ? w.functions : []));
    const byFn = new Map(fns.map((f) => [f.fn, f]));
    expect(byFn.get('sum')?.aggregate).toBeUndefined();
    expect(fns.find((f) => f.aggregate?.distinct)?.aggregate?.fn).toBe('sum');
    expect(byFn.get('percentile_cont')?.aggregate?.fraction).toBe(0.5);
    expect(byFn.get('percentile_cont')?.arg?.kind).toBe('case');
    expect(byFn.get('string_agg')?.aggregate?.separator).toBe('-');
  });

  it('nested window aggregates are still refused', async () => {
    expect(await fails('select median(sum(a) over ()) over () from t', 'binder')).toMatch(/window function calls cannot be nested/);
  });
});

describe('GROUP BY, HAVING, aggregates', () => {
  it('groups by position and by output alias', async () => {
    for (const sql of ['select a + 1 as k, count(*) from t group by 1', 'select a + 1 as k, count(*) from t group by k', 'select a + 1 as k, count(*) from t group by a + 1']) {
      const q = await bind(sql);
      const agg = find(q.plan, 'Aggregate')[0]!;
      if (agg.kind !== 'Aggregate') throw new Error('no Aggregate');
      expect(agg.groupBy.map(showExpr), sql).toEqual([expect.stringMatching(/^\(a#\d+ \+ 1:int32\)$/)]);
      // the projection reads the group column, not the input column
      expect(projectExprs(q.plan)[0]).toBe(`${agg.groupColumns[0]!.name}#${agg.groupColumns[0]!.id}`);
    }
  });

  it('an input column wins over an output alias in GROUP BY', async () => {
    // `a` is t.a, so b is ungrouped (PostgreSQL semantics)
    expect(await fails('select b as a from t group by a', 'binder')).toMatch(/^column "b" must appear in the GROUP BY clause/);
  });

  it('rejects ungrouped columns and nested or misplaced aggregates', async () => {
    expect(await fails('select a, b from t group by a', 'binder')).toMatch(/^column "b" must appear in the GROUP BY clause or be used in an aggregate function/);
    expect(await fails('select sum(count(a)) from t', 'binder')).toMatch(/^aggregate function calls cannot be nested/);
    expect(await fails('select a from t where sum(a) > 1', 'binder')).toMatch(/^aggregate functions are not allowed in WHERE/);
    expect(await fails('select a from t group by 3', 'binder')).toMatch(/^GROUP BY position 3 is not in select list/);
  });

  it('result types: count int64, sum int → int64, sum float → float64, avg float64, min/max keep the type', async () => {
    const q = await bind('select count(a), sum(a), sum(c), avg(a), min(s), max(d) from t, w');
    expect(outputColumns(q.plan).map((c) => c.type)).toEqual(['int64', 'int64', 'float64', 'float64', 'utf8', 'date32']);
    expect(await fails('select sum(s) from t', 'type')).toMatch(/^function sum expects a number, got VARCHAR/);
  });

  it('equal aggregates are computed once; HAVING may add its own', async () => {
    const q = await bind('select a, sum(b) from t group by a having sum(b) > 1 and count(*) > 2');
    const agg = find(q.plan, 'Aggregate')[0]!;
    expect(agg.kind === 'Aggregate' && agg.aggregates.map((x) => x.fn)).toEqual(['sum', 'count_star']);
    expect(filterText(q.plan)).toMatch(/^\(\(sum\(b\)#\d+ > 1:int64\) and \(count_star\(\)#\d+ > 2:int64\)\)$/);
  });

  it('count(DISTINCT x), and min(DISTINCT x) through the pre-parse', async () => {
    const q = await bind('select count(distinct a), sum(distinct b), min(distinct b) from t');
    const agg = find(q.plan, 'Aggregate')[0]!;
    expect(agg.kind === 'Aggregate' && agg.aggregates.map((x) => `${x.fn}:${x.distinct}`)).toEqual(['count:true', 'sum:true', 'min:true']);
  });

  it('aggregates over an empty FROM and without GROUP BY', async () => {
    const q = await bind('select count(*) from t where false');
    const agg = find(q.plan, 'Aggregate')[0]!;
    expect(agg.kind === 'Aggregate' && agg.groupBy).toEqual([]);
  });
});

describe('ORDER BY and LIMIT', () => {
  it('orders by output name, alias, position and by a hidden input column', async () => {
    const q = await bind('select a as x, b from t order by x desc, 2, s nulls first');
    const text = showPlan(q.plan);
    // hidden column s: projected, sorted on, then removed by a final Project
    expect(q.columnNames).toEqual(['x', 'b']);
    expect(q.plan.kind).toBe('Project');
    expect(q.plan.kind === 'Project' && q.plan.exprs).toHaveLength(2);
    const sort = find(q.plan, 'Sort')[0]!;
    if (sort.kind !== 'Sort') throw new Error('no Sort');
    expect(sort.keys.map((k) => [k.expr.kind === 'column' ? k.expr.name : '?', k.ascending, k.nullsFirst])).toEqual([
      ['x', false, true], ['b', true, false], ['s', true, true],
    ]);
    const inner = sort.input;
    expect(inner.kind === 'Project' && inner.columns.map((c) => c.name)).toEqual(['x', 'b', 's']);
    expect(text).toContain('Sort');
  });

  it('orders by an aggregate that is not selected', async () => {
    const q = await bind('select a from t group by a order by count(*) desc');
    expect(q.columnNames).toEqual(['a']);
    const agg = find(q.plan, 'Aggregate')[0]!;
    expect(agg.kind === 'Aggregate' && agg.aggregates.map((x) => x.fn)).toEqual(['count_star']);
  });

  it('orders by a select-list expression without duplicating it', async () => {
    const q = await bind('select a + b from t order by a + b');
    const sort = find(q.plan, 'Sort')[0]!;
    expect(sort.kind === 'Sort' && sort.input.kind === 'Project' && sort.input.exprs).toHaveLength(1);
  });

  it('DISTINCT with ORDER BY outside the select list is an error', async () => {
    expect(await fails('select distinct a from t order by b', 'binder')).toBe('for SELECT DISTINCT, ORDER BY expressions must appear in select list');
  });

  it('LIMIT / OFFSET', async () => {
    const q = await bind('select a from t order by a limit 10 offset 5');
    const lim = find(q.plan, 'Limit')[0]!;
    expect(lim).toMatchObject({ kind: 'Limit', skip: 5, fetch: 10 });
    const off = find((await bind('select a from t offset 3')).plan, 'Limit')[0]!;
    expect(off).toMatchObject({ skip: 3, fetch: null });
    expect(find((await bind('select a from t limit all')).plan, 'Limit')).toHaveLength(0);
    expect(await fails('select a from t limit -1', 'binder')).toMatch(/^LIMIT must be a non-negative integer, got -1/);
    expect(await fails('select a from t limit 1.5', 'binder')).toMatch(/^LIMIT must be a non-negative integer, got 1.5/);
  });
});

describe('set operations', () => {
  it('UNION ALL → Union; UNION → Distinct over Union; ORDER BY/LIMIT apply to the whole', async () => {
    const all = await bind('select a from t union all select a from u');
    expect(showPlan(all.plan)).toMatch(/^Project[^\n]*\n {2}Union/);
    const d = await bind('select a from t union select big from u order by 1 desc limit 3');
    const text = showPlan(d.plan);
    expect(text).toMatch(/Limit skip=0 fetch=3\n\s+Sort a#\d+ desc nulls first\n\s+Distinct\n\s+Union/);
    // int32 and int64 meet at int64
    const u = find(d.plan, 'Union')[0]!;
    expect(u.kind === 'Union' && u.columns[0]!.type).toBe('int64');
  });

  it('INTERSECT / EXCEPT become distinct semi / anti joins', async () => {
    const q = await bind('select a from t intersect select a from u');
    expect(showPlan(q.plan)).toMatch(/Distinct\n\s+Join semi \(a#\d+ is_not_distinct_from a#\d+\)/);
    const e = await bind('select a from t except select a from u');
    expect(showPlan(e.plan)).toMatch(/Join anti/);
  });

  it('mismatched column counts are an error', async () => {
    expect(await fails('select a, b from t union select a from u', 'binder')).toMatch(/same number of columns/);
  });
});

describe('subqueries', () => {
  it('scalar, IN and EXISTS subqueries carry their own plans; correlated refs use the outer id', async () => {
    const q = await bind(`select a from t where b = (select max(a) from u where u.a = t.a)
      and a in (select a from u) and exists (select 1 from u where u.c > t.b) and not exists (select 1 from u)`);
    const f = find(q.plan, 'Filter')[0]!;
    if (f.kind !== 'Filter') throw new Error('no Filter');
    const kinds: string[] = [];
    const walk = (e: LExpr) => {
      kinds.push(e.kind);
      if (e.kind === 'binary') { walk(e.left); walk(e.right); }
    };
    walk(f.predicate);
    expect(kinds.filter((k) => k !== 'binary' && k !== 'column')).toEqual(['scalar_subquery', 'in_subquery', 'exists', 'exists']);
    // the correlated t.a inside the scalar subquery is t's scan id, not produced inside the subquery
    const tScan = find(q.plan, 'Scan').find((s) => s.kind === 'Scan' && s.table === 't')!;
    const tA = tScan.kind === 'Scan' ? tScan.columns[0]!.id : -1;
    expect(JSON.stringify(f.predicate)).toContain(`"id":${tA}`);
    expect(showExpr(f.predicate)).toContain('not exists');
  });

  it('IN (subquery) coerces the subquery column when types differ', async () => {
    const q = await bind('select a from t where a in (select big from u)');
    const f = find(q.plan, 'Filter')[0]!;
    if (f.kind !== 'Filter' || f.predicate.kind !== 'in_subquery') throw new Error('no in_subquery');
    expect(f.predicate.arg.type).toBe('int64');
  });

  it('a correlated subquery above GROUP BY reads the group column', async () => {
    const q = await bind('select a, (select count(*) from u where u.a = t.a) from t group by a');
    const agg = find(q.plan, 'Aggregate')[0]!;
    if (agg.kind !== 'Aggregate' || q.plan.kind !== 'Project') throw new Error('shape');
    const sub = q.plan.exprs[1]!;
    expect(sub.kind).toBe('scalar_subquery');
    expect(JSON.stringify(sub)).toContain(`"id":${agg.groupColumns[0]!.id}`);
    expect(await fails('select a, (select count(*) from u where u.a = t.b) from t group by a', 'binder')).toMatch(/^column "b" must appear in the GROUP BY/);
  });

  it('a scalar subquery must return one column', async () => {
    expect(await fails('select a from t where a = (select a, b from t)', 'binder')).toMatch(/^subquery must return only one column, got 2/);
  });

  it('the produced ids line up: every Project reads ids its input produces', async () => {
    const q = await bind('select a, sum(b) from t group by a order by 2');
    const check = (p: LogicalPlan) => {
      if (p.kind === 'Project') {
        const avail = idsProducedBy(p.input);
        for (const e of p.exprs) if (e.kind === 'column') expect(avail.has(e.id)).toBe(true);
        check(p.input);
      } else if ('input' in p) check(p.input);
    };
    check(q.plan);
  });
});

describe('expressions and coercion', () => {
  it('integer literals are int32 when they fit, else int64; decimal literals are DECIMAL(p,s) of their digits', async () => {
    const q = await bind('select 1, 3000000000, .06, 1e3, -2147483648');
    expect(projectExprs(q.plan)).toEqual(['1:int32', '3000000000:int64', '6:decimal(3,2)', '1000:float64(1e3)', '-2147483648:int32']);
  });

  it('numeric promotion inserts casts so both sides agree', async () => {
    const q = await bind('select a + big, a * c, big / 2 from t, w');
    expect(projectExprs(q.plan)).toEqual([
      expect.stringMatching(/^\(cast\(a#\d+ as int64\) \+ big#\d+\)$/),
      expect.stringMatching(/^\(cast\(a#\d+ as float64\) \* c#\d+\)$/),
      expect.stringMatching(/^\(big#\d+ \/ 2:int64\)$/),
    ]);
  });

  it('string literals take the type of the other side (dates, numbers)', async () => {
    expect(filterText((await bind("select a from t where d >= '1995-01-01' and a = '5'")).plan)).toMatch(
      /^\(\(d#\d+ >= 9131:date32\) and \(a#\d+ = 5:int32\)\)$/);
    expect(await fails("select a from t where d = 'not a date'", 'type')).toMatch(/DATE/);
  });

  it('non-literal mismatches are type errors with a position', async () => {
    expect(await fails('select a from t where a = s', 'type')).toBe('cannot compare INTEGER with VARCHAR at line 1, column 23');
    expect(await fails('select s + 1 from t', 'type')).toBe('operator + is not defined for VARCHAR and INTEGER at line 1, column 8');
    expect(await fails('select a from t where a + 1', 'type')).toMatch(/^argument of WHERE must be type BOOLEAN, not type INTEGER/);
  });

  it('date ± interval folds literals and calls date_add_* otherwise', async () => {
    const q = await bind("select date '1998-12-01' - interval '90' day, d + interval '3' month, d - interval '1' year, d + 7 from t");
    expect(projectExprs(q.plan)).toEqual([
      '10471:date32',
      expect.stringMatching(/^date_add_months\(d#\d+, 3:int32\):date32$/),
      expect.stringMatching(/^date_add_months\(d#\d+, -12:int32\):date32$/),
      expect.stringMatching(/^date_add_days\(d#\d+, 7:int32\):date32$/),
    ]);
    // month arithmetic clamps to the month's end: 1996-01-31 + 1 month = 1996-02-29
    const clamp = await bind("select date '1996-01-31' + interval '1' month");
    expect(projectExprs(clamp.plan)).toEqual([`${Date.UTC(1996, 1, 29) / 86400000}:date32`]);
  });

  it('BETWEEN, IN lists, LIKE, IS NULL, CASE, COALESCE, NULLIF, CAST, ||, EXTRACT', async () => {
    const q = await bind(`select a between 1 and 3, a not between 1 and 3, a in (1, 2, 3000000000), s not like 'x%', s ilike 'Y',
      b is null, b is not null, case when a > 1 then 'big' else null end, case a when 1 then 1.5 else 2 end,
      coalesce(a, big), nullif(a, 0), cast(s as int), a::varchar, s || a, extract(year from d), -a, not (a > 1)
      from t, w`);
    const e = projectExprs(q.plan);
    expect(e[0]).toMatch(/^\(\(a#\d+ >= 1:int32\) and \(a#\d+ <= 3:int32\)\)$/);
    expect(e[1]).toMatch(/^\(\(a#\d+ < 1:int32\) or \(a#\d+ > 3:int32\)\)$/);
    expect(e[2]).toMatch(/^cast\(a#\d+ as int64\) in \[1:int64, 2:int64, 3000000000:int64\]$/);
    expect(e[3]).toMatch(/not like 'x%':utf8$/);
    expect(e[4]).toMatch(/ilike 'Y':utf8$/);
    expect(e[5]).toMatch(/^is_null\(b#\d+\)$/);
    expect(e[6]).toMatch(/^is_not_null\(b#\d+\)$/);
    expect(e[7]).toMatch(/^case\(\(a#\d+ > 1:int32\) => 'big':utf8; else null:utf8\)$/);
    expect(e[8]).toMatch(/^case\(a#\d+; 1:int32 => 15:decimal\(11,1\); else 20:decimal\(11,1\)\)$/);
    expect(e[9]).toMatch(/^coalesce\(cast\(a#\d+ as int64\), big#\d+\):int64$/);
    expect(e[10]).toMatch(/^nullif\(a#\d+, 0:int32\):int32$/);
    expect(e[11]).toMatch(/^cast\(s#\d+ as int32\)$/);
    expect(e[12]).toMatch(/^cast\(a#\d+ as utf8\)$/);
    expect(e[13]).toMatch(/^\(s#\d+ \|\| cast\(a#\d+ as utf8\)\)$/);
    expect(e[14]).toMatch(/^date_part\('year':utf8, d#\d+\):int32$/);
    expect(e[15]).toMatch(/^neg\(a#\d+\)$/);
    expect(e[16]).toMatch(/^not\(\(a#\d+ > 1:int32\)\)$/);
    expect(outputColumns(q.plan).map((c) => c.type).slice(7, 10)).toEqual(['utf8', 'decimal(11,1)', 'int64']);
  });

  it('NOT (x) IS NULL means NOT ((x) IS NULL), whatever the grammar says', async () => {
    const q = await bind('select a from t where not (a) is null');
    expect(filterText(q.plan)).toMatch(/^not\(is_null\(a#\d+\)\)$/);
  });

  it('NULL literals coerce to the other side', async () => {
    const q = await bind('select a + null, null = a, coalesce(null, s) from t');
    expect(projectExprs(q.plan)).toEqual([
      expect.stringMatching(/^\(a#\d+ \+ null:int32\)$/),
      expect.stringMatching(/^\(null:int32 = a#\d+\)$/),
      expect.stringMatching(/^coalesce\(null:utf8, s#\d+\):utf8$/),
    ]);
  });

  it('functions: lower-case names, arity and unknown-name errors', async () => {
    const q = await bind('select UPPER(s), substring(s, 1, 2), round(c, 2), abs(a), length(s) from t, w');
    expect(projectExprs(q.plan).map((x) => x.replace(/#\d+/g, ''))).toEqual([
      'upper(s):utf8', 'substring(s, 1:int32, 2:int32):utf8', 'round(c, 2:int32):float64', 'abs(a):int32', 'length(s):int32',
    ]);
    expect(await fails('select lowr(s) from t', 'binder')).toBe('unknown function "lowr" at line 1, column 8 (did you mean "lower"?)');
    expect(await fails('select substring(s) from t', 'binder')).toMatch(/^function substring takes 2 to 3 arguments, got 1/);
  });

  it('INTERVAL of a non-constant and ANY/ALL subqueries are unsupported', async () => {
    expect(await fails('select interval (a) day from t', 'unsupported')).toMatch(/^unsupported: INTERVAL of a non-constant expression/);
    expect(await fails('select a from t where a > all (select a from u)', 'unsupported')).toMatch(/^unsupported: ALL \(subquery\)/);
  });

  it('INTERVAL, TIME and BLOB literals and arithmetic bind to typed calls', async () => {
    const q = await bind("select interval '1 day 2 hours', time '12:34:56.789', '\\xAA'::blob, d + interval '1 hour', interval '1' day * 2 from t");
    expect(projectExprs(q.plan)).toEqual([
      "'1 day 02:00:00':interval", '45296789000:time', "'\\xAA':blob",
      expect.stringMatching(/^timestamp_add_interval\(cast\(d#\d+ as timestamp\), '01:00:00':interval\):timestamp$/),
      "interval_mul('1 day':interval, 2:float64(2)):interval",
    ]);
    expect(await fails("select time '10:00' * 2", 'type')).toMatch(/^operator \* is not defined for TIME and INTEGER/);
  });
});
