/** insert_exchanges: the Window rule (hash on PARTITION BY, single without, co-location kept). */
import { describe, expect, it } from 'vitest';
import { insertExchanges } from '../../src/distributed/insert_exchanges.js';
import { splitScans } from '../../src/distributed/split_scans.js';
import { formatPartitioning } from '../../src/plan/explain.js';
import { childrenOf, type PhysicalPlan } from '../../src/plan/physical.js';
import { field } from '../../src/common/types.js';
import type { Config } from '../../src/common/config.js';
import { catalogOf, memoryTable, singleNodePlan, testConfig } from './harness.js';

const big = memoryTable({ name: 'big', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 1000 }, (_v, i) => [i % 50, `b${i}`]) }, [100]);
const catalog = catalogOf([big]);

function shape(p: PhysicalPlan): string {
  const kids = childrenOf(p).map(shape);
  let head: string;
  switch (p.kind) {
    case 'MemoryScan': return `${p.table}/${p.partitions}`;
    case 'Exchange': head = `Exchange[${formatPartitioning(p.partitioning)}${p.preserveOrder ? ' ordered' : ''}]`; break;
    case 'HashAggregate': head = `Agg[${p.mode}]`; break;
    case 'Window': head = `Window[${p.functions.map((f) => f.fn).join(',')}]`; break;
    default: head = p.kind;
  }
  return `${head}/${p.partitions}(${kids.join(', ')})`;
}

async function distributed(sql: string, overrides: Partial<Config> = {}): Promise<string> {
  const config = testConfig({ force_distribution: true, ...overrides });
  const plan = await splitScans(await singleNodePlan(sql, catalog, config), { tasks: 3 });
  return shape(insertExchanges(plan, { config, partitions: 4 }));
}

describe('insert_exchanges: Window', () => {
  it('PARTITION BY: hash exchange on the keys, then the local Sort and the Window', async () => {
    expect(await distributed('select a, row_number() over (partition by a order by b) from big')).toBe(
      'Exchange[single]/1(Projection/4(Window[row_number]/4(Sort/4(Exchange[hash(a; 4)]/4(big/3)))))');
  });

  it('no PARTITION BY: everything to one partition', async () => {
    expect(await distributed('select a, sum(a) over (order by b) from big')).toBe(
      'Projection/1(Window[sum]/1(Sort/1(Exchange[single]/1(big/3))))');
    expect(await distributed('select a, count(*) over () from big')).toBe(
      'Projection/1(Window[count_star]/1(Exchange[single]/1(big/3)))');
  });

  it('input already hashed on a subset of the PARTITION BY keys: no new exchange', async () => {
    const plan = await distributed('select a, c, rank() over (partition by a, c order by c) from (select a, count(*) c from big group by a) q');
    expect(plan.match(/Exchange\[hash/g)!.length).toBe(1);
    expect(plan).toMatch(/Window\[rank\]\/4\(Sort\/4\(Projection\/4\(Agg\[final\]\/4\(Exchange\[hash\(#0; 4\)\]/);
  });

  it('two windows over the same keys share the exchange', async () => {
    const plan = await distributed('select a, row_number() over (partition by a order by b), sum(a) over (partition by a) from big');
    expect(plan.match(/Exchange\[hash/g)!.length).toBe(1);
  });
});
