/**
 * LIST, STRUCT and MAP against DuckDB: DuckDB writes a Parquet file with lists, structs, maps
 * and their nestings (list of struct, struct of list, list of list), with NULLs at every level
 * and empty lists, in several row groups; both engines read it, and Spillway's values printed
 * as DuckDB prints them (`[1, NULL]`, `{'a': 1}`, `{k=v}`) must equal DuckDB's `::VARCHAR` of
 * the same query. Covers selects, field access, indexing, len, unnest, list()/array_agg, equality filters, GROUP BY,
 * DISTINCT and joins on nested keys, and ORDER BY nested values; in one thread, on worker
 * threads with distribution forced (the values cross exchanges as Arrow List/Struct/Map), and
 * under a 2 MB memory limit (sorts and aggregates spill nested columns); COPY TO Parquet of
 * every nested column, read back by DuckDB and by Spillway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { formatCell } from '../../src/format.js';
import type { QueryResult } from '../../src/result.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIFFERENTIAL_MODES, duckParquetFixture } from '../helpers/differential.js';

const N = 3000;

const TABLE_SQL = `
  select range::int as id, (range % 10)::int as k,
    case when range % 7 = 0 then null when range % 5 = 0 then []::int[]
      else [(range % 4)::int, case when range % 3 = 0 then null else (range % 2)::int end, (range % 3)::int] end as l,
    case when range % 11 = 0 then null
      else {'a': case when range % 4 = 0 then null else range % 3 end, 'b': 'v' || (range % 6)} end as s,
    case when range % 9 = 0 then null
      else map(['k' || (range % 3), 'z'], [(range % 5)::int, case when range % 2 = 0 then null else 1 end]) end as m,
    [{'x': (range % 3)::int, 'y': ['a' || (range % 2)]},
      case when range % 4 = 0 then null else {'x': null::int, 'y': []::varchar[]} end] as ls,
    {'p': [range % 3, range % 5], 'q': {'r': range % 2}} as sl,
    [[range % 2], [], null, [null, range % 3]] as ll
  from range(${N})`;

/** Every cell as DuckDB's text of it (NULL as null). */
function texts(res: QueryResult): (string | null)[][] {
  const out: (string | null)[][] = [];
  for (const b of res.batches) for (let i = 0; i < b.length; i++) out.push(b.columns.map((c) => formatCell(c, i)));
  return out;
}

const QUERIES = [
  `select id, l, s, m, ls, sl, ll from t order by id`,
  `select id, s.a, s['b'], l[1], l[2], l[-1], l[5], len(l), array_length(l), m['z'], m['k1'] from t order by id`,
  `select id, struct_extract(ls[1], 'x'), struct_extract(ls[2], 'y'), sl.p[2], struct_extract(sl.q, 'r'), ll[4][2], ll[3] from t order by id`,
  `select id, l from t where l = ARRAY[1, 1, 1] order by id`,
  // subscripts after a list literal or a function call, not only after a column
  `select id, [id, id + 1, id + 2][2], list_value(id, 7)[2], [[id, 1], [2]][1][1], list_value(l, l)[2][1] from t order by id limit 20`,
  `select id, s from t where s.b = 'v1' and s.a is not null order by id`,
  `select id, ls from t where len(l) = 3 and l[2] is null order by id limit 50`,
  `select l, count(*), min(id) from t group by l order by l nulls last`,
  `select s, count(*), min(id) from t group by s order by s nulls last`,
  `select m, count(*), min(id) from t group by m order by min(id)`,
  `select distinct ls from t order by ls nulls last`,
  `select ll, sl, count(*) from t group by ll, sl order by sl, ll`,
  `select k, count(distinct l) from t group by k order by k`,
  `select a.id, b.id from t a join t b on a.l = b.l and a.k = b.k where a.id < b.id and a.id < 200 order by 1, 2`,
  `select a.id, count(*) from t a join t b on a.s = b.s where a.id < 300 group by a.id order by a.id`,
  `select id, l from t order by l desc nulls last, id limit 100`,
  `select id, s, ls from t order by s nulls first, ls, id`,
  `select id, l, s from t where id in (select id from t where l[1] = 2) order by id`,
  `select l from t where id < 40 union all select l from t where id >= 2990 order by 1 nulls first`,
  `select id, unnest(l) as e, s.b from t where id < 200 order by id, e nulls last`,
  `select id, unnest(ll) as e from t where id < 60 order by id, e nulls last`,
  `select count(*) from (select id, unnest(ls) from t)`,
  `select x, count(*) from (select unnest(l) as x from t) where x > 0 group by x order by x`,
  `select id, [id, k, null] as p, {'i': id, 'l': l, 'n': {'x': 'y'}} as q, [[k], [], null] as r from t where id < 30 order by id`,
  `select id from t where l = [1, 1, 1] or s = {'a': 2, 'b': 'v2'} order by id`,
  `select id, sl.p = [1, 2], [l[1], 7::bigint, 1.5] from t where id < 60 order by id`,
  `select k, array_agg(id order by id desc) from t where id < 300 group by k order by k`,
  `select k, array_agg(l order by id), array_agg(s order by id) from t where id < 100 group by k order by k`,
  `select k, len(list(id)), len(array_agg(s)) from t group by k order by k`,
];

