import { describe, expect, it } from 'vitest';
import { decideDistribution } from '../../src/distributed/guards.js';
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
    const big = await decide('select a from t', 2, { distribute_min_bytes: 1 });
    expect(big).toMatchObject({ distribute: true, forced: false, guard: null });
    expect(big.scanBytes).toBeGreaterThan(0);
  });
});
