import { describe, expect, it } from 'vitest';
import { estimateRows, selectivity } from '../../src/plan/estimate.js';
import type { LogicalPlan } from '../../src/plan/logical.js';
import { and, bin, Builder, eq, gt, int, join, lit } from './builders.js';

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
