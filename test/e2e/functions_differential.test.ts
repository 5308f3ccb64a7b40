/**
 * Scalar functions against DuckDB on random data with NULLs: regular expressions,
 * split_part, starts_with/ends_with, lpad/rpad, strftime/strptime, date_diff, date_add,
 * make_date and typeof, in one thread and on worker threads with distribution forced.
 * Every query returns `id` first and is compared row by row on it.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { parquetFixture, expectAgreement } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';

const WORDS = ['apple', 'Banana12', 'a,b,,c', '', 'zeta9z', 'Ünïcode,ü', 'x1y2z3', 'AbC', 'a.b.c', '2024-01-05', 'foo bar baz', 'kiwi,'];
const PATTERNS = ['a', '^[A-Z]', '[0-9]$', 'b.*c', 'ü', ',,', '^$'];

/** Row-wise queries: `id` first, then the functions under test. */
const QUERIES: string[] = [
  `select id, regexp_matches(s, '[0-9]+'), regexp_matches(s, '^a', 'i'), regexp_matches(s, p), regexp_matches(s, 'b.c', 'l') from t`,
  `select id, regexp_replace(s, '[aeiou]', '_'), regexp_replace(s, '[aeiou]', '_', 'g'), regexp_replace(s, '([a-z])([0-9])', '\\2\\1', 'g'), regexp_replace(s, 'A', '<\\0>', 'gi') from t`,
  `select id, regexp_replace(s, '\\-|\\:|\\.|[\\,]', '#', 'g'), regexp_matches(s, '^[a\\-z]+$'), regexp_matches(s, '\\A[[:alpha:]]+\\z'), regexp_extract(s, '(?P<w>[[:lower:]]+)([[:digit:]])', 2), regexp_matches(s, '(?i)^a') from t`,
  `select id, regexp_extract(s, '[0-9]+'), regexp_extract(s, '([a-z]+)([0-9]*)', 1), regexp_extract(s, '([a-z]+)([0-9]*)', 2), regexp_extract(s, p) from t`,
  `select id, split_part(s, ',', k), split_part(s, ',', 2), split_part(s, '', 2), split_part(s, '.', -1) from t`,
  `select id, starts_with(s, 'a'), ends_with(s, 'z'), ends_with(s, p), starts_with(s, '') from t`,
  `select id, lpad(s, k + 4, 'xy'), rpad(s, 5, '*'), lpad(s, 2, '-'), rpad(s, k + 6, 'ab') from t`,
  `select id, strftime(d, '%Y-%m-%d %j %a %A %b %B %U %W %V %G %u %w %y %-d/%-m %%') from t`,
  `select id, strftime(ts, '%c | %x | %X | %I %p %f %g %-H:%-M:%-S %-j %h %e') from t`.replace(' %e', ''),
  `select id, strptime(strftime(ts, '%d/%m/%Y %H:%M:%S.%f'), '%d/%m/%Y %H:%M:%S.%f') = ts, strptime(strftime(d, '%A %B %d %Y'), '%A %B %d %Y')::date = d, strptime(strftime(ts, '%j %Y %I:%M %p'), '%j %Y %I:%M %p') from t`,
  `select id, date_diff('day', d, d2), date_diff('month', d, d2), date_diff('year', d, d2), date_diff('quarter', d, d2), date_diff('week', d, d2), date_diff('decade', d, d2) from t`,
  `select id, date_diff('hour', ts, ts2), date_diff('minute', ts, ts2), date_diff('second', ts, ts2), date_diff('millisecond', ts, ts2), date_diff('microsecond', ts, ts2), date_diff('day', ts, ts2), date_diff('week', ts, ts2), date_diff('month', ts, ts2) from t`,
  `select id, make_date(y, m, dd), date_add(d, interval 1 month), date_add(d, interval '10' day), date_add(ts, interval 2 year) from t`,
  `select id, typeof(id), typeof(s), typeof(d), typeof(ts), typeof(k + 1), typeof(null), typeof(date_diff('day', d, d2)) from t`,
  `select id, datediff('day', d, d2), prefix(s, 'a'), suffix(s, 'c'), try_strptime(s, '%Y-%m-%d') from t`,
];

