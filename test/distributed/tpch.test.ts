/**
 * Distributed vs single-node answers on the shared TPC-H SF 0.01 files.
 *
 * Each table there is one file with one row group, so a Parquet scan cannot be split and a
 * plan over the files stays one stage. To exercise exchanges on this data, the tables are
 * also loaded into in-memory tables of 2,000-row batches (split over the tasks) and the
 * queries run over those; q06 and q14 also run over the files (scan splitting, one stage).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog.js';
import { concatBatches, sliceBatch } from '../../src/columnar/kernels.js';
import type { Batch } from '../../src/columnar/column.js';
import { discoverTables } from '../../src/storage/table_discovery.js';
import { diffRows } from '../helpers/compare.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_DIR, TPCH_SF001 } from '../helpers/paths.js';
import { cells, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

// q05 is left out: its single-node join order builds ~1 M intermediate rows (seconds per run).
const QUERIES = ['q01', 'q03', 'q06', 'q10', 'q12', 'q14', 'q19'];
/** Shuffle every join of these (broadcast_threshold 0); the others broadcast the small sides. */
const SHUFFLED = new Set(['q03', 'q12']);
const TABLES = ['lineitem', 'orders', 'customer', 'part', 'nation'];

describe.skipIf(!HAVE_SHARED)('distributed = single node on TPC-H SF 0.01', () => {
  const files = new Catalog();
  const memory = new Catalog();
  beforeAll(async () => {
    for (const t of await discoverTables(TPCH_SF001)) files.set(t);
    const config = testConfig();
    for (const name of TABLES) {
      const batches = await runSingle(await singleNodePlan(`select * from ${name}`, files, config), files, config);
      const all = concatBatches(batches[0]!.schema, batches);
      const parts: Batch[] = [];
      for (let i = 0; i < all.length; i += 2000) parts.push(sliceBatch(all, i, i + 2000));
      memory.set({ kind: 'memory', name, schema: all.schema, batches: parts });
    }
  });

  for (const q of QUERIES) {
    it(`${q} over in-memory tables, 3 tasks per stage`, async () => {
      const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
      const config = testConfig({ force_distribution: true, broadcast_threshold: SHUFFLED.has(q) ? 0 : 64 * 1024 });
      const plan = await singleNodePlan(sql, memory, config);
      const expected = cells(await runSingle(plan, memory, config));
      const { dag, result } = await runDistributed(plan, memory, config, 3);
      expect(dag.stages.length).toBeGreaterThanOrEqual(2);
      const diff = diffRows(cells(result.batches), expected, true);
      expect(diff, `${q}: ${diff}`).toBeNull();
    });
  }

  for (const q of ['q06', 'q14']) {
    it(`${q} over the Parquet files`, async () => {
      const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
      const config = testConfig({ force_distribution: true });
      const plan = await singleNodePlan(sql, files, config);
      const expected = cells(await runSingle(plan, files, config));
      const { result } = await runDistributed(plan, files, config, 2);
      const diff = diffRows(cells(result.batches), expected, true);
      expect(diff, `${q}: ${diff}`).toBeNull();
    });
  }
});
