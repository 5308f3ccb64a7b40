/**
 * TIME, INTERVAL and BLOB against DuckDB: a Parquet file DuckDB writes (TIME as INT64
 * TIME_MICROS, INTERVAL as FIXED_LEN_BYTE_ARRAY(12), BLOB as BYTE_ARRAY, NULLs, several row
 * groups), read by both engines; selects, casts, extract, filters, ORDER BY, GROUP BY,
 * joins on each type and interval arithmetic give the same answers. Values compare as the
 * text both engines print. Run in one thread, on worker threads with distribution forced,
 * and under a 2 MB memory limit (spilling). Then the way back: Spillway's COPY TO Parquet,
 * which DuckDB reads with the same types and values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { formatCell } from '../../src/format.js';
import type { QueryResult } from '../../src/result.js';
import { diffRows, normalise, type Cell } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIFFERENTIAL_MODES, duckParquetFixture } from '../helpers/differential.js';

/** Result cells: numbers as numbers, booleans as booleans, everything else as printed text. */
function cells(res: QueryResult): Cell[][] {
  const types = res.schema.fields.map((f) => f.type);
  const out: Cell[][] = [];
  for (const b of res.batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(b.columns.map((c, j) => {
        const text = formatCell(c, i);
        const t = types[j]!;
        if (text === null) return null;
        if (t === 'bool') return text === 'true';
        if (t === 'int32' || t === 'int64' || t === 'float64') return normalise(Number(text));
        return text;
      }));
    }
  }
  return out;
}

const N = 2500;

/** DuckDB writes the table: deterministic values from hash(), about 10% NULLs per column. */
const TABLE_SQL = `
  select range::int as id,
    (range % 20)::int as k,
    case when hash(range, 1) % 10 = 0 then null
      else make_time((hash(range, 2) % 24)::bigint, (hash(range, 3) % 60)::bigint, (hash(range, 4) % 60000000)::double / 1e6) end as t,
    make_time((range % 5)::bigint, ((range % 3) * 15)::bigint, 0) as t2,
    case when hash(range, 5) % 10 = 0 then null
      else to_months((hash(range, 6) % 30)::int) + to_days((hash(range, 7) % 90)::int)
        + to_milliseconds((hash(range, 8) % 200000000)::bigint) end as iv,
    case range % 4 when 0 then interval '1 month' when 1 then interval '30 days' when 2 then interval '2 days'
      else interval '48 hours' end as iv2,
    case when hash(range, 9) % 10 = 0 then null
      else unhex(lpad(to_hex((hash(range, 10) % 4096)::bigint), 4, '0')) end as b,
    encode('k\\' || (range % 13)::varchar) as b2,
    timestamp '2020-01-01' + to_seconds((hash(range, 11) % 100000000)::bigint) as ts,
    timestamp '2021-06-15 12:00:00' + to_microseconds((hash(range, 12) % 10000000000000)::bigint - 5000000000000) as ts2
  from range(${N})`;

/** Row-wise queries: \`id\` first, compared ordered by id. */
const ROW_QUERIES = [
  `select id, t, t2, iv, iv2, b, b2 from t`,
  `select id, t::varchar, iv::varchar, b::varchar, hex(b), octet_length(b), b2::varchar, ts::time from t`,
  `select id, extract(hour from t), extract(minute from t), extract(second from t), date_part('microsecond', t), date_part('millisecond', t) from t`,
  `select id, extract(year from iv), extract(month from iv), extract(day from iv), extract(hour from iv), extract(minute from iv), date_part('microsecond', iv) from t`,
  `select id, ts + iv, ts - iv, t + iv, t - iv, iv + iv2, iv - iv2, -iv, iv - interval '1 year' from t`,
  `select id, iv * 2, 3 * iv2, iv * 1.5, iv2 / 4, ts2 - ts, date '2021-03-31' + iv from t`,
  `select id, t < time '12:00:00', t = t2, iv > interval '1 month', iv = iv2, iv2 = interval '1 month', iv2 <= interval '2 days', b < '\\x80'::blob, b2 = 'k\\x5C5'::blob from t`,
  `select id, coalesce(t, t2), case when id % 2 = 0 then iv else iv2 end, coalesce(b, b2), greatest(t, t2), least(iv, iv2), b || b2, b2 || '\\x00'::blob from t`,
  `select id, '12:34:56.5'::time, '1 year 2 months 3 days 04:05:06'::interval, '\\xAA\\xBBz'::blob, interval 3 month, interval '3' month from t where id < 3`,
];

