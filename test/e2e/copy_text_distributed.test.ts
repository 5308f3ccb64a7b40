/**
 * COPY … TO one CSV or JSON file in distributed mode: the tasks of the query's last stage
 * write header-less part files next to the target, the coordinator joins their bytes (the
 * CSV header once, a JSON array's brackets and commas; gzip parts as gzip members) and
 * receives no rows. The file has the
 * bytes of the single-node COPY's (the same rows for an unordered query, as DuckDB reads
 * them); a failed or cancelled COPY leaves nothing. Over worker threads and two
 * `spillway worker` processes on loopback; `spillway sql -o FILE` takes the same path
 * (Session.copyScript).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';
import { copySpecFor } from '../../src/sql/copy.js';
import { copyLeftovers, expectNoRowsRelayed, expectNothingLeft, threadSession, workerProcessSession } from '../helpers/copy_checks.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, tempDir } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const ROWS = 10_000;
const SORTED = 'select k, v, s, d, x from t order by v desc, k';
const GROUPED = 'select v % 97 as g, count(*) as n, sum(k) as total, min(s) as first from t group by 1';

/** Each COPY compared: target name, query, options. */
const COPIES = {
  sortedCsv: ['sorted.csv', SORTED, ''],
  sortedJson: ['sorted.json', SORTED, ''],
  sortedCsvGz: ['sorted.csv.gz', SORTED, ''],
  sortedJsonGz: ['sorted.json', SORTED, '(format json, compression gzip)'],
  sortedSemicolon: ['sorted.txt', SORTED, "(format csv, delimiter ';', header false)"],
  sortedJsonArray: ['sorted-array.json', SORTED, '(array true)'],
  sortedJsonArrayGz: ['sorted-array.json.gz', SORTED, '(format json, array)'],
  groupedCsv: ['grouped.csv', GROUPED, ''],
  groupedJson: ['grouped.json', GROUPED, ''],
} as const;
type CopyName = keyof typeof COPIES;

let dir = '';
let duck: DuckOracle;
/** The single-node COPY's file of each, uncompressed. */
const reference = new Map<CopyName, string>();

