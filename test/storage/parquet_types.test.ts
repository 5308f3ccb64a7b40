/**
 * Parquet files DuckDB writes with types of every kind: BLOB, TIME, INTERVAL, LIST, STRUCT and
 * a LIST of BLOB read as DuckDB reads them; a column of a type Spillway does not read fails
 * only the queries touching it, naming the file, the column and its type. UINT64 reads as
 * BIGINT until a value does not fit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';

let dir: string;
let db: Session;
let duck: DuckOracle;
let types: string;
let ubig: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-parquet-types-'));
  duck = await DuckOracle.open();
  types = join(dir, 'types.parquet');
  ubig = join(dir, 'ubig.parquet');
  await duck.run(`copy (select i::int as a, ('x' || i)::blob as b, (i * 10)::ubigint as u, [i, i + 1] as l, {'p': i} as s,
    make_time(1, 2, i % 60) as t, to_days(i::int) as iv, 'v' || i as v, [('x' || i)::blob] as lb from range(1000) r(i)) to '${types}' (row_group_size 300)`);
  await duck.run(`copy (select * from (values (1::ubigint), (9223372036854775807::ubigint), (null)) v(u)) to '${join(dir, 'ubig_ok.parquet')}'`);
  await duck.run(`copy (select * from (values (1::ubigint), (18446744073709551615::ubigint)) v(u)) to '${ubig}'`);
  db = await Session.create({ tables: dir });
});

afterAll(async () => {
  duck?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const failure = async (sql: string): Promise<string> => {
  const e = await db.sql(sql).then(() => null, (err: unknown) => err as Error);
  expect(e, sql).not.toBeNull();
  return e!.message;
};

describe('Parquet columns of unsupported types', () => {
  it('the readable columns of the file read as DuckDB reads them', async () => {
    const sql = `select a, u, v from '${types}' where a % 7 = 3 order by a`;
    const diff = diffRows(resultCells(await db.sql(sql)), await duck.query(sql.replace('u,', 'u::bigint,')), true);
    expect(diff).toBeNull();
    expect((await db.sql('select count(*), sum(a) from types')).rows()).toEqual([[1000n, 499500n]]);
  });

  it('BLOB, TIME and INTERVAL columns read as DuckDB reads them', async () => {
    const sql = `select a, b, t, iv from '${types}' where a % 7 = 3 order by a`;
    const res = await db.sql(sql);
    expect(res.schema.fields.map((f) => f.type)).toEqual(['int32', 'blob', 'time', 'interval']);
    const diff = diffRows(resultCells(res), await duck.query(sql), true);
    expect(diff).toBeNull();
  });

  it('a LIST of BLOB reads as DuckDB reads it', async () => {
    const sql = `select a, lb[1] as first, len(lb) as n from '${types}' where a % 7 = 3 order by a`;
    const res = await db.sql(sql);
    expect(res.schema.fields.map((f) => f.type)).toEqual(['int32', 'blob', 'int64']);
    expect(diffRows(resultCells(res), await duck.query(sql), true)).toBeNull();
    expect((await db.sql(`select count(*) from types`)).rows()).toEqual([[1000n]]);
  });

  it('LIST and STRUCT columns of the same file read as DuckDB reads them', async () => {
    const res = await db.sql('select a, l, s from types where a < 5 order by a');
    expect(res.schema.fields.map((f) => f.type)).toEqual(['int32', 'list<int64>', 'struct<p:int64>']);
    expect(res.rows()).toEqual([0, 1, 2, 3, 4].map((a) => [a, [BigInt(a), BigInt(a + 1)], { p: BigInt(a) }]));
  });

  it('UINT64 reads as BIGINT; a value above 2^63 - 1 fails naming it', async () => {
    const ok = await db.sql('select u from ubig_ok order by u');
    expect(ok.schema.fields[0]!.type).toBe('int64');
    expect(ok.rows()).toEqual([[1n], [9223372036854775807n], [null]]);
    expect(await failure('select max(u) from ubig'))
      .toBe(`Parquet file "${ubig}": column "u": UINT64 value 18446744073709551615 is out of range for BIGINT (at most 9223372036854775807)`);
  });
});
