/**
 * Forced join strategies (SET join_strategy, /*+ … *\/ hints): on random tables with NULL and
 * duplicate keys, every join type run with each strategy that can apply gives the
 * single-node answer and really runs with that strategy; a strategy that cannot apply is
 * one clear error. Colocated joins move no rows for the join itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/common/config.js';
import { field, type Scalar } from '../../src/common/types.js';
import type { StageDag } from '../../src/distributed/stage.js';
import type { StageRunStats } from '../../src/scheduler/stage_scheduler.js';
import type { HashJoinNode } from '../../src/plan/physical.js';
import { planNodes } from '../../src/plan/physical_tree.js';
import { diffResults } from '../../src/testing/index.js';
import { catalogOf, cells, memoryTable, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

const key = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 6 }));
const rows = fc.array(fc.tuple(key, fc.integer({ min: -50, max: 50 })), { maxLength: 25 });

interface Case { a: [Scalar, Scalar][]; b: [Scalar, Scalar][]; workers: number; partitions: number; batch: number }
const caseArb: fc.Arbitrary<Case> = fc.record({
  a: rows, b: rows, workers: fc.integer({ min: 2, max: 4 }), partitions: fc.integer({ min: 0, max: 5 }), batch: fc.integer({ min: 1, max: 4 }),
});

function catalogFor(c: Case) {
  return catalogOf([
    memoryTable({ name: 'a', fields: [field('k', 'int32'), field('v', 'int32')], rows: c.a }, [c.batch]),
    memoryTable({ name: 'b', fields: [field('k', 'int32'), field('w', 'int32')], rows: c.b }, [c.batch + 1]),
  ]);
}

function hashJoins(dag: StageDag): HashJoinNode[] {
  return dag.stages.flatMap((s) => planNodes(s.plan)).filter((n): n is HashJoinNode => n.kind === 'HashJoin');
}

/** Run `sql` both ways under `overrides`; returns the distributed run's joins (or throws the planning error). */
async function check(sql: string, c: Case, overrides: Partial<Config>): Promise<HashJoinNode[]> {
  const catalog = catalogFor(c);
  const base = testConfig({ force_distribution: true, target_partitions: c.partitions, adaptive_join: false });
  const config = testConfig({ ...base, ...overrides });
  const expected = cells(await runSingle(await singleNodePlan(sql.replace(/\/\*\+[^*]*\*\//g, ''), catalog, base), catalog, base));
  const plan = await singleNodePlan(sql, catalog, config);
  const { dag, result } = await runDistributed(plan, catalog, config, c.workers);
  const diff = diffResults(cells(result.batches), expected);
  if (diff !== null) throw new Error(`${sql} with ${JSON.stringify(overrides)} differs:\n${diff}`);
  return hashJoins(dag);
}

const JOINS = {
  inner: 'select a.k, a.v, b.w from a join b on a.k = b.k',
  left: 'select a.k, a.v, b.w from a left join b on a.k = b.k',
  right: 'select a.k, a.v, b.w from a right join b on a.k = b.k',
  full: 'select a.k, a.v, b.k, b.w from a full join b on a.k = b.k',
  semi: 'select a.k, a.v from a where exists (select 1 from b where b.k = a.k)',
  anti: 'select a.k, a.v from a where not exists (select 1 from b where b.k = a.k)',
} as const;

/** Colocated: both inputs grouped by the join key, so both arrive hash-partitioned on it. */
const GROUPED = {
  inner: 'select x.k, x.s, y.c from (select k, sum(v) s from a group by k) x join (select k, count(*) c from b group by k) y on x.k = y.k',
  left: 'select x.k, x.s, y.c from (select k, sum(v) s from a group by k) x left join (select k, count(*) c from b group by k) y on x.k = y.k',
  full: 'select x.k, x.s, y.k, y.c from (select k, sum(v) s from a group by k) x full join (select k, count(*) c from b group by k) y on x.k = y.k',
  semi: 'select x.k, x.s from (select k, sum(v) s from a group by k) x where exists (select 1 from (select k from b group by k) y where y.k = x.k)',
} as const;

function hinted(sql: string, hint: string): string {
  return sql.replace(/^select /, `select /*+ ${hint} */ `);
}

describe('forced join strategies give the single-node answer', () => {
  it('partitioned (SET) and broadcast (SET and hints) for every join type that allows them', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      for (const [type, sql] of Object.entries(JOINS)) {
        const part = await check(sql, c, { join_strategy: 'partitioned' });
        expect(part.map((j) => j.strategy?.kind)).toEqual(['partitioned']);
        if (type !== 'full') {
          const bc = await check(sql, c, { join_strategy: 'broadcast' });
          expect(bc.map((j) => j.strategy?.kind)).toEqual(['broadcast']);
        }
        // The hint names the non-preserved input: b, except for a RIGHT JOIN (a).
        if (type !== 'full') {
          const h = await check(hinted(sql, type === 'right' ? 'BROADCAST(a)' : 'BROADCAST(b)'), c, {});
          expect(h.map((j) => [j.strategy?.kind, j.strategy?.reason])).toEqual([['broadcast', `forced by hint BROADCAST(${type === 'right' ? 'a' : 'b'})`]]);
        }
        if (type === 'inner') {
          // Broadcasting the left input of an inner join builds it (the inputs swap).
          const ha = await check(hinted(sql, 'BROADCAST(a)'), c, {});
          expect(ha.map((j) => [j.strategy?.kind, j.right.schema.fields.map((f) => f.name)])).toEqual([['broadcast', ['k', 'v']]]);
        }
        const hp = await check(hinted(sql, 'PARTITIONED(a)'), c, { join_strategy: 'broadcast' });
        expect(hp.map((j) => j.strategy?.kind)).toEqual(['partitioned']);
      }
    }), { numRuns: 6, seed: 7101 });
  });

  it('colocated on inputs already hash-partitioned on the keys', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      for (const sql of Object.values(GROUPED)) {
        for (const forced of [{ join_strategy: 'colocated' as const }, { join_strategy: 'partitioned' as const }, {}]) {
          const joins = await check(sql, c, forced);
          // An input with one partition (an empty table is one scan unit) makes a one-task join: no strategy.
          expect(joins.map((j) => (j.partitions === 1 ? 'one task' : j.strategy?.kind))).toEqual([joins[0]!.partitions === 1 ? 'one task' : 'colocated']);
        }
        const h = await check(hinted(sql, 'COLOCATED(a)'), c, {});
        if (h[0]!.partitions > 1) expect(h[0]!.strategy!.reason).toBe('forced by hint COLOCATED(a)');
      }
    }), { numRuns: 4, seed: 7102 });
  });

  it('NOT IN (null-aware anti join) is always broadcast', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const joins = await check('select a.k, a.v from a where a.k not in (select k from b)', c, {});
      expect(joins.map((j) => j.strategy?.kind)).toEqual(['broadcast']);
    }), { numRuns: 6, seed: 7103 });
  });
});

