import { describe, expect, it } from 'vitest';
import { distinctFromStatistics, estimateNdv, estimateRows, scaleNdv, selectivity } from '../../src/plan/estimate.js';
import type { LExpr, LogicalPlan } from '../../src/plan/logical.js';
import { and, bin, Builder, eq, filter, gt, int, join, lit, ne, tableOf, type Table } from './builders.js';

/** The table with distinct-value counts on some columns, as the binder sets them from statistics. */
function withNdv(t: Table, ndv: Record<string, number>): Table {
  return tableOf({ ...t.plan, columns: t.plan.columns.map((c) => (ndv[c.name] === undefined ? c : { ...c, ndv: ndv[c.name] })) });
}

function inList(arg: LExpr, items: number[]): LExpr {
  return { kind: 'in_list', arg, list: items.map(int), negated: false, type: 'bool' };
}

describe('row estimates', () => {
  const b = new Builder();
  const t = b.table('t', { a: 'int32', s: 'utf8' }, 1000);
  const u = b.table('u', { c: 'int32' }, 50);

  it('applies selectivity guesses to scan filters', () => {
    expect(selectivity(eq(t.r('a'), int(1)))).toBe(0.1);
    expect(selectivity(gt(t.r('a'), int(1)))).toBe(0.33);
    expect(selectivity({ kind: 'like', arg: t.r('s'), pattern: lit('%x', 'utf8'), negated: false, caseInsensitive: false, type: 'bool' })).toBe(0.25);
    expect(selectivity(bin('or', eq(t.r('a'), int(1)), eq(t.r('a'), int(2))))).toBeCloseTo(0.19);
    expect(estimateRows({ ...t.plan, filters: [eq(t.r('a'), int(1)), gt(t.r('a'), int(0))] })).toBe(33);
    expect(estimateRows({ ...t.plan, rowEstimate: 0 })).toBe(0);
  });

  it('estimates key/foreign-key equi joins as the larger side and cross joins as the product', () => {
    expect(estimateRows(join(t.plan, u.plan, 'inner', eq(t.r('a'), u.r('c'))))).toBe(1000);
    expect(estimateRows(join(u.plan, t.plan, 'inner', and(eq(t.r('a'), u.r('c')), gt(t.r('a'), int(1)))))).toBe(330);
    expect(estimateRows(join(t.plan, u.plan))).toBe(50000);
    expect(estimateRows(join(t.plan, u.plan, 'semi', eq(t.r('a'), u.r('c'))))).toBe(500);
  });

  it('estimates aggregates, limits and unions', () => {
    const agg: LogicalPlan = { kind: 'Aggregate', input: t.plan, groupBy: [], groupColumns: [], aggregates: [] };
    expect(estimateRows(agg)).toBe(1);
    expect(estimateRows({ kind: 'Limit', input: t.plan, skip: 10, fetch: 5 })).toBe(5);
    expect(estimateRows({ kind: 'Union', inputs: [t.plan, u.plan], columns: [] })).toBe(1050);
    expect(estimateRows({ kind: 'Values', columns: [], rows: [[], []] })).toBe(2);
  });
});

