/**
 * Adaptive joins: a join planned partitioned (its build side estimated over the broadcast
 * limit) switches to broadcast when the build side's stage measures under the limit, and
 * stays partitioned when it does not; a join planned broadcast whose build side turns out far
 * larger goes back to partitioned. The answer is the single-node one either way, and
 * EXPLAIN ANALYZE's stage DAG reports the switch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/common/config.js';
import { field } from '../../src/common/types.js';
import { adaptiveJoins } from '../../src/distributed/adaptive_join.js';
import { planStageDag } from '../../src/distributed/distribute.js';
import { explainStageDag, type StageDag } from '../../src/distributed/stage.js';
import type { ExchangeReadNode, HashJoinNode } from '../../src/plan/physical.js';
import { planNodes } from '../../src/plan/physical_tree.js';
import { diffResults } from '../../src/testing/index.js';
import { catalogOf, cells, memoryTable, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

// a: 3000 probe rows; b: 1000 build rows with w = 0..999, so `w < x` keeps x of them while the
// estimate guesses a third (range selectivity 0.33) whatever x is.
const a = memoryTable({ name: 'a', fields: [field('k', 'int32'), field('v', 'int32')], rows: Array.from({ length: 3000 }, (_v, i) => [i % 1000, i]) }, [250]);
const b = memoryTable({
  name: 'b', fields: [field('k', 'int32'), field('w', 'int32'), field('z', 'int32')], rows: Array.from({ length: 1000 }, (_v, i) => [(i * 7) % 1000, i, 0]),
}, [100]);
const catalog = catalogOf([a, b]);

/** Estimated build side: 330 rows × 10 bytes = 3.3 KB; measured: x rows of two int32 columns (~10 bytes each). */
const sql = (x: number) => `select a.v, b.w from a join b on a.k = b.k where b.w < ${x}`;

function config(overrides: Partial<Config> = {}): Config {
  return testConfig({ force_distribution: true, target_partitions: 3, broadcast_threshold: 2000, ...overrides });
}

function theJoin(dag: StageDag): HashJoinNode {
  const joins = dag.stages.flatMap((s) => planNodes(s.plan)).filter((n): n is HashJoinNode => n.kind === 'HashJoin');
  expect(joins.length).toBe(1);
  return joins[0]!;
}

async function run(x: number | string, cfg: Config) {
  const plan = await singleNodePlan(typeof x === 'string' ? x : sql(x), catalog, cfg);
  const expected = cells(await runSingle(plan, catalog, cfg));
  const planned = await planStageDag(plan, { config: cfg, workers: 3, memoryTables: catalog.memoryTables() });
  const plannedStages = planned.stages.length;
  const { dag, result } = await runDistributed(plan, catalog, cfg, 3);
  expect(diffResults(cells(result.batches), expected)).toBeNull();
  return { dag, result, plannedStages, planned };
}

