/**
 * TPC-H on the shared SF 0.01 data: every query's answer must match the expected CSV
 * (compared in order, floats with the README's tolerance) and DuckDB on the same files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { diffRows, parseCsv } from '../helpers/compare.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_DIR, TPCH_SF001 } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';

export const TPCH_QUERIES = ['q01', 'q03', 'q05', 'q06', 'q10', 'q12', 'q14', 'q19'];

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

describe.skipIf(!HAVE_SHARED)('TPC-H SF 0.01 against the expected answers', () => {
  let db: Spillway;
  beforeAll(async () => { db = await Spillway.create({ tables: TPCH_SF001 }); });
  afterAll(async () => { await db?.close(); });

  for (const q of TPCH_QUERIES) {
    it(q, async () => {
      const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
      const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', `${q}.csv`), 'utf8'));
      const res = await db.sql(sql);
      expect(res.schema.fields.length).toBe(expected.header.length);
      const diff = diffRows(resultCells(res), expected.rows, true);
      expect(diff, diff ?? '').toBeNull();
    });
  }
});