/** Queries whose rows come in a fixed order of their own (or are compared as bags). */
const SET_QUERIES: [string, boolean][] = [
  [`select k, min(t), max(t), count(iv), min(b), max(b), count(distinct b2) from t group by k order by k`, true],
  [`select t2, count(*), count(iv) from t group by t2 order by t2`, true],
  [`select b2, count(*), min(t) from t group by b2 order by b2`, true],
  [`select count(*) from (select iv2 from t group by iv2)`, true],
  [`select k, min(iv), max(iv), count(iv) from t group by k order by k`, true],
  [`select count(distinct iv), count(distinct iv2), count(distinct b), count(distinct t) from t`, true],
  [`select hex(b), count(*) from t where b is not null group by b order by b limit 40`, true],
  [`select id, iv from t where iv is not null order by iv, id limit 60`, true],
  [`select id, b from t order by b desc nulls last, id limit 40`, true],
  [`select id, t from t order by t nulls first, id limit 40`, true],
  [`select id from t where t between time '06:00' and time '07:30' order by id`, true],
  [`select id from t where iv > interval '3 months' and iv < interval '5 months 10 days' order by id`, true],
  [`select a.id, c.id from t a join t c on a.b2 = c.b2 where a.id < 40 and c.id < 40 and a.id < c.id`, false],
  [`select a.id, c.id from t a join t c on a.t2 = c.t2 where a.id < 40 and c.id < 40 and a.id < c.id`, false],
  [`select a.id, c.id from t a join t c on a.iv2 = c.iv2 where a.id < 40 and c.id < 40 and a.id < c.id`, false],
  [`select a.id, c.id from t a join t c on a.b = c.b where a.id < c.id`, false],
];

describe.each(DIFFERENTIAL_MODES)('TIME, INTERVAL and BLOB agree with DuckDB ($mode)', (mode) => {
  const fx = duckParquetFixture('spillway-time-interval-blob-', (dir) => [
    `copy (${TABLE_SQL}) to '${join(dir, 't.parquet')}' (format parquet, row_group_size 1000)`,
  ], mode);

  it('reads the columns with their types', async () => {
    const res = await fx.db.sql('select typeof(t), typeof(iv), typeof(b) from t limit 1');
    expect(res.rows()).toEqual([['TIME', 'INTERVAL', 'BLOB']]);
  });

  for (const sql of ROW_QUERIES) {
    it(sql, async () => {
      const diff = diffRows(cells(await fx.db.sql(`${sql} order by id`)), await fx.duck.query(`${sql} order by id`), true);
      expect(diff, diff ?? '').toBeNull();
    });
  }

  for (const [sql, ordered] of SET_QUERIES) {
    it(sql, async () => {
      const diff = diffRows(cells(await fx.db.sql(sql)), await fx.duck.query(sql), ordered);
      expect(diff, diff ?? '').toBeNull();
    });
  }
});

