/**
 * End to end: generate TPC-H SF 0.01 three times (one file per table; three files per table
 * with another row-group size; another seed through the CLI) and check the files with DuckDB.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { datagenCommand } from '../../src/cli/datagen_command.js';
import { generateTpch, type GenerateTpchResult } from '../../src/datagen/tpch.js';
import { SpillwayError } from '../../src/common/errors.js';
import { readParquetMetadata } from '../../src/storage/parquet_metadata.js';
import { HAVE_SHARED, TPCH_DIR } from '../helpers/paths.js';

const TABLES = ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem'] as const;
const SPLIT = new Set(['customer', 'part', 'partsupp', 'orders', 'lineitem']);

let root: string;
let one: string;
let three: string;
let cliOut: string;
let resultOne: GenerateTpchResult;
let resultThree: GenerateTpchResult;
let cliLines: string[];
let conn: DuckDBConnection;

/** Views one_<t>, three_<t>, seven_<t> over the three generated data sets. */
beforeAll(async () => {
  root = await mkdtemp(nodePath.join(tmpdir(), 'spillway-datagen-'));
  one = nodePath.join(root, 'one');
  three = nodePath.join(root, 'three');
  cliOut = nodePath.join(root, 'cli');
  const progress: string[] = [];
  resultOne = await generateTpch({ sf: 0.01, out: one, seed: 1, rowGroupSize: 4096, onProgress: (m) => progress.push(m) });
  expect(progress).toHaveLength(8);
  resultThree = await generateTpch({ sf: 0.01, out: three, seed: 1, filesPerTable: 3, rowGroupSize: 5000 });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await datagenCommand(['tpch', '--sf', '0.01', '--out', cliOut, '--seed', '7'])).toBe(0);
    cliLines = write.mock.calls.map((c) => String(c[0]));
  } finally {
    write.mockRestore();
  }
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await db.connect();
  for (const t of TABLES) {
    await conn.run(`create view one_${t} as select * from read_parquet('${nodePath.join(one, t)}.parquet')`);
    const threePath = SPLIT.has(t) ? nodePath.join(three, t, '*.parquet') : `${nodePath.join(three, t)}.parquet`;
    await conn.run(`create view three_${t} as select * from read_parquet('${threePath}')`);
    await conn.run(`create view seven_${t} as select * from read_parquet('${nodePath.join(cliOut, t)}.parquet')`);
    // Unprefixed names for the integrity checks and the queries: the single-file data set.
    await conn.run(`create view ${t} as select * from one_${t}`);
  }
}, 120_000);

