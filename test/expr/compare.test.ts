import { describe, expect, it } from 'vitest';
import type { PhysicalExpr } from '../../src/expr/expr.js';
import type { DataType, Scalar } from '../../src/common/types.js';
import { bin, col, colBatch, day, evalRows, lit, rowsBatch, str } from './helpers.js';

const OPS = ['=', '<>', '<', '<=', '>', '>='] as const;

/** Expected results of every comparison operator for a pair (NULL when either is NULL). */
function expected(a: Scalar, b: Scalar, cmp: number | null): Scalar[] {
  if (a === null || b === null || cmp === null) return OPS.map(() => null);
  return [cmp === 0, cmp !== 0, cmp < 0, cmp <= 0, cmp > 0, cmp >= 0];
}

function checkAll(types: [DataType, DataType], rows: [Scalar, Scalar, number | null][]): void {
  const b = rowsBatch(types, rows.map((r) => [r[0], r[1]]));
  OPS.forEach((op, k) => {
    const got = evalRows(bin(op, col(0, types[0]), col(1, types[1]), 'bool'), b);
    expect(got, `operator ${op}`).toEqual(rows.map((r) => expected(r[0], r[1], r[2])[k]));
  });
}

describe('comparisons', () => {
  it('int32', () => checkAll(['int32', 'int32'], [[1, 2, -1], [2, 2, 0], [3, 2, 1], [null, 2, null], [1, null, null], [-5, -6, 1]]));
  it('int64 vs int32 and float64 (by value)', () => {
    checkAll(['int64', 'int32'], [[1n, 2, -1], [2n, 2, 0], [9223372036854775807n, 2147483647, 1], [null, 1, null]]);
    checkAll(['int64', 'float64'], [[1n, 1.5, -1], [2n, 2, 0], [9007199254740993n, 9007199254740992, 1]]);
  });
  it('float64', () => checkAll(['float64', 'float64'], [[0.1, 0.2, -1], [-0, 0, 0], [Infinity, 1e308, 1], [null, null, null]]));
  it('utf8 compares bytes (code-point order)', () => {
    checkAll(['utf8', 'utf8'], [
      ['abc', 'abd', -1], ['abc', 'abc', 0], ['abc', 'ab', 1], ['', 'a', -1], ['B', 'a', -1],
      ['é', 'z', 1], ['😀', '\uffff', 1], [null, 'x', null],
    ]);
  });
  it('bool: false < true', () => checkAll(['bool', 'bool'], [[false, true, -1], [true, true, 0], [true, false, 1], [null, true, null]]));
  it('date32 and date32 vs timestamp', () => {
    checkAll(['date32', 'date32'], [[day('1969-12-31'), day('1970-01-01'), -1], [day('2000-02-29'), day('2000-02-29'), 0]]);
    checkAll(['date32', 'timestamp'], [[1, 86_400_000_000n, 0], [1, 86_400_000_001n, -1], [2, 86_400_000_001n, 1]]);
  });
  it('against a literal, on either side', () => {
    const b = colBatch('utf8', ['MAIL', 'SHIP', null, 'AIR']);
    expect(evalRows(bin('=', col(0, 'utf8'), str('MAIL'), 'bool'), b)).toEqual([true, false, null, false]);
    expect(evalRows(bin('<', str('B'), col(0, 'utf8'), 'bool'), b)).toEqual([true, true, null, false]);
    const n = colBatch('int32', [1, 5, null]);
    expect(evalRows(bin('>=', col(0, 'int32'), lit(5, 'int32'), 'bool'), n)).toEqual([false, true, null]);
    expect(evalRows(bin('<>', col(0, 'int32'), lit(null, 'null'), 'bool'), n)).toEqual([null, null, null]);
  });
  it('a column against a number constant, constant on either side, every operator', () => {
    // the monomorphic per-array-kind loops (Int32Array, Float64Array) and their flipped forms
    const cases: [DataType, Scalar[], Scalar][] = [
      ['int32', [-3, 0, 5, 7, null, 2147483647], 5],
      ['float64', [0.05, 0.06, 0.07, NaN, null, -0], 0.06],
      ['date32', [day('1994-01-01'), day('1993-12-31'), null, day('1995-01-01')], day('1994-01-01')],
      ['float64', [23.5, 24, 24.5], 24], // int literal against doubles
    ];
    for (const [type, values, c] of cases) {
      const b = colBatch(type, values);
      const litType: DataType = type === 'float64' && Number.isInteger(c) ? 'int32' : type;
      OPS.forEach((op) => {
        const want = values.map((v) => (v === null ? null : ({
          '=': (v as number) === c, '<>': (v as number) !== c, '<': (v as number) < (c as number), '<=': (v as number) <= (c as number),
          '>': (v as number) > (c as number), '>=': (v as number) >= (c as number),
        })[op]));
        expect(evalRows(bin(op, col(0, type), lit(c, litType), 'bool'), b), `${type} ${op} ${String(c)}`).toEqual(want);
        // c op x: the same rows as x flipped-op c
        const flipped = values.map((v) => (v === null ? null : ({
          '=': c === (v as number), '<>': c !== (v as number), '<': (c as number) < (v as number), '<=': (c as number) <= (v as number),
          '>': (c as number) > (v as number), '>=': (c as number) >= (v as number),
        })[op]));
        expect(evalRows(bin(op, lit(c, litType), col(0, type), 'bool'), b), `${String(c)} ${op} ${type}`).toEqual(flipped);
      });
    }
  });
  it('empty batch', () => {
    expect(evalRows(bin('=', col(0, 'int32'), lit(1, 'int32'), 'bool'), colBatch('int32', []))).toEqual([]);
  });
});

