import { describe, expect, it } from 'vitest';
import { joinExtraction } from '../../../src/plan/optimizer/join_extraction.js';
import { outputColumns } from '../../../src/plan/logical.js';
import { and, Builder, cross, eq, filter, gt, join, lit, shape } from '../builders.js';

describe('join extraction', () => {
  function tables() {
    const b = new Builder();
    const a = b.table('a', { ax: 'int32', az: 'int32' });
    const bt = b.table('b', { bx: 'int32', by: 'int32' });
    const c = b.table('c', { cy: 'int32' });
    return { b, a, bt, c };
  }

  it('moves WHERE terms of a comma join to the lowest join that has their columns', () => {
    const { a, bt, c } = tables();
    const plan = filter(cross(a.plan, bt.plan, c.plan), and(eq(a.r('ax'), bt.r('bx')), eq(bt.r('by'), c.r('cy')), gt(a.r('az'), lit(1, 'int32'))));
    const out = joinExtraction(plan);
    expect(shape(out)).toBe('Join[inner](Join[inner](Filter(Scan:a),Scan:b),Scan:c)');
    if (out.kind !== 'Join' || out.left.kind !== 'Join' || out.left.left.kind !== 'Filter') throw new Error('shape');
    expect(out.condition).toEqual(eq(bt.r('by'), c.r('cy')));
    expect(out.left.condition).toEqual(eq(a.r('ax'), bt.r('bx')));
    expect(out.left.left.predicate).toEqual(gt(a.r('az'), lit(1, 'int32')));
    expect(outputColumns(out)).toEqual(outputColumns(plan));
  });

  it('moves a join condition term that reads one side down to that side', () => {
    const { a, bt } = tables();
    const plan = join(a.plan, bt.plan, 'inner', and(eq(a.r('ax'), bt.r('bx')), gt(bt.r('by'), lit(3, 'int32'))));
    expect(shape(joinExtraction(plan))).toBe('Join[inner](Scan:a,Filter(Scan:b))');
  });

  it('leaves a term spanning non-adjacent leaves at the join that first covers them, and outer joins alone', () => {
    const { a, bt, c } = tables();
    const plan = filter(cross(a.plan, bt.plan, c.plan), eq(a.r('ax'), c.r('cy')));
    const out = joinExtraction(plan);
    expect(shape(out)).toBe('Join[inner](Join[inner](Scan:a,Scan:b),Scan:c)');
    expect(out.kind === 'Join' && out.left.kind === 'Join' && out.left.condition).toBeNull();
    expect(out.kind === 'Join' && out.condition).toEqual(eq(a.r('ax'), c.r('cy')));

    const outer = filter(join(a.plan, bt.plan, 'left', eq(a.r('ax'), bt.r('bx'))), gt(bt.r('by'), lit(1, 'int32')));
    expect(joinExtraction(outer)).toEqual(outer);
  });

  it('handles the region below another node', () => {
    const { b, a, bt } = tables();
    const plan = b.project(filter(cross(a.plan, bt.plan), eq(a.r('ax'), bt.r('bx'))), [['ax', a.r('ax')]]);
    expect(shape(joinExtraction(plan))).toBe('Project(Join[inner](Scan:a,Scan:b))');
  });
});