describe('distinct values from statistics', () => {
  it('is min(non-NULL rows, max − min + 1) for integers and dates', () => {
    expect(distinctFromStatistics('int32', { min: 0, max: 24, nullCount: 0 }, 1500)).toBe(25);
    expect(distinctFromStatistics('int32', { min: 1, max: 60000 }, 15000)).toBe(15000);
    expect(distinctFromStatistics('int32', { min: 1, max: 60000, nullCount: 1000 }, 15000)).toBe(14000);
    expect(distinctFromStatistics('int64', { min: -5n, max: 4n, nullCount: 0 }, 100)).toBe(10);
    expect(distinctFromStatistics('date32', { min: 8035, max: 10440, nullCount: 0 }, 15000)).toBe(2406);
    expect(distinctFromStatistics('int32', { min: 7, max: 7, nullCount: 0 }, 3)).toBe(1);
    expect(distinctFromStatistics('bool', { min: false, max: true }, 10)).toBe(2);
    // All NULL: still at least one, so no join estimate divides by zero.
    expect(distinctFromStatistics('int32', { min: 1, max: 5, nullCount: 9 }, 9)).toBe(1);
  });

  it('is unknown without both bounds or for other types', () => {
    expect(distinctFromStatistics('int32', undefined, 10)).toBeUndefined();
    expect(distinctFromStatistics('int32', { nullCount: 0 }, 10)).toBeUndefined();
    expect(distinctFromStatistics('int32', { min: 1, nullCount: 0 }, 10)).toBeUndefined();
    expect(distinctFromStatistics('utf8', { min: 'a', max: 'z' }, 10)).toBeUndefined();
    expect(distinctFromStatistics('float64', { min: 0, max: 1 }, 10)).toBeUndefined();
    expect(distinctFromStatistics('timestamp', { min: 0n, max: 10n }, 10)).toBeUndefined();
  });

  it('scales down with the rows a filter keeps, proportionally for keys, never below 1', () => {
    expect(scaleNdv(1000, 1000, 100)).toBeCloseTo(100);
    expect(scaleNdv(25, 1500, 150)).toBeCloseTo(25, 0);
    expect(scaleNdv(25, 1500, 150)).toBeLessThanOrEqual(25);
    expect(scaleNdv(500, 1000, 100)).toBeGreaterThan(50);
    expect(scaleNdv(500, 1000, 100)).toBeLessThanOrEqual(100);
    expect(scaleNdv(1000, 1000000, 1)).toBe(1);
    expect(scaleNdv(40, 1000, 0)).toBe(0);
    expect(scaleNdv(40, 1000, 5000)).toBe(40);
  });

  it('follows filters: equality pins a column to one value, IN to its items, others shrink', () => {
    const b = new Builder();
    const t = withNdv(b.table('t', { k: 'int32', g: 'int32', x: 'int32' }, 1000), { k: 1000, g: 20 });
    const id = (n: string): number => t.c[n]!.id;
    expect(estimateNdv(t.plan, id('k'))).toBe(1000);
    expect(estimateNdv(t.plan, id('x'))).toBeUndefined();
    // g = 3 keeps 1/20 of the rows; k (a key) keeps as many values as rows.
    const pinned = { ...t.plan, filters: [eq(t.r('g'), int(3))] };
    expect(estimateRows(pinned)).toBe(50);
    expect(estimateNdv(pinned, id('g'))).toBe(1);
    expect(estimateNdv(pinned, id('k'))).toBeCloseTo(50);
    // The same through a Filter node, with the literal on the left.
    const viaFilter = filter(t.plan, eq(int(3), t.r('g')));
    expect(estimateRows(viaFilter)).toBe(50);
    expect(estimateNdv(viaFilter, id('g'))).toBe(1);
    // IN of 4 values: 4/20 of the rows, 4 values.
    const inFour = filter(t.plan, inList(t.r('g'), [1, 2, 3, 4]));
    expect(estimateRows(inFour)).toBe(200);
    expect(estimateNdv(inFour, id('g'))).toBe(4);
    // <> a value keeps 19/20; an unknown column keeps the fixed guesses.
    expect(estimateRows(filter(t.plan, ne(t.r('g'), int(3))))).toBe(950);
    expect(estimateRows(filter(t.plan, eq(t.r('x'), int(3))))).toBe(100);
    // A range keeps 0.33 of the rows: g keeps (nearly) all its 20 values, k a third.
    const ranged = filter(t.plan, gt(t.r('x'), int(0)));
    expect(estimateNdv(ranged, id('g'))).toBeCloseTo(20, 0);
    expect(estimateNdv(ranged, id('k'))).toBeCloseTo(330);
    // Empty input: no rows, no values.
    const empty = { ...t.plan, rowEstimate: 0 };
    expect(estimateRows(filter(empty, eq(t.r('g'), int(3))))).toBe(0);
  });
});

