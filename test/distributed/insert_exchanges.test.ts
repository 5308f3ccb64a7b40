import { describe, expect, it } from 'vitest';
import { insertExchanges } from '../../src/distributed/insert_exchanges.js';
import { splitScans } from '../../src/distributed/split_scans.js';
import { formatPartitioning } from '../../src/plan/explain.js';
import { childrenOf, type PhysicalPlan } from '../../src/plan/physical.js';
import { field } from '../../src/common/types.js';
import type { Config } from '../../src/common/config.js';
import { catalogOf, memoryTable, singleNodePlan, testConfig } from './harness.js';

const big = memoryTable({ name: 'big', fields: [field('a', 'int32'), field('b', 'utf8')], rows: Array.from({ length: 1000 }, (_v, i) => [i % 50, `b${i}`]) }, [100]);
const small = memoryTable({ name: 'small', fields: [field('a', 'int32'), field('c', 'float64')], rows: Array.from({ length: 10 }, (_v, i) => [i, i / 2]) }, [5]);
const catalog = catalogOf([big, small]);

/** Compact plan shape: Kind[detail](children), scans as their table name. */
function shape(p: PhysicalPlan): string {
  const kids = childrenOf(p).map(shape);
  let head: string;
  switch (p.kind) {
    case 'MemoryScan': return `${p.table}/${p.partitions}`;
    case 'Exchange': head = `Exchange[${formatPartitioning(p.partitioning)}${p.preserveOrder ? ' ordered' : ''}]`; break;
    case 'HashAggregate': head = `Agg[${p.mode}]`; break;
    case 'HashJoin': head = `HashJoin[${p.joinType} ${p.distribution}]`; break;
    case 'NestedLoopJoin': head = `NLJ[${p.joinType}]`; break;
    case 'Limit': head = `Limit[${p.skip},${p.fetch}]`; break;
    case 'TopK': head = `TopK[${p.fetch}]`; break;
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

describe('insert_exchanges', () => {
  it('group by: partial → hash on the group keys → final, then a single gather', async () => {
    expect(await distributed('select a, count(*), avg(a) from big group by a')).toBe(
      'Exchange[single]/1(Projection/4(Agg[final]/4(Exchange[hash(#0; 4)]/4(Agg[partial]/3(big/3)))))');
  });

  it('global aggregate: partial → single → final', async () => {
    expect(await distributed('select sum(a) from big')).toBe('Projection/1(Agg[final]/1(Exchange[single]/1(Agg[partial]/3(big/3))))');
  });

  it('DISTINCT aggregates move raw rows: hash by the group keys, or single', async () => {
    expect(await distributed('select b, count(distinct a) from big group by b')).toBe(
      'Exchange[single]/1(Projection/4(Agg[single]/4(Exchange[hash(b; 4)]/4(big/3))))');
    expect(await distributed('select count(distinct a) from big')).toBe('Projection/1(Agg[single]/1(Exchange[single]/1(big/3)))');
  });

  it('broadcast join under the threshold, shuffle join over it', async () => {
    const sql = 'select big.b, small.c from big join small on big.a = small.a';
    expect(await distributed(sql, { broadcast_threshold: 1 << 20 })).toMatch(/HashJoin\[inner broadcast\]\/3\(big\/3, Exchange\[broadcast\]\/1\(small\/3\)\)/);
    expect(await distributed(sql, { broadcast_threshold: 0 })).toMatch(
      /HashJoin\[inner partitioned\]\/4\(Exchange\[hash\(a; 4\)\]\/4\(big\/3\), Exchange\[hash\(a; 4\)\]\/4\(small\/3\)\)/);
  });

  it('right and full joins never broadcast; NOT IN always does', async () => {
    expect(await distributed('select big.b, small.c from big right join small on big.a = small.a', { broadcast_threshold: 1 << 30 })).toMatch(/HashJoin\[(right|left) partitioned\]/);
    expect(await distributed('select big.b, small.c from big full join small on big.a = small.a', { broadcast_threshold: 1 << 30 })).toMatch(/HashJoin\[full partitioned\]/);
    expect(await distributed('select b from big where a not in (select a from small)', { broadcast_threshold: 0 })).toMatch(/HashJoin\[anti broadcast\]/);
  });

  it('co-located inputs get no exchange: aggregate over a join on its key, join over a join on the same key', async () => {
    const agg = await distributed('select big.a, count(*) from big join small on big.a = small.a group by big.a', { broadcast_threshold: 0 });
    expect(agg).toMatch(/Agg\[single\]\/4\(HashJoin\[inner partitioned\]/);
    expect(agg.match(/Exchange\[hash/g)!.length).toBe(2);
    const joins = await distributed('select count(*) from big join small on big.a = small.a join small s2 on s2.a = big.a', { broadcast_threshold: 0 });
    expect(joins.match(/Exchange\[hash/g)!.length).toBe(3);
  });

  it('nested loop joins: broadcast right for inner/left, single for right/full', async () => {
    expect(await distributed('select big.a from big join small on big.a < small.a')).toMatch(/NLJ\[inner\]\/3\(big\/3, Exchange\[broadcast\]\/1\(small\/3\)\)/);
    expect(await distributed('select big.a from big full join small on big.a < small.a')).toMatch(/NLJ\[full\]\/1\(Exchange\[single\]\/1\(big\/3\), Exchange\[single\]\/1\(small\/3\)\)/);
  });

  it('ORDER BY: range → per-partition sort → order-preserving gather', async () => {
    expect(await distributed('select a, b from big order by a')).toMatch(
      /^Projection\/1\(Exchange\[single ordered\]\/1\(Sort\/4\(Exchange\[range\(a ASC; 4\)\]\/4\(/);
  });

  it('ORDER BY … LIMIT: TopK per partition → single → TopK; LIMIT: local limit → single → limit', async () => {
    expect(await distributed('select a from big order by a limit 5')).toBe(
      'Projection/1(TopK[5]/1(Exchange[single]/1(TopK[5]/3(Projection/3(big/3)))))');
    expect(await distributed('select a from big limit 5 offset 2')).toBe(
      'Projection/1(Limit[2,5]/1(Exchange[single]/1(Limit[0,7]/3(Projection/3(big/3)))))');
  });

  it('one-partition inputs need no exchange', async () => {
    const config = testConfig({ force_distribution: true });
    const plan = await singleNodePlan('select a, count(*) from big group by a order by a', catalog, config);
    expect(shape(insertExchanges(plan, { config, partitions: 4 }))).toBe('Projection/1(Sort/1(Projection/1(Agg[single]/1(big/1))))');
  });
});

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
