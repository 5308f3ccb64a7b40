/**
 * Exact integer literals, integer overflow as an error (PostgreSQL's "bigint out of
 * range"), and deep expressions: long AND/OR chains are evaluated, anything nested past
 * the limits is refused up front with the limit in the message, never a stack overflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { MAX_EXPRESSION_DEPTH, MAX_PARENTHESES_DEPTH } from '../../src/sql/expression_depth.js';
import { DuckOracle } from '../helpers/duckdb.js';

let db: Spillway;
beforeAll(async () => {
  db = await Spillway.create({ workers: 0 });
  await db.sql(`create table b (lo bigint, hi bigint, m1 bigint, two bigint, i integer);
    insert into b values (-9223372036854775807 - 1, 9223372036854775807, -1, 2, 2147483647)`);
});
afterAll(async () => { await db.close(); });

const one = async (sql: string): Promise<unknown> => (await db.sql(sql)).rows()[0]![0];

describe('integer literals are exact', () => {
  it.each([
    ['select -9007199254740993', -9007199254740993n, 'BIGINT'],
    ['select 9007199254740993', 9007199254740993n, 'BIGINT'],
    ['select -9223372036854775808', -9223372036854775808n, 'BIGINT'],
    ['select 9223372036854775807', 9223372036854775807n, 'BIGINT'],
    ['select 1-9007199254740993', -9007199254740992n, 'BIGINT'],
    ['select -2147483648', -2147483648, 'INTEGER'],
    ['select 2147483648', 2147483648n, 'BIGINT'],
    ['select 99999999999999999999', 1e20, 'DOUBLE'],
  ])('%s', async (sql, value, type) => {
    expect(await one(sql)).toBe(value);
    expect(await one(sql.replace('select ', 'select typeof(') + ')')).toBe(type);
  });

  it('agrees with DuckDB on the digits', async () => {
    const duck = await DuckOracle.open();
    try {
      for (const lit of ['-9007199254740993', '9007199254740993', '-9223372036854775808', '-4611686018427387905']) {
        const theirs = await duck.query(`select (${lit})::varchar`);
        expect(await one(`select cast(${lit} as varchar)`)).toBe(theirs[0]![0]);
      }
    } finally {
      duck.close();
    }
  });
});

describe('integer overflow is an error', () => {
  it.each([
    'select 9223372036854775807 + 1',
    'select (-9223372036854775807 - 1) - 1',
    'select 9223372036854775807 * 2',
    'select (-9223372036854775807 - 1) / -1',
    'select -(-9223372036854775807 - 1)',
    'select abs(-9223372036854775807 - 1)',
    'select hi + 1 from b',
    'select lo - 1 from b',
    'select hi * two from b',
    'select lo * m1 from b',
    'select lo / m1 from b',
    'select -lo from b',
    'select abs(lo) from b',
  ])('%s', async (sql) => {
    await expect(db.sql(sql)).rejects.toThrow(/^bigint out of range$/);
  });

  it.each([
    'select 2147483647 + 1',
    'select (-2147483647 - 1) / -1',
    'select i + 1 from b',
    'select i * 2 from b',
  ])('%s (INTEGER)', async (sql) => {
    await expect(db.sql(sql)).rejects.toThrow(/^integer out of range$/);
  });

  it('sum over BIGINT, aggregate and window', async () => {
    await expect(db.sql('select sum(x) from (select hi as x from b union all select 1) t')).rejects.toThrow(/bigint out of range/i);
    await expect(db.sql('select sum(x) over () from (select hi as x from b union all select 1) t')).rejects.toThrow(/^bigint out of range$/);
    await expect(db.sql('select sum(x) over (order by x) from (select hi as x from b union all select 1) t')).rejects.toThrow(/^bigint out of range$/);
    // Frames that fit are exact even where a running total would not.
    const frames = await db.sql(`select sum(x) over (order by k rows between current row and current row)
      from (select 1 as k, hi as x from b union all select 2, hi from b union all select 3, -5) t order by k`);
    expect(frames.rows()).toEqual([[9223372036854775807n], [9223372036854775807n], [-5n]]);
  });

  it('results at the edges are exact', async () => {
    expect(await one('select (-9223372036854775807 - 1) % -1')).toBe(0n);
    expect(await one('select lo / two from b')).toBe(-4611686018427387904n);
    expect(await one('select hi - 1 + 1 from b')).toBe(9223372036854775807n);
  });
});

describe('deep expressions', () => {
  const terms = (n: number, f: (i: number) => string, sep: string) => Array.from({ length: n }, (_, i) => f(i)).join(sep);

  it('evaluates 2,000 ORs and 5,000 ANDs', async () => {
    const ors = `select count(*) from (values (1), (1500), (2500)) v(a) where ${terms(2000, (i) => `a = ${i}`, ' or ')}`;
    expect(await one(ors)).toBe(2n);
    const ands = `select count(*) from (values (1), (3000)) v(a) where ${terms(5000, (i) => `a <> ${i + 2}`, ' and ')}`;
    expect(await one(ands)).toBe(1n);
    const mixed = `select count(*) from (values (3)) v(a) where (${terms(3000, (i) => `a = ${i}`, ' or ')}) and a > 0`;
    expect(await one(mixed)).toBe(1n);
  });

  it('evaluates CASE and parentheses nested within the limit', async () => {
    expect(await one(`select ${'(case when true then '.repeat(100)}7${' end)'.repeat(100)}`)).toBe(7);
  });

  it(`evaluates a sum of ${MAX_EXPRESSION_DEPTH / 2} terms`, async () => {
    expect(await one(`select ${terms(MAX_EXPRESSION_DEPTH / 2, () => 'a', ' + ')} from (values (2)) v(a)`)).toBe(MAX_EXPRESSION_DEPTH);
  });

  it.each([
    ['2,000 + terms', `select ${terms(2000, () => '1', ' + ')}`, /nests expressions more than 1000 deep \(the limit is 1000/],
    ['2,000 || terms', `select ${terms(2000, () => "'a'", ' || ')}`, /the limit is 1000/],
    ['5,000 NOTs', `select ${'not '.repeat(5000)}true`, /nests more than 1000 NOTs at line 1, column \d+ \(the limit is 1000\)/],
    ['5,000 nested parentheses', `select ${'('.repeat(5000)}1${')'.repeat(5000)}`, new RegExp(`parentheses and CASE expressions more than ${MAX_PARENTHESES_DEPTH} deep at line 1, column \\d+ \\(the limit is ${MAX_PARENTHESES_DEPTH}\\)`)],
    ['5,000 nested parentheses in a WHERE', `select 1 where ${'('.repeat(5000)}true${')'.repeat(5000)}`, /the limit is 256/],
    ['3,000 nested CASEs', `select ${'case when true then '.repeat(3000)}1${' end'.repeat(3000)}`, /parentheses and CASE expressions more than 256 deep .*\(the limit is 256\)/],
    ['3,000 nested ELSE CASEs', `select ${'case when false then 1 else '.repeat(3000)}1${' end'.repeat(3000)}`, /the limit is 256/],
    ['3,000 unary minus signs', `select ${'- '.repeat(3000)}1`, /the limit is 1000/],
  ])('refuses %s with the limit', async (_what, sql, message) => {
    await expect(db.sql(sql)).rejects.toThrow(message);
  });
});
