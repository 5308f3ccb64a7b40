import { describe, expect, it } from 'vitest';
import { cloneWithFreshIds } from '../../../src/plan/optimizer/plan_clone.js';
import { definedIds, freeRefs } from '../../../src/plan/logical_exprs.js';
import { outputColumns } from '../../../src/plan/logical.js';
import { bin, Builder, eq, filter, gt, int, join, lit, ref, shape } from '../builders.js';

describe('cloneWithFreshIds', () => {
  it('gives every defined column a new id and rewrites the references to it', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'int32' });
    const u = b.table('u', { a: 'int32' });
    const scanWithFilter = { ...t.plan, filters: [gt(t.r('a'), int(1))] };
    const agg = b.aggregate(
      filter(join(scanWithFilter, u.plan, 'inner', eq(t.r('a'), u.r('a'))), gt(t.r('b'), int(0))),
      [['a', t.r('a')]], [['s', 'sum', t.r('b'), 'int64']],
    );
    const p = b.project(agg, [['x', bin('+', ref(agg.groupColumns[0]!), int(1))], ['s', ref({ id: agg.aggregates[0]!.id, name: 's', type: 'int64', nullable: true })]]);
    const { plan, columns } = cloneWithFreshIds(p, b.ids);
    expect(shape(plan)).toBe(shape(p));
    const before = definedIds(p);
    const after = definedIds(plan);
    expect([...after].some((id) => before.has(id))).toBe(false);
    expect(after.size).toBe(before.size);
    // Still self-contained: every reference resolves inside the copy.
    expect(freeRefs(plan).size).toBe(0);
    expect(outputColumns(plan).map((c) => c.name)).toEqual(['x', 's']);
    expect(outputColumns(plan).map((c) => c.id)).toEqual(p.columns.map((c) => columns.get(c.id)!.id));
  });

  it('keeps references to columns defined outside the subtree', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32' });
    const outer = b.column('o', 'int32');
    const p = filter(t.plan, bin('<', t.r('a'), ref(outer)));
    const { plan } = cloneWithFreshIds(p, b.ids);
    expect([...freeRefs(plan)]).toEqual([outer.id]);
    expect(plan.kind === 'Filter' && plan.predicate.kind === 'binary' && plan.predicate.right).toEqual(ref(outer));
    expect(cloneWithFreshIds({ kind: 'Values', columns: [b.column('v', 'int32')], rows: [[lit(1, 'int32')]] }, b.ids).plan.kind).toBe('Values');
  });
});
