import { describe, expect, it } from 'vitest';
import { decorrelate } from '../../../src/plan/optimizer/decorrelate.js';
import { hasSubquery } from '../../../src/plan/logical_exprs.js';
import { nodeExprs } from '../../../src/plan/logical_exprs.js';
import { outputColumns, type LExpr, type LogicalPlan } from '../../../src/plan/logical.js';
import { and, bin, Builder, eq, filter, gt, lit, lt, ne, nodes, not, num, ref, shape } from '../builders.js';

function noSubqueries(p: LogicalPlan): boolean {
  return nodes(p).every((n) => !nodeExprs(n).some(hasSubquery));
}

function setup() {
  const b = new Builder();
  const orders = b.table('orders', { o_orderkey: 'int32', o_custkey: 'int32', o_orderdate: 'date32' }, 15000);
  const lineitem = b.table('lineitem', { l_orderkey: 'int32', l_partkey: 'int32', l_suppkey: 'int32', l_quantity: 'float64', l_commitdate: 'date32', l_receiptdate: 'date32' }, 60000);
  const part = b.table('part', { p_partkey: 'int32', p_brand: 'utf8' }, 2000);
  return { b, orders, lineitem, part };
}

describe('decorrelate: IN and NOT IN', () => {
  it('rewrites x IN (uncorrelated subquery) into a semi join and keeps the other terms', () => {
    const { b, orders, lineitem } = setup();
    const sub = b.project(lineitem.plan, [['l_orderkey', lineitem.r('l_orderkey')]]);
    const pred = and(gt(orders.r('o_custkey'), lit(5, 'int32')), { kind: 'in_subquery', arg: orders.r('o_orderkey'), plan: sub, negated: false, type: 'bool' });
    const out = decorrelate(filter(orders.plan, pred), b.ids);
    expect(shape(out)).toBe('Filter(Join[semi](Scan:orders,Project(Scan:lineitem)))');
    const j = out.kind === 'Filter' ? out.input : out;
    expect(j.kind === 'Join' && j.condition).toEqual(eq(orders.r('o_orderkey'), ref(sub.columns[0]!)));
    expect(j.kind === 'Join' && j.nullAware).toBeFalsy();
    expect(outputColumns(out)).toEqual(orders.plan.columns);
  });

  it('rewrites NOT IN (and NOT (x IN …)) into a null-aware anti join', () => {
    const { b, orders, lineitem } = setup();
    for (const negatedForm of [true, false]) {
      const sub = b.project(lineitem.plan, [['l_orderkey', lineitem.r('l_orderkey')]]);
      const inSub: LExpr = { kind: 'in_subquery', arg: orders.r('o_orderkey'), plan: sub, negated: negatedForm, type: 'bool' };
      const out = decorrelate(filter(orders.plan, negatedForm ? inSub : not(inSub)), b.ids);
      expect(out.kind).toBe('Join');
      if (out.kind !== 'Join') return;
      expect(out.joinType).toBe('anti');
      expect(out.nullAware).toBe(true);
    }
  });

  it('rewrites a correlated IN into a match mark and per-domain counts (three-valued result)', () => {
    const { b, orders, lineitem } = setup();
    const sub = b.project(filter(lineitem.plan, eq(lineitem.r('l_partkey'), orders.r('o_custkey'))), [['k', lineitem.r('l_orderkey')]]);
    const pred: LExpr = { kind: 'in_subquery', arg: orders.r('o_orderkey'), plan: sub, negated: false, type: 'bool' };
    const out = decorrelate(filter(orders.plan, pred), b.ids);
    expect(noSubqueries(out)).toBe(true);
    expect(outputColumns(out)).toEqual(orders.plan.columns);
    expect(shape(out)).toBe(
      'Project(Filter(Join[left](Join[left](Scan:orders,Project(Distinct(Project(Project(Join[inner](Distinct(Project(Scan:orders)),Scan:lineitem)))))),'
      + 'Aggregate(Project(Join[inner](Distinct(Project(Scan:orders)),Scan:lineitem))))))',
    );
    if (out.kind !== 'Project' || out.input.kind !== 'Filter') throw new Error('shape');
    // CASE WHEN mark THEN true WHEN no rows THEN false WHEN x IS NULL OR a NULL value THEN NULL ELSE false END
    const c = out.input.predicate;
    expect(c.kind === 'case' && c.whens.length).toBe(3);
    // The subquery's table is read twice; the copy has fresh column ids.
    const scans = nodes(out).filter((n): n is Extract<LogicalPlan, { kind: 'Scan' }> => n.kind === 'Scan');
    const ids = scans.flatMap((sc) => sc.columns.map((col) => col.id));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('decorrelate: EXISTS', () => {
  it('turns a correlated EXISTS (TPC-H Q4) into a semi join on the correlated equality', () => {
    const { b, orders, lineitem } = setup();
    const sub = b.project(
      filter(lineitem.plan, and(eq(lineitem.r('l_orderkey'), orders.r('o_orderkey')), lt(lineitem.r('l_commitdate'), lineitem.r('l_receiptdate')))),
      [['l_orderkey', lineitem.r('l_orderkey')]],
    );
    const out = decorrelate(filter(orders.plan, { kind: 'exists', plan: sub, negated: false, type: 'bool' }), b.ids);
    expect(shape(out)).toBe('Join[semi](Scan:orders,Filter(Scan:lineitem))');
    if (out.kind !== 'Join' || out.right.kind !== 'Filter') throw new Error('shape');
    expect(out.condition).toEqual(eq(lineitem.r('l_orderkey'), orders.r('o_orderkey')));
    expect(out.right.predicate).toEqual(lt(lineitem.r('l_commitdate'), lineitem.r('l_receiptdate')));
  });

  it('keeps a non-equality correlation as part of the anti join condition (TPC-H Q21 NOT EXISTS)', () => {
    const { b, lineitem } = setup();
    const l3 = b.table('lineitem', { l_orderkey: 'int32', l_suppkey: 'int32' }, 60000);
    const sub = filter(l3.plan, and(eq(l3.r('l_orderkey'), lineitem.r('l_orderkey')), ne(l3.r('l_suppkey'), lineitem.r('l_suppkey'))));
    const out = decorrelate(filter(lineitem.plan, not({ kind: 'exists', plan: sub, negated: false, type: 'bool' })), b.ids);
    expect(shape(out)).toBe('Join[anti](Scan:lineitem,Scan:lineitem)');
    expect(out.kind === 'Join' && out.condition).toEqual(and(eq(l3.r('l_orderkey'), lineitem.r('l_orderkey')), ne(l3.r('l_suppkey'), lineitem.r('l_suppkey'))));
  });

  it('turns an uncorrelated EXISTS into a semi join without condition against LIMIT 1', () => {
    const { b, orders, lineitem } = setup();
    const out = decorrelate(filter(orders.plan, { kind: 'exists', plan: lineitem.plan, negated: false, type: 'bool' }), b.ids);
    expect(shape(out)).toBe('Join[semi](Scan:orders,Limit(Scan:lineitem))');
    expect(out.kind === 'Join' && out.condition).toBeNull();
  });

  it('rewrites EXISTS inside OR into a left join with a boolean mark', () => {
    const { b, orders, lineitem } = setup();
    const sub = filter(lineitem.plan, lt(lineitem.r('l_orderkey'), orders.r('o_orderkey')));
    const pred = bin('or', gt(orders.r('o_custkey'), lit(1, 'int32')), { kind: 'exists', plan: sub, negated: false, type: 'bool' });
    const out = decorrelate(filter(orders.plan, pred), b.ids);
    expect(noSubqueries(out)).toBe(true);
    expect(shape(out)).toBe('Project(Filter(Join[left](Scan:orders,Project(Distinct(Project(Join[inner](Distinct(Project(Scan:orders)),Scan:lineitem)))))))');
    if (out.kind !== 'Project' || out.input.kind !== 'Filter' || out.input.input.kind !== 'Join') throw new Error('shape');
    const j = out.input.input;
    const mark = outputColumns(j.right).at(-1)!;
    expect(out.input.predicate).toEqual(bin('or', gt(orders.r('o_custkey'), lit(1, 'int32')), { kind: 'unary', op: 'is_not_null', arg: ref(mark), type: 'bool' }));
    // The domain join: the correlation became the inner join's condition over D's column.
    const inner = nodes(j.right).find((n) => n.kind === 'Join');
    expect(inner?.kind === 'Join' && inner.condition?.kind === 'binary' && inner.condition.op).toBe('<');
    // Joined back on null-safe equality: coalesce keys plus IS NULL agreement.
    expect(JSON.stringify(j.condition)).toContain('"coalesce"');
    expect(JSON.stringify(j.condition)).toContain('"is_null"');
  });

  it('rewrites an uncorrelated EXISTS in the select list into a LIMIT 1 mark', () => {
    const { b, orders, lineitem } = setup();
    const out = decorrelate(b.project(orders.plan, [['e', { kind: 'exists', plan: lineitem.plan, negated: true, type: 'bool' }]]), b.ids);
    expect(shape(out)).toBe('Project(Join[left](Scan:orders,Project(Limit(Scan:lineitem))))');
    expect(out.kind === 'Project' && out.exprs[0]!.kind === 'unary' && out.exprs[0]!.op).toBe('is_null');
  });
});

describe('decorrelate: scalar subqueries', () => {
  it('cross joins an uncorrelated aggregate subquery (TPC-H Q22 shape)', () => {
    const { b, orders } = setup();
    const o2 = b.table('orders', { o_custkey: 'int32' }, 15000);
    const agg = b.aggregate(o2.plan, [], [['avg_c', 'avg', o2.r('o_custkey'), 'float64']]);
    const pred = gt(orders.r('o_custkey'), { kind: 'scalar_subquery', plan: agg, type: 'float64' });
    const out = decorrelate(filter(orders.plan, pred), b.ids);
    expect(shape(out)).toBe('Project(Filter(Join[inner](Scan:orders,Aggregate(Scan:orders))))');
    expect(outputColumns(out)).toEqual(orders.plan.columns);
    if (out.kind !== 'Project' || out.input.kind !== 'Filter') throw new Error('shape');
    const aggCol = agg.aggregates[0]!;
    expect(out.input.predicate).toEqual(gt(orders.r('o_custkey'), { kind: 'column', id: aggCol.id, type: 'float64', name: 'avg_c' }));
    const j = out.input.input;
    expect(j.kind === 'Join' && j.condition).toBeNull();
  });

  it('guards an uncorrelated subquery that may return several rows with a run-time check', () => {
    const { b, orders, part } = setup();
    const sub = b.project(part.plan, [['p_partkey', part.r('p_partkey')]]);
    const p = b.project(orders.plan, [['x', { kind: 'scalar_subquery', plan: sub, type: 'int32' }]]);
    const out = decorrelate(p, b.ids);
    expect(shape(out)).toBe('Project(Join[inner](Scan:orders,Aggregate(Project(Scan:part))))');
    if (out.kind !== 'Project') throw new Error('shape');
    const e = out.exprs[0]!;
    expect(e.kind).toBe('case');
    if (e.kind !== 'case') return;
    expect(e.whens[0]!.then).toMatchObject({ kind: 'call', name: 'raise_error' });
    const agg = out.input.kind === 'Join' ? out.input.right : null;
    expect(agg?.kind === 'Aggregate' && agg.aggregates.map((a) => a.fn)).toEqual(['count_star', 'max']);
  });

  it('left joins a LIMIT 1 subquery so that no row gives NULL', () => {
    const { b, orders, part } = setup();
    const sub: LogicalPlan = { kind: 'Limit', input: b.project(part.plan, [['k', part.r('p_partkey')]]), skip: 0, fetch: 1 };
    const out = decorrelate(b.project(orders.plan, [['x', { kind: 'scalar_subquery', plan: sub, type: 'int32' }]]), b.ids);
    expect(shape(out)).toBe('Project(Join[left](Scan:orders,Limit(Project(Scan:part))))');
  });

  it('rewrites a correlated aggregate subquery (TPC-H Q17) into a left join on a grouped aggregate', () => {
    const { b, lineitem, part } = setup();
    const l2 = b.table('lineitem', { l_partkey: 'int32', l_quantity: 'float64' }, 60000);
    const agg = b.aggregate(filter(l2.plan, eq(l2.r('l_partkey'), part.r('p_partkey'))), [], [['avg_q', 'avg', l2.r('l_quantity'), 'float64']]);
    const aggRef: LExpr = { kind: 'column', id: agg.aggregates[0]!.id, type: 'float64', name: 'avg_q' };
    const sub = b.project(agg, [['x', bin('*', num('0.2'), aggRef)]]);
    const outer = filter(
      { kind: 'Join', left: lineitem.plan, right: part.plan, joinType: 'inner', condition: eq(part.r('p_partkey'), lineitem.r('l_partkey')) },
      lt(lineitem.r('l_quantity'), { kind: 'scalar_subquery', plan: sub, type: 'float64' }),
    );
    const out = decorrelate(outer, b.ids);
    expect(shape(out)).toBe('Project(Filter(Join[left](Join[inner](Scan:lineitem,Scan:part),Aggregate(Scan:lineitem))))');
    if (out.kind !== 'Project' || out.input.kind !== 'Filter' || out.input.input.kind !== 'Join') throw new Error('shape');
    const j = out.input.input;
    const grouped = j.right;
    if (grouped.kind !== 'Aggregate') throw new Error('shape');
    expect(grouped.groupBy).toEqual([l2.r('l_partkey')]);
    expect(grouped.input).toBe(l2.plan); // the correlated term left the subquery
    expect(j.condition).toEqual(eq(part.r('p_partkey'), { kind: 'column', id: grouped.groupColumns[0]!.id, type: 'int32', name: 'l_partkey' }));
    expect(out.input.predicate).toEqual(lt(lineitem.r('l_quantity'), bin('*', num('0.2'), aggRef)));
    expect(outputColumns(out)).toEqual(outputColumns(outer));
  });

  it('keeps uncorrelated terms inside and turns a missing group of count(*) into 0', () => {
    const { b, orders, lineitem } = setup();
    const agg = b.aggregate(
      filter(lineitem.plan, and(eq(orders.r('o_orderkey'), lineitem.r('l_orderkey')), gt(lineitem.r('l_quantity'), num('10')))),
      [], [['n', 'count_star', null, 'int64']],
    );
    const out = decorrelate(b.project(orders.plan, [['n', { kind: 'scalar_subquery', plan: agg, type: 'int64' }]]), b.ids);
    if (out.kind !== 'Project' || out.input.kind !== 'Join' || out.input.right.kind !== 'Aggregate') throw new Error(shape(out));
    expect(out.input.joinType).toBe('left');
    expect(out.input.right.input).toEqual(filter(lineitem.plan, gt(lineitem.r('l_quantity'), num('10'))));
    expect(out.exprs[0]).toEqual({
      kind: 'call', name: 'coalesce', type: 'int64',
      args: [{ kind: 'column', id: agg.aggregates[0]!.id, type: 'int64', name: 'n' }, lit(0n, 'int64')],
    });
  });

  it('handles a correlated subquery nested inside an IN subquery (TPC-H Q20 shape)', () => {
    const b = new Builder();
    const supplier = b.table('supplier', { s_suppkey: 'int32', s_name: 'utf8' }, 100);
    const ps = b.table('partsupp', { ps_partkey: 'int32', ps_suppkey: 'int32', ps_availqty: 'int32' }, 8000);
    const li = b.table('lineitem', { l_partkey: 'int32', l_suppkey: 'int32', l_quantity: 'float64' }, 60000);
    const agg = b.aggregate(filter(li.plan, and(eq(li.r('l_partkey'), ps.r('ps_partkey')), eq(li.r('l_suppkey'), ps.r('ps_suppkey')))), [], [['s', 'sum', li.r('l_quantity'), 'float64']]);
    const inner = b.project(
      filter(ps.plan, gt(ps.r('ps_availqty'), { kind: 'scalar_subquery', plan: agg, type: 'float64' })),
      [['ps_suppkey', ps.r('ps_suppkey')]],
    );
    const out = decorrelate(filter(supplier.plan, { kind: 'in_subquery', arg: supplier.r('s_suppkey'), plan: inner, negated: false, type: 'bool' }), b.ids);
    expect(noSubqueries(out)).toBe(true);
    expect(shape(out)).toBe('Join[semi](Scan:supplier,Project(Project(Filter(Join[left](Scan:partsupp,Aggregate(Scan:lineitem))))))');
    const grouped = nodes(out).find((n) => n.kind === 'Aggregate');
    expect(grouped?.kind === 'Aggregate' && grouped.groupBy).toEqual([li.r('l_partkey'), li.r('l_suppkey')]);
  });

  it('decorrelates a non-equality correlation over the domain of the outer values (COUNT bug: missing → 0)', () => {
    const { b, orders, lineitem } = setup();
    const agg = b.aggregate(filter(lineitem.plan, lt(lineitem.r('l_orderkey'), orders.r('o_orderkey'))), [], [['n', 'count_star', null, 'int64']]);
    const out = decorrelate(b.project(orders.plan, [['n', { kind: 'scalar_subquery', plan: agg, type: 'int64' }]]), b.ids);
    expect(shape(out)).toBe('Project(Join[left](Scan:orders,Aggregate(Join[inner](Distinct(Project(Scan:orders)),Scan:lineitem))))');
    if (out.kind !== 'Project' || out.input.kind !== 'Join' || out.input.right.kind !== 'Aggregate') throw new Error('shape');
    const grouped = out.input.right;
    const domainJoin = grouped.input;
    if (domainJoin.kind !== 'Join' || domainJoin.left.kind !== 'Distinct') throw new Error('shape');
    const d = outputColumns(domainJoin.left)[0]!;
    // The domain is read from a copy of the outer input with fresh ids.
    expect(orders.plan.columns.some((c) => c.id === d.id)).toBe(false);
    expect(domainJoin.condition).toEqual(lt(lineitem.r('l_orderkey'), ref(d)));
    expect(grouped.groupBy).toEqual([ref(d)]);
    expect(out.exprs[0]).toEqual({
      kind: 'call', name: 'coalesce', type: 'int64',
      args: [{ kind: 'column', id: agg.aggregates[0]!.id, type: 'int64', name: 'n' }, lit(0n, 'int64')],
    });
  });

  it('guards a correlated subquery without aggregate with a per-outer-row count', () => {
    const { b, orders, lineitem } = setup();
    const sub = b.project(filter(lineitem.plan, eq(lineitem.r('l_orderkey'), orders.r('o_orderkey'))), [['q', lineitem.r('l_quantity')]]);
    const out = decorrelate(filter(orders.plan, gt({ kind: 'scalar_subquery', plan: sub, type: 'float64' }, num('1'))), b.ids);
    expect(noSubqueries(out)).toBe(true);
    const f = nodes(out).find((n) => n.kind === 'Filter' && n.predicate.kind === 'binary' && n.predicate.left.kind === 'case');
    if (f?.kind !== 'Filter' || f.predicate.kind !== 'binary' || f.predicate.left.kind !== 'case') throw new Error(shape(out));
    expect(f.predicate.left.whens[0]!.then).toMatchObject({ kind: 'call', name: 'raise_error' });
    const grouped = nodes(out).find((n) => n.kind === 'Aggregate');
    expect(grouped?.kind === 'Aggregate' && grouped.aggregates.map((a) => a.fn)).toEqual(['count_star', 'max']);
  });

  it('moves a subquery of an inner join condition to a Filter, and rejects one in an outer join condition', () => {
    const { b, orders, lineitem } = setup();
    const ex: LExpr = { kind: 'exists', plan: lineitem.plan, negated: false, type: 'bool' };
    const inner: LogicalPlan = { kind: 'Join', left: orders.plan, right: lineitem.plan, joinType: 'inner', condition: ex };
    expect(shape(decorrelate(inner, b.ids))).toBe('Join[semi](Join[inner](Scan:orders,Scan:lineitem),Limit(Scan:lineitem))');
    const left: LogicalPlan = { ...inner, joinType: 'left' };
    expect(() => decorrelate(left, b.ids)).toThrow(/unsupported subquery: a subquery in a JOIN condition of an outer/);
  });

  it('rejects LIMIT inside a correlated subquery', () => {
    const { b, orders, lineitem } = setup();
    const sub: LogicalPlan = { kind: 'Limit', skip: 0, fetch: 1, input: b.project(filter(lineitem.plan, lt(lineitem.r('l_orderkey'), orders.r('o_orderkey'))), [['q', lineitem.r('l_quantity')]]) };
    expect(() => decorrelate(b.project(orders.plan, [['q', { kind: 'scalar_subquery', plan: sub, type: 'float64' }]]), b.ids))
      .toThrow(/unsupported subquery: LIMIT or OFFSET in a correlated subquery/);
  });

  it('leaves plans without subqueries untouched', () => {
    const { b, orders } = setup();
    const p = filter(orders.plan, gt(orders.r('o_custkey'), lit(1, 'int32')));
    expect(decorrelate(p, b.ids)).toEqual(p);
  });
});
