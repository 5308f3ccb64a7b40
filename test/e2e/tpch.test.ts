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

export const TPCH_QUERIES = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

describe.skipIf(!HAVE_SHARED)('TPC-H SF 0.01 against the expected answers', () => {
  let db: Spillway;
  beforeAll(async () => { db = await Spillway.create({ tables: TPCH_SF001 }); });
  afterAll(async () => { await db?.close(); });

  for (const q of [...TPCH_QUERIES, 'q15_view']) {
    it(q, async () => {
      const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
      const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', `${q.slice(0, 3)}.csv`), 'utf8'));
      // q15_view ends with DROP VIEW: take the result of the SELECT before it.
      const dropAt = sql.search(/^drop\s+view\b/im);
      const res = await db.sql(dropAt >= 0 ? sql.slice(0, dropAt) : sql);
      if (dropAt >= 0) await db.sql(sql.slice(dropAt));
      expect(res.schema.fields.length).toBe(expected.header.length);
      const diff = diffRows(resultCells(res), expected.rows, true);
      expect(diff, diff ?? '').toBeNull();
    });
  }
});
