import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/columnar/column.js';
import { batchFromRows, sliceBatch } from '../../src/columnar/kernels.js';
import { evaluate, evaluateConstant, evaluatePredicate, isConstant } from '../../src/expr/evaluate.js';
import type { PhysicalExpr } from '../../src/expr/expr.js';
import { field, schema } from '../../src/common/types.js';
import { bin, call, cast, col, colBatch, evalRows, lit, rowsBatch, str } from './helpers.js';

describe('evaluate', () => {
  it('column references return the column itself', () => {
    const b = colBatch('int32', [1, 2]);
    expect(evaluate(col(0, 'int32'), b)).toBe(b.columns[0]);
  });
  it('literals broadcast to the batch length', () => {
    const b = colBatch('int32', [1, 2, 3]);
    expect(evalRows(lit(7, 'int32'), b)).toEqual([7, 7, 7]);
    expect(evalRows(str('x'), b)).toEqual(['x', 'x', 'x']);
    expect(evalRows(lit(null, 'utf8'), b)).toEqual([null, null, null]);
    expect(evalRows(lit(5, 'int64'), b)).toEqual([5n, 5n, 5n]);
    expect(evalRows(lit('1998-12-01', 'date32'), b)[0]).toBe(10561);
    expect(evalRows(lit('0.06', 'float64'), b)).toEqual([0.06, 0.06, 0.06]);
  });
  it('constant subexpressions are folded once and broadcast', () => {
    const b = colBatch('int32', [1, 2, 3]);
    const e = bin('+', col(0, 'int32'), bin('*', lit(2, 'int32'), lit(5, 'int32'), 'int32'), 'int32');
    expect(evalRows(e, b)).toEqual([11, 12, 13]);
    expect(evalRows(bin('||', str('a'), str('b'), 'utf8'), b)).toEqual(['ab', 'ab', 'ab']);
  });
  it('empty batch gives an empty column of the result type', () => {
    const b = colBatch('int32', []);
    const c = evaluate(call('upper', 'utf8', cast(col(0, 'int32'), 'utf8')), b);
    expect(c.type).toBe('utf8');
    expect(c.length).toBe(0);
    // A constant that would fail is not evaluated for zero rows.
    expect(evaluate(cast(str('abc'), 'int32'), b).length).toBe(0);
  });
  it('one-row batches', () => {
    const b = colBatch('utf8', ['abc']);
    expect(evalRows(call('length', 'int32', col(0, 'utf8')), b)).toEqual([3]);
    expect(evalRows(bin('=', col(0, 'utf8'), str('abc'), 'bool'), b)).toEqual([true]);
  });
  it('a larger batch exercises the typed-array paths', () => {
    const n = 10_000;
    const rows = Array.from({ length: n }, (_, i) => [i % 7 === 0 ? null : i, `s${i % 100}`]);
    const b = rowsBatch(['int32', 'utf8'], rows);
    const e = bin('and', bin('>', bin('%', col(0, 'int32'), lit(10, 'int32'), 'int32'), lit(4, 'int32'), 'bool'),
      { kind: 'like', arg: col(1, 'utf8'), pattern: str('s1%'), negated: false, caseInsensitive: false, type: 'bool' }, 'bool');
    const got = evalRows(e, b);
    const want = rows.map(([v, s]) => {
      const left = v === null ? null : (v as number) % 10 > 4;
      const right = (s as string).startsWith('s1');
      return left === false || !right ? false : left === null ? null : true;
    });
    expect(got).toEqual(want);
  });
});

describe('many batches', () => {
  it('one expression over batches of different lengths (constants re-broadcast each time)', () => {
    const e = bin('||', call('upper', 'utf8', col(0, 'utf8')), bin('||', str('-'), cast(lit(1.5, 'float64'), 'utf8'), 'utf8'), 'utf8');
    const lengths = [3, 1, 0, 5, 2];
    for (const len of lengths) {
      const values = Array.from({ length: len }, (_, i) => (i === 1 ? null : `r${i}`));
      expect(evalRows(e, colBatch('utf8', values))).toEqual(values.map((v) => (v === null ? null : `${v.toUpperCase()}-1.5`)));
    }
  });
  it('sliced input columns (validity views)', () => {
    const b = sliceBatch(colBatch('utf8', ['aa', null, 'bbb', 'c', null]), 1, 4);
    expect(evalRows(call('length', 'int32', col(0, 'utf8')), b)).toEqual([null, 3, 1]);
    expect(evalRows(call('substring', 'utf8', col(0, 'utf8'), lit(2, 'int32')), b)).toEqual([null, 'bb', '']);
    expect(evalRows(bin('=', col(0, 'utf8'), str('c'), 'bool'), b)).toEqual([null, false, true]);
  });
});

describe('evaluatePredicate', () => {
  it('TRUE → 1, FALSE and NULL → 0', () => {
    const b = colBatch('int32', [1, 5, null]);
    expect(Array.from(evaluatePredicate(bin('>', col(0, 'int32'), lit(2, 'int32'), 'bool'), b))).toEqual([0, 1, 0]);
    expect(Array.from(evaluatePredicate(lit(true, 'bool'), b))).toEqual([1, 1, 1]);
    expect(Array.from(evaluatePredicate(lit(null, 'bool'), b))).toEqual([0, 0, 0]);
  });
  it('rejects a non-boolean predicate', () => {
    expect(() => evaluatePredicate(col(0, 'int32'), colBatch('int32', [1]))).toThrow(/boolean/);
  });
});

describe('isConstant / evaluateConstant', () => {
  it('detects column references anywhere in the tree', () => {
    expect(isConstant(bin('+', lit(1, 'int32'), lit(2, 'int32'), 'int32'))).toBe(true);
    expect(isConstant(call('coalesce', 'int32', lit(null, 'int32'), col(0, 'int32')))).toBe(false);
    const c: PhysicalExpr = { kind: 'case', operand: null, whens: [{ when: lit(true, 'bool'), then: col(1, 'int32') }], else: null, type: 'int32' };
    expect(isConstant(c)).toBe(false);
  });
  it('folds to a scalar', () => {
    expect(evaluateConstant(bin('*', lit(6, 'int32'), lit(7, 'int32'), 'int32'))).toBe(42);
    expect(evaluateConstant(call('upper', 'utf8', str('abc')))).toBe('ABC');
    expect(evaluateConstant(lit(null, 'int32'))).toBeNull();
    expect(evaluateConstant(call('date_add_months', 'date32', lit('2024-01-31', 'date32'), lit(1, 'int32')))).toBe(19782);
    expect(() => evaluateConstant(col(0, 'int32'))).toThrow();
  });
  it('works on batches built by batchFromRows with no columns used', () => {
    const b = makeBatch(schema([field('a', 'int32')]), batchFromRows(schema([field('a', 'int32')]), [[1], [2]]).columns, 2);
    expect(evalRows(bin('<', lit(1, 'int32'), lit(2, 'int32'), 'bool'), b)).toEqual([true, true]);
  });
});