describe('equi-join cardinality from distinct values', () => {
  function tpch() {
    const b = new Builder();
    const supplier = withNdv(b.table('supplier', { s_suppkey: 'int32', s_nationkey: 'int32' }, 100), { s_suppkey: 100, s_nationkey: 25 });
    const customer = withNdv(b.table('customer', { c_custkey: 'int32', c_nationkey: 'int32' }, 1500), { c_custkey: 1500, c_nationkey: 25 });
    const orders = withNdv(b.table('orders', { o_orderkey: 'int32', o_custkey: 'int32' }, 15000), { o_orderkey: 15000, o_custkey: 1499 });
    const lineitem = withNdv(b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32', l_partkey: 'int32' }, 60000), { l_orderkey: 59999, l_suppkey: 100, l_partkey: 2000 });
    const partsupp = withNdv(b.table('partsupp', { ps_partkey: 'int32', ps_suppkey: 'int32' }, 8000), { ps_partkey: 2000, ps_suppkey: 100 });
    const nation = withNdv(b.table('nation', { n_nationkey: 'int32', n_regionkey: 'int32' }, 25), { n_nationkey: 25, n_regionkey: 5 });
    const plain = b.table('plain', { p: 'int32' }, 300);
    return { b, supplier, customer, orders, lineitem, partsupp, nation, plain };
  }

  it('is |L|·|R| / max(ndv) for a many-to-many key', () => {
    const { supplier, customer } = tpch();
    expect(estimateRows(join(supplier.plan, customer.plan, 'inner', eq(supplier.r('s_nationkey'), customer.r('c_nationkey'))))).toBe(6000);
  });

  it('is the foreign-key side for a key join, also into a sparse key range', () => {
    const { customer, orders, lineitem } = tpch();
    expect(estimateRows(join(orders.plan, customer.plan, 'inner', eq(orders.r('o_custkey'), customer.r('c_custkey'))))).toBe(15000);
    // l_orderkey's min/max suggest 59999 values, but it references the 15000 order keys.
    const lo = join(lineitem.plan, orders.plan, 'inner', eq(lineitem.r('l_orderkey'), orders.r('o_orderkey')));
    expect(estimateRows(lo)).toBe(60000);
    // A tenth of the orders keeps a tenth of the lineitems.
    const someOrders = filter(orders.plan, gt(orders.r('o_custkey'), int(0)));
    expect(estimateRows(someOrders)).toBe(4950);
    expect(estimateRows(join(lineitem.plan, someOrders, 'inner', eq(lineitem.r('l_orderkey'), orders.r('o_orderkey'))))).toBe(19800);
  });

  it('falls back to max(|L|, |R|) for a pair without known ndv on both sides', () => {
    const { customer, plain, supplier } = tpch();
    expect(estimateRows(join(customer.plan, plain.plan, 'inner', eq(customer.r('c_nationkey'), plain.r('p'))))).toBe(1500);
    // An expression key has no ndv either.
    const plusOne = bin('+', customer.r('c_nationkey'), int(1));
    expect(estimateRows(join(customer.plan, supplier.plan, 'inner', eq(plusOne, supplier.r('s_nationkey'))))).toBe(1500);
  });

  it('takes the most selective pair of a multi-key join', () => {
    const { lineitem, partsupp } = tpch();
    const cond = and(eq(lineitem.r('l_partkey'), partsupp.r('ps_partkey')), eq(lineitem.r('l_suppkey'), partsupp.r('ps_suppkey')));
    // partkey: 60000·8000/2000 = 240000; suppkey: 60000·8000/100 = 4.8 M.
    expect(estimateRows(join(lineitem.plan, partsupp.plan, 'inner', cond))).toBe(240000);
    // A residual (non-equi) term still multiplies by its selectivity.
    const withResidual = and(cond, gt(lineitem.r('l_orderkey'), partsupp.r('ps_partkey')));
    expect(estimateRows(join(lineitem.plan, partsupp.plan, 'inner', withResidual))).toBe(79200);
  });

  it('carries ndv through joins: matched keys are the smaller side, and outer joins keep a side', () => {
    const { supplier, customer, nation } = tpch();
    const asia = filter(nation.plan, eq(nation.r('n_regionkey'), int(2)));
    expect(estimateRows(asia)).toBe(5);
    const sn = join(supplier.plan, asia, 'inner', eq(supplier.r('s_nationkey'), nation.r('n_nationkey')));
    expect(estimateRows(sn)).toBe(20);
    expect(estimateNdv(sn, supplier.c['s_nationkey']!.id)).toBeCloseTo(5);
    expect(estimateNdv(sn, supplier.c['s_suppkey']!.id)).toBeCloseTo(20);
    // The 20 suppliers of 5 nations meet 1500·5/25 customers each nation: 1200 rows.
    const snc = join(sn, customer.plan, 'inner', eq(supplier.r('s_nationkey'), customer.r('c_nationkey')));
    expect(estimateRows(snc)).toBe(1200);
    expect(estimateRows(join(sn, customer.plan, 'left', eq(supplier.r('s_nationkey'), customer.r('c_nationkey'))))).toBe(1200);
    expect(estimateRows(join(customer.plan, sn, 'semi', eq(supplier.r('s_nationkey'), customer.r('c_nationkey'))))).toBe(750);
  });

  it('sizes an aggregate by the product of its keys\' ndv', () => {
    const { b, lineitem } = tpch();
    const byOrder = b.aggregate(lineitem.plan, [['k', lineitem.r('l_orderkey')]], [['n', 'count', null, 'int64']]);
    expect(estimateRows(byOrder)).toBe(59999);
    expect(estimateNdv(byOrder, byOrder.groupColumns[0]!.id)).toBe(59999);
    const bySuppPart = b.aggregate(lineitem.plan, [['s', lineitem.r('l_suppkey')], ['p', lineitem.r('l_partkey')]], []);
    expect(estimateRows(bySuppPart)).toBe(60000);
    const byExpr = b.aggregate(lineitem.plan, [['e', bin('+', lineitem.r('l_suppkey'), int(1))]], []);
    expect(estimateRows(byExpr)).toBe(6000);
  });
});