describe('IS [NOT] DISTINCT FROM', () => {
  it('is never NULL', () => {
    const b = rowsBatch(['int32', 'int32'], [[1, 1], [1, 2], [null, 1], [1, null], [null, null]]);
    expect(evalRows(bin('is_distinct_from', col(0, 'int32'), col(1, 'int32'), 'bool'), b)).toEqual([false, true, true, true, false]);
    expect(evalRows(bin('is_not_distinct_from', col(0, 'int32'), col(1, 'int32'), 'bool'), b)).toEqual([true, false, false, false, true]);
  });
  it('against a NULL literal', () => {
    const b = colBatch('utf8', ['a', null]);
    expect(evalRows(bin('is_distinct_from', col(0, 'utf8'), lit(null, 'null'), 'bool'), b)).toEqual([true, false]);
  });
});

describe('IN list', () => {
  const inList = (arg: PhysicalExpr, list: PhysicalExpr[], negated = false): PhysicalExpr => ({ kind: 'in_list', arg, list, negated, type: 'bool' });
  const b = colBatch('int32', [1, 2, 3, null]);
  it('constant list without NULL', () => {
    expect(evalRows(inList(col(0, 'int32'), [lit(1, 'int32'), lit(3, 'int32')]), b)).toEqual([true, false, true, null]);
    expect(evalRows(inList(col(0, 'int32'), [lit(1, 'int32'), lit(3, 'int32')], true), b)).toEqual([false, true, false, null]);
  });
  it('a NULL in the list makes non-matches NULL', () => {
    expect(evalRows(inList(col(0, 'int32'), [lit(1, 'int32'), lit(null, 'null')]), b)).toEqual([true, null, null, null]);
    expect(evalRows(inList(col(0, 'int32'), [lit(1, 'int32'), lit(null, 'int32')], true), b)).toEqual([false, null, null, null]);
  });
  it('utf8, int64, date and float items', () => {
    const s = colBatch('utf8', ['MAIL', 'SHIP', 'TRUCK', null]);
    expect(evalRows(inList(col(0, 'utf8'), [str('MAIL'), str('SHIP')]), s)).toEqual([true, true, false, null]);
    const big = colBatch('int64', [5n, 6n]);
    expect(evalRows(inList(col(0, 'int64'), [lit(6n, 'int64'), lit(1.5, 'float64')]), big)).toEqual([false, true]);
    const d = colBatch('date32', [day('2020-01-01'), day('2020-01-02')]);
    expect(evalRows(inList(col(0, 'date32'), [str('2020-01-02')]), d)).toEqual([false, true]);
    expect(evalRows(inList(col(0, 'int32'), [lit(2.0, 'float64'), lit(2.5, 'float64')]), b)).toEqual([false, true, false, null]);
  });
  it('a long utf8 list uses the hash path', () => {
    const items = Array.from({ length: 40 }, (_, i) => str(`v${i}`));
    const s = colBatch('utf8', ['v0', 'v39', 'v40', null, 'é']);
    expect(evalRows(inList(col(0, 'utf8'), items), s)).toEqual([true, true, false, null, false]);
  });
  it('non-constant list items', () => {
    const r = rowsBatch(['int32', 'int32', 'int32'], [[1, 1, 9], [2, null, 9], [3, 4, 5], [null, 1, 1]]);
    const e = inList(col(0, 'int32'), [col(1, 'int32'), col(2, 'int32')]);
    expect(evalRows(e, r)).toEqual([true, null, false, null]);
    expect(evalRows({ ...e, negated: true } as PhysicalExpr, r)).toEqual([false, null, true, null]);
  });
});