/** A file's text, gunzipped when it is gzip (all of its members). */
function text(file: string): string {
  const bytes = readFileSync(file);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Lines in sorted order, the CSV header kept first: an unordered query's rows compare as a set. */
function sortedLines(s: string, header: boolean): string[] {
  const lines = s.split('\n');
  const head = header ? lines.splice(0, 1) : [];
  return [...head, ...lines.sort()];
}

beforeAll(async () => {
  dir = tempDir('spillway-copy-text-');
  duck = await DuckOracle.open();
  // Strings that need quoting in CSV and escaping in JSON, NULLs, dates and doubles.
  await duck.run(`copy (select i::bigint as k, ((i * 7919) % 3001)::integer as v,
      case when i % 7 = 0 then null when i % 5 = 0 then 'say "hi", row ' || i when i % 11 = 0 then 'é ' || i || E'\\n' else 'row ' || i end as s,
      date '2020-01-01' + (i % 400)::integer as d, i / 8.0 as x from range(${ROWS}) r(i))
    to '${join(dir, 't.parquet')}' (format parquet, row_group_size 2000)`);
  const local = await Session.create({ tables: dir, workers: 0 });
  try {
    for (const [name, [file, q, opts]] of Object.entries(COPIES) as [CopyName, typeof COPIES[CopyName]][]) {
      const out = join(dir, `local-${name}-${file}`);
      await local.sql(`copy (${q}) to '${out}' ${opts}`);
      reference.set(name, text(out));
      rmSync(out);
    }
  } finally {
    await local.close();
  }
}, 60_000);

afterAll(() => {
  duck?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const leftovers = () => copyLeftovers(dir);

function copyTests(session: () => Session): void {
  /** Run COPY `name` distributed; its file's text (the file is removed). */
  async function copied(name: CopyName): Promise<string> {
    const [file, q, opts] = COPIES[name];
    const out = join(dir, file);
    try {
      const res = await session().sql(`copy (${q}) to '${out}' ${opts}`);
      expect(res.rows()).toEqual([[BigInt(q === SORTED ? ROWS : 97)]]);
      expectNoRowsRelayed(res.stats!);
      expect(leftovers()).toEqual([]);
      if (name === 'sortedCsvGz') expect(await duck.query(`select count(*)::int from read_csv('${out}')`)).toEqual([[ROWS]]);
      if (name === 'sortedJsonArray') expect(await duck.query(`select count(*)::int, max(k)::int from read_json('${out}', format = 'array')`)).toEqual([[ROWS, ROWS - 1]]);
      if (name === 'groupedJson') {
        expect(await duck.query(`select g::int, n::int, total::bigint from read_json('${out}') order by g limit 2`))
          .toEqual(await duck.query(`select (v % 97)::int, count(*)::int, sum(k)::bigint from '${join(dir, 't.parquet')}' group by 1 order by 1 limit 2`));
      }
      return text(out);
    } finally {
      rmSync(out, { force: true });
    }
  }

  it('ORDER BY to CSV and JSON: the joined file has the single-node COPY\'s bytes, the ranges in order', async () => {
    for (const name of ['sortedCsv', 'sortedJson', 'sortedSemicolon', 'sortedJsonArray'] as const) expect(await copied(name), name).toBe(reference.get(name));
  }, 60_000);

  it('gzip parts join into one valid gzip file with the single-node COPY\'s text', async () => {
    for (const name of ['sortedCsvGz', 'sortedJsonGz', 'sortedJsonArrayGz'] as const) expect(await copied(name), name).toBe(reference.get(name));
  }, 60_000);

  it('GROUP BY to CSV and JSON: the same rows, one header', async () => {
    expect(sortedLines(await copied('groupedCsv'), true)).toEqual(sortedLines(reference.get('groupedCsv')!, true));
    expect(sortedLines(await copied('groupedJson'), false)).toEqual(sortedLines(reference.get('groupedJson')!, false));
  }, 60_000);

  it('-o FILE (copyScript) writes by the same path: parts joined, no rows relayed', async () => {
    const out = join(dir, 'answer.csv');
    try {
      const res = await session().copyScript(`create view w as ${SORTED}; select * from w`, copySpecFor(out, { overwrite: true }));
      expect(res.rows()).toEqual([[BigInt(ROWS)]]);
      expectNoRowsRelayed(res.stats!);
      expect(text(out)).toBe(reference.get('sortedCsv'));
      await expect(session().copyScript('set threads = 1', copySpecFor(out, { overwrite: true }))).rejects.toThrow(`only a query can be written to "${out}"`);
    } finally {
      rmSync(out, { force: true });
      await session().sql('drop view if exists w');
    }
  }, 60_000);

  it('a COPY with a query error in one task leaves no file and no part', async () => {
    const out = join(dir, 'failed.csv');
    const bad = "select k, cast(case when k = 7654 then 'x' else '1' end as integer) as bad from t order by k";
    await expectNothingLeft(session(), dir, out, `copy (${bad}) to '${out}'`, false);
    await expectNothingLeft(session(), dir, out, `copy (${bad}) to '${join(dir, 'failed.json')}'`, false);
  }, 60_000);

  it('a folder that does not exist: one line naming it, nothing written', async () => {
    const out = join(dir, 'missing', 'x.csv');
    await expect(session().sql(`copy (${SORTED}) to '${out}'`)).rejects.toThrow(`cannot COPY to "${out}": no such directory ${join(dir, 'missing')}`);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('a cancelled COPY leaves no file', async () => {
    const out = join(dir, 'cancelled.json');
    await expectNothingLeft(session(), dir, out, `copy (${SORTED}) to '${out}'`, true);
  }, 60_000);
}

describe.skipIf(!HAVE_DIST)('distributed COPY to one CSV or JSON file', () => {
  describe('worker threads', () => {
    const session = threadSession(() => dir);
    copyTests(session);

  });

  describe('worker processes over gRPC on loopback', () => {
    const session = workerProcessSession(() => dir);
    copyTests(session);

    it('a target outside the workers\' data roots: the rows are relayed and written here', async () => {
      const elsewhere = tempDir('spillway-copy-text-outside-');
      try {
        const out = join(elsewhere, 'sorted.csv');
        const res = await session().sql(`copy (${SORTED}) to '${out}'`);
        expect(res.rows()).toEqual([[BigInt(ROWS)]]);
        expect(text(out)).toBe(reference.get('sortedCsv'));
        expect(readdirSync(elsewhere)).toEqual(['sorted.csv']);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