describe('adaptive join', () => {
  it('is planned partitioned with an open decision', async () => {
    const { planned } = await run(20, config());
    const join = theJoin(planned);
    expect(join.distribution).toBe('partitioned');
    expect(join.strategy?.adaptive?.limitBytes).toBe(2000);
    expect(adaptiveJoins(planned).length).toBe(1);
    expect(explainStageDag(planned)).toMatch(/strategy=partitioned \(auto: B=3\.2 KiB ≥ broadcast_threshold=2\.0 KiB \(P=[\d.]+ KiB, N=3\); adaptive: broadcast instead if the build side measures under broadcast_threshold=2\.0 KiB\)/);
  });

  it('switches to broadcast when the measured build side is under the limit', async () => {
    const { dag, result, plannedStages } = await run(20, config());
    const join = theJoin(dag);
    expect(join.distribution).toBe('broadcast');
    expect(join.strategy?.kind).toBe('broadcast');
    expect(join.strategy?.switched).toMatch(/^adaptive: partitioned → broadcast \(measured B=\d+ B < broadcast_threshold=2\.0 KiB\)$/);
    // The probe side's shuffle stage never ran: the join stage reads the scan directly.
    expect(dag.stages.length).toBe(plannedStages - 1);
    expect(result.stages.length).toBe(plannedStages - 1);
    expect(join.left.kind).not.toBe('ExchangeRead');
    const text = explainStageDag(dag, result.metrics, result.stages);
    expect(text).toMatch(/HashJoin\[inner\] on k = k build=right strategy=broadcast \(adaptive: partitioned → broadcast \(measured B=\d+ B < broadcast_threshold=2\.0 KiB\); planned: auto: B=3\.2 KiB ≥ broadcast_threshold=2\.0 KiB \(P=[\d.]+ KiB, N=3\)\)/);
  });

  it('stays partitioned when the measured build side is over the limit', async () => {
    const { dag, result, plannedStages } = await run(900, config());
    const join = theJoin(dag);
    expect(join.distribution).toBe('partitioned');
    expect(join.strategy?.switched).toMatch(/^adaptive: stayed partitioned \(measured B=\d+(\.\d)? KiB ≥ broadcast_threshold=2\.0 KiB\)$/);
    expect(result.stages.length).toBe(plannedStages);
  });

  it('never switches with adaptive_join off, nor when nothing may be broadcast', async () => {
    for (const cfg of [config({ adaptive_join: false }), config({ broadcast_threshold: 0 })]) {
      const { dag, plannedStages } = await run(20, cfg);
      const join = theJoin(dag);
      expect(join.distribution).toBe('partitioned');
      expect(join.strategy?.switched).toBeUndefined();
      expect(dag.stages.length).toBe(plannedStages);
    }
  });

  it('is not offered where the stage above relies on the join being hash-partitioned', async () => {
    // GROUP BY the join key runs in place over the partitioned join's output.
    const cfg = config();
    const plan = await singleNodePlan('select a.k, count(*) from a join b on a.k = b.k where b.w < 20 group by a.k', catalog, cfg);
    const dag = await planStageDag(plan, { config: cfg, workers: 3, memoryTables: catalog.memoryTables() });
    expect(theJoin(dag).strategy?.adaptive).toBeDefined();
    expect(adaptiveJoins(dag)).toEqual([]);
    const expected = cells(await runSingle(plan, catalog, cfg));
    const { dag: ran, result } = await runDistributed(plan, catalog, cfg, 3);
    expect(diffResults(cells(result.batches), expected)).toBeNull();
    expect(theJoin(ran).distribution).toBe('partitioned');
  });

  // `z = 0` holds for every row of b, but without statistics the estimate keeps a tenth:
  // 100 rows (~1 KiB), under the 2 KiB cap: planned broadcast.
  const wide = (extra: string) => `select a.v, b.w from a join b on a.k = b.k where b.z = 0${extra}`;

  it('goes back to partitioned when the measured build side is far over the limit', async () => {
    const { dag, result, plannedStages, planned } = await run(wide(''), config());
    expect(theJoin(planned).distribution).toBe('broadcast');
    expect(explainStageDag(planned)).toMatch(/strategy=broadcast \(auto: B=[\d.]+ KiB < broadcast_threshold=2\.0 KiB \(P=[\d.]+ KiB, N=3\); adaptive: partitioned instead if the build side measures ≥ 4 × broadcast_threshold=2\.0 KiB\)/);
    const join = theJoin(dag);
    expect(join.distribution).toBe('partitioned');
    expect(join.strategy?.switched).toMatch(/^adaptive: broadcast → partitioned \(measured B=[\d.]+ KiB ≥ 4 × broadcast_threshold=2\.0 KiB\)$/);
    // Two new stages: the probe side shuffled, the build side's plan run again hashed.
    expect(dag.stages.length).toBe(plannedStages + 2);
    expect(result.stages.length).toBe(plannedStages + 2);
    expect(join.left.kind).toBe('ExchangeRead');
    expect(join.right.kind).toBe('ExchangeRead');
    const rowsIntoJoin = result.stages.filter((s) => [join.left, join.right].some((r) => r.kind === 'ExchangeRead' && r.stageId === s.stageId))
      .reduce((n, s) => n + s.rowsOut, 0);
    expect(rowsIntoJoin).toBe(3000 + 1000);
  });

  it('stays broadcast when the measured build side is not far over the limit', async () => {
    const { dag, result, plannedStages } = await run(wide(' and b.w < 300'), config());
    const join = theJoin(dag);
    expect(join.distribution).toBe('broadcast');
    expect(join.strategy?.switched).toMatch(/^adaptive: stayed broadcast \(measured B=[\d.]+ KiB < 4 × broadcast_threshold=2\.0 KiB\)$/);
    expect(result.stages.length).toBe(plannedStages);
  });

  it('switches exactly when the measured build side crosses the limit (random cut-offs and caps)', async () => {
    const seen = new Set<boolean>();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 200, max: 3200 }), async (x, cap) => {
      const cfg = config({ broadcast_threshold: cap });
      const { dag, result, planned } = await run(x, cfg);
      const plannedJoin = theJoin(planned);
      fc.pre(plannedJoin.distribution === 'partitioned' && plannedJoin.strategy?.adaptive !== undefined);
      const buildStage = (plannedJoin.right as ExchangeReadNode).stageId;
      const measured = result.stages.find((st) => st.stageId === buildStage)!.bytesOut;
      const switched = theJoin(dag).distribution === 'broadcast';
      seen.add(switched);
      expect(switched).toBe(measured < plannedJoin.strategy!.adaptive!.limitBytes);
    }), { numRuns: 12, seed: 7104 });
    expect([...seen].sort()).toEqual([false, true]); // both sides of the limit were tried
  });

  it('several joins in one query: each decided on its own, the answer unchanged', async () => {
    const three = 'select a.v, b.w, c.w from a join b on a.k = b.k join b c on c.k = a.v % 1000 where b.w < 30 and c.w < 40';
    for (const cap of [0, 300, 2000, 3000, 1 << 20]) {
      const { dag } = await run(three, config({ broadcast_threshold: cap }));
      const joins = dag.stages.flatMap((st) => planNodes(st.plan)).filter((n): n is HashJoinNode => n.kind === 'HashJoin');
      expect(joins.length).toBe(2);
      if (cap === 2000) expect(joins.some((j) => j.strategy?.switched?.startsWith('adaptive: partitioned → broadcast'))).toBe(true);
    }
  });
});
