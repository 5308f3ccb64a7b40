import { describe, expect, it } from 'vitest';
import { optimize } from '../../../src/plan/optimizer/index.js';
import { joinReorder } from '../../../src/plan/optimizer/join_reorder.js';
import { createPhysicalPlan } from '../../../src/plan/physical_planner.js';
import { childrenOf, type PhysicalPlan } from '../../../src/plan/physical.js';
import { outputColumns } from '../../../src/plan/logical.js';
import { DEFAULT_CONFIG } from '../../../src/config.js';
import { and, Builder, cross, eq, filter, join, lit, shape } from '../builders.js';

function physicalNodes(p: PhysicalPlan): PhysicalPlan[] {
  return [p, ...childrenOf(p).flatMap(physicalNodes)];
}

function fourTables() {
  const b = new Builder();
  const nation = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' }, 25);
  const lineitem = b.table('lineitem', { l_orderkey: 'int32', l_extendedprice: 'float64' }, 60175);
  const customer = b.table('customer', { c_custkey: 'int32', c_nationkey: 'int32' }, 1500);
  const orders = b.table('orders', { o_orderkey: 'int32', o_custkey: 'int32' }, 15000);
  // FROM nation, lineitem, customer, orders: the written order makes cross products.
  const where = and(eq(lineitem.r('l_orderkey'), orders.r('o_orderkey')), eq(orders.r('o_custkey'), customer.r('c_custkey')), eq(customer.r('c_nationkey'), nation.r('n_nationkey')));
  const plan = filter(cross(nation.plan, lineitem.plan, customer.plan, orders.plan), and(where, eq(nation.r('n_name'), lit('FRANCE', 'utf8'))));
  return { b, nation, lineitem, customer, orders, plan };
}

describe('join reordering', () => {
  it('orders a 4-table comma join from the largest table along equi-join edges', () => {
    const { b, plan } = fourTables();
    const out = optimize(plan, b.ids);
    // lineitem probes orders, then customer, then nation: every join has an equality.
    const joins = [];
    let n = out;
    while (n.kind === 'Project' || n.kind === 'Join') {
      if (n.kind === 'Join') { joins.push(n); n = n.left; } else n = n.input;
    }
    expect(joins).toHaveLength(3);
    for (const j of joins) expect(j.condition).not.toBeNull();
    expect(shape(n)).toBe('Scan:lineitem');
    const rights = joins.map((j) => shape(j.right)).reverse();
    expect(rights).toEqual(['Scan:orders', 'Scan:customer', 'Scan:nation']);
    expect(outputColumns(out).map((c) => c.name)).toEqual(outputColumns(plan).map((c) => c.name));
  });

  it('produces only hash joins (no NestedLoopJoin) for that query', () => {
    const { b, plan } = fourTables();
    const physical = createPhysicalPlan(optimize(plan, b.ids), { config: { ...DEFAULT_CONFIG }, memoryTables: new Map() });
    const kinds = physicalNodes(physical).map((p) => p.kind);
    expect(kinds.filter((k) => k === 'HashJoin')).toHaveLength(3);
    expect(kinds).not.toContain('NestedLoopJoin');
  });

  it('joins the smallest connected relation next and restores the output column order', () => {
    const b = new Builder();
    const big = b.table('big', { k1: 'int32', k2: 'int32' }, 100000);
    const mid = b.table('mid', { k1: 'int32' }, 5000);
    const small = b.table('small', { k2: 'int32' }, 10);
    const plan = join(join(small.plan, mid.plan), big.plan, 'inner', and(eq(big.r('k1'), mid.r('k1')), eq(big.r('k2'), small.r('k2'))));
    const out = joinReorder(plan);
    expect(shape(out)).toBe('Project(Join[inner](Join[inner](Scan:big,Scan:small),Scan:mid))');
    expect(outputColumns(out)).toEqual(outputColumns(plan));
  });

  it('makes a cross product only when no edge connects the rest', () => {
    const b = new Builder();
    const x = b.table('x', { a: 'int32' }, 100);
    const y = b.table('y', { a: 'int32' }, 50);
    const z = b.table('z', { q: 'int32' }, 7);
    const out = joinReorder(join(join(x.plan, z.plan), y.plan, 'inner', eq(x.r('a'), y.r('a'))));
    expect(shape(out)).toBe('Project(Join[inner](Join[inner](Scan:x,Scan:y),Scan:z))');
    if (out.kind !== 'Project' || out.input.kind !== 'Join' || out.input.left.kind !== 'Join') throw new Error('shape');
    expect(out.input.condition).toBeNull();
    expect(out.input.left.condition).toEqual(eq(x.r('a'), y.r('a')));
  });

  it('leaves two-way joins and outer joins in place', () => {
    const b = new Builder();
    const x = b.table('x', { a: 'int32' }, 10);
    const y = b.table('y', { a: 'int32' }, 50);
    const two = join(x.plan, y.plan, 'inner', eq(x.r('a'), y.r('a')));
    expect(joinReorder(two)).toEqual(two);
    const z = b.table('z', { a: 'int32' }, 5000);
    const outer = join(join(x.plan, y.plan, 'left', eq(x.r('a'), y.r('a'))), z.plan, 'left', eq(x.r('a'), z.r('a')));
    expect(joinReorder(outer)).toEqual(outer);
  });
});
