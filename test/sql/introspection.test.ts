/**
 * SHOW TABLES, DESCRIBE, information_schema and files named in FROM: against DuckDB over
 * the same Parquet files (written by DuckDB), in one thread and on worker threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';

let dir: string;
let duck: DuckOracle;
let one: Spillway;
let threads: Spillway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-introspection-'));
  const writer = await DuckOracle.open();
  await writer.run(`copy (select i::int as id, 'n' || i as name, date '2024-01-01' + i::int as day, i::bigint * 1000000000000 as big,
    (i / 4.0)::double as ratio, i % 2 = 0 as even, timestamp '2024-01-01 10:00:00' + to_seconds(i) as at
    from range(100) r(i)) to '${join(dir, 'facts.parquet')}'`);
  await writer.run(`copy (select i::int as k, 'p' || i as label from range(7) r(i)) to '${join(dir, 'parts.parquet')}'`);
  writer.close();
  duck = await DuckOracle.open(dir);
  one = await Spillway.create({ tables: dir, workers: 0 });
  threads = await Spillway.create({ tables: dir, workers: 2, settings: { force_distribution: true } });
});

afterAll(async () => {
  duck?.close();
  await one?.close();
  await threads?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Same rows in Spillway (both modes) and DuckDB. */
async function same(sql: string, duckSql = sql, ordered = true): Promise<void> {
  const expected = await duck.query(duckSql);
  for (const db of [one, threads]) {
    const d = diffRows(resultCells(await db.sql(sql)), expected, ordered);
    expect(d, sql).toBeNull();
  }
}

describe('introspection, differential against DuckDB', () => {
  it('SHOW TABLES lists the tables by name', async () => {
    await same('show tables');
    const res = await one.sql('SHOW TABLES');
    expect(res.schema.fields.map((f) => f.name)).toEqual(['name']);
  });

  it('DESCRIBE a table, a quoted file and a query', async () => {
    await same('describe facts');
    await same('DESC parts');
    await same('show parts');
    await same(`describe '${join(dir, 'facts.parquet')}'`);
    await same('describe select id + 1, name, big * 2 as b2, ratio > 1 from facts');
    const res = await one.sql('describe facts');
    expect(res.schema.fields.map((f) => f.name)).toEqual(['column_name', 'column_type', 'null', 'key', 'default', 'extra']);
  });

  it('information_schema.tables and .columns are tables', async () => {
    await same('select table_catalog, table_schema, table_name from information_schema.tables order by table_name');
    await same(`select column_name from information_schema.columns where table_name = 'facts' order by ordinal_position`);
    await same('select table_name, column_name, ordinal_position, data_type, is_nullable from information_schema.columns order by 1, 3',
      'select table_name, column_name, ordinal_position, data_type, is_nullable from information_schema.columns order by 1, 3');
    await same('select t.table_name, count(*) from information_schema.tables t join information_schema.columns c on c.table_name = t.table_name group by 1 order by 1');
  });

  it('a file or a glob in FROM is a table named after the file', async () => {
    const file = join(dir, 'facts.parquet');
    await same(`select count(*), sum(id), min(day) from '${file}'`);
    await same(`select facts.name from '${file}' where id < 3 order by 1`);
    await same(`select f.k from '${join(dir, 'parts.parquet')}' f order by 1 desc limit 2`);
    await same(`select count(*) from '${join(dir, 'p*.parquet')}'`);
    await same(`select p.label, count(*) from '${file}' f join '${join(dir, 'parts.parquet')}' p on f.id = p.k group by 1 order by 1`);
  });
});

describe('introspection of the session catalog', () => {
  it('lists in-memory tables and views, with types, nullability and table types', async () => {
    const db = await Spillway.create({ workers: 0 });
    try {
      await db.sql('create table m (a integer not null, b varchar, c date); create view v as select a, b from m');
      const tables = await db.sql('select table_name, table_type from information_schema.tables order by 1');
      expect(tables.rows()).toEqual([['m', 'BASE TABLE'], ['v', 'VIEW']]);
      const cols = await db.sql(`select column_name, ordinal_position, is_nullable, data_type from information_schema.columns where table_name = 'm'`);
      expect(cols.rows()).toEqual([['a', 1, 'NO', 'INTEGER'], ['b', 2, 'YES', 'VARCHAR'], ['c', 3, 'YES', 'DATE']]);
      expect((await db.sql('describe m')).rows().map((r) => r.slice(0, 3))).toEqual([['a', 'INTEGER', 'NO'], ['b', 'VARCHAR', 'YES'], ['c', 'DATE', 'YES']]);
      expect((await db.sql('describe v')).rows().map((r) => r[0])).toEqual(['a', 'b']);
      // a view over a file lists its columns too
      await db.sql(`create view pv as select k, label from '${join(dir, 'parts.parquet')}'; create view rv as select * from read_parquet('${join(dir, 'parts.parquet')}')`);
      const viewCols = await db.sql(`select table_name, column_name, data_type from information_schema.columns where table_name in ('pv', 'rv') order by 1, 2`);
      expect(viewCols.rows()).toEqual([['pv', 'k', 'INTEGER'], ['pv', 'label', 'VARCHAR'], ['rv', 'k', 'INTEGER'], ['rv', 'label', 'VARCHAR']]);
      // a view whose file is gone lists no columns, and does not fail the query
      const gone = join(dir, 'gone.parquet');
      await db.sql(`copy (select 1 as x) to '${gone}'; create view gv as select * from '${gone}'`);
      rmSync(gone);
      const afterRm = await db.sql(`select table_name, count(*) from information_schema.columns where table_name in ('pv', 'gv') group by 1`);
      expect(afterRm.rows()).toEqual([['pv', 2n]]);
      await db.sql('drop view pv; drop view rv; drop view gv');
      // the catalog as it is when the statement starts
      await db.sql('drop view v');
      expect((await db.sql('show tables')).rows()).toEqual([['m']]);
    } finally {
      await db.close();
    }
  });

  it('an empty catalog, a view that no longer binds, and bad names', async () => {
    const db = await Spillway.create({ workers: 0 });
    try {
      expect((await db.sql('show tables')).rows()).toEqual([]);
      await db.sql('create table m (a integer); create view v as select a from m; drop table m');
      expect((await db.sql('select table_name from information_schema.tables')).rows()).toEqual([['v']]);
      expect((await db.sql('select count(*) from information_schema.columns')).rows()).toEqual([[0n]]);
      await expect(db.sql('select * from information_schema.tablez')).rejects.toThrow(/unknown table "information_schema.tablez" .*did you mean "tables"/);
      await expect(db.sql('describe nothing_here')).rejects.toThrow(/unknown table "nothing_here"/);
      await expect(db.sql(`select * from '${join(dir, 'missing.parquet')}'`)).rejects.toThrow(/missing\.parquet/);
    } finally {
      await db.close();
    }
  });
});
