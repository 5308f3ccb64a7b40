/**
 * Distributed plans of GROUPING SETS and of the holistic aggregates: Expand works partition
 * by partition under the partial aggregate (the grouping id is one more hash key), and
 * string_agg / median move raw rows like DISTINCT aggregates. Results: grouping_differential.
 */
import { describe, expect, it } from 'vitest';
import { insertExchanges } from '../../src/distributed/insert_exchanges.js';
import { splitScans } from '../../src/distributed/split_scans.js';
import { explainPhysical, formatPartitioning } from '../../src/plan/explain.js';
import { childrenOf, type PhysicalPlan } from '../../src/plan/physical.js';
import { field } from '../../src/common/types.js';
import { catalogOf, memoryTable, singleNodePlan, testConfig } from './harness.js';

const big = memoryTable({ name: 'big', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 1000 }, (_v, i) => [i % 50, `b${i % 7}`]) }, [100]);
const catalog = catalogOf([big]);

function shape(p: PhysicalPlan): string {
  const kids = childrenOf(p).map(shape);
  let head: string;
  switch (p.kind) {
    case 'MemoryScan': return `${p.table}/${p.partitions}`;
    case 'Exchange': head = `Exchange[${formatPartitioning(p.partitioning)}]`; break;
    case 'HashAggregate': head = `Agg[${p.mode}${p.emptyGroupingSets ? ` empty=${p.emptyGroupingSets.join(',')}` : ''}]`; break;
    case 'Expand': head = `Expand[${p.sets.length}]`; break;
    default: head = p.kind;
  }
  return `${head}/${p.partitions}(${kids.join(', ')})`;
}

async function distributed(sql: string): Promise<PhysicalPlan> {
  const config = testConfig({ force_distribution: true });
  const plan = await splitScans(await singleNodePlan(sql, catalog, config), { tasks: 3 });
  return insertExchanges(plan, { config, partitions: 4 });
}

describe('distributed grouping sets and holistic aggregates', () => {
  it('ROLLUP: Expand below the partial aggregate, hash on the keys and the grouping id, the empty set kept by the final', async () => {
    expect(shape(await distributed('select a, b, count(*) from big group by rollup(a, b)'))).toBe(
      'Exchange[single]/1(Projection/4(Agg[final empty=2]/4(Exchange[hash(#0, #1, #2; 4)]/4(Agg[partial]/3(Expand[3]/3(big/3))))))');
  });

  it('string_agg and median move raw rows: hash on the group keys, or one partition', async () => {
    expect(shape(await distributed("select b, string_agg(b, ',' order by a), median(a) from big group by b"))).toBe(
      'Exchange[single]/1(Projection/4(Agg[single]/4(Exchange[hash(b; 4)]/4(big/3))))');
    expect(shape(await distributed('select median(a) from big'))).toBe('Projection/1(Agg[single]/1(Exchange[single]/1(big/3)))');
  });

  it('EXPLAIN shows the sets', async () => {
    const text = explainPhysical(await distributed('select a, b, sum(a) from big group by cube(a, b)'));
    expect(text).toContain('Expand sets=[(a, b), (a), (b), ()]');
    expect(text).toMatch(/HashAggregate\[partial\] group=\[a, b, grouping_id\]/);
  });
});
