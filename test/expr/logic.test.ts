import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { bin, col, colBatch, evalRows, lit, rowsBatch, un } from './helpers.js';

const T = true, F = false, N = null;
const vals = [T, F, N];
// Every pair (a, b) of {TRUE, FALSE, NULL}.
const pairs = vals.flatMap((a) => vals.map((b) => [a, b]));
const b = rowsBatch(['bool', 'bool'], pairs);
const a0 = col(0, 'bool'), a1 = col(1, 'bool');

describe('three-valued logic', () => {
  it('AND truth table', () => {
    // rows: TT TF TN FT FF FN NT NF NN
    expect(evalRows(bin('and', a0, a1, 'bool'), b)).toEqual([T, F, N, F, F, F, N, F, N]);
  });
  it('OR truth table', () => {
    expect(evalRows(bin('or', a0, a1, 'bool'), b)).toEqual([T, T, T, T, F, N, T, N, N]);
  });
  it('NOT', () => {
    expect(evalRows(un('not', a0, 'bool'), colBatch('bool', [T, F, N]))).toEqual([F, T, N]);
  });
  it('IS NULL / IS NOT NULL / IS TRUE / IS FALSE are never NULL', () => {
    const c = colBatch('bool', [T, F, N]);
    expect(evalRows(un('is_null', a0, 'bool'), c)).toEqual([F, F, T]);
    expect(evalRows(un('is_not_null', a0, 'bool'), c)).toEqual([T, T, F]);
    expect(evalRows(un('is_true', a0, 'bool'), c)).toEqual([T, F, F]);
    expect(evalRows(un('is_false', a0, 'bool'), c)).toEqual([F, T, F]);
    expect(evalRows(un('is_null', col(0, 'utf8'), 'bool'), colBatch('utf8', ['x', null]))).toEqual([F, T]);
    expect(evalRows(un('is_null', lit(null, 'null'), 'bool'), colBatch('int32', [1, 2]))).toEqual([T, T]);
  });
  it('AND / OR with literals and NULL literals', () => {
    const c = colBatch('bool', [T, F, N]);
    expect(evalRows(bin('and', a0, lit(null, 'null'), 'bool'), c)).toEqual([N, F, N]);
    expect(evalRows(bin('or', lit(null, 'bool'), a0, 'bool'), c)).toEqual([T, N, N]);
    expect(evalRows(bin('and', a0, lit(true, 'bool'), 'bool'), c)).toEqual([T, F, N]);
    expect(evalRows(bin('or', a0, lit(false, 'bool'), 'bool'), c)).toEqual([T, F, N]);
  });
  it('a right side that raises is re-run only over the rows the left side leaves open', () => {
    // 2147483646 + x overflows only where x = 2, which the guard excludes.
    const x = colBatch('int32', [0, 1, 2, null]);
    const guard = bin('<>', col(0, 'int32'), lit(2, 'int32'), 'bool');
    const risky = bin('>', bin('+', lit(2147483646, 'int32'), col(0, 'int32'), 'int32'), lit(0, 'int32'), 'bool');
    expect(evalRows(bin('and', guard, risky, 'bool'), x)).toEqual([T, T, F, N]);
    const orGuard = bin('=', col(0, 'int32'), lit(2, 'int32'), 'bool');
    expect(evalRows(bin('or', orGuard, risky, 'bool'), x)).toEqual([T, T, T, N]);
    // Without the guard the error surfaces.
    expect(() => evalRows(bin('and', lit(true, 'bool'), bin('and', risky, guard, 'bool'), 'bool'), x)).toThrow(SpillwayError);
  });
  it('skips the right side when the left side decides every row', () => {
    const x = colBatch('int32', [1, 2]);
    const alwaysFalse = bin('<', col(0, 'int32'), lit(0, 'int32'), 'bool');
    const boom = bin('>', bin('+', lit(2147483647, 'int32'), col(0, 'int32'), 'int32'), lit(0, 'int32'), 'bool');
    expect(evalRows(bin('and', alwaysFalse, boom, 'bool'), x)).toEqual([F, F]);
  });
  it('empty batch', () => {
    expect(evalRows(bin('and', a0, a1, 'bool'), rowsBatch(['bool', 'bool'], []))).toEqual([]);
  });
});