describe.each(DIFFERENTIAL_MODES)('nested types agree with DuckDB ($mode)', (mode) => {
  const fx = duckParquetFixture('spillway-nested-', (dir) => [
    `copy (${TABLE_SQL}) to '${join(dir, 't.parquet')}' (format parquet, row_group_size 1000)`,
    // the same rows as DuckDB writes them with PARQUET_VERSION V2 (its newer encodings), other row groups
    `copy (${TABLE_SQL}) to '${join(dir, 't2.parquet')}' (format parquet, row_group_size 700, parquet_version v2)`,
  ], mode);

  it('reads the nested columns with their types', async () => {
    const res = await fx.db.sql('select l, s, m, ls, sl, ll from t limit 1');
    expect(res.schema.fields.map((f) => f.type)).toEqual([
      'list<int32>', 'struct<a:int64,b:utf8>', 'map<utf8,int32>', 'list<struct<x:int32,y:list<utf8>>>',
      'struct<p:list<int64>,q:struct<r:int64>>', 'list<list<int64>>',
    ]);
  });

  it('reads the same values from a file written with PARQUET_VERSION V2', async () => {
    const sql = 'select id, l, s, m, ls, sl, ll from t2 order by id';
    expect(texts(await fx.db.sql(sql))).toEqual(await fx.duck.query(`select columns(*)::varchar from (${sql})`));
  });

  it('COPY TO Parquet writes nested columns that DuckDB and Spillway read back with the same values', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'spillway-nested-copy-'));
    try {
      const out = join(outDir, 'copy.parquet');
      const cols = 'id, l, s, m, ls, sl, ll';
      await fx.db.sql(`copy (select ${cols} from t) to '${out}' (format parquet)`);
      const expected = await fx.duck.query(`select columns(*)::varchar from (select ${cols} from t order by id)`);
      expect(await fx.duck.query(`select columns(*)::varchar from (select * from read_parquet('${out}') order by id)`)).toEqual(expected);
      expect(texts(await fx.db.sql(`select * from '${out}' order by id`))).toEqual(expected);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  for (const sql of QUERIES) {
    it(sql, async () => {
      const ours = texts(await fx.db.sql(sql));
      const theirs = await fx.duck.query(`select columns(*)::varchar from (${sql})`);
      expect(ours).toEqual(theirs);
    });
  }
});

describe('nested values in results', () => {
  let dir: string;
  let db: Spillway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-nested-rows-'));
    const writer = await DuckOracle.open();
    await writer.run(`copy (select [1, null]::int[] as l, {'a': 1, 'b': 'x'} as s, map(['k'], [2]) as m) to '${join(dir, 'r.parquet')}' (format parquet)`);
    writer.close();
    db = await Spillway.create({ tables: dir, workers: 0 });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('db.sql rows hold arrays, objects and { key, value } entries; toObjects and JSON likewise', async () => {
    const res = await db.sql('select l, s, m from r');
    expect(res.rows()).toEqual([[[1, null], { a: 1, b: 'x' }, [{ key: 'k', value: 2 }]]]);
    expect(res.toObjects()).toEqual([{ l: [1, null], s: { a: 1, b: 'x' }, m: [{ key: 'k', value: 2 }] }]);
    expect(res.toString()).toContain("{'a': 1, 'b': x}");
    expect(res.toString()).toContain('{k=2}');
  });

  it('ARRAY[…] builds a list; indexing a non-list and unknown fields fail with one clear error', async () => {
    expect((await db.sql('select ARRAY[1, 2, 3] as a, ARRAY[1, 2][2] as b')).rows()).toEqual([[[1, 2, 3], 2]]);
    expect((await db.sql("select [1, 2] as a, {'x': [1], y: 'z'} as b, l[1] as c from r")).rows()).toEqual([[[1, 2], { x: [1], y: 'z' }, 1]]);
    await expect(db.sql('select s.zz from r')).rejects.toThrow(/has no field "zz"/);
    await expect(db.sql('select len(s) from r')).rejects.toThrow(/function len expects a list/);
  });

  it('CSV prints nested values as DuckDB does', async () => {
    expect((await db.sql('select l, s, m from r')).toCsv()).toBe('l,s,m\n"[1, NULL]","{\'a\': 1, \'b\': x}",{k=2}\n');
  });
});
