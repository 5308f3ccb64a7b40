/**
 * CREATE TABLE … AS and INSERT INTO Parquet-backed tables of a --tables folder: the same
 * statements in DuckDB give the same rows, DuckDB reads the written file, a failed or
 * cancelled statement leaves the table as it was and no temporary file, and a reader
 * during an INSERT counts the rows before or after it, never in between. In one thread
 * and over worker threads (the query's last stage writes parts that are joined here).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { diffRows } from '../helpers/compare.js';
import { resultCells } from '../helpers/spillway.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, tempDir } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const ROWS = 20_000;
const SETTINGS = { force_distribution: true, network_timeout_ms: 20_000, heartbeat_interval_ms: 500, speculation_multiplier: 0 };

let root = '';
let duck: DuckOracle;

beforeAll(async () => {
  root = tempDir('spillway-ctas-');
  duck = await DuckOracle.open();
  await duck.run(`create table src as select i::bigint as k, ((i * 7919) % 3001)::integer as v, 'row ' || i as s, date '2024-01-01' + (i % 50)::integer as d
    from range(${ROWS}) r(i)`);
}, 60_000);

afterAll(() => {
  duck?.close();
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

/** A tables folder holding src.parquet (written by DuckDB, row groups of 2500 rows). */
async function tablesFolder(name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  await duck.run(`copy src to '${join(dir, 'src.parquet')}' (format parquet, row_group_size 2500)`);
  return dir;
}

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-') || f.startsWith('.'));

const STATEMENTS = [
  'create table big as select k, v, s, d from src where v < 2000',
  'insert into big select k + 1000000, v, upper(s), d from src where v >= 2900',
  "insert into big (s, k) values ('one', -1), (null, -2)",
  'insert into big (v, d, k) select 7, max(d), count(*) from src',
];

for (const workers of [0, 2]) {
  describe.skipIf(workers > 0 && !HAVE_DIST)(`CREATE TABLE AS / INSERT into Parquet tables (${workers === 0 ? 'one thread' : `${workers} worker threads`})`, () => {
    let dir = '';
    let session: Session;
    beforeAll(async () => {
      dir = await tablesFolder(`w${workers}`);
      session = await Session.create({ tables: dir, workers, config: SETTINGS });
    }, 60_000);
    afterAll(async () => { await session?.close(); });

    it('writes <name>.parquet; the rows equal DuckDB\'s for the same statements, and DuckDB reads the file', async () => {
      await duck.run('drop table if exists big');
      for (const sql of STATEMENTS) {
        const res = await session.sql(sql);
        await duck.run(sql);
        if (workers > 0 && sql.startsWith('create')) {
          // Written by the workers: the coordinator received no rows.
          const toCoordinator = res.stats!.edges.filter((e) => e.consumerStage === null);
          expect(toCoordinator).toHaveLength(1);
          expect(toCoordinator[0]).toMatchObject({ rows: 0, rawBytes: 0 });
          expect(res.stats!.stages.reduce((n, st) => n + st.tasks, 0)).toBeGreaterThan(1);
        }
      }
      const ask = 'select k, v, s, d from big order by k';
      const expected = await duck.query(ask);
      expect(expected.length).toBeGreaterThan(ROWS / 2);
      const res = await session.sql(ask);
      expect(diffRows(resultCells(res), expected, true)).toBeNull();
      const file = join(dir, 'big.parquet');
      expect(await duck.query(`select count(*)::int, sum(k)::bigint, count(s)::int, min(d)::varchar from '${file}'`))
        .toEqual(await duck.query('select count(*)::int, sum(k)::bigint, count(s)::int, min(d)::varchar from big'));
      expect(readdirSync(dir).sort()).toEqual(['big.parquet', 'src.parquet']);
      // A new session finds the table in the folder.
      const again = await Session.create({ tables: dir, workers: 0 });
      try {
        expect((await again.sql('select count(*) from big')).rows()).toEqual([[BigInt(expected.length)]]);
      } finally {
        await again.close();
      }
    }, 60_000);

    it('refuses an existing name; IF NOT EXISTS does nothing; OR REPLACE replaces', async () => {
      await session.sql('create table small as select k, s from src where k < 10');
      await expect(session.sql('create table small as select 1 as x')).rejects.toThrow('relation "small" already exists');
      await session.sql('create table if not exists small as select 1 as x');
      expect((await session.sql('select count(*) from small')).rows()).toEqual([[10n]]);
      await session.sql('create or replace table small as select k * 2 as k2 from src where k < 3');
      expect((await session.sql('select k2 from small order by k2')).rows()).toEqual([[0n], [2n], [4n]]);
      expect(await duck.query(`select k2::int from '${join(dir, 'small.parquet')}' order by 1`)).toEqual([[0], [2], [4]]);
      // A CTAS failing while it writes leaves neither a file nor a table.
      await expect(session.sql('create table bad as select k, cast(s as integer) as n from src'))
        .rejects.toThrow(/^cannot CREATE TABLE "bad": .*invalid input syntax for type integer: "row \d+"/);
      expect(existsSync(join(dir, 'bad.parquet'))).toBe(false);
      await expect(session.sql('select * from bad')).rejects.toThrow('unknown table "bad"');
      expect(leftovers(dir)).toEqual([]);
    }, 60_000);

    it('a failing INSERT names the table and column and leaves the file as it was', async () => {
      await session.sql('create table f as select k, v from src where k < 100');
      const before = readFileSync(join(dir, 'f.parquet'));
      await expect(session.sql("insert into f (v) select s from src")).rejects.toThrow('column "v" is of type INTEGER but expression is of type VARCHAR (INSERT into "f")');
      await expect(session.sql('insert into f select k from src')).rejects.toThrow('INSERT into "f" has 2 target columns but the query has 1');
      // Fails while the rows are written: a value that does not convert.
      await expect(session.sql("insert into f select k, cast(s as integer) from src")).rejects.toThrow(/^cannot INSERT into "f": .*invalid input syntax for type integer: "row \d+"/);
      expect(readFileSync(join(dir, 'f.parquet')).equals(before)).toBe(true);
      expect((await session.sql('select count(*) from f')).rows()).toEqual([[100n]]);
      expect(leftovers(dir)).toEqual([]);
    }, 60_000);

    it('a cancelled INSERT leaves the table as it was', async () => {
      await session.sql('create table c as select k, s from src where k < 5');
      const before = readFileSync(join(dir, 'c.parquet'));
      const controller = new AbortController();
      let watching = true;
      const watcher = (async () => {
        while (watching && !readdirSync(dir).some((f) => f.includes('.tmp-'))) await new Promise((r) => setTimeout(r, 1));
        if (watching) controller.abort();
      })();
      const err = await session.sql('insert into c select a.k, a.s || b.s from src a, src b where b.k < 40', { signal: controller.signal }).then(() => null, (e: unknown) => e);
      watching = false;
      await watcher;
      expect(err).toBeInstanceOf(Error);
      expect(readFileSync(join(dir, 'c.parquet')).equals(before)).toBe(true);
      expect((await session.sql('select count(*) from c')).rows()).toEqual([[5n]]);
      expect(leftovers(dir)).toEqual([]);
    }, 60_000);
  });
}

