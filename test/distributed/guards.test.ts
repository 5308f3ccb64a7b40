import { describe, expect, it } from 'vitest';
import { decideDistribution } from '../../src/distributed/guards.js';
import { planStageDag } from '../../src/distributed/distribute.js';
import { explainStageDag } from '../../src/distributed/stage.js';
import { field } from '../../src/common/types.js';
import { catalogOf, memoryTable, singleNodePlan, testConfig } from './harness.js';

const t = memoryTable({ name: 't', fields: [field('a', 'int32')], rows: Array.from({ length: 12 }, (_v, i) => [i]) }, [4]);
const catalog = catalogOf([t]); // 3 batches, ~60 bytes

async function decide(sql: string, workers: number, overrides = {}) {
  const config = testConfig(overrides);
  return decideDistribution(await singleNodePlan(sql, catalog, config), { config, workers, memoryTables: catalog.memoryTables() });
}

describe('guards', () => {
  it('no workers', async () => {
    const d = await decide('select a from t', 0, { force_distribution: true });
    expect(d).toMatchObject({ distribute: false, guard: 'no_workers' });
  });

  it('no scan', async () => {
    const d = await decide('select 1 + 2', 3, { force_distribution: true });
    expect(d).toMatchObject({ distribute: false, guard: 'no_scan' });
  });

  it('fewer scan units than workers, unless forced', async () => {
    expect(await decide('select a from t', 4)).toMatchObject({ distribute: false, guard: 'few_scan_units', scanUnits: 3 });
    const forced = await decide('select a from t', 4, { force_distribution: true });
    expect(forced).toMatchObject({ distribute: true, guard: null, forced: true });
    expect(forced.reason).toMatch(/force_distribution overrides: 3 scan units/);
  });

  it('small input, unless forced; large enough input distributes', async () => {
    const small = await decide('select a from t', 2);
    expect(small).toMatchObject({ distribute: false, guard: 'small_input' });
    expect(small.reason).toMatch(/distribute_min_bytes/);
    expect(await decide('select a from t', 2, { force_distribution: true })).toMatchObject({ distribute: true, forced: true });
    const big = await decide('select a from t', 2, { distribute_min_bytes: 1, distribute_min_decoded_bytes: 0 });
    expect(big).toMatchObject({ distribute: true, forced: false, guard: null });
    expect(big.scanBytes).toBeGreaterThan(0);
  });

  it('small_work: keeps a query local when its scans decode fewer bytes than distribute_min_decoded_bytes, unless forced', async () => {
    // 12 int32 rows: 12 × (4 bytes + 1 validity byte) = 60 bytes decoded.
    const small = await decide('select a from t', 2, { distribute_min_bytes: 1, distribute_min_decoded_bytes: 61 });
    expect(small).toMatchObject({ distribute: false, guard: 'small_work' });
    expect(small.reason).toBe('estimated decoded scan bytes 60 B < distribute_min_decoded_bytes 61 B: the query runs as one local task');
    // At the limit, with the guard off (0), or forced, it distributes.
    expect(await decide('select a from t', 2, { distribute_min_bytes: 1, distribute_min_decoded_bytes: 60 })).toMatchObject({ distribute: true, guard: null });
    expect(await decide('select a from t', 2, { distribute_min_bytes: 1, distribute_min_decoded_bytes: 0 })).toMatchObject({ distribute: true, guard: null });
    const forced = await decide('select a from t', 2, { distribute_min_bytes: 1, distribute_min_decoded_bytes: 61, force_distribution: true });
    expect(forced).toMatchObject({ distribute: true, guard: null, forced: true });
    expect(forced.reason).toMatch(/force_distribution overrides: estimated decoded scan bytes 60 B < distribute_min_decoded_bytes 61 B/);
    // The default (64 MiB) keeps this table local, as one stage, with the reason EXPLAIN prints.
    const dag = await planStageDag(await singleNodePlan('select a from t', catalog, testConfig()), {
      config: testConfig({ distribute_min_bytes: 1 }), workers: 2, memoryTables: catalog.memoryTables(),
    });
    expect(dag.decision.guard).toBe('small_work');
    expect(dag.stages).toHaveLength(1);
    expect(explainStageDag(dag)).toMatch(/^Local plan \(guard small_work fired\): estimated decoded scan bytes 60 B < distribute_min_decoded_bytes 64\.0 MiB/);
  });

  it('exchange_heavy: keeps a query local when its exchanges would move more than the ratio × its decoded scan bytes', async () => {
    const plan = async (sql: string, overrides = {}) => {
      const config = testConfig({ distribute_min_bytes: 1, distribute_min_decoded_bytes: 0, ...overrides });
      const single = await singleNodePlan(sql, catalog, config);
      return planStageDag(single, { config, workers: 2, memoryTables: catalog.memoryTables() });
    };
    // A self-join shuffles both inputs: as many bytes as its two scans decode (or more, by estimate).
    const join = 'select x.a from t x join t y on x.a = y.a';
    const heavy = await plan(join, { distribute_max_exchange_ratio: 0.5, broadcast_threshold: 0 });
    expect(heavy.decision).toMatchObject({ distribute: false, guard: 'exchange_heavy' });
    expect(heavy.decision.reason).toMatch(/exchanges ≈ \d+ B = \d+% of 120 B decoded > distribute_max_exchange_ratio 0\.5: the query runs as one local task/);
    expect(heavy.stages).toHaveLength(1);
    // Under the ratio, or with the guard off, or forced, it distributes and says what it moves.
    for (const overrides of [{ distribute_max_exchange_ratio: 4 }, { distribute_max_exchange_ratio: 0 }, { force_distribution: true }]) {
      const d = await plan(join, { broadcast_threshold: 0, distribute_max_exchange_ratio: 0.5, ...overrides });
      expect(d.decision).toMatchObject({ distribute: true });
      expect(d.stages.length).toBeGreaterThan(1);
    }
    // A global aggregate moves one partial row per task: far under the ratio on 3,000 rows.
    const big = catalogOf([memoryTable({ name: 'big', fields: [field('a', 'int32')], rows: Array.from({ length: 3000 }, (_v, i) => [i]) }, [500])]);
    const config = testConfig({ distribute_min_bytes: 1, distribute_min_decoded_bytes: 0, distribute_max_exchange_ratio: 0.5 });
    const agg = await planStageDag(await singleNodePlan('select sum(a) from big', big, config), { config, workers: 2, memoryTables: big.memoryTables() });
    expect(agg.decision, agg.decision.reason).toMatchObject({ distribute: true });
    expect(agg.decision.reason).toMatch(/exchanges ≈ \d+ B = \d% of 14\.6 KiB decoded/);
  });

  it('exchange_heavy does not count the final gather when the result stays on the workers (a COPY written as parts)', async () => {
    const config = testConfig({ distribute_min_bytes: 1, distribute_min_decoded_bytes: 0, distribute_max_exchange_ratio: 0.5 });
    const single = await singleNodePlan('select a + 1 as b from t', catalog, config);
    const gathered = await planStageDag(single, { config, workers: 2, memoryTables: catalog.memoryTables() });
    expect(gathered.decision, gathered.decision.reason).toMatchObject({ distribute: false, guard: 'exchange_heavy' });
    const parts = await planStageDag(single, { config, workers: 2, memoryTables: catalog.memoryTables(), resultStaysOnWorkers: true });
    expect(parts.decision, parts.decision.reason).toMatchObject({ distribute: true, guard: null });
    expect(parts.decision.reason).toMatch(/exchanges ≈ 0 B = 0% of/);
  });
});
