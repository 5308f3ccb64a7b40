import { describe, expect, it } from 'vitest';
import { predicatePushdown, rejectsNulls } from '../../../src/plan/optimizer/predicate_pushdown.js';
import { outputColumns, type LogicalPlan } from '../../../src/plan/logical.js';
import { and, bin, Builder, eq, filter, gt, int, isNull, join, lit, lt, ref, shape } from '../builders.js';

function setup() {
  const b = new Builder();
  const t = b.table('t', { a: 'int32', b: 'int32' });
  const u = b.table('u', { c: 'int32', d: 'int32' });
  return { b, t, u };
}

describe('predicate pushdown', () => {
  it('pushes terms into the scan filters', () => {
    const { t } = setup();
    const out = predicatePushdown(filter(t.plan, and(gt(t.r('a'), int(1)), lt(t.r('b'), int(5)))));
    expect(out).toEqual({ ...t.plan, filters: [gt(t.r('a'), int(1)), lt(t.r('b'), int(5))] });
  });

  it('pushes through a Project, substituting its expressions', () => {
    const { b, t } = setup();
    const p = b.project(t.plan, [['s', bin('+', t.r('a'), t.r('b'))], ['a', t.r('a')]]);
    const out = predicatePushdown(filter(p, and(gt(ref(p.columns[0]!), int(10)), eq(ref(p.columns[1]!), int(2)))));
    expect(shape(out)).toBe('Project(Scan:t)');
    if (out.kind !== 'Project' || out.input.kind !== 'Scan') throw new Error('shape');
    expect(out.input.filters).toEqual([gt(bin('+', t.r('a'), t.r('b')), int(10)), eq(t.r('a'), int(2))]);
  });

  it('splits terms over the two sides of an inner join and keeps cross-side terms as the condition', () => {
    const { t, u } = setup();
    const plan = filter(join(t.plan, u.plan), and(eq(t.r('a'), u.r('c')), gt(t.r('b'), int(1)), gt(u.r('d'), int(2))));
    const out = predicatePushdown(plan);
    expect(shape(out)).toBe('Join[inner](Scan:t,Scan:u)');
    if (out.kind !== 'Join' || out.left.kind !== 'Scan' || out.right.kind !== 'Scan') throw new Error('shape');
    expect(out.condition).toEqual(eq(t.r('a'), u.r('c')));
    expect(out.left.filters).toEqual([gt(t.r('b'), int(1))]);
    expect(out.right.filters).toEqual([gt(u.r('d'), int(2))]);
  });

  it('does NOT push a WHERE term on the null-supplying side below a left join', () => {
    const { t, u } = setup();
    const lj = join(t.plan, u.plan, 'left', eq(t.r('a'), u.r('c')));
    // d IS NULL keeps the rows the left join null-extends: it must stay above the join.
    const plan = filter(lj, and(isNull(u.r('d')), gt(t.r('b'), int(0))));
    const out = predicatePushdown(plan);
    expect(shape(out)).toBe('Filter(Join[left](Scan:t,Scan:u))');
    if (out.kind !== 'Filter' || out.input.kind !== 'Join' || out.input.right.kind !== 'Scan' || out.input.left.kind !== 'Scan') throw new Error('shape');
    expect(out.predicate).toEqual(isNull(u.r('d')));
    expect(out.input.right.filters).toEqual([]);
    expect(out.input.left.filters).toEqual([gt(t.r('b'), int(0))]);
    expect(outputColumns(out)).toEqual(outputColumns(plan));
  });

  it('turns a left join into an inner join under a null-rejecting WHERE term on the right side', () => {
    const { t, u } = setup();
    const plan = filter(join(t.plan, u.plan, 'left', eq(t.r('a'), u.r('c'))), gt(u.r('d'), int(3)));
    const out = predicatePushdown(plan);
    expect(shape(out)).toBe('Join[inner](Scan:t,Scan:u)');
    expect(out.kind === 'Join' && out.right.kind === 'Scan' && out.right.filters).toEqual([gt(u.r('d'), int(3))]);
    expect(rejectsNulls(gt(bin('+', u.r('d'), int(1)), int(3)), new Set([u.c.d!.id]))).toBe(true);
    expect(rejectsNulls(bin('or', gt(u.r('d'), int(3)), isNull(u.r('d'))), new Set([u.c.d!.id]))).toBe(false);
    expect(rejectsNulls({ kind: 'call', name: 'coalesce', args: [u.r('d'), int(1)], type: 'int32' }, new Set([u.c.d!.id]))).toBe(false);
  });

  it('pushes right-only ON terms of a left join into its right input, but not left-only ones', () => {
    const { t, u } = setup();
    const plan = join(t.plan, u.plan, 'left', and(eq(t.r('a'), u.r('c')), gt(u.r('d'), int(1)), gt(t.r('b'), int(2))));
    const out = predicatePushdown(plan);
    if (out.kind !== 'Join' || out.right.kind !== 'Scan' || out.left.kind !== 'Scan') throw new Error('shape');
    expect(out.right.filters).toEqual([gt(u.r('d'), int(1))]);
    expect(out.left.filters).toEqual([]);
    expect(out.condition).toEqual(and(eq(t.r('a'), u.r('c')), gt(t.r('b'), int(2))));
  });

  it('keeps everything above a full join', () => {
    const { t, u } = setup();
    const plan = filter(join(t.plan, u.plan, 'full', eq(t.r('a'), u.r('c'))), gt(t.r('b'), int(1)));
    expect(shape(predicatePushdown(plan))).toBe('Filter(Join[full](Scan:t,Scan:u))');
  });

  it('pushes WHERE terms of a semi/anti join to its left input', () => {
    const { t, u } = setup();
    for (const jt of ['semi', 'anti'] as const) {
      const plan = filter(join(t.plan, u.plan, jt, eq(t.r('a'), u.r('c'))), gt(t.r('b'), int(1)));
      const out = predicatePushdown(plan);
      expect(shape(out)).toBe(`Join[${jt}](Scan:t,Scan:u)`);
      expect(out.kind === 'Join' && out.left.kind === 'Scan' && out.left.filters).toEqual([gt(t.r('b'), int(1))]);
    }
  });

  it('pushes through an Aggregate only terms on group columns', () => {
    const { b, t } = setup();
    const agg = b.aggregate(t.plan, [['a', t.r('a')]], [['s', 'sum', t.r('b'), 'int64']]);
    const sRef = { kind: 'column', id: agg.aggregates[0]!.id, type: 'int64', name: 's' } as const;
    const plan = filter(agg, and(gt(ref(agg.groupColumns[0]!), int(1)), gt(sRef, lit(10n, 'int64'))));
    const out = predicatePushdown(plan);
    expect(shape(out)).toBe('Filter(Aggregate(Scan:t))');
    if (out.kind !== 'Filter' || out.input.kind !== 'Aggregate' || out.input.input.kind !== 'Scan') throw new Error('shape');
    expect(out.predicate).toEqual(gt(sRef, lit(10n, 'int64')));
    expect(out.input.input.filters).toEqual([gt(t.r('a'), int(1))]);
  });

  it('does not push a constant term below an aggregate without GROUP BY', () => {
    const { b, t } = setup();
    const agg = b.aggregate(t.plan, [], [['n', 'count_star', null, 'int64']]);
    const plan = filter(agg, lit(null, 'bool'));
    expect(shape(predicatePushdown(plan))).toBe('Filter(Aggregate(Scan:t))');
  });

  it('stops at a Limit and pushes into every Union input', () => {
    const { b, t, u } = setup();
    const lim: LogicalPlan = { kind: 'Limit', input: t.plan, skip: 0, fetch: 3 };
    expect(shape(predicatePushdown(filter(lim, gt(t.r('a'), int(1)))))).toBe('Filter(Limit(Scan:t))');

    const col = b.column('x', 'int32');
    const union: LogicalPlan = { kind: 'Union', inputs: [b.project(t.plan, [['a', t.r('a')]]), b.project(u.plan, [['c', u.r('c')]])], columns: [col] };
    const out = predicatePushdown(filter(union, gt(ref(col), int(5))));
    expect(shape(out)).toBe('Union(Project(Scan:t),Project(Scan:u))');
    if (out.kind !== 'Union') throw new Error('shape');
    const scans = out.inputs.map((i) => (i.kind === 'Project' && i.input.kind === 'Scan' ? i.input.filters : null));
    expect(scans).toEqual([[gt(t.r('a'), int(5))], [gt(u.r('c'), int(5))]]);
  });

  it('merges stacked filters and drops duplicate terms', () => {
    const { t } = setup();
    const out = predicatePushdown(filter(filter(t.plan, gt(t.r('a'), int(1))), gt(t.r('a'), int(1))));
    expect(out.kind === 'Scan' && out.filters).toEqual([gt(t.r('a'), int(1))]);
  });
});
