/**
 * All 22 TPC-H queries on data from Spillway's own generator (SF 0.01, several files per
 * table and several row groups per file) give DuckDB's answers on the same files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Spillway } from '../../src/index.js';
import { generateTpch } from '../../src/datagen/tpch.js';
import { diffRows, normalise } from '../helpers/compare.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_DIR } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';

const QUERIES = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

describe.skipIf(!HAVE_SHARED)('TPC-H on generated data agrees with DuckDB', () => {
  let dir: string;
  let db: Spillway;
  let duck: DuckDBConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-tpchgen-'));
    await generateTpch({ sf: 0.01, out: dir, filesPerTable: 2, rowGroupSize: 5000, seed: 7 });
    db = await Spillway.create({ tables: dir, workers: 0 });
    duck = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const table = name.replace(/\.parquet$/, '');
      const source = statSync(path).isDirectory() ? join(path, '*.parquet') : path;
      await duck.run(`create view ${table} as select * from read_parquet('${source}')`);
    }
  }, 180_000);

  afterAll(async () => {
    await db?.close();
    duck?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const q of QUERIES) {
    it(q, async () => {
      const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
      const ours = resultCells(await db.sql(sql));
      const theirs = (await duck.runAndReadAll(sql)).getRowsJson().map((r) => r.map(normalise));
      // Every query orders its output; ties (possible on generated data) compare as bags.
      const diff = diffRows(ours, theirs, true) === null ? null : diffRows(ours, theirs, false);
      expect(diff, diff ?? '').toBeNull();
    });
  }
});