/** Regular expressions from a grammar both RE2 and JavaScript read alike. */
const atomArb = fc.constantFrom('a', 'b', 'z', '1', '9', ',', '\\.', '.', '[a-c]', '[^a-z]', '\\d', '\\w', '\\s', '[[:upper:]]', 'ü', '\\-');
const pieceArb = fc.tuple(atomArb, fc.constantFrom('', '*', '+', '?', '{1,2}', '*?')).map(([a, q]) => a + q);
const seqArb = fc.array(pieceArb, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
const regexArb = fc.tuple(fc.constantFrom('', '^'), fc.array(seqArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.constantFrom('', '$'))
  .map(([start, alts, group, end]) => `${start}${group ? `(${alts.join('|')})` : alts.join('|')}${end}`);
const regexpQueryArb = fc.tuple(regexArb, fc.constantFrom('', 'i', 'c'), fc.constantFrom('<\\0>', '_', '\\1\\1', ''), fc.boolean())
  .map(([re, opts, repl, global]) => {
    const o = (x: string) => (x ? `, '${x}'` : '');
    const group = re.includes('(') ? 1 : 0;
    const r = group ? repl : repl.replace(/\\1/g, '\\0');
    return `select id, regexp_matches(s, '${re}'${o(opts)}), regexp_full_match(s, '${re}'${o(opts)}), regexp_replace(s, '${re}', '${r}'${o(opts + (global ? 'g' : ''))}), regexp_extract(s, '${re}', ${group}${o(opts)}) from t`;
  });
const formatQueryArb = fc.array(fc.constantFrom('%Y', '%y', '%m', '%-m', '%d', '%-d', '%j', '%a', '%A', '%b', '%B', '%H', '%-H', '%I', '%p', '%M', '%S', '%f', '%g', '%U', '%W', '%w', '%u', '%V', '%G', '%%', '-', ' ', '/', 'T', ':'), { minLength: 1, maxLength: 8 })
  .map((codes) => `select id, strftime(ts, '${codes.join('')}'), strftime(d, '${codes.join('')}') from t`);
/** strptime formats with each field at most once (DuckDB refuses a repeated one). */
const FIELD_OF: Record<string, string> = {
  '%Y': 'year', '%y': 'year', '%m': 'month', '%-m': 'month', '%b': 'month', '%B': 'month', '%d': 'day', '%-d': 'day', '%j': 'doy',
  '%a': 'weekday', '%A': 'weekday', '%H': 'hour', '%I %p': 'hour', '%M': 'minute', '%S': 'second', '%f': 'fraction', '%g': 'fraction',
};
const parseQueryArb = fc.uniqueArray(fc.constantFrom(...Object.keys(FIELD_OF)), { minLength: 1, maxLength: 6, selector: (c) => FIELD_OF[c]! })
  .chain((codes) => fc.array(fc.constantFrom('-', ' ', '/', 'T', ':', '.'), { minLength: codes.length, maxLength: codes.length })
    .map((seps) => codes.map((c, i) => c + seps[i]).join('').slice(0, -1)))
  .map((f) => `select id, try_strptime(strftime(ts, '${f}'), '${f}') from t`);
const splitQueryArb = fc.tuple(fc.constantFrom(',', '', '.', 'a', ',,', 'ü'), fc.integer({ min: -4, max: 4 }))
  .map(([delim, k]) => `select id, split_part(s, '${delim}', ${k}), split_part(s, '${delim}', k) from t`);

describe.each([
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
])('scalar functions agree with DuckDB ($mode)', (mode) => {
  const fx = parquetFixture('spillway-functions-', async (dir) => {
    const r = rng(11);
    const tSchema = schema([
      field('id', 'int32'), field('s', 'utf8'), field('p', 'utf8'), field('k', 'int32'), field('d', 'date32'), field('d2', 'date32'),
      field('ts', 'timestamp'), field('ts2', 'timestamp'), field('y', 'int32'), field('m', 'int32'), field('dd', 'int32'),
    ]);
    const maybe = <T>(v: T): T | null => (r() < 0.1 ? null : v);
    const day = () => Math.floor((r() - 0.3) * 40000);
    const micros = () => BigInt(day()) * 86_400_000_000n + BigInt(Math.floor(r() * 86_400_000_000));
    const rows: Scalar[][] = [];
    for (let i = 0; i < 1000; i++) {
      const y = 1900 + Math.floor(r() * 250), m = 1 + Math.floor(r() * 12);
      const dd = 1 + Math.floor(r() * (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31));
      const d = day();
      const near = r() < 0.5;
      rows.push([
        i, maybe(WORDS[Math.floor(r() * WORDS.length)]!), maybe(PATTERNS[Math.floor(r() * PATTERNS.length)]!),
        maybe(Math.floor(r() * 9) - 4), maybe(d), maybe(near ? d + Math.floor((r() - 0.5) * 60) : day()),
        maybe(micros()), maybe(micros()), maybe(y), maybe(m), maybe(dd),
      ]);
    }
    await writeParquet(join(dir, 't.parquet'), [batchFromRows(tSchema, rows.slice(0, 500)), batchFromRows(tSchema, rows.slice(500))], tSchema, { rowGroupSize: 250 });
  }, mode);

  it('random patterns, formats and split_part arguments (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(regexpQueryArb, formatQueryArb, parseQueryArb, splitQueryArb), async (sql) => {
      await expectAgreement(fx, `${sql} order by id`, true);
    }), { numRuns: mode.workers === 0 ? 40 : 5, seed: 20261205 });
  }, 120_000);

  for (const sql of QUERIES) {
    it(sql, async () => {
      await expectAgreement(fx, `${sql} order by id`, true);
    });
  }
});

