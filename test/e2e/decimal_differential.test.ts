/**
 * Exact DECIMAL against DuckDB: a Parquet file DuckDB writes with DECIMAL(4,1) (INT32),
 * DECIMAL(9,2) (INT32), DECIMAL(15,3) and DECIMAL(18,4) (INT64) and DECIMAL(38,10) (16-byte
 * FIXED_LEN_BYTE_ARRAY) columns and NULLs, read by both engines; + − × ÷, comparisons, casts,
 * sum/avg/min/max, GROUP BY and joins on decimal keys of different scales, and the result
 * types (typeof). Decimals compare as exact text, doubles with the usual tolerance. Run in one
 * thread, on worker threads with distribution forced, and under a 2 MB memory limit (spilling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { isDecimal, sqlTypeName } from '../../src/common/types.js';
import { formatCell } from '../../src/format.js';
import type { QueryResult } from '../../src/result.js';
import { diffRows, normalise, type Cell } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIFFERENTIAL_MODES, duckParquetFixture } from '../helpers/differential.js';

/** Result cells with decimals as their exact text (DuckDB's JSON rows give the same text). */
function cells(res: QueryResult): Cell[][] {
  const types = res.schema.fields.map((f) => f.type);
  const out: Cell[][] = [];
  for (const b of res.batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(b.columns.map((c, j) => {
        const text = formatCell(c, i);
        const t = types[j]!;
        if (text === null || isDecimal(t) || t === 'utf8') return text;
        if (t === 'bool') return text === 'true';
        return normalise(Number(text));
      }));
    }
  }
  return out;
}

const N = 3000;

/** DuckDB writes the table: deterministic values from hash(), about 10% NULLs per column. */
const TABLE_SQL = `
  select range::int as id,
    (range % 20)::int as k,
    case when hash(range, 1) % 10 = 0 then null else ((hash(range, 2) % 1999)::int - 999)::decimal(4,0) / 10 end::decimal(4,1) as a4,
    case when hash(range, 3) % 10 = 0 then null else ((hash(range, 4) % 200000001)::bigint - 100000000)::decimal(18,0) / 100 end::decimal(9,2) as a,
    case when hash(range, 5) % 10 = 0 then null else ((hash(range, 6) % 2000000000001)::bigint - 1000000000000)::decimal(18,0) / 1000 end::decimal(15,3) as b,
    case when hash(range, 7) % 10 = 0 then null else ((hash(range, 8) % 20000000000000001)::bigint - 10000000000000000)::decimal(18,0) / 10000 end::decimal(18,4) as c,
    case when hash(range, 9) % 10 = 0 then null else ((hash(range, 10) % 2000000001)::bigint - 1000000000)::decimal(38,0) / 10000000000 end::decimal(38,10) as w,
    ((range * 7) % 50)::decimal(9,2) / 10 as x9,
    (range % 50)::decimal(4,1) / 10 as x4,
    case when hash(range, 11) % 10 = 0 then null else (hash(range, 12) % 2001)::int - 1000 end as i,
    case when hash(range, 13) % 10 = 0 then null else ((hash(range, 14) % 2000001)::int - 1000000) / 64.0 end::double as d
  from range(${N})`;

/** Row-wise queries: `id` first. */
const ROW_QUERIES = [
  `select id, a + b, a - c, b + c, a4 - a, -a, a + 1, a * 2, i + a, a - i, w + a from t`,
  `select id, a4 * b, a4 * a, b * 0.5, i * a, a * a4 * a4, w * 3, c * 1.5 from t`,
  `select id, a / b, a / 3, c / nullif(a4, 0), i / a, a + d, a * d from t`,
  `select id, a % 7, b % a4, a < b, a = b, c >= a, a <> 1.5, a between -100 and 100.5, a in (1.50, 2.25, -3.00, 0.01), x4 = x9, a4 > i from t`,
  `select id, a::varchar, b::double, c::decimal(18,1), a::int, c::bigint, a4::decimal(9,3), d::decimal(18,3), i::decimal(9,2), w::decimal(20,2), a::varchar::decimal(12,4) from t`,
  `select id, coalesce(a, b), case when a > 0 then a else a4 end, greatest(a, a4), least(b, 0), nullif(a4, 0.5), abs(a), round(b, 1) from t`,
  `select id, typeof(a + b), typeof(a * b), typeof(a / b), typeof(b * c), typeof(a4 * a), typeof(i * a), typeof(a + d), typeof(0.1), typeof(sum(a) over ()) from t`.replace(', typeof(sum(a) over ())', ''),
];

