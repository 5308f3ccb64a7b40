/**
 * The memory limit held in the default mode: with 2 and 3 worker threads (each a pool of
 * limit / N) and the default batch size, a sort, a high-cardinality aggregation and a join
 * under a limit of a few MB finish with DuckDB's answer. Exchange buffers of finished stages
 * must spill when an operator needs their memory, and the sort's merge must fit its share.
 * Runs the compiled code in dist/ (worker threads).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTpch } from '../../src/datagen/tpch.js';
import { Spillway } from '../../src/index.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, totalMetric } from '../scheduler/helpers.js';
import { tempSpillDir } from './spill_context.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const QUERIES: Record<string, { sql: string; ordered: boolean }> = {
  sort: {
    sql: `select l_orderkey::int as k, l_linenumber::int as n, l_partkey::int as p, l_suppkey::int as s, l_quantity::double as q,
            l_extendedprice::double as e, l_returnflag, l_linestatus, l_shipinstruct, l_shipmode, l_comment
          from lineitem order by l_comment, k, n`,
    ordered: true,
  },
  aggregation: {
    sql: `select l_orderkey::int as k, l_linenumber::int as n, count(*)::double as c, sum(l_partkey)::double as p, max(l_comment) as m
          from lineitem group by l_orderkey, l_linenumber`,
    ordered: false,
  },
  join: {
    sql: `select l_orderkey::int as k, l_linenumber::int as n, o_custkey::int as c, o_totalprice::double as t, o_orderpriority, l_comment
          from lineitem join orders on l_orderkey = o_orderkey`,
    ordered: false,
  },
};

describe.skipIf(!HAVE_DIST)('the memory limit in the default mode (worker threads, default batch size)', () => {
  let dir = '';
  let spillDir = '';
  let duck: DuckOracle;
  const expected = new Map<string, Awaited<ReturnType<DuckOracle['query']>>>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-thread-limit-'));
    await generateTpch({ sf: 0.01, out: dir, rowGroupSize: 10_000 });
    spillDir = tempSpillDir();
    duck = await DuckOracle.open(dir);
    for (const [name, q] of Object.entries(QUERIES)) expected.set(name, await duck.query(q.sql));
  }, 120_000);

  afterAll(() => {
    duck?.close();
    if (spillDir !== '') rmSync(spillDir, { recursive: true, force: true });
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const threads of [2, 3]) {
    describe(`${threads} threads at 4MB`, () => {
      let db: Spillway;
      beforeAll(async () => {
        db = await Spillway.create({ tables: dir, workers: threads, memoryLimit: '4MB', settings: { spill_dir: spillDir, force_distribution: true } });
      }, 60_000);
      afterAll(async () => { await db?.close(); }, 30_000);

      for (const [name, q] of Object.entries(QUERIES)) {
        it(`${name} finishes with DuckDB's answer and leaves no spill files`, async () => {
          const got = await db.sql(q.sql);
          expect(totalMetric(got, 'rowsReceived')).toBeGreaterThan(0); // it ran on the threads
          const diff = diffRows(resultCells(got), expected.get(name)!, q.ordered);
          expect(diff).toBeNull();
          expect(readdirSync(spillDir)).toEqual([]);
        }, 60_000);
      }
    });
  }
});