describe('INSERT while others read', () => {
  it('a reader of the file counts the rows before or after each INSERT, never in between', async () => {
    const dir = await tablesFolder('concurrent');
    const writer = await Session.create({ tables: dir, workers: 0 });
    const reader = await Session.create({ workers: 0 });
    try {
      await writer.sql('create table g as select k, s from src where k < 1000');
      const file = join(dir, 'g.parquet');
      let inserting = true;
      const seen = new Set<bigint>();
      const reading = (async () => {
        while (inserting) {
          const n = (await reader.sql(`select count(*) from read_parquet('${file}')`)).rows()[0]![0] as bigint;
          seen.add(n);
        }
      })();
      for (let i = 0; i < 6; i++) await writer.sql('insert into g select k, s from src');
      inserting = false;
      await reading;
      for (const n of seen) expect((n - 1000n) % BigInt(ROWS)).toBe(0n);
      expect((await writer.sql('select count(*) from g')).rows()).toEqual([[1000n + 6n * BigInt(ROWS)]]);
    } finally {
      await writer.close();
      await reader.close();
    }
  }, 60_000);

  it('INSERTs into one table at once all land (they run one after the other)', async () => {
    const dir = await tablesFolder('together');
    const session = await Session.create({ tables: dir, workers: 0 });
    try {
      await session.sql('create table j as select k from src where k < 3');
      await Promise.all(Array.from({ length: 5 }, (_, i) => session.sql(`insert into j select k + ${(i + 1) * 100} from src where k < 3`)));
      expect((await session.sql('select count(*), count(distinct k) from j')).rows()).toEqual([[18n, 18n]]);
      expect(await duck.query(`select count(*)::int from '${join(dir, 'j.parquet')}'`)).toEqual([[18]]);
    } finally {
      await session.close();
    }
  }, 60_000);

  it('INSERT into a folder table adds one file, renamed into place when complete', async () => {
    const dir = await tablesFolder('folder');
    mkdirSync(join(dir, 'h'));
    await duck.run(`copy (select k, s from src where k < 10) to '${join(dir, 'h', 'part-0.parquet')}' (format parquet)`);
    const session = await Session.create({ tables: dir, workers: 0 });
    try {
      await session.sql("insert into h values (100, 'a'), (101, null)");
      expect(readdirSync(join(dir, 'h')).length).toBe(2);
      expect((await session.sql('select count(*), sum(k) from h')).rows()).toEqual([[12n, 45n + 201n]]);
      expect(await duck.query(`select count(*)::int from '${join(dir, 'h')}/*.parquet'`)).toEqual([[12]]);
      expect(leftovers(join(dir, 'h'))).toEqual([]);
      // A one-file table written by DuckDB takes rows too; DuckDB reads the result.
      await session.sql("insert into src (k, s) select k + 100000, s from src where k < 10");
      expect(await duck.query(`select count(*)::int, count(v)::int, max(k)::int from '${join(dir, 'src.parquet')}'`)).toEqual([[ROWS + 10, ROWS, 100009]]);
      await expect(session.sql("insert into src (d) values ('x')")).rejects.toThrow(/DATE/);
      expect(leftovers(dir)).toEqual([]);
    } finally {
      await session.close();
    }
  }, 60_000);

  it('without a tables folder, CREATE TABLE AS makes an in-memory table', async () => {
    const session = await Session.create({ workers: 0 });
    try {
      await session.sql('create table m as select 1 as a, null as b');
      await session.sql("insert into m values (2, 'x')");
      expect((await session.sql('select a, b from m order by a')).rows()).toEqual([[1, null], [2, 'x']]);
      expect(existsSync(join(process.cwd(), 'm.parquet'))).toBe(false);
    } finally {
      await session.close();
    }
  });
});
