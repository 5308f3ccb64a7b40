import { expect, test } from 'vitest';
import { field } from '../../src/types.js';
import { explainStageDag } from '../../src/distributed/stage.js';
import { diffRows } from '../helpers/compare.js';
import { catalogOf, cells, memoryTable, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

test('smoke', async () => {
  const t = memoryTable({ name: 't', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 40 }, (_x, i) => [i % 7, i % 3 === 0 ? null : `s${i % 5}`]) }, [3, 5]);
  const u = memoryTable({ name: 'u', fields: [field('a', 'int32'), field('c', 'float64')], rows: Array.from({ length: 20 }, (_x, i) => [i % 9, i * 1.5]) }, [4]);
  const catalog = catalogOf([t, u]);
  const config = testConfig({ force_distribution: true, batch_size: 4, broadcast_threshold: 0 });
  for (const sql of [
    'select b, count(*), avg(a), count(distinct a) from t group by b',
    'select t.a, b, c from t join u on t.a = u.a',
    'select a, b from t order by a, b',
    'select count(*), sum(a) from t where a > 100',
  ]) {
    const plan = await singleNodePlan(sql, catalog, config);
    const expected = cells(await runSingle(plan, catalog, config));
    const { dag, result } = await runDistributed(plan, catalog, config, 3);
    console.log(explainStageDag(dag));
    const diff = diffRows(cells(result.batches), expected, sql.includes('order by'));
    expect(diff, sql + '\n' + diff).toBeNull();
  }
});
