/**
 * The README's example property test, as a user would write it against `spillway/testing`:
 * two Spillways (one thread; two worker threads with distribution forced and tiny batches)
 * must agree on random tables and queries.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Spillway } from '../../src/index.js';
import { assertSameResults, loadTables, querySpecArb, renderQuery, tablesArb } from '../../src/testing/index.js';

let one: Spillway, two: Spillway;
beforeAll(async () => {
  one = await Spillway.create({ workers: 0 });
  two = await Spillway.create({ workers: 2, settings: { force_distribution: true, batch_size: 3 } });
});
afterAll(async () => { await one?.close(); await two?.close(); });

test('two worker threads answer as one thread', async () => {
  await fc.assert(fc.asyncProperty(tablesArb({ maxRows: 10 }), querySpecArb(), async (tables, spec) => {
    loadTables(one, tables);
    loadTables(two, tables);
    await assertSameResults(one, two, renderQuery(spec, tables));
  }), { numRuns: 25, seed: 99 });
});

test('assertSameResults reports the first difference and the query', async () => {
  await expect(assertSameResults(one, two, 'select 1 as x union all select 2')).resolves.toBeUndefined();
  await expect(assertSameResults(one, two, { sql: 'select 1 as x', semantics: { orderKeys: [], limited: false }, operators: [] }))
    .resolves.toBeUndefined();
  const other = await Spillway.create({ workers: 0 });
  try {
    loadTables(one, [{ name: 'w', columns: [{ name: 'k', type: 'int32' }], rows: [[1], [2]] }]);
    loadTables(other, [{ name: 'w', columns: [{ name: 'k', type: 'int32' }], rows: [[1], [3]] }]);
    await expect(assertSameResults(one, other, 'select k from w')).rejects.toThrow(/second disagrees with first: as bags: row 1 column 0: 3 != expected 2[\s\S]*select k from w/);
  } finally {
    await other.close();
  }
});
