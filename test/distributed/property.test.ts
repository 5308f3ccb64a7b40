/**
 * Property: for random tables (NULLs, duplicates, skew, empty tables, extreme values) and
 * random queries (joins of every type, subqueries, GROUP BY/HAVING, DISTINCT, set
 * operations, ORDER BY/LIMIT) from the `spillway/testing` generators, random worker and
 * partition counts, batch sizes, stored batch sizes and broadcast thresholds, the
 * distributed answer equals the single-node answer. A counterexample prints as a SQL script
 * (CREATE TABLE, INSERT, SET, the query) that reproduces it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { caseArb, diffResults, renderQuery, settingValues, tableScript, type FuzzCase } from '../../src/testing/index.js';
import { catalogOf, cells, generatedTable, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

interface DistributedCase { c: FuzzCase; workers: number }

function script({ c, workers }: DistributedCase): string {
  const tables = c.tables!;
  const s = settingValues(c.settings);
  return [
    ...tables.map(tableScript),
    `SET force_distribution = true; ${Object.entries(s).map(([k, v]) => `SET ${k} = ${v};`).join(' ')}  -- ${workers} workers, stored batches of ${c.settings.tableBatchRows} rows`,
    `${renderQuery(c.query, tables).sql};`,
  ].join('\n');
}

const caseWithWorkers = fc.record({ c: caseArb({ maxRows: 30 }), workers: fc.integer({ min: 1, max: 4 }) })
  .map((x: DistributedCase) => Object.assign(x, { [fc.toStringMethod]: () => script(x) }));

describe('distributed = single node (property)', () => {
  it('holds for random tables, queries and partition counts', async () => {
    await fc.assert(fc.asyncProperty(caseWithWorkers, async (x) => {
      const { c, workers } = x;
      const tables = c.tables!;
      const catalog = catalogOf(tables.map((t) => generatedTable(t, c.settings.tableBatchRows)));
      const s = c.settings;
      const config = testConfig({
        force_distribution: true, batch_size: s.batchSize, target_partitions: s.targetPartitions, broadcast_threshold: s.broadcast ? 1 << 30 : 0,
      });
      const q = renderQuery(c.query, tables);
      const plan = await singleNodePlan(q.sql, catalog, config);
      const expected = cells(await runSingle(plan, catalog, config));
      const { result } = await runDistributed(plan, catalog, config, workers);
      const diff = diffResults(cells(result.batches), expected, q.semantics);
      if (diff !== null) throw new Error(`distributed answer differs:\n${diff}\n-- reproduce with:\n${script(x)}`);
    }), { numRuns: 100, seed: 424242 });
  });
});
