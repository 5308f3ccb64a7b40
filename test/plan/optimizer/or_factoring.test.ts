import { describe, expect, it } from 'vitest';
import { factorExpr, orFactoring } from '../../../src/plan/optimizer/or_factoring.js';
import { joinExtraction } from '../../../src/plan/optimizer/join_extraction.js';
import type { LExpr } from '../../../src/plan/logical.js';
import { and, bin, Builder, cross, eq, filter, gt, lit, shape } from '../builders.js';

const or = (a: LExpr, b: LExpr): LExpr => bin('or', a, b, 'bool');

describe('OR factoring', () => {
  const b = new Builder();
  const l = b.table('l', { lk: 'int32', q: 'int32' });
  const p = b.table('p', { pk: 'int32', size: 'int32' });
  const key = eq(l.r('lk'), p.r('pk'));
  const q1 = gt(l.r('q'), lit(1, 'int32'));
  const q2 = gt(p.r('size'), lit(5, 'int32'));

  it('pulls a term shared by every branch in front of the OR (TPC-H Q19 shape)', () => {
    expect(factorExpr(or(and(key, q1), and(key, q2)))).toEqual(and(key, or(q1, q2)));
  });

  it('drops the OR when one branch has nothing left (it is TRUE)', () => {
    expect(factorExpr(or(key, and(key, q2)))).toEqual(key);
  });

  it('leaves an OR without shared terms alone', () => {
    const e = or(and(key, q1), q2);
    expect(factorExpr(e)).toEqual(e);
  });

  it('turns the factored key into a join condition', () => {
    const plan = filter(cross(l.plan, p.plan), or(and(key, q1), or(and(key, q2), and(key, q1, q2))));
    const out = joinExtraction(orFactoring(plan));
    expect(shape(out)).toBe('Join[inner](Scan:l,Scan:p)');
    if (out.kind !== 'Join') throw new Error('shape');
    expect(JSON.stringify(out.condition)).toContain(JSON.stringify(key));
  });
});