afterAll(async () => {
  conn?.closeSync();
  if (root) await rm(root, { recursive: true, force: true });
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}
async function scalar(sql: string): Promise<unknown> {
  return (await rows(sql))[0]![0];
}

describe('generateTpch at SF 0.01', () => {
  it('writes the spec cardinalities', async () => {
    const counts = Object.fromEntries(resultOne.tables.map((t) => [t.name, t.rows]));
    expect(counts).toMatchObject({ region: 5, nation: 25, supplier: 100, customer: 1500, part: 2000, partsupp: 8000, orders: 15_000 });
    expect(counts.lineitem).toBeGreaterThan(55_000);
    expect(counts.lineitem).toBeLessThan(65_000);
    for (const t of TABLES) expect(Number(await scalar(`select count(*) from ${t}`)), t).toBe(counts[t]);
  });

  it('lays out one file per table, or part-<k> files for the large tables, with several row groups', async () => {
    expect((await readdir(one)).sort()).toEqual(TABLES.map((t) => `${t}.parquet`).sort());
    for (const t of resultThree.tables) {
      if (SPLIT.has(t.name)) {
        expect(t.files).toEqual([0, 1, 2].map((k) => nodePath.join(three, t.name, `part-${k}.parquet`)));
        expect((await readdir(nodePath.join(three, t.name))).sort()).toEqual(['part-0.parquet', 'part-1.parquet', 'part-2.parquet']);
      } else {
        expect(t.files).toEqual([nodePath.join(three, `${t.name}.parquet`)]);
      }
    }
    const lineitem = await readParquetMetadata(nodePath.join(one, 'lineitem.parquet'));
    expect(lineitem.rowGroups.length).toBe(Math.ceil(lineitem.rows / 4096));
    expect(lineitem.rowGroups.slice(0, -1).every((g) => g.rows === 4096)).toBe(true);
    const orders = await readParquetMetadata(nodePath.join(three, 'orders', 'part-1.parquet'));
    expect(orders.rows).toBe(5000);
    expect(orders.rowGroups).toHaveLength(1);
    const partsupp = await readParquetMetadata(nodePath.join(one, 'partsupp.parquet'));
    expect(partsupp.rowGroups).toHaveLength(2);
  });

  it('uses the shared data types: INT32 keys, DOUBLE money, DATE, UTF8, all REQUIRED', async () => {
    const expected: Record<string, string> = {
      l_orderkey: 'INTEGER', l_partkey: 'INTEGER', l_suppkey: 'INTEGER', l_linenumber: 'INTEGER', l_quantity: 'DOUBLE',
      l_extendedprice: 'DOUBLE', l_discount: 'DOUBLE', l_tax: 'DOUBLE', l_returnflag: 'VARCHAR', l_linestatus: 'VARCHAR',
      l_shipdate: 'DATE', l_commitdate: 'DATE', l_receiptdate: 'DATE', l_shipinstruct: 'VARCHAR', l_shipmode: 'VARCHAR',
      l_comment: 'VARCHAR',
    };
    const described = await rows(`describe select * from lineitem`);
    expect(Object.fromEntries(described.map((r) => [r[0], r[1]]))).toEqual(expected);
    // Same names, order and types as the dbgen data in ../shared.
    if (HAVE_SHARED) {
      for (const t of TABLES) {
        const ours = await rows(`select column_name, column_type from (describe select * from ${t})`);
        const theirs = await rows(`select column_name, column_type from (describe select * from read_parquet('${nodePath.join(TPCH_DIR, 'sf0.01', t)}.parquet'))`);
        expect(ours, t).toEqual(theirs);
      }
    }
    for (const t of TABLES) {
      const info = await readParquetMetadata(nodePath.join(one, `${t}.parquet`));
      expect(info.schema.fields.every((f) => !f.nullable), t).toBe(true);
    }
    const repetition = await rows(`select distinct repetition_type from parquet_schema('${nodePath.join(one, 'orders.parquet')}') where name <> 'spillway_schema'`);
    expect(repetition).toEqual([['REQUIRED']]);
  });

  it('keeps keys unique and every foreign key pointing at a row', async () => {
    const zero = [
      // primary keys
      `select count(*) - count(distinct r_regionkey) from region`,
      `select count(*) - count(distinct n_nationkey) from nation`,
      `select count(*) - count(distinct s_suppkey) from supplier`,
      `select count(*) - count(distinct c_custkey) from customer`,
      `select count(*) - count(distinct p_partkey) from part`,
      `select count(*) - count(distinct (ps_partkey, ps_suppkey)) from partsupp`,
      `select count(*) - count(distinct o_orderkey) from orders`,
      `select count(*) - count(distinct (l_orderkey, l_linenumber)) from lineitem`,
      // foreign keys
      `select count(*) from nation where n_regionkey not in (select r_regionkey from region)`,
      `select count(*) from supplier where s_nationkey not in (select n_nationkey from nation)`,
      `select count(*) from customer where c_nationkey not in (select n_nationkey from nation)`,
      `select count(*) from partsupp where ps_partkey not in (select p_partkey from part)`,
      `select count(*) from partsupp where ps_suppkey not in (select s_suppkey from supplier)`,
      `select count(*) from orders where o_custkey not in (select c_custkey from customer)`,
      `select count(*) from lineitem where l_orderkey not in (select o_orderkey from orders)`,
      `select count(*) from lineitem l anti join partsupp ps on l.l_partkey = ps.ps_partkey and l.l_suppkey = ps.ps_suppkey`,
      `select count(*) from orders o anti join lineitem l on l.l_orderkey = o.o_orderkey`,
      // key rules
      `select count(*) from orders where o_custkey % 3 = 0`,
      `select count(*) from orders where o_orderkey % 32 > 7`,
      `select count(*) from (select p_partkey, count(*) c from part join partsupp on ps_partkey = p_partkey group by 1) where c <> 4`,
      `select count(*) from partsupp, (select count(*)::int s from supplier) where not exists
         (select 1 from range(4) t(i) where (ps_partkey + i * (s // 4 + (ps_partkey - 1) // s)) % s + 1 = ps_suppkey)`,
      `select count(*) from (select l_orderkey, count(*) n, max(l_linenumber) m, min(l_linenumber) lo from lineitem group by 1) where n <> m or lo <> 1 or n > 7`,
    ];
    for (const sql of zero) expect(Number(await scalar(sql)), sql).toBe(0);
    expect(await scalar(`select max(o_orderkey) from orders`)).toBe(60_000);
    expect(Number(await scalar(`select count(distinct o_custkey) from orders`))).toBeGreaterThan(900);
  });

  it('keeps values in the spec domains', async () => {
    const zero = [
      // Cents are checked exactly with the distinct values below.
      `select count(*) from lineitem where l_discount not between 0 and 0.1`,
      `select count(*) from lineitem where l_tax not between 0 and 0.08`,
      `select count(*) from lineitem where l_quantity not between 1 and 50 or l_quantity <> round(l_quantity)`,
      `select count(*) from orders where o_orderdate not between date '1992-01-01' and date '1998-08-02'`,
      `select count(*) from lineitem join orders on l_orderkey = o_orderkey where
         l_shipdate - o_orderdate not between 1 and 121 or l_commitdate - o_orderdate not between 30 and 90
         or l_receiptdate - l_shipdate not between 1 and 30`,
      `select count(*) from lineitem where (l_receiptdate <= date '1995-06-17') <> (l_returnflag in ('R', 'A')) or l_returnflag not in ('R', 'A', 'N')`,
      `select count(*) from lineitem where l_linestatus <> case when l_shipdate > date '1995-06-17' then 'O' else 'F' end`,
      `select count(*) from orders o join (select l_orderkey, bool_and(l_linestatus = 'F') f, bool_and(l_linestatus = 'O') op,
           sum(round(l_extendedprice * (1 + l_tax) * (1 - l_discount), 2)) total from lineitem group by 1) l on l.l_orderkey = o.o_orderkey
         where o_orderstatus <> case when f then 'F' when op then 'O' else 'P' end
         -- a line's half cent may round either way in DOUBLE math (exact cents: tpch_tables.test.ts)
         or abs(o_totalprice - total) > 0.0701`,
      `select count(*) from lineitem join part on l_partkey = p_partkey where abs(l_extendedprice - l_quantity * p_retailprice) > 0.005`,
      `select count(*) from part where round(p_retailprice * 100) <> 90000 + (p_partkey // 10) % 20001 + 100 * (p_partkey % 1000)`,
      `select count(*) from part where p_brand <> 'Brand#' || right(p_mfgr, 1) || right(p_brand, 1) or right(p_brand, 1) not between '1' and '5'`,
      `select count(*) from part where p_size not between 1 and 50`,
      `select count(*) from partsupp where ps_availqty not between 1 and 9999 or ps_supplycost not between 1 and 1000`,
      `select count(*) from customer where c_phone not like (c_nationkey + 10)::varchar || '-___-___-____' or c_acctbal not between -999.99 and 9999.99`,
      `select count(*) from supplier where s_phone not like (s_nationkey + 10)::varchar || '-___-___-____' or s_name <> 'Supplier#' || lpad(s_suppkey::varchar, 9, '0')`,
      `select count(*) from customer where c_name <> 'Customer#' || lpad(c_custkey::varchar, 9, '0') or length(c_address) not between 10 and 40`,
      `select count(*) from orders where o_clerk not between 'Clerk#000000001' and 'Clerk#000000010' or o_shippriority <> 0`,
      `select count(*) from orders where length(o_comment) not between 19 and 78`,
      `select count(*) from lineitem where length(l_comment) not between 10 and 43`,
      `select count(*) from partsupp where length(ps_comment) not between 49 and 198`,
      `select count(*) from customer where length(c_comment) not between 29 and 116`,
      `select count(*) from part where length(p_comment) not between 5 and 22`,
      `select count(*) from supplier where length(s_comment) not between 25 and 100`,
      `select count(*) from region where length(r_comment) not between 31 and 115`,
    ];
    for (const sql of zero) expect(Number(await scalar(sql)), sql).toBe(0);
    const domain = async (sql: string) => (await rows(sql)).map((r) => r[0]);
    expect(await domain(`select distinct l_discount from lineitem order by 1`)).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]);
    expect(await domain(`select distinct l_tax from lineitem order by 1`)).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]);
    expect(await domain(`select count(*) from partsupp where abs(ps_supplycost * 100 - round(ps_supplycost * 100)) > 1e-6`)).toEqual(['0']);
    expect(await domain(`select distinct o_orderpriority from orders order by 1`)).toEqual(['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW']);
    expect(await domain(`select distinct l_shipmode from lineitem order by 1`)).toEqual(['AIR', 'FOB', 'MAIL', 'RAIL', 'REG AIR', 'SHIP', 'TRUCK']);
    expect(await domain(`select distinct l_shipinstruct from lineitem order by 1`)).toEqual(['COLLECT COD', 'DELIVER IN PERSON', 'NONE', 'TAKE BACK RETURN']);
    expect(await domain(`select distinct c_mktsegment from customer order by 1`)).toEqual(['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY']);
    expect(await domain(`select distinct o_orderstatus from orders order by 1`)).toEqual(['F', 'O', 'P']);
    expect(await domain(`select r_name from region order by r_regionkey`)).toEqual(['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST']);
    expect(await domain(`select n_name from nation where n_regionkey = 3 order by 1`)).toEqual(['FRANCE', 'GERMANY', 'ROMANIA', 'RUSSIA', 'UNITED KINGDOM']);
    expect(Number(await scalar(`select count(*) from supplier where s_comment like '%Customer%Complaints%'`))).toBe(1);
    expect(Number(await scalar(`select count(*) from supplier where s_comment like '%Customer%Recommends%'`))).toBe(1);
    const special = Number(await scalar(`select count(*) from orders where o_comment like '%special%requests%'`));
    expect(special).toBeGreaterThan(15);
    expect(special).toBeLessThan(750);
    expect(Number(await scalar(`select count(*) from part where p_name like '%green%'`))).toBeGreaterThan(0);
    expect(Number(await scalar(`select count(*) from part where p_type like '%BRASS' and p_size = 15`))).toBeGreaterThan(0);
  });

  it('is deterministic for a seed whatever the file and row-group split, and differs for another seed', async () => {
    const checksum = async (view: string) => JSON.stringify(await rows(`select count(*), sum(hash(t))::varchar from ${view} t`));
    for (const t of TABLES) {
      expect(await checksum(`three_${t}`), t).toBe(await checksum(`one_${t}`));
    }
    for (const t of ['supplier', 'customer', 'part', 'partsupp', 'orders', 'lineitem']) {
      expect(await checksum(`seven_${t}`), t).not.toBe(await checksum(`one_${t}`));
    }
    // The small tables fit one row group in both runs, so their files are the same bytes.
    for (const t of ['region', 'nation', 'supplier']) {
      const a = await readFile(nodePath.join(one, `${t}.parquet`));
      const b = await readFile(nodePath.join(three, `${t}.parquet`));
      expect(a.equals(b), t).toBe(true);
    }
  });

  it('answers TPC-H Q1 and Q6 with the expected shape and magnitude', async () => {
    const q1 = await rows(`select l_returnflag, l_linestatus, sum(l_quantity), count(*) from lineitem
      where l_shipdate <= date '1998-12-01' - interval '90' day group by 1, 2 order by 1, 2`);
    expect(q1.map((r) => `${r[0]}${r[1]}`)).toEqual(['AF', 'NF', 'NO', 'RF']);
    const q6 = Number(await scalar(`select sum(l_extendedprice * l_discount) from lineitem
      where l_shipdate >= date '1994-01-01' and l_shipdate < date '1995-01-01' and l_discount between 0.05 and 0.07 and l_quantity < 24`));
    let expected = 1_193_053.2253;
    if (HAVE_SHARED) expected = Number((await readFile(nodePath.join(TPCH_DIR, 'expected/sf0.01/q06.csv'), 'utf8')).split('\n')[1]);
    expect(Math.abs(q6 - expected) / expected).toBeLessThan(0.15);
  });
});

