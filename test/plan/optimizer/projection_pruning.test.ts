import { describe, expect, it } from 'vitest';
import { projectionPruning } from '../../../src/plan/optimizer/projection_pruning.js';
import { outputColumns, type LogicalPlan } from '../../../src/plan/logical.js';
import { Builder, eq, filter, gt, int, join, ref, shape, nodes } from '../builders.js';

describe('projection pruning', () => {
  it('reads only the needed columns of a scan', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'utf8', c: 'float64', d: 'date32' });
    const plan = b.project(filter(t.plan, gt(t.r('c'), int(1))), [['a', t.r('a')]]);
    const out = projectionPruning(plan);
    const scan = nodes(out).find((n) => n.kind === 'Scan');
    expect(scan?.kind === 'Scan' && scan.columns.map((c) => c.name)).toEqual(['a', 'c']);
    expect(outputColumns(out)).toEqual(plan.columns);
  });

  it('keeps the narrowest column for count(*) and drops unused aggregates', () => {
    const b = new Builder();
    const t = b.table('t', { s: 'utf8', f: 'float64', i: 'int32' });
    const agg = b.aggregate(t.plan, [], [['n', 'count_star', null, 'int64'], ['m', 'max', t.r('s'), 'utf8']]);
    const plan = b.project(agg, [['n', ref({ id: agg.aggregates[0]!.id, name: 'n', type: 'int64', nullable: true })]]);
    const out = projectionPruning(plan);
    const a = nodes(out).find((n) => n.kind === 'Aggregate');
    expect(a?.kind === 'Aggregate' && a.aggregates.map((x) => x.name)).toEqual(['n']);
    const scan = nodes(out).find((n) => n.kind === 'Scan');
    expect(scan?.kind === 'Scan' && scan.columns.map((c) => c.name)).toEqual(['i']);
  });

  it('removes identity projections and asks the right side of a semi join only for its keys', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'int32' });
    const u = b.table('u', { c: 'int32', d: 'utf8', e: 'utf8' });
    const semi = join(t.plan, u.plan, 'semi', eq(t.r('a'), u.r('c')));
    const plan = b.project(semi, [['a', t.r('a')], ['b', t.r('b')]]);
    const identity: LogicalPlan = { kind: 'Project', input: semi, exprs: [t.r('a'), t.r('b')], columns: t.plan.columns };
    const out = projectionPruning(identity);
    expect(shape(out)).toBe('Join[semi](Scan:t,Scan:u)');
    expect(out.kind === 'Join' && out.right.kind === 'Scan' && out.right.columns.map((c) => c.name)).toEqual(['c']);
    expect(shape(projectionPruning(plan))).toBe('Project(Join[semi](Scan:t,Scan:u))');
  });

  it('prunes the same positions in every union input', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'utf8' });
    const u = b.table('u', { c: 'int32', d: 'utf8' });
    const cols = [b.column('x', 'int32'), b.column('y', 'utf8')];
    const union: LogicalPlan = { kind: 'Union', inputs: [t.plan, u.plan], columns: cols };
    const plan = b.project(union, [['y', ref(cols[1]!)]]);
    const out = projectionPruning(plan);
    const un = nodes(out).find((n) => n.kind === 'Union');
    if (un?.kind !== 'Union') throw new Error('shape');
    expect(un.columns).toEqual([cols[1]]);
    expect(un.inputs.map((i) => outputColumns(i).map((c) => c.name))).toEqual([['b'], ['d']]);
  });

  it('keeps every column under Distinct and at the root', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'int32' });
    const plan = b.project({ kind: 'Distinct', input: t.plan }, [['a', t.r('a')]]);
    const out = projectionPruning(plan);
    const scan = nodes(out).find((n) => n.kind === 'Scan');
    expect(scan?.kind === 'Scan' && scan.columns.length).toBe(2);
    expect(projectionPruning(t.plan)).toEqual(t.plan);
  });
});
