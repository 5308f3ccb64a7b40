import { describe, expect, it } from 'vitest';
import { orImpliedFilters, withImplied } from '../../../src/plan/optimizer/or_implied_filters.js';
import { joinExtraction } from '../../../src/plan/optimizer/join_extraction.js';
import { predicatePushdown } from '../../../src/plan/optimizer/predicate_pushdown.js';
import { optimize } from '../../../src/plan/optimizer/index.js';
import type { LExpr, LogicalPlan } from '../../../src/plan/logical.js';
import { and, bin, Builder, cross, eq, filter, gt, int, join, lit, lt, nodes, shape } from '../builders.js';

const or = (...xs: LExpr[]): LExpr => xs.reduce((a, b) => bin('or', a, b, 'bool'));
const str = (s: string): LExpr => lit(s, 'utf8');
const inList = (arg: LExpr, ...list: LExpr[]): LExpr => ({ kind: 'in_list', arg, list, negated: false, type: 'bool' });

function scans(p: LogicalPlan): Extract<LogicalPlan, { kind: 'Scan' }>[] {
  return nodes(p).flatMap((n) => (n.kind === 'Scan' ? [n] : []));
}

describe('OR-implied filters', () => {
  const b = new Builder();
  const n1 = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' });
  const n2 = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' });
  const s = b.table('supplier', { s_suppkey: 'int32', s_nationkey: 'int32' });
  const c = b.table('customer', { c_custkey: 'int32', c_nationkey: 'int32' });
  const q7Or = or(
    and(eq(n1.r('n_name'), str('FRANCE')), eq(n2.r('n_name'), str('GERMANY'))),
    and(eq(n1.r('n_name'), str('GERMANY')), eq(n2.r('n_name'), str('FRANCE'))),
  );

  it('derives an IN list per input from the TPC-H Q7 OR and keeps the OR', () => {
    const plan = filter(cross(n1.plan, n2.plan), q7Or);
    const out = orImpliedFilters(plan);
    if (out.kind !== 'Filter') throw new Error('shape');
    expect(out.predicate).toEqual(and(
      q7Or,
      inList(n1.r('n_name'), str('FRANCE'), str('GERMANY')),
      inList(n2.r('n_name'), str('GERMANY'), str('FRANCE')),
    ));
  });

  it('with join extraction and pushdown, each nation scan gets its IN list and the OR stays as the join condition', () => {
    const where = and(
      eq(s.r('s_nationkey'), n1.r('n_nationkey')), eq(c.r('c_nationkey'), n2.r('n_nationkey')), q7Or,
    );
    const out = predicatePushdown(joinExtraction(orImpliedFilters(filter(cross(s.plan, c.plan, n1.plan, n2.plan), where))));
    const [sc, cc, a, bb] = scans(out);
    expect([sc!.table, cc!.table, a!.table, bb!.table]).toEqual(['supplier', 'customer', 'nation', 'nation']);
    expect(a!.filters).toEqual([inList(n1.r('n_name'), str('FRANCE'), str('GERMANY'))]);
    expect(bb!.filters).toEqual([inList(n2.r('n_name'), str('GERMANY'), str('FRANCE'))]);
    const joins = nodes(out).filter((n) => n.kind === 'Join');
    expect(joins.some((j) => j.kind === 'Join' && JSON.stringify(j.condition).includes(JSON.stringify(q7Or)))).toBe(true);
  });

  it('the full optimizer pushes the IN lists into the nation scans', () => {
    const where = and(eq(s.r('s_nationkey'), n1.r('n_nationkey')), eq(c.r('c_nationkey'), n2.r('n_nationkey')), q7Or);
    const out = optimize(filter(cross(s.plan, c.plan, n1.plan, n2.plan), where), b.ids);
    const nationFilters = scans(out).filter((x) => x.table === 'nation').map((x) => x.filters);
    expect(nationFilters).toHaveLength(2);
    for (const f of nationFilters) expect(f.some((t) => t.kind === 'in_list')).toBe(true);
  });

  it('keeps an OR of the branch terms when they are not equalities on one expression (TPC-H Q19 shape)', () => {
    const p = b.table('part', { p_partkey: 'int32', p_brand: 'utf8', p_size: 'int32' });
    const l = b.table('lineitem', { l_partkey: 'int32', l_quantity: 'int32' });
    const br1 = and(eq(p.r('p_brand'), str('B12')), lt(p.r('p_size'), int(5)), gt(l.r('l_quantity'), int(1)));
    const br2 = and(eq(p.r('p_brand'), str('B23')), lt(p.r('p_size'), int(10)), gt(l.r('l_quantity'), int(10)));
    const e = and(eq(p.r('p_partkey'), l.r('l_partkey')), or(br1, br2));
    const got = withImplied(e, [new Set(p.plan.columns.map((x) => x.id)), new Set(l.plan.columns.map((x) => x.id))]);
    expect(got).toEqual(and(
      e,
      or(and(eq(p.r('p_brand'), str('B12')), lt(p.r('p_size'), int(5))), and(eq(p.r('p_brand'), str('B23')), lt(p.r('p_size'), int(10)))),
      or(gt(l.r('l_quantity'), int(1)), gt(l.r('l_quantity'), int(10))),
    ));
  });

  it('merges equalities and IN lists on one column, deduplicating values', () => {
    const e = or(
      and(eq(str('FRANCE'), n1.r('n_name')), eq(n2.r('n_nationkey'), int(1))),
      and(inList(n1.r('n_name'), str('FRANCE'), str('PERU')), eq(n2.r('n_nationkey'), int(1))),
    );
    const got = withImplied(e, [new Set([n1.c.n_name!.id]), new Set([n2.c.n_nationkey!.id])]);
    expect(got).toEqual(and(e, inList(n1.r('n_name'), str('FRANCE'), str('PERU')), eq(n2.r('n_nationkey'), int(1))));
  });

  it('derives nothing when a branch does not constrain the input, or the OR reads one input only', () => {
    const partial = or(and(eq(n1.r('n_name'), str('FRANCE')), eq(n2.r('n_name'), str('GERMANY'))), eq(n2.r('n_name'), str('PERU')));
    const ids = [new Set(n1.plan.columns.map((x) => x.id)), new Set(n2.plan.columns.map((x) => x.id))];
    expect(withImplied(partial, ids)).toEqual(and(partial, inList(n2.r('n_name'), str('GERMANY'), str('PERU'))));
    const single = or(eq(n1.r('n_name'), str('FRANCE')), eq(n1.r('n_name'), str('PERU')));
    expect(withImplied(single, ids)).toBe(single);
    const volatile = or(
      and(eq(n1.r('n_name'), str('A')), gt({ kind: 'call', name: 'random', args: [], type: 'float64' }, lit(0.5, 'float64'))),
      eq(n1.r('n_name'), str('B')),
    );
    expect(withImplied(and(volatile, eq(n2.r('n_name'), str('X'))), ids)).toEqual(and(volatile, eq(n2.r('n_name'), str('X'))));
  });

  it('adds implied filters to join conditions, but not to null-aware anti joins', () => {
    const j = join(n1.plan, n2.plan, 'left', q7Or);
    const out = orImpliedFilters(j);
    if (out.kind !== 'Join') throw new Error('shape');
    expect(out.condition).toEqual(and(q7Or, inList(n1.r('n_name'), str('FRANCE'), str('GERMANY')), inList(n2.r('n_name'), str('GERMANY'), str('FRANCE'))));
    const pushed = predicatePushdown(out);
    expect(shape(pushed)).toBe('Join[left](Scan:nation,Scan:nation)');
    if (pushed.kind !== 'Join' || pushed.right.kind !== 'Scan' || pushed.left.kind !== 'Scan') throw new Error('shape');
    // ON terms of the preserved side stay in the condition; the null-supplying side is filtered.
    expect(pushed.left.filters).toEqual([]);
    expect(pushed.right.filters).toEqual([inList(n2.r('n_name'), str('GERMANY'), str('FRANCE'))]);
    const anti: LogicalPlan = { ...join(n1.plan, n2.plan, 'anti', q7Or), nullAware: true };
    expect(orImpliedFilters(anti)).toEqual(anti);
  });

  it('leaves plans without ORs unchanged', () => {
    const plan = filter(cross(n1.plan, n2.plan), eq(n1.r('n_nationkey'), n2.r('n_nationkey')));
    expect(orImpliedFilters(plan)).toEqual(plan);
  });
});
