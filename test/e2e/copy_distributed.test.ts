/**
 * COPY … TO (PER_THREAD_OUTPUT) in distributed mode: each task of the query's last stage
 * writes its own Parquet part file on its worker, the coordinator receives no rows, and
 * for an ORDER BY the part files (one per range) read back in name order are the sorted
 * result. Over worker threads and real `spillway worker` processes (gRPC on loopback); a
 * failed or cancelled COPY leaves nothing behind.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryStats } from '../../src/result.js';
import { Session } from '../../src/session.js';
import { COPY_SETTINGS, expectNoRowsRelayed, threadSession, workerProcessSession } from '../helpers/copy_checks.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, tempDir } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const ROWS = 40_000;
const QUERY = 'select k, v, s from t order by v desc, k';

let dir = '';
let duck: DuckOracle;
let expected: unknown[][] = [];

beforeAll(async () => {
  dir = tempDir('spillway-copy-dist-');
  duck = await DuckOracle.open();
  await duck.query(`copy (select i::bigint as k, ((i * 7919) % 3001)::integer as v, 'row ' || i as s from range(${ROWS}) r(i))
    to '${join(dir, 't.parquet')}' (format parquet, row_group_size 4000)`);
  expected = await duck.query(`select k, v, s from '${join(dir, 't.parquet')}' order by v desc, k`);
}, 60_000);

afterAll(() => {
  duck?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** The part files of `out` in name order, read back by DuckDB one after another. */
async function readParts(out: string): Promise<{ files: string[]; rows: unknown[][] }> {
  const files = readdirSync(out).sort();
  const rows: unknown[][] = [];
  for (const f of files) rows.push(...await duck.query(`select k, v, s from '${join(out, f)}'`));
  return { files, rows };
}

/** Nothing reached the coordinator: the result edge is empty and the last stage wrote every row. */
function expectWrittenByTasks(stats: QueryStats): void {
  expectNoRowsRelayed(stats);
  // The range edge feeds the sort stage, whose tasks wrote the files.
  const range = stats.edges.find((e) => e.partitioning === 'range')!;
  expect(range.rows).toBe(ROWS);
}

function leftovers(): string[] {
  return readdirSync(dir).filter((f) => f !== 't.parquet');
}

async function expectCopyCancelledOrFailed(session: Session, out: string, sql: string, cancel: boolean): Promise<void> {
  const controller = new AbortController();
  let watching = cancel;
  const watch = async () => {
    // Cancel once the COPY's temporary folder exists (the query is under way).
    while (watching && !readdirSync(dir).some((f) => f.includes('.tmp-'))) await new Promise((r) => setTimeout(r, 2));
    if (watching) controller.abort();
  };
  const watcher = watch();
  const err = await session.sql(sql, { signal: controller.signal }).then(() => null, (e: unknown) => e);
  watching = false;
  await watcher;
  expect(err).toBeInstanceOf(Error);
  expect(existsSync(out)).toBe(false);
  expect(leftovers()).toEqual([]);
}

describe.skipIf(!HAVE_DIST)('distributed COPY … TO (PER_THREAD_OUTPUT)', () => {
  describe('worker threads', () => {
    const session = threadSession(() => dir);

    it('writes one part file per range whose concatenation in name order is the sorted result', async () => {
      const out = join(dir, 'sorted');
      const res = await session().sql(`copy (${QUERY}) to '${out}' (format parquet, per_thread_output)`);
      expect(res.rows()).toEqual([[BigInt(ROWS)]]);
      const parts = await readParts(out);
      expect(parts.files).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']);
      expect(parts.rows).toEqual(expected);
      expectWrittenByTasks(res.stats!);
      expect(leftovers()).toEqual(['sorted']);
      rmSync(out, { recursive: true });
    }, 60_000);

    it('a COPY whose tasks fail leaves no file', async () => {
      await expectCopyCancelledOrFailed(session(), join(dir, 'failed'),
        `copy (select k, cast(s as integer) as bad from t order by k) to '${join(dir, 'failed')}' (format parquet, per_thread_output)`, false);
    }, 60_000);

    it('a cancelled COPY leaves no file', async () => {
      await expectCopyCancelledOrFailed(session(), join(dir, 'cancelled'), `copy (${QUERY}) to '${join(dir, 'cancelled')}' (format parquet, per_thread_output)`, true);
    }, 60_000);

    it('refuses what it cannot write as parts, in one line', async () => {
      const err = await session().sql(`copy t to '${join(dir, 'csv')}' (format csv, per_thread_output)`).then(() => null, (e: unknown) => e);
      expect((err as Error).message).toBe('unsupported: PER_THREAD_OUTPUT with FORMAT csv (Parquet only)');
      expect(leftovers()).toEqual([]);
    });
  });

  describe('one thread (--workers 0)', () => {
    it('writes the whole sorted result as one part file', async () => {
      const session = await Session.create({ tables: dir, config: COPY_SETTINGS, workers: 0 });
      try {
        const out = join(dir, 'local');
        await session.sql(`copy (${QUERY}) to '${out}' (format parquet, per_thread_output)`);
        const parts = await readParts(out);
        expect(parts.files).toEqual(['part-00000.parquet']);
        expect(parts.rows).toEqual(expected);
        rmSync(out, { recursive: true });
      } finally {
        await session.close();
      }
    }, 60_000);
  });

  describe('worker processes over gRPC', () => {
    const session = workerProcessSession(() => dir);

    it('each worker writes its ranges; the coordinator receives no rows', async () => {
      const out = join(dir, 'grpc');
      const res = await session().sql(`copy (${QUERY}) to '${out}' (format parquet, per_thread_output, row_group_size 5000)`);
      expect(res.rows()).toEqual([[BigInt(ROWS)]]);
      const parts = await readParts(out);
      expect(parts.files).toEqual(['part-00000.parquet', 'part-00001.parquet']);
      expect(parts.rows).toEqual(expected);
      expectWrittenByTasks(res.stats!);
      rmSync(out, { recursive: true });
    }, 60_000);

    it('refuses to write part files outside the workers\' data roots, leaving nothing', async () => {
      const elsewhere = tempDir('spillway-copy-outside-');
      try {
        const err = await session().sql(`copy (${QUERY}) to '${join(elsewhere, 'out')}' (format parquet, per_thread_output)`).then(() => null, (e: unknown) => e);
        expect((err as Error).message).toContain('this worker reads only below its data roots');
        expect(readdirSync(elsewhere)).toEqual([]);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    }, 60_000);

    it('a COPY whose tasks fail on the workers leaves no file', async () => {
      await expectCopyCancelledOrFailed(session(), join(dir, 'failed'),
        `copy (select k, cast(s as integer) as bad from t order by k) to '${join(dir, 'failed')}' (format parquet, per_thread_output)`, false);
    }, 60_000);
  });
});