describe('datagen CLI', () => {
  it('prints a line per table and a total', () => {
    expect(cliLines.filter((l) => /^(region|nation|supplier|customer|part|partsupp|orders|lineitem): \d+ rows/.test(l))).toHaveLength(8);
    expect(cliLines.at(-1)).toMatch(/^tpch sf 0.01: \d+ rows in 8 tables/);
  });

  it('reports bad arguments as one-line config errors', async () => {
    const cases: [string[], RegExp][] = [
      [['tpch', '--out', '/tmp/x'], /needs --sf/],
      [['tpch', '--sf', '1'], /needs --out/],
      [['tpch', '--sf', 'abc', '--out', '/tmp/x'], /--sf must be a positive number, got "abc"/],
      [['tpch', '--sf', '0.01', '--out', '/tmp/x', '--files-per-table', '0'], /--files-per-table must be a positive integer/],
      [['tpch', '--sf', '0.01', '--out', '/tmp/x', '--seed', '-1'], /--seed must be a non-negative integer/],
      [['tpcds', '--sf', '1', '--out', '/tmp/x'], /unknown generator "tpcds"/],
      [['--sf', '1', '--out', '/tmp/x'], /needs a generator name/],
      [['tpch', '--sf', '1', '--out', '/tmp/x', '--bogus', '1'], /unknown option "--bogus"/],
      [['tpch', '--sf', '0.0001', '--out', '/tmp/x'], /scale factor 0.0001 is too small/],
    ];
    for (const [argv, message] of cases) {
      const err = await datagenCommand(argv).then(() => null, (e: unknown) => e);
      expect(err, argv.join(' ')).toBeInstanceOf(SpillwayError);
      expect((err as SpillwayError).kind).toBe('config');
      expect((err as SpillwayError).message).toMatch(message);
      expect((err as SpillwayError).message).not.toContain('\n');
    }
  });

  it('names the output directory when it cannot be created', async () => {
    const file = nodePath.join(root, 'a-file');
    await writeFile(file, 'x');
    const err = await generateTpch({ sf: 0.01, out: nodePath.join(file, 'sub') }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('io');
    expect((err as SpillwayError).message).toContain(nodePath.join(file, 'sub'));
  });
});
