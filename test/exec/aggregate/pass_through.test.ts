/**
 * An aggregation whose groups are about its rows (TPC-H lineitem grouped by its key) under a
 * limit far below its table: the operator stops aggregating and passes its input through to
 * the part files (hash_aggregate.ts), in one thread (mode single) and on worker threads
 * (partial per batch, final passing states through). The answer is DuckDB's, and no spill
 * file is left. Runs the compiled code in dist/ for the worker threads.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTpch } from '../../../src/datagen/tpch.js';
import { Spillway } from '../../../src/index.js';
import { diffRows } from '../../helpers/compare.js';
import { DuckOracle } from '../../helpers/duckdb.js';
import { resultCells } from '../../helpers/spillway.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, totalMetric } from '../../scheduler/helpers.js';
import { tempSpillDir } from '../../spill/spill_context.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const QUERIES: Record<string, string> = {
  decomposable: `select l_orderkey::int as k, l_linenumber::int as n, sum(l_quantity)::double as q, count(*)::double as c,
                   max(l_comment) as m, avg(l_extendedprice)::double as e
                 from lineitem group by l_orderkey, l_linenumber`,
  distinct: `select l_orderkey::int as k, l_linenumber::int as n, count(distinct l_partkey)::double as d, min(l_shipmode) as s
             from lineitem group by l_orderkey, l_linenumber`,
};

describe.skipIf(!HAVE_DIST)('aggregation with groups ≈ rows under a small limit', () => {
  let dir = '';
  let spillDir = '';
  let duck: DuckOracle;
  const expected = new Map<string, Awaited<ReturnType<DuckOracle['query']>>>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-pass-through-'));
    await generateTpch({ sf: 0.01, out: dir, rowGroupSize: 10_000 });
    spillDir = tempSpillDir();
    duck = await DuckOracle.open(dir);
    for (const [name, sql] of Object.entries(QUERIES)) expected.set(name, await duck.query(sql));
  }, 120_000);

  afterAll(() => {
    duck?.close();
    if (spillDir !== '') rmSync(spillDir, { recursive: true, force: true });
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const modes = [
    { name: 'one thread at 1MB', workers: 0, memoryLimit: '1MB' },
    { name: '2 worker threads at 4MB', workers: 2, memoryLimit: '4MB' },
  ];
  for (const mode of modes) {
    describe(mode.name, () => {
      let db: Spillway;
      beforeAll(async () => {
        db = await Spillway.create({
          tables: dir, workers: mode.workers, memoryLimit: mode.memoryLimit,
          settings: { spill_dir: spillDir, force_distribution: mode.workers > 0 },
        });
      }, 60_000);
      afterAll(async () => { await db?.close(); }, 30_000);

      for (const [name, sql] of Object.entries(QUERIES)) {
        it(`${name}: passes rows through, DuckDB's answer, no spill files left`, async () => {
          const got = await db.sql(sql);
          expect(totalMetric(got, 'passThroughRows')).toBeGreaterThan(10_000);
          if (mode.workers > 0) expect(totalMetric(got, 'rowsReceived')).toBeGreaterThan(0); // it ran on the threads
          expect(diffRows(resultCells(got), expected.get(name)!, false)).toBeNull();
          expect(readdirSync(spillDir)).toEqual([]);
        }, 60_000);
      }
    });
  }
});