/** Queries whose rows come in a fixed order of their own. */
const SET_QUERIES = [
  `select k, sum(a), sum(b), sum(c), sum(w), min(a), max(b), min(c), max(w), count(a), sum(a4 * b), sum(a4 * a) from t group by k order by k`,
  `select k, avg(a), avg(b), avg(c), avg(a4) from t group by k order by k`,
  `select sum(a), sum(c), min(a4), max(a4), avg(b), sum(a) filter (where a > 0) from t`,
  `select a4, count(*), sum(c), max(b) from t group by a4 order by a4 nulls first`,
  `select x4, count(*), sum(t2.a) from t t1 join (select x9, a from t) t2 on t1.x4 = t2.x9 group by x4 order by x4`,
  `select count(distinct a4), sum(distinct a4) from t`,
  `select id, a from t where a is not null order by a desc, id limit 20`,
  `select id, b, c from t order by c nulls first, id limit 30`,
  `select x9, count(*) from t where x9 > 2.5 and x9 <= 4 group by x9 order by x9`,
  `select id from t where b > 100000000.000 order by id limit 25`,
  `select a4 from t union select x4 from t order by 1 nulls last`,
];

describe.each(DIFFERENTIAL_MODES)('DECIMAL agrees with DuckDB ($mode)', (mode) => {
  const fx = duckParquetFixture('spillway-decimal-', (dir) => [
    `copy (${TABLE_SQL}) to '${join(dir, 't.parquet')}' (format parquet, row_group_size 1000)`,
  ], mode);

  it('reads DECIMAL(4,1), (9,2), (15,3), (18,4) and (38,10) columns with their types', async () => {
    const res = await fx.db.sql('select a4, a, b, c, w from t limit 1');
    expect(res.schema.fields.map((f) => sqlTypeName(f.type))).toEqual(['DECIMAL(4,1)', 'DECIMAL(9,2)', 'DECIMAL(15,3)', 'DECIMAL(18,4)', 'DECIMAL(38,10)']);
    const diff = diffRows(cells(await fx.db.sql('select id, a4, a, b, c, w from t order by id')), await fx.duck.query('select id, a4, a, b, c, w from t order by id'), true);
    expect(diff, diff ?? '').toBeNull();
  });

  for (const sql of ROW_QUERIES) {
    it(sql, async () => {
      const diff = diffRows(cells(await fx.db.sql(`${sql} order by id`)), await fx.duck.query(`${sql} order by id`), true);
      expect(diff, diff ?? '').toBeNull();
    });
  }

  for (const sql of SET_QUERIES) {
    it(sql, async () => {
      const diff = diffRows(cells(await fx.db.sql(sql)), await fx.duck.query(sql), true);
      expect(diff, diff ?? '').toBeNull();
    });
  }
});

