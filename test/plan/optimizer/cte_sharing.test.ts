/**
 * cte_sharing + shared_subplans: which WITH queries stay shared after optimizing, how their
 * readers are counted, how a shared plan is narrowed to what its readers read, and how the
 * distributed planner inlines shared subplans into every reader.
 */
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/common/config.js';
import { inlineSharedSubplans } from '../../../src/distributed/inline_shared.js';
import { logicalChildren, outputColumns, type LogicalPlan, type SharedCte } from '../../../src/plan/logical.js';
import { optimize } from '../../../src/plan/optimizer/index.js';
import { createPhysicalPlan } from '../../../src/plan/physical_planner.js';
import { planNodes } from '../../../src/plan/physical_tree.js';
import type { PhysicalPlan } from '../../../src/plan/physical.js';
import { planQuery } from '../../../src/sql/statement.js';
import { smallCatalog, testEnv } from '../../sql/fixtures.js';

async function optimized(sql: string): Promise<LogicalPlan> {
  const q = await planQuery(sql, smallCatalog(), testEnv());
  return optimize(q.plan, q.ids);
}

/** Every node of the plan and of the shared plans it reads (each once). */
function nodes(p: LogicalPlan): LogicalPlan[] {
  const out: LogicalPlan[] = [];
  const seen = new Set<SharedCte>();
  const walk = (n: LogicalPlan): void => {
    out.push(n);
    if (n.kind === 'SharedScan' && !seen.has(n.cte)) { seen.add(n.cte); walk(n.cte.plan); }
    logicalChildren(n).forEach(walk);
  };
  walk(p);
  return out;
}

const readers = (p: LogicalPlan) => nodes(p).flatMap((n) => (n.kind === 'SharedScan' ? [n] : []));

function physical(p: LogicalPlan): PhysicalPlan {
  return createPhysicalPlan(p, { config: makeConfig({}, {}), memoryTables: smallCatalog().memoryTables() });
}

describe('CTE sharing', () => {
  it('keeps an aggregating CTE read twice, and the binder plan is left as it was', async () => {
    const q = await planQuery('with g as (select a, sum(b) as s from t group by a) select * from g where s = (select max(s) from g)', smallCatalog(), testEnv());
    const bound = readers(q.plan)[0]!.cte;
    const before = bound.plan;
    const p = optimize(q.plan, q.ids);
    const r = readers(p);
    expect(r).toHaveLength(2);
    expect(r[0]!.cte).toBe(r[1]!.cte);
    expect(r[0]!.cte).not.toBe(bound);
    expect(bound.plan).toBe(before);
    expect(nodes(p).filter((n) => n.kind === 'Scan')).toHaveLength(1);
  });

  it('inlines a CTE read once (filters reach its scan) and a cheap CTE read twice (fresh ids)', async () => {
    const once = await optimized('with g as (select a, b from t where b > 1) select a from g where a = 3');
    expect(readers(once)).toHaveLength(0);
    const scan = nodes(once).find((n) => n.kind === 'Scan');
    expect(scan?.kind === 'Scan' && scan.filters.length).toBe(2);

    const twice = await optimized('with f as (select a, b from t where b > 1) select f1.a, f2.b from f f1 join f f2 on f1.a = f2.a');
    expect(readers(twice)).toHaveLength(0);
    const scans = nodes(twice).flatMap((n) => (n.kind === 'Scan' ? [n] : []));
    expect(scans).toHaveLength(2);
    const ids = scans.flatMap((s) => s.columns.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('narrows a shared plan to the columns its readers read', async () => {
    const p = await optimized('with g as (select a, sum(b) as s, count(*) as n, min(d) as m from t group by a) select g1.a, g2.s from g g1, g g2 where g1.a = g2.a');
    const cte = readers(p)[0]!.cte;
    expect(outputColumns(cte.plan).map((c) => c.name)).toEqual(['a', 's']);
    const agg = nodes(cte.plan).find((n) => n.kind === 'Aggregate');
    expect(agg?.kind === 'Aggregate' && agg.aggregates.map((a) => a.fn)).toEqual(['sum']);
  });

  it('counts readers inside other shared CTEs, and plans each shared CTE once', async () => {
    const p = await optimized(`with g as (select a, count(*) as n from t group by a),
      h as (select g1.a, g2.n from g g1 join g g2 on g1.a = g2.a)
      select * from h union all select * from h`);
    const names = readers(p).map((r) => r.cte.name).sort();
    expect(names).toEqual(['g', 'g', 'h', 'h']);
    const plan = physical(p);
    expect(plan.kind).toBe('SharedSubplans');
    if (plan.kind !== 'SharedSubplans') return;
    expect(plan.shared.map((s) => `${s.name}:${s.readers}`).sort()).toEqual(['g:2', 'h:2']);
    expect(planNodes(plan).filter((n) => n.kind === 'MemoryScan')).toHaveLength(1);

    // Distributed: every reader gets its own copy, node ids stay unique.
    const inlined = inlineSharedSubplans(plan);
    const all = planNodes(inlined);
    expect(all.some((n) => n.kind === 'SharedRead' || n.kind === 'SharedSubplans')).toBe(false);
    expect(all.filter((n) => n.kind === 'MemoryScan')).toHaveLength(4);
    expect(new Set(all.map((n) => n.id)).size).toBe(all.length);
  });

  it('a CTE only read by a CTE that is inlined is counted at the inlined copies', async () => {
    // h is read once (inlined), so g's two readers inside h both land in the main plan.
    const p = await optimized(`with g as (select a, count(*) as n from t group by a),
      h as (select g1.a, g2.n from g g1 join g g2 on g1.a = g2.a)
      select * from h`);
    expect(readers(p).map((r) => r.cte.name)).toEqual(['g', 'g']);
  });
});