describe('scalar function errors', () => {
  let db: Spillway;
  beforeAll(async () => { db = await Spillway.create({ workers: 0 }); });
  afterAll(async () => { await db.close(); });

  it.each([
    [`select regexp_matches('a', '(')`, /regexp_matches: invalid regular expression '\(' \(argument 2\)/],
    [`select regexp_replace('a', '[', 'b')`, /regexp_replace: invalid regular expression '\[' \(argument 2\)/],
    [`select regexp_matches('a', 'a', 'q')`, /regexp_matches: unknown option 'q'/],
    [`select regexp_full_match('a', 'a(')`, /regexp_full_match: invalid regular expression 'a\(' \(argument 2\)/],
    [`select regexp_matches('a', 'a', 'g')`, /option 'g' applies to regexp_replace only/],
    [`select regexp_extract('ab', '(a)', 3)`, /regexp_extract: group 3 \(argument 3\)/],
    [`select regexp_matches(x, y) from (values ('a', '(')) v(x, y)`, /regexp_matches: invalid regular expression '\('/],
    [`select strftime(date '2020-01-01', '%Q')`, /strftime: unknown format code %Q in the format '%Q' \(argument 2\)/],
    [`select strftime(date '2020-01-01', 'abc%')`, /strftime: a format code is missing after the last %/],
    [`select strptime('2020', '%z')`, /strptime: format code %z cannot be read/],
    [`select strptime('20x0', '%Y')`, /strptime: cannot read '20x0' with the format '%Y'/],
    [`select strptime('2020-02-30', '%Y-%m-%d')`, /date out of range: 2020-2-30/],
    [`select strftime(d, f) from (values (date '2020-01-01', '%Y')) v(d, f)`, /function strftime needs a constant format as argument 2/],
    [`select make_date(2021, 2, 29)`, /make_date: 2021-2-29 is not a valid date/],
    [`select date_diff('fortnight', date '2020-01-01', date '2020-01-02')`, /date_diff: unknown unit 'fortnight'/],
    [`select date_add(date '2020-01-01', 3)`, /date_add takes a date or timestamp and an INTERVAL/],
    [`select date_diff('microsecond', timestamp '0001-01-01', timestamp '294000-01-01')`, /^bigint out of range$/],
  ])('%s', async (sql, message) => {
    await expect(db.sql(sql)).rejects.toThrow(message);
  });

  it("PostgreSQL's match operators ~ ~* !~ !~* find the pattern anywhere (DuckDB's ~ is a full match)", async () => {
    expect((await db.sql(`select 'abc' ~ 'b', 'abc' ~* 'B', 'abc' !~ 'b', 'abc' !~* 'B', 'abc' ~ '^b', null ~ 'a'`)).rows())
      .toEqual([[true, true, false, false, false, null]]);
    await expect(db.sql(`select 'a' ~ '('`)).rejects.toThrow(/invalid regular expression '\('/);
  });

  it('try_strptime gives NULL for text that does not parse', async () => {
    expect((await db.sql(`select try_strptime('nope', '%Y'), try_strptime('2020-01-02', '%Y-%m-%d') is not null`)).rows()).toEqual([[null, true]]);
  });
});
