import { describe, expect, it } from 'vitest';
import { planStageDag } from '../../src/distributed/distribute.js';
import { cutStages, explainStageDag } from '../../src/distributed/stage.js';
import { childrenOf, deserializePlan, serializePlan, type PhysicalPlan } from '../../src/plan/physical.js';
import { field } from '../../src/common/types.js';
import { catalogOf, memoryTable, singleNodePlan, testConfig } from './harness.js';

const t = memoryTable({ name: 't', fields: [field('a', 'int32'), field('k', 'int64')], rows: Array.from({ length: 30 }, (_v, i) => [i % 4, BigInt(i) * 10_000_000_000n]) }, [5]);
const u = memoryTable({ name: 'u', fields: [field('a', 'int32')], rows: [[1], [2]] }, [1]);
const catalog = catalogOf([t, u]);

function leaves(p: PhysicalPlan): PhysicalPlan[] {
  const kids = childrenOf(p);
  return kids.length === 0 ? [p] : kids.flatMap(leaves);
}

async function dagOf(sql: string, workers = 3, overrides = {}) {
  const config = testConfig({ force_distribution: true, broadcast_threshold: 0, ...overrides });
  return planStageDag(await singleNodePlan(sql, catalog, config), { config, workers, memoryTables: catalog.memoryTables() });
}

describe('cutStages', () => {
  it('cuts at every exchange: producers first, leaves are scans or readers, the root has one task', async () => {
    const dag = await dagOf('select t.a, count(*) from t join u on t.a = u.a group by t.a order by t.a');
    const ids = dag.stages.map((s) => s.id);
    expect(ids).toEqual([...ids.keys()]);
    expect(dag.rootStageId).toBe(dag.stages.length - 1);
    for (const s of dag.stages) {
      expect(s.tasks).toBe(s.plan.partitions);
      for (const i of s.inputs) expect(i).toBeLessThan(s.id);
      for (const leaf of leaves(s.plan)) {
        expect(['MemoryScan', 'ExchangeRead', 'MergeGather']).toContain(leaf.kind);
        if (leaf.kind === 'ExchangeRead' || leaf.kind === 'MergeGather') {
          expect(s.inputs).toContain(leaf.stageId);
          expect(leaf.producerTasks).toBe(dag.stages[leaf.stageId]!.tasks);
        }
      }
      expect(JSON.stringify(s.plan)).not.toContain('"Exchange"');
    }
    const root = dag.stages[dag.rootStageId]!;
    expect(root.tasks).toBe(1);
    expect(leaves(root.plan).map((l) => l.kind)).toEqual(['MergeGather']);
    const sortStage = dag.stages[root.inputs[0]!]!;
    expect(sortStage.plan.kind).toBe('Sort');
    expect(dag.stages[sortStage.inputs[0]!]!.output.kind).toBe('range');
  });

  it('stage plans survive serialization (bigint literals included)', async () => {
    const dag = await dagOf('select a, sum(k) from t where k > 20000000000 group by a');
    for (const s of dag.stages) expect(deserializePlan(serializePlan(s.plan))).toEqual(s.plan);
  });

  it('a plan without exchanges is one stage', async () => {
    const config = testConfig();
    const plan = await singleNodePlan('select a from t', catalog, config);
    const dag = cutStages(plan, { distribute: false, guard: 'small_input', reason: 'tiny', workers: 2, scanUnits: 6, scanBytes: 10, forced: false });
    expect(dag.stages.length).toBe(1);
    expect(dag.stages[0]!.plan).toBe(plan);
  });
});

describe('explainStageDag', () => {
  it('prints stages with tasks, exchanges and the guard decision', async () => {
    const text = explainStageDag(await dagOf('select a, count(*) from t group by a', 2));
    expect(text).toMatch(/^Distributed plan: 3 stages; distributed over 2 workers \(force_distribution overrides/);
    expect(text).toMatch(/Stage 2: 1 task, output result reads stage 1/);
    expect(text).toMatch(/Stage 1: 2 tasks, output single reads stage 0/);
    expect(text).toMatch(/Stage 0: 2 tasks, output hash\(a; 2\)/);
    expect(text).toMatch(/ExchangeRead stage=0 hash\(a; 2\) from 2 tasks/);
    const local = explainStageDag(await dagOf('select a from t', 2, { force_distribution: false }));
    expect(local).toMatch(/^Local plan \(guard few_scan_units fired\)|^Local plan \(guard small_input fired\)/);
  });
});