describe('a strategy that cannot apply is one clear error', () => {
  const c: Case = { a: [[1, 1], [null, 2]], b: [[1, 3], [2, 4]], workers: 3, partitions: 3, batch: 1 };
  const fails = async (sql: string, overrides: Partial<Config>, message: RegExp) => {
    await expect(check(sql, c, overrides)).rejects.toThrow(message);
  };

  it('broadcasting a preserved side', async () => {
    await fails(hinted(JOINS.left, 'BROADCAST(a)'), {}, /join hint BROADCAST\(a\) cannot apply: a is the preserved side of the LEFT JOIN/);
    await fails(hinted(JOINS.right, 'BROADCAST(b)'), {}, /join hint BROADCAST\(b\) cannot apply: b is the preserved side of the RIGHT JOIN/);
    await fails(hinted(JOINS.full, 'BROADCAST(b)'), {}, /join hint BROADCAST\(b\) cannot apply to a FULL JOIN: both inputs are preserved/);
    await fails(JOINS.full, { join_strategy: 'broadcast' }, /SET join_strategy = broadcast cannot apply to a FULL JOIN/);
    await fails(hinted(JOINS.semi, 'BROADCAST(a)'), {}, /a is the outer side of a semi join/);
  });

  it('colocated on inputs not partitioned on the keys', async () => {
    await fails(JOINS.inner, { join_strategy: 'colocated' }, /SET join_strategy = colocated cannot apply: neither input is already hash-partitioned on the join keys/);
    await fails(hinted(JOINS.inner, 'COLOCATED(b)'), {}, /join hint COLOCATED\(b\) cannot apply/);
  });

  it('SET join_strategy governs hash joins only: a nested loop join (no equality) runs as before', async () => {
    for (const join_strategy of ['broadcast', 'partitioned', 'colocated'] as const) {
      expect(await check('select a.k, b.k from a full join b on a.k < b.k', c, { join_strategy })).toEqual([]);
    }
    await fails(hinted('select a.k, b.k from a join b on a.k < b.k', 'PARTITIONED(b)'), {}, /join hint PARTITIONED\(b\) cannot apply: the join has no equality between its inputs/);
  });

  it('NOT IN cannot be partitioned', async () => {
    await fails('select a.k from a where a.k not in (select k from b)', { join_strategy: 'partitioned' }, /cannot apply to NOT IN/);
  });

  it('bad hints and settings', async () => {
    await fails(hinted(JOINS.inner, 'BROADCAST(zz)'), {}, /join hint BROADCAST\(zz\): the query reads no table or alias "zz"/);
    await fails(hinted(JOINS.inner, 'SMALL(b)'), {}, /unknown hint SMALL; expected BROADCAST, PARTITIONED or COLOCATED/);
    await fails(hinted(JOINS.inner, 'BROADCAST(a) BROADCAST(b)'), {}, /a join broadcasts one input only/);
    await fails(hinted(JOINS.inner, 'BROADCAST(a) PARTITIONED(b)'), {}, /different strategies for one join/);
    await fails(hinted('select k from a', 'BROADCAST(a)'), {}, /BROADCAST\(a\) cannot apply: a is not a whole input of any join/);
    expect(() => testConfig()).not.toThrow();
    const { applySetting } = await import('../../src/common/config.js');
    expect(() => applySetting(testConfig(), 'join_strategy', 'shuffle_hash')).toThrow(/invalid value "shuffle_hash" for join_strategy: expected auto, broadcast, partitioned, colocated/);
  });
});