describe('TIME, INTERVAL and BLOB written back', () => {
  it('COPY TO Parquet writes TIME, INTERVAL and BLOB that DuckDB reads with the same types and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-time-interval-blob-copy-'));
    const db = await Spillway.create({ workers: 0 });
    const duck = await DuckOracle.open();
    try {
      const path = join(dir, 'x.parquet');
      const sql = `select x, time '12:34:56.789' + x * interval '1 hour' as t, x * interval '1 month 2 days 03:04:05.006' as iv,
        case when x = 0 then '\\x00a'::blob when x = 1 then 'z\\x5C\\x00'::blob else unhex('5C5C0' || x::varchar) end as b,
        case when x = 2 then null else time '00:00:01' end as tn, case when x = 2 then null else interval '1 day' end as ivn,
        case when x = 2 then null else 'q'::blob end as bn from (values (1), (2), (3), (0)) v(x)`;
      await db.sql(`copy (${sql}) to '${path}' (format parquet)`);
      const types = await duck.query(`select column_name, column_type from (describe select * from read_parquet('${path}'))`);
      expect(types).toEqual([['x', 'INTEGER'], ['t', 'TIME'], ['iv', 'INTERVAL'], ['b', 'BLOB'], ['tn', 'TIME'], ['ivn', 'INTERVAL'], ['bn', 'BLOB']]);
      const back = await duck.query(`select * from read_parquet('${path}') order by x`);
      expect(back).toEqual(await duck.query(`${sql.replace(/\\\\/g, '\\')} order by x`));
      expect(cells(await db.sql(`select * from '${path}' order by x`))).toEqual(back);
    } finally {
      await db.close();
      duck.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints like DuckDB in tables, CSV and JSON, and crosses the Arrow boundary', async () => {
    const db = await Spillway.create({ workers: 0 });
    try {
      const res = await db.sql(`select time '12:34:56.789' as t, time '12:34:56' as t0, interval '1 day 2 hours' as i, interval '3' month as m,
        '\\xAA\\xBB\\x5Cz'::blob as b`);
      expect(res.toCsv()).toBe('t,t0,i,m,b\n12:34:56.789,12:34:56,1 day 02:00:00,3 months,\\xAA\\xBB\\x5Cz\n');
      expect(res.toJsonLines()).toBe('{"t":"12:34:56.789","t0":"12:34:56","i":"1 day 02:00:00","m":"3 months","b":"\\\\xAA\\\\xBB\\\\x5Cz"}\n');
      const table = res.toArrow();
      expect(table.schema.fields.map((f) => String(f.type))).toEqual(['Time64<MICROSECOND>', 'Time64<MICROSECOND>', 'Interval<MONTH_DAY_NANO>', 'Interval<MONTH_DAY_NANO>', 'Binary']);
      expect(table.getChild('t')!.get(0)).toBe(45296789000n);
      expect(Array.from(table.getChild('b')!.get(0) as Uint8Array)).toEqual([0xaa, 0xbb, 0x5c, 0x7a]);
      const stream = [];
      for await (const batch of await db.stream(`select interval '1 day 2 hours' as i`)) stream.push(batch);
      expect(stream[0]!.getChild('i')!.type.toString()).toBe('Interval<MONTH_DAY_NANO>');
    } finally {
      await db.close();
    }
  });

  it('names bad input', async () => {
    const db = await Spillway.create({ workers: 0 });
    try {
      await expect(db.sql(`select time '25:00:00'`)).rejects.toThrow(/invalid TIME literal '25:00:00'/);
      await expect(db.sql(`select interval '3 fortnights'`)).rejects.toThrow(/invalid INTERVAL literal '3 fortnights'/);
      await expect(db.sql(`select 'é'::blob`)).rejects.toThrow(/non-ASCII characters must be written as hex escapes/);
      await expect(db.sql(`select x::interval from (values ('soon')) v(x)`)).rejects.toThrow(/invalid input syntax for type interval: "soon"/);
      await expect(db.sql(`select time '10:00' + 1`)).rejects.toThrow(/operator \+ is not defined for TIME and INTEGER/);
      const dir = mkdtempSync(join(tmpdir(), 'spillway-negative-interval-'));
      try {
        await expect(db.sql(`copy (select -interval '1 day' as x) to '${join(dir, 'n.parquet')}' (format parquet)`))
          .rejects.toThrow('Parquet cannot hold a negative INTERVAL (its parts are unsigned), as in DuckDB');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await db.close();
    }
  });
});