describe('DECIMAL semantics', () => {
  let db: Spillway;
  beforeAll(async () => { db = await Spillway.create({ workers: 0 }); });
  afterAll(async () => { await db.close(); });

  const text = async (sql: string) => (await db.sql(sql)).toCsv().trim().split('\n').slice(1).join('\n');

  it('sums 0.1 + 0.2 + 0.3 exactly and prints the scale', async () => {
    expect(await text('select sum(x) from (values (0.1),(0.2),(0.3)) t(x)')).toBe('0.6');
    expect(await text('select 1.5::decimal(10,2)')).toBe('1.50');
    const res = await db.sql('select 1.5::decimal(10,2) as x');
    expect(res.toString()).toContain('1.50');
    expect(res.toObjects()).toEqual([{ x: 1.5 }]);
    expect(res.toJsonLines().trim()).toBe('{"x":1.5}');
  });

  it('rounds half away from zero and names the value and type on overflow', async () => {
    expect(await text(`select 2.5::decimal(10,0), (-2.5)::decimal(10,0), 2.5::decimal(10,0)::int, '1.005'::decimal(10,2), 0.125::double::decimal(10,2)`)).toBe('3,-3,3,1.01,0.13');
    await expect(db.sql('select 123.45::decimal(4,2)')).rejects.toThrow('Casting value "123.45" to type DECIMAL(4,2) failed: value is out of range');
    await expect(db.sql(`select 'abc'::decimal(5,1)`)).rejects.toThrow('invalid input syntax for type DECIMAL(5,1): "abc"');
    await expect(db.sql('select 1::decimal(40,2)')).rejects.toThrow('DECIMAL precision must be between 1 and 38, got 40');
  });

  it('refuses a product beyond DECIMAL(18) as DuckDB does', async () => {
    await expect(db.sql('select (-879888.82)::decimal(9,2) * 778339622.262::decimal(15,3)')).rejects.toThrow(/decimal out of range: -879888.82 \* 778339622.262 does not fit DECIMAL\(18,5\)/);
    await expect(db.sql('select 99999999.99::decimal(10,2) * 99999999.99::decimal(10,2)')).rejects.toThrow(/does not fit DECIMAL\(18,4\)/);
  });

  it('reports sums beyond 64 bits as an error, not a wrong answer', async () => {
    await expect(db.sql('select sum(x) from (values (9000000000000000000::decimal(19,0)), (9000000000000000000::decimal(19,0))) t(x)'))
      .rejects.toThrow(/decimal out of range in sum/);
  });

  it('COPY writes DECIMAL (INT32, INT64, 16 bytes) that DuckDB reads back with the same type and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-decimal-copy-'));
    const duck = await DuckOracle.open();
    try {
      const path = join(dir, 'd.parquet');
      await db.sql(`copy (select x::decimal(4,1) as p4, (x * 1000.25)::decimal(9,2) as p9, (x * 123456789.123)::decimal(18,3) as p18,
        sum(x * 1.5) over () as p38, case when x = 2 then null else -x * 0.5 end as n from (values (1), (2), (-3), (0)) t(x)) to '${path}' (format parquet)`);
      const types = await duck.query(`select column_name, column_type from (describe select * from read_parquet('${path}'))`);
      expect(types).toEqual([['p4', 'DECIMAL(4,1)'], ['p9', 'DECIMAL(9,2)'], ['p18', 'DECIMAL(18,3)'], ['p38', 'DECIMAL(38,1)'], ['n', 'DECIMAL(12,1)']]);
      const back = await duck.query(`select * from read_parquet('${path}')`);
      const ours = cells(await db.sql(`select * from '${path}'`));
      expect(back).toEqual([['1.0', '1000.25', '123456789.123', '0.0', '-0.5'], ['2.0', '2000.50', '246913578.246', '0.0', null],
        ['-3.0', '-3000.75', '-370370367.369', '0.0', '1.5'], ['0.0', '0.00', '0.000', '0.0', '0.0']]);
      expect(ours).toEqual(back);
    } finally {
      duck.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DESCRIBE shows DECIMAL(p,s)', async () => {
    expect(await text('describe select 1.25 as x, sum(1.25) as s')).toMatch(/x,"DECIMAL\(3,2\)".*\ns,"DECIMAL\(38,2\)"/);
  });
});
