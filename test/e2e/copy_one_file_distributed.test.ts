/**
 * A plain COPY … TO 'file.parquet' in distributed mode: the tasks of the query's last stage
 * write part files next to the target, the coordinator joins them into the one file
 * (row groups' bytes copied, footer rewritten) and receives no rows. The file equals the
 * single-node COPY's (DuckDB reads both, in order for ORDER BY, with the same statistics);
 * a failed or cancelled COPY leaves nothing. Over worker threads and two `spillway worker`
 * processes on loopback; workers that refuse the folder (outside --data-root) make the
 * COPY relay the rows instead.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';
import { copyLeftovers, expectNoRowsRelayed, expectNothingLeft, threadSession, workerProcessSession } from '../helpers/copy_checks.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, tempDir } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const ROWS = 20_000;
const SORTED = 'select k, v, s, d from t order by v desc, k';
const GROUPED = 'select v % 97 as g, count(*) as n, sum(k) as total, min(s) as first from t group by 1';

let dir = '';
let duck: DuckOracle;
/** The single-node COPY of each query, as DuckDB reads it back. */
const reference = new Map<string, unknown[][]>();

beforeAll(async () => {
  dir = tempDir('spillway-copy-one-');
  duck = await DuckOracle.open();
  await duck.run(`copy (select i::bigint as k, ((i * 7919) % 3001)::integer as v, case when i % 7 = 0 then null else 'row ' || i end as s,
      date '2020-01-01' + (i % 400)::integer as d from range(${ROWS}) r(i))
    to '${join(dir, 't.parquet')}' (format parquet, row_group_size 2000)`);
  const local = await Session.create({ tables: dir, workers: 0 });
  try {
    for (const [name, q] of [['sorted', SORTED], ['grouped', GROUPED]] as const) {
      const out = join(dir, `local-${name}.parquet`);
      await local.sql(`copy (${q}) to '${out}'`);
      reference.set(name, await readBack(out, name === 'grouped'));
    }
  } finally {
    await local.close();
  }
}, 60_000);

afterAll(() => {
  duck?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function readBack(file: string, sort: boolean): Promise<unknown[][]> {
  return duck.query(`select * from read_parquet('${file}')${sort ? ' order by all' : ''}`);
}

/** Per column, DuckDB's view of the file's statistics over all row groups (numbers padded to compare as text). */
async function statistics(file: string): Promise<unknown[][]> {
  const text = (v: string) => `case when path_in_schema in ('k', 'v') then lpad(${v}, 12, '0') else ${v} end`;
  return duck.query(`select path_in_schema, min(${text('stats_min_value')}), max(${text('stats_max_value')}), sum(stats_null_count)::int
    from parquet_metadata('${file}') group by 1 order by 1`);
}

const leftovers = () => copyLeftovers(dir);

function copyTests(session: () => Session, parts: number): void {
  it('ORDER BY: the joined file holds the ranges in order, equal to the single-node COPY, with the same statistics', async () => {
    const out = join(dir, 'sorted.parquet');
    try {
      const res = await session().sql(`copy (${SORTED}) to '${out}' (row_group_size 5000)`);
      expect(res.rows()).toEqual([[BigInt(ROWS)]]);
      expectNoRowsRelayed(res.stats!);
      expect(await readBack(out, false)).toEqual(reference.get('sorted'));
      expect(await statistics(out)).toEqual(await statistics(join(dir, 'local-sorted.parquet')));
      // One row group at least per part: the parts' row groups were joined, not rewritten.
      expect((await duck.query(`select count(distinct row_group_id)::int from parquet_metadata('${out}')`))[0]![0]).toBeGreaterThanOrEqual(parts);
      expect(leftovers()).toEqual([]);
    } finally {
      rmSync(out, { force: true });
    }
  }, 60_000);

  it('GROUP BY: the same rows; OVERWRITE replaces a file', async () => {
    const out = join(dir, 'grouped.parquet');
    await session().sql(`copy (select 1 as x) to '${out}'`);
    await expect(session().sql(`copy (${GROUPED}) to '${out}'`)).rejects.toThrow('already exists (add OVERWRITE to replace it)');
    try {
      const res = await session().sql(`copy (${GROUPED}) to '${out}' (overwrite)`);
      expect(res.rows()).toEqual([[97n]]);
      expectNoRowsRelayed(res.stats!);
      expect(await readBack(out, true)).toEqual(reference.get('grouped'));
    } finally {
      rmSync(out, { force: true });
    }
  }, 60_000);

  it('a COPY whose tasks fail leaves no file', async () => {
    const out = join(dir, 'failed.parquet');
    await expectNothingLeft(session(), dir, out, `copy (select k, cast(s as integer) as bad from t order by k) to '${out}'`, false);
  }, 60_000);

  it('a folder that does not exist: one line naming it, nothing written', async () => {
    const out = join(dir, 'missing', 'x.parquet');
    await expect(session().sql(`copy (${SORTED}) to '${out}'`)).rejects.toThrow(`cannot COPY to "${out}": no such directory ${join(dir, 'missing')}`);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('a cancelled COPY leaves no file', async () => {
    const out = join(dir, 'cancelled.parquet');
    await expectNothingLeft(session(), dir, out, `copy (${SORTED}) to '${out}'`, true);
  }, 60_000);
}

describe.skipIf(!HAVE_DIST)('distributed COPY to one Parquet file', () => {
  describe('worker threads', () => {
    const session = threadSession(() => dir);
    copyTests(session, 3);
  });

  describe('worker processes over gRPC on loopback', () => {
    const session = workerProcessSession(() => dir);
    copyTests(session, 2);

    it('a target outside the workers\' data roots: the rows are relayed and written here', async () => {
      const elsewhere = tempDir('spillway-copy-one-outside-');
      try {
        const out = join(elsewhere, 'sorted.parquet');
        const res = await session().sql(`copy (${SORTED}) to '${out}'`);
        expect(res.rows()).toEqual([[BigInt(ROWS)]]);
        expect(await readBack(out, false)).toEqual(reference.get('sorted'));
        expect(readdirSync(elsewhere)).toEqual(['sorted.parquet']);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
