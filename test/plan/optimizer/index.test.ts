import { describe, expect, it } from 'vitest';
import { optimize, OPTIMIZER_PASSES } from '../../../src/plan/optimizer/index.js';
import { createPhysicalPlan } from '../../../src/plan/physical_planner.js';
import { explainPhysical } from '../../../src/plan/explain.js';
import { childrenOf, type PhysicalPlan } from '../../../src/plan/physical.js';
import { outputColumns, type LogicalPlan } from '../../../src/plan/logical.js';
import { DEFAULT_CONFIG } from '../../../src/common/config.js';
import { and, Builder, cross, eq, filter, gt, lit, ne, nodes, not } from '../builders.js';

function physicalNodes(p: PhysicalPlan): PhysicalPlan[] {
  return [p, ...childrenOf(p).flatMap(physicalNodes)];
}

describe('optimize', () => {
  it('runs the passes in the documented order, decorrelation first', () => {
    expect(OPTIMIZER_PASSES.map((p) => p.name)).toEqual([
      'decorrelate', 'constant_folding', 'or_factoring', 'or_implied_filters', 'join_extraction', 'predicate_pushdown', 'join_reorder', 'projection_pruning',
    ]);
  });

  it('plans a TPC-H Q21-shaped query with hash joins only (EXISTS / NOT EXISTS with a <> residual)', () => {
    const b = new Builder();
    const s = b.table('supplier', { s_suppkey: 'int32', s_name: 'utf8', s_nationkey: 'int32' }, 100);
    const l1 = b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32', l_receiptdate: 'date32', l_commitdate: 'date32' }, 60175);
    const o = b.table('orders', { o_orderkey: 'int32', o_orderstatus: 'utf8' }, 15000);
    const n = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' }, 25);
    const l2 = b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32' }, 60175);
    const l3 = b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32', l_receiptdate: 'date32', l_commitdate: 'date32' }, 60175);
    const exists: LogicalPlan = b.project(filter(l2.plan, and(eq(l2.r('l_orderkey'), l1.r('l_orderkey')), ne(l2.r('l_suppkey'), l1.r('l_suppkey')))), [['l_orderkey', l2.r('l_orderkey')]]);
    const notExists: LogicalPlan = filter(l3.plan, and(eq(l3.r('l_orderkey'), l1.r('l_orderkey')), ne(l3.r('l_suppkey'), l1.r('l_suppkey')), gt(l3.r('l_receiptdate'), l3.r('l_commitdate'))));
    const where = and(
      eq(s.r('s_suppkey'), l1.r('l_suppkey')), eq(o.r('o_orderkey'), l1.r('l_orderkey')), eq(o.r('o_orderstatus'), lit('F', 'utf8')),
      gt(l1.r('l_receiptdate'), l1.r('l_commitdate')),
      { kind: 'exists', plan: exists, negated: false, type: 'bool' },
      not({ kind: 'exists', plan: notExists, negated: false, type: 'bool' }),
      eq(s.r('s_nationkey'), n.r('n_nationkey')), eq(n.r('n_name'), lit('SAUDI ARABIA', 'utf8')),
    );
    const agg = b.aggregate(filter(cross(s.plan, l1.plan, o.plan, n.plan), where), [['s_name', s.r('s_name')]], [['numwait', 'count_star', null, 'int64']]);
    const optimized = optimize(agg, b.ids);
    expect(outputColumns(optimized)).toEqual(outputColumns(agg));
    // Nothing but the aggregate input's joins; every WHERE term went below the aggregate.
    expect(nodes(optimized).filter((x) => x.kind === 'Join').map((x) => (x.kind === 'Join' ? x.joinType : ''))).toEqual(['anti', 'semi', 'inner', 'inner', 'inner']);
    const physical = createPhysicalPlan(optimized, { config: { ...DEFAULT_CONFIG }, memoryTables: new Map() });
    const all = physicalNodes(physical);
    expect(all.filter((x) => x.kind === 'NestedLoopJoin')).toEqual([]);
    const anti = all.find((x) => x.kind === 'HashJoin' && x.joinType === 'anti');
    expect(anti?.kind === 'HashJoin' && anti.filter !== null).toBe(true);
    // Scans read only what the query needs.
    const scanCols = all.flatMap((x) => (x.kind === 'ParquetScan' ? [`${x.table}:${x.columns.join(',')}`] : [])).sort();
    expect(scanCols).toEqual([
      'lineitem:l_orderkey,l_suppkey',
      'lineitem:l_orderkey,l_suppkey,l_receiptdate,l_commitdate',
      'lineitem:l_orderkey,l_suppkey,l_receiptdate,l_commitdate',
      'nation:n_nationkey,n_name',
      'orders:o_orderkey,o_orderstatus',
      'supplier:s_suppkey,s_name,s_nationkey',
    ]);
    expect(explainPhysical(physical)).toContain('HashJoin[anti] on l_orderkey = l_orderkey filter=l_suppkey <> l_suppkey');
  });

  it('plans a correlated scalar subquery (TPC-H Q17 shape) as a left hash join against a grouped aggregate', () => {
    const b = new Builder();
    const l = b.table('lineitem', { l_partkey: 'int32', l_quantity: 'float64', l_extendedprice: 'float64' }, 60175);
    const p = b.table('part', { p_partkey: 'int32', p_brand: 'utf8' }, 2000);
    const l2 = b.table('lineitem', { l_partkey: 'int32', l_quantity: 'float64' }, 60175);
    const inner = b.aggregate(filter(l2.plan, eq(l2.r('l_partkey'), p.r('p_partkey'))), [], [['a', 'avg', l2.r('l_quantity'), 'float64']]);
    const where = and(eq(p.r('p_partkey'), l.r('l_partkey')), eq(p.r('p_brand'), lit('Brand#23', 'utf8')),
      { kind: 'binary', op: '<', left: l.r('l_quantity'), right: { kind: 'scalar_subquery', plan: inner, type: 'float64' }, type: 'bool' });
    const q = b.aggregate(filter(cross(l.plan, p.plan), where), [], [['s', 'sum', l.r('l_extendedprice'), 'float64']]);
    const physical = createPhysicalPlan(optimize(q, b.ids), { config: { ...DEFAULT_CONFIG }, memoryTables: new Map() });
    const joins = physicalNodes(physical).filter((x) => x.kind === 'HashJoin' || x.kind === 'NestedLoopJoin');
    expect(joins.map((j) => j.kind)).toEqual(['HashJoin', 'HashJoin']);
    // `l_quantity < agg` rejects the NULL of a missing group, so pushdown made the left join inner.
    expect(joins.map((j) => (j.kind === 'HashJoin' ? j.joinType : ''))).toEqual(['inner', 'inner']);
    expect(explainPhysical(physical)).toContain('filter=l_quantity < a');
  });
});
