/** Window functions in the binder, the pre-parse and the optimizer passes around a Window node. */
import { describe, expect, it } from 'vitest';
import { planQuery } from '../../src/sql/statement.js';
import { SpillwayError } from '../../src/common/errors.js';
import { explainLogical } from '../../src/plan/explain.js';
import { optimize } from '../../src/plan/optimizer/index.js';
import { IdGenerator, type LogicalPlan } from '../../src/plan/logical.js';
import { smallCatalog, testEnv } from './fixtures.js';

async function bind(sql: string): Promise<{ plan: LogicalPlan; ids: IdGenerator }> {
  return planQuery(sql, smallCatalog(), testEnv());
}

async function fails(sql: string): Promise<string> {
  try {
    await bind(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    return (e as Error).message;
  }
  throw new Error(`expected an error for: ${sql}`);
}

async function explained(sql: string): Promise<string> {
  const q = await bind(sql);
  return explainLogical(optimize(q.plan, q.ids));
}

describe('window functions: binder', () => {
  it('refuses window functions outside the select list, ORDER BY and QUALIFY, naming the position', async () => {
    expect(await fails('select a from t where row_number() over (order by a) > 1')).toBe('window functions are not allowed in WHERE at line 1, column 23');
    expect(await fails('select a from t group by a having rank() over (order by a) = 1')).toMatch(/^window functions are not allowed in HAVING at line 1/);
    expect(await fails('select sum(a) from t group by row_number() over ()')).toMatch(/^window functions are not allowed in GROUP BY/);
    expect(await fails('select sum(row_number() over (order by a)) from t')).toMatch(/^window functions are not allowed in aggregate function arguments at line 1/);
  });

  it('refuses nested windows and bad arguments, naming the position', async () => {
    expect(await fails('select sum(rank() over (order by a)) over () from t')).toBe('window function calls cannot be nested at line 1, column 12');
    expect(await fails('select a,\n  lag(a) over (order by lead(a) over (order by a)) from t')).toBe('window function calls cannot be nested at line 2, column 25');
    expect(await fails('select a from t order by lag(a, -1) over (order by a)')).toMatch(/offset of lag must be an integer constant of at least 0/);
    expect(await fails('select ntile(0) over (order by a) from t')).toMatch(/bucket count of ntile must be an integer constant of at least 1/);
    expect(await fails('select sum(a) over w from t')).toMatch(/^window "w" does not exist/);
    expect(await fails('select percent_rank() from t')).toMatch(/^window function percent_rank requires an OVER clause at line 1, column 8/);
    expect(await fails('select sum(a) over (order by s range between 1 preceding and current row) from t')).toMatch(/RANGE with offset PRECEDING\/FOLLOWING needs exactly one numeric ORDER BY column at line 1/);
    expect(await fails('select sum(a) over (order by a rows between 1 following and current row) from t')).toMatch(/frame starting from following row cannot end with current row/);
    expect(await fails('select a from t group by a having a > 1 qualify rank() over (order by a) = 1')).toMatch(/^unsupported: QUALIFY together with HAVING/);
  });

  it('one Window node per distinct window, with the default frames', async () => {
    const text = await explained('select a, row_number() over (partition by b order by a), sum(a) over (partition by b order by a), count(*) over () from t');
    expect(text.match(/Window /g)!.length).toBe(2);
    expect(text).toMatch(/Window partition=\[b\] order=\[a ASC\] fns=\[row_number\(\), sum\(a\) RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW/);
    expect(text).toMatch(/Window fns=\[count\(\*\) ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING/);
  });

  it('frames as written: ROWS, RANGE and GROUPS with offsets', async () => {
    const text = await explained(
      'select sum(a) over (order by a rows 2 preceding), sum(a) over (order by a range between 3 preceding and 1 following), '
      + 'sum(a) over (order by a groups between current row and unbounded following) from t');
    expect(text).toContain('ROWS BETWEEN 2 PRECEDING AND CURRENT ROW');
    expect(text).toContain('RANGE BETWEEN 3 PRECEDING AND 1 FOLLOWING');
    expect(text).toContain('GROUPS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING');
  });

  it('QUALIFY filters above the Window; it may name select aliases', async () => {
    const text = await explained('select a, row_number() over (partition by b order by a) rn from t qualify rn = 1');
    expect(text).toMatch(/Project a, row_number\(\) AS rn est=\d+\n\s+Filter row_number\(\) = 1 est=\d+\n\s+Window partition=\[b\]/);
  });
});

describe('window functions: optimizer passes', () => {
  it('predicate pushdown moves only terms on PARTITION BY columns below a Window', async () => {
    const text = await explained('select * from (select a, b, rank() over (partition by b order by a) r from t) q where b = 3 and a > 1 and r < 2');
    const lines = text.split('\n');
    const window = lines.findIndex((l) => l.includes('Window'));
    const scan = lines.find((l) => l.includes('Scan t'))!;
    expect(scan).toContain('filters=[b = 3]');
    expect(lines.slice(0, window).join('\n')).toMatch(/a > 1/);
    expect(lines.slice(0, window).join('\n')).toMatch(/< 2/);
  });

  it('projection pruning drops unused window functions, and the Window when none is left', async () => {
    const one = await explained('select a from (select a, rank() over (order by a) r, sum(b) over () s from t) q where r < 3');
    expect(one).toMatch(/Window order=\[a ASC\] fns=\[rank\(\)/);
    expect(one).not.toContain('sum(b)');
    expect(await explained('select a from (select a, rank() over (order by a) r from t) q')).not.toContain('Window');
  });
});