/** Bytes the stages feeding the join directly (through Filter/Projection) sent: the join's own shuffle. */
function joinShuffleBytes(join: HashJoinNode, stats: readonly StageRunStats[]): number {
  let bytes = 0;
  for (let side of [join.left, join.right]) {
    while (side.kind === 'Filter' || side.kind === 'Projection') side = side.input;
    if (side.kind === 'ExchangeRead') bytes += stats.find((s) => s.stageId === side.stageId)!.bytesOut;
  }
  return bytes;
}

describe('colocated joins move nothing for the join', () => {
  it('zero shuffle bytes for a colocated join; the partitioned join of the same rows moves them', async () => {
    const c: Case = {
      a: Array.from({ length: 40 }, (_v, i) => [i % 7, i] as [Scalar, Scalar]),
      b: Array.from({ length: 30 }, (_v, i) => [i % 5, i] as [Scalar, Scalar]),
      workers: 3, partitions: 3, batch: 4,
    };
    const catalog = catalogFor(c);
    const config = testConfig({ force_distribution: true, target_partitions: 3, join_strategy: 'colocated' });
    const { dag, result } = await runDistributed(await singleNodePlan(GROUPED.inner, catalog, config), catalog, config, c.workers);
    const join = hashJoins(dag)[0]!;
    expect(join.strategy!.kind).toBe('colocated');
    expect(joinShuffleBytes(join, result.stages)).toBe(0);
    // The aggregations' shuffles did run (the figures are real).
    expect(result.stages.reduce((n, s) => n + s.bytesOut, 0)).toBeGreaterThan(0);

    const partitioned = testConfig({ force_distribution: true, target_partitions: 3, join_strategy: 'partitioned' });
    const run2 = await runDistributed(await singleNodePlan(JOINS.inner, catalog, partitioned), catalog, partitioned, c.workers);
    const join2 = hashJoins(run2.dag)[0]!;
    expect(join2.strategy!.kind).toBe('partitioned');
    expect(joinShuffleBytes(join2, run2.result.stages)).toBeGreaterThan(0);
    const rowsIn = run2.result.stages.filter((s) => planNodes(join2).some((n) => n.kind === 'ExchangeRead' && n.stageId === s.stageId));
    expect(rowsIn.reduce((n, s) => n + s.rowsOut, 0)).toBe(70);
  });
});
