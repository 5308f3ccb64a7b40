import { describe, expect, it } from 'vitest';
import { optimize } from '../../../src/plan/optimizer/index.js';
import { joinReorder } from '../../../src/plan/optimizer/join_reorder.js';
import { createPhysicalPlan } from '../../../src/plan/physical_planner.js';
import { childrenOf, type PhysicalPlan } from '../../../src/plan/physical.js';
import { outputColumns, type LogicalPlan } from '../../../src/plan/logical.js';
import { estimateRows } from '../../../src/plan/estimate.js';
import { DEFAULT_CONFIG } from '../../../src/common/config.js';
import { and, bin, Builder, cross, eq, filter, join, lit, lt, shape, tableOf, type Table } from '../builders.js';

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

/** The leftmost leaf and the right inputs of a left-deep join tree, bottom-up (Projects skipped). */
function leftDeep(p: LogicalPlan): { first: string; rights: string[]; joins: Extract<LogicalPlan, { kind: 'Join' }>[] } {
  const joins: Extract<LogicalPlan, { kind: 'Join' }>[] = [];
  let n = p;
  while (n.kind === 'Project' || n.kind === 'Join') {
    if (n.kind === 'Join') { joins.push(n); n = n.left; } else n = n.input;
  }
  joins.reverse();
  return { first: shape(n), rights: joins.map((j) => shape(j.right)), joins };
}

/** The table with distinct-value counts on some columns, as the binder sets them from statistics. */
function withNdv(t: Table, ndv: Record<string, number>): Table {
  return tableOf({ ...t.plan, columns: t.plan.columns.map((c) => (ndv[c.name] === undefined ? c : { ...c, ndv: ndv[c.name] })) });
}

/**
 * TPC-H Q5 at SF 0.01 after join extraction and predicate pushdown, with the distinct counts
 * the Parquet min/max give: customer ⋈ supplier on nationkey is many-to-many.
 */
function q5(withRegionFilter: boolean) {
  const b = new Builder();
  const region = withNdv(b.table('region', { r_regionkey: 'int32', r_name: 'utf8' }, 5), { r_regionkey: 5 });
  const nation = withNdv(b.table('nation', { n_nationkey: 'int32', n_regionkey: 'int32' }, 25), { n_nationkey: 25, n_regionkey: 5 });
  const supplier = withNdv(b.table('supplier', { s_suppkey: 'int32', s_nationkey: 'int32' }, 100), { s_suppkey: 100, s_nationkey: 25 });
  const customer = withNdv(b.table('customer', { c_custkey: 'int32', c_nationkey: 'int32' }, 1500), { c_custkey: 1500, c_nationkey: 25 });
  const orders = withNdv(b.table('orders', { o_orderkey: 'int32', o_custkey: 'int32', o_orderdate: 'date32' }, 15000), { o_orderkey: 15000, o_custkey: 1499, o_orderdate: 2406 });
  const lineitem = withNdv(b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32' }, 60175), { l_orderkey: 59999, l_suppkey: 100 });
  const oneYear = [bin('>=', orders.r('o_orderdate'), lit(8766, 'date32')), lt(orders.r('o_orderdate'), lit(9131, 'date32'))];
  const asia = eq(region.r('r_name'), lit('ASIA', 'utf8'));
  const leaves = [
    customer.plan, { ...orders.plan, filters: oneYear }, lineitem.plan, supplier.plan, nation.plan,
    withRegionFilter ? { ...region.plan, filters: [asia] } : region.plan,
  ];
  const where = and(
    eq(customer.r('c_custkey'), orders.r('o_custkey')), eq(lineitem.r('l_orderkey'), orders.r('o_orderkey')),
    eq(lineitem.r('l_suppkey'), supplier.r('s_suppkey')), eq(customer.r('c_nationkey'), supplier.r('s_nationkey')),
    eq(supplier.r('s_nationkey'), nation.r('n_nationkey')), eq(nation.r('n_regionkey'), region.r('r_regionkey')),
  );
  // FROM customer, orders, lineitem, supplier, nation, region: written order, all terms on top.
  const plan: LogicalPlan = { ...(cross(...leaves) as Extract<LogicalPlan, { kind: 'Join' }>), condition: where };
  return { plan, customer, orders, lineitem, supplier, nation, region };
}

describe('join reordering', () => {
  it('orders a 4-table comma join along equi-join edges, from where the joins stay smallest', () => {
    const { b, plan } = fourTables();
    const out = optimize(plan, b.ids);
    // Without statistics every equi join is key/foreign-key (the larger side's rows): starting
    // at customer ⋈ nation (FRANCE's customers) keeps every intermediate below lineitem's size.
    const { first, rights, joins } = leftDeep(out);
    expect(joins).toHaveLength(3);
    for (const j of joins) expect(j.condition).not.toBeNull();
    expect(first).toBe('Scan:customer');
    expect(rights).toEqual(['Scan:nation', 'Scan:orders', 'Scan:lineitem']);
    expect(outputColumns(out).map((c) => c.name)).toEqual(outputColumns(plan).map((c) => c.name));
  });

  it('orders TPC-H Q5 by distinct counts: customer meets only the region\'s suppliers, never lineitem', () => {
    const { plan } = q5(true);
    const out = joinReorder(plan);
    const { first, rights, joins } = leftDeep(out);
    // 5 → 20 → 1200 → 1634 estimated rows, then lineitem. The old rule (largest table first,
    // smallest relation next) built lineitem ⋈ supplier ⋈ nation ⋈ region and then joined
    // customer on s_nationkey = c_nationkey: about a million rows.
    expect([first, ...rights]).toEqual(['Scan:nation', 'Scan:region', 'Scan:supplier', 'Scan:customer', 'Scan:orders', 'Scan:lineitem']);
    expect(joins.map((j) => estimateRows(j))).toEqual([5, 20, 1200, 1634, 6555]);
    for (const j of joins) expect(j.condition).not.toBeNull();
    expect(outputColumns(out)).toEqual(outputColumns(plan));
  });

  it('joins next the relation with the smallest estimated join output, not the smallest relation', () => {
    const b = new Builder();
    // fact.k references dim (a key join: 10000 rows); fact.g = many.g is many-to-many on 10
    // values (10000·50/10 = 50000 rows). The old rule took `many` first, being the smallest.
    const fact = withNdv(b.table('fact', { k: 'int32', g: 'int32' }, 10000), { k: 100, g: 10 });
    const dim = withNdv(b.table('dim', { d: 'int32' }, 100), { d: 100 });
    const many = withNdv(b.table('many', { g2: 'int32' }, 50), { g2: 10 });
    const plan = join(join(fact.plan, many.plan), dim.plan, 'inner', and(eq(fact.r('g'), many.r('g2')), eq(fact.r('k'), dim.r('d'))));
    const { first, rights, joins } = leftDeep(joinReorder(plan));
    expect([first, ...rights]).toEqual(['Scan:fact', 'Scan:dim', 'Scan:many']);
    expect(joins.map((j) => estimateRows(j))).toEqual([10000, 50000]);
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
