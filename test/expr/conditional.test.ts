import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import type { PhysicalExpr } from '../../src/expr/expr.js';
import type { DataType } from '../../src/common/types.js';
import { bin, call, cast, col, colBatch, evalRows, lit, rowsBatch, str } from './helpers.js';

function caseExpr(operand: PhysicalExpr | null, whens: [PhysicalExpr, PhysicalExpr][], els: PhysicalExpr | null, type: DataType): PhysicalExpr {
  return { kind: 'case', operand, whens: whens.map(([when, then]) => ({ when, then })), else: els, type };
}

const x = col(0, 'int32');
const int = (v: number | null) => lit(v, 'int32');

describe('CASE', () => {
  const b = colBatch('int32', [1, 5, 10, null, 0]);
  it('searched CASE with ELSE, NULL conditions fall through', () => {
    const e = caseExpr(null, [[bin('<', x, int(3), 'bool'), str('small')], [bin('<', x, int(8), 'bool'), str('mid')]], str('big'), 'utf8');
    expect(evalRows(e, b)).toEqual(['small', 'mid', 'big', 'big', 'small']);
  });
  it('without ELSE gives NULL', () => {
    const e = caseExpr(null, [[bin('=', x, int(5), 'bool'), x]], null, 'int32');
    expect(evalRows(e, b)).toEqual([null, 5, null, null, null]);
  });
  it('with an operand (NULL operand matches nothing)', () => {
    const e = caseExpr(x, [[int(1), str('one')], [int(10), str('ten')], [lit(null, 'int32'), str('null?')]], str('other'), 'utf8');
    expect(evalRows(e, b)).toEqual(['one', 'other', 'ten', 'other', 'other']);
  });
  it('branches of different types are cast to the result type', () => {
    const e = caseExpr(null, [[bin('>', x, int(4), 'bool'), x]], lit(0.5, 'float64'), 'float64');
    expect(evalRows(e, b)).toEqual([0.5, 5, 10, 0.5, 0.5]);
  });
  it('does not raise for a branch on rows that do not reach it', () => {
    // 2147483647 + x overflows for x > 0, but that branch only sees x <= 0.
    const risky = bin('+', int(2147483647), x, 'int32');
    const e = caseExpr(null, [[bin('>', x, int(0), 'bool'), int(-1)]], risky, 'int32');
    expect(evalRows(e, b)).toEqual([-1, -1, -1, null, 2147483647]);
    const bad = cast(str('abc'), 'int32');
    const e2 = caseExpr(null, [[bin('>', x, int(100), 'bool'), bad]], int(0), 'int32');
    expect(evalRows(e2, b)).toEqual([0, 0, 0, 0, 0]);
    // Reaching rows do raise.
    expect(() => evalRows(caseExpr(null, [[bin('>', x, int(5), 'bool'), bad]], null, 'int32'), b)).toThrow(SpillwayError);
  });
  it('reads other columns in branches after rows are regrouped', () => {
    const r = rowsBatch(['int32', 'utf8', 'float64'], [[1, 'a', 1.5], [2, 'b', 2.5], [3, null, 3.5], [4, 'd', null]]);
    const e = caseExpr(null, [[bin('=', bin('%', x, int(2), 'int32'), int(0), 'bool'), col(1, 'utf8')]], cast(col(2, 'float64'), 'utf8'), 'utf8');
    expect(evalRows(e, r)).toEqual(['1.5', 'b', '3.5', 'd']);
  });
  it('constant CASE and empty batch', () => {
    const e = caseExpr(null, [[lit(false, 'bool'), int(1)], [lit(true, 'bool'), int(2)]], int(3), 'int32');
    expect(evalRows(e, b)).toEqual([2, 2, 2, 2, 2]);
    expect(evalRows(caseExpr(null, [[bin('>', x, int(0), 'bool'), int(1)]], int(0), 'int32'), colBatch('int32', []))).toEqual([]);
  });
});

describe('COALESCE, NULLIF, GREATEST, LEAST', () => {
  const r = rowsBatch(['int32', 'int32', 'int32'], [[1, 2, 3], [null, 2, 3], [null, null, 3], [null, null, null]]);
  const [a, b2, c] = [col(0, 'int32'), col(1, 'int32'), col(2, 'int32')];
  it('coalesce takes the first non-NULL', () => {
    expect(evalRows(call('coalesce', 'int32', a, b2, c), r)).toEqual([1, 2, 3, null]);
    expect(evalRows(call('coalesce', 'int32', a, int(0)), r)).toEqual([1, 0, 0, 0]);
    expect(evalRows(call('coalesce', 'utf8', cast(a, 'utf8'), str('none')), r)).toEqual(['1', 'none', 'none', 'none']);
    expect(evalRows(call('coalesce', 'int64', a, lit(7n, 'int64')), r)).toEqual([1n, 7n, 7n, 7n]);
  });
  it('coalesce does not evaluate later arguments on rows already resolved', () => {
    const risky = bin('+', int(2147483647), b2, 'int32'); // overflows where b2 is not NULL
    const rr = rowsBatch(['int32', 'int32'], [[1, 5], [2, 9], [null, null]]);
    expect(evalRows(call('coalesce', 'int32', a, risky), rr)).toEqual([1, 2, null]);
  });
  it('nullif', () => {
    const q = rowsBatch(['int32', 'int32'], [[1, 1], [1, 2], [null, 1], [1, null]]);
    expect(evalRows(call('nullif', 'int32', a, b2), q)).toEqual([null, 1, null, 1]);
    expect(evalRows(call('nullif', 'utf8', col(0, 'utf8'), str('')), colBatch('utf8', ['', 'x', null]))).toEqual([null, 'x', null]);
  });
  it('greatest / least ignore NULLs', () => {
    const q = rowsBatch(['int32', 'int32'], [[1, 2], [5, null], [null, null], [-1, -3]]);
    expect(evalRows(call('greatest', 'int32', a, b2), q)).toEqual([2, 5, null, -1]);
    expect(evalRows(call('least', 'int32', a, b2, int(0)), q)).toEqual([0, 0, 0, -3]);
    expect(evalRows(call('greatest', 'utf8', col(0, 'utf8'), str('b')), colBatch('utf8', ['a', 'c', null, 'é']))).toEqual(['b', 'c', 'b', 'é']);
    expect(evalRows(call('least', 'float64', a, lit(1.5, 'float64')), q)).toEqual([1, 1.5, 1.5, -1]);
  });
});
