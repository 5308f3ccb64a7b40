import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch } from '../../src/columnar/column.js';
import { SpillwayError } from '../../src/common/errors.js';
import { field, schema } from '../../src/common/types.js';
import { bin, col, colBatch, day, evalOne, evalRows, lit, rowsBatch, un } from './helpers.js';

const i32 = (i: number) => col(i, 'int32');
const i64 = (i: number) => col(i, 'int64');
const f64 = (i: number) => col(i, 'float64');

function expectError(f: () => unknown, message: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe('execution');
    expect((e as Error).message).toBe(message);
    return;
  }
  throw new Error(`expected an error: ${message}`);
}

describe('int32 arithmetic', () => {
  const b = rowsBatch(['int32', 'int32'], [[7, 2], [-7, 2], [7, -2], [null, 3], [4, null], [0, 5]]);
  it('+ - * / % with NULLs', () => {
    expect(evalRows(bin('+', i32(0), i32(1), 'int32'), b)).toEqual([9, -5, 5, null, null, 5]);
    expect(evalRows(bin('-', i32(0), i32(1), 'int32'), b)).toEqual([5, -9, 9, null, null, -5]);
    expect(evalRows(bin('*', i32(0), i32(1), 'int32'), b)).toEqual([14, -14, -14, null, null, 0]);
    expect(evalRows(bin('/', i32(0), i32(1), 'int32'), b)).toEqual([3, -3, -3, null, null, 0]);
    expect(evalRows(bin('%', i32(0), i32(1), 'int32'), b)).toEqual([1, -1, 1, null, null, 0]);
  });
  it('broadcasts literals on either side', () => {
    expect(evalRows(bin('-', lit(10, 'int32'), i32(0), 'int32'), b)).toEqual([3, 17, 3, null, 6, 10]);
    expect(evalRows(bin('*', i32(0), lit(3, 'int32'), 'int32'), b)).toEqual([21, -21, 21, null, 12, 0]);
  });
  it('division and modulo by zero are NULL', () => {
    const z = rowsBatch(['int32', 'int32'], [[5, 0], [6, 3], [null, 0]]);
    expect(evalRows(bin('/', i32(0), i32(1), 'int32'), z)).toEqual([null, 2, null]);
    expect(evalRows(bin('%', i32(0), i32(1), 'int32'), z)).toEqual([null, 0, null]);
    expect(evalOne(bin('/', lit(1, 'int32'), lit(0, 'int32'), 'int32'))).toBeNull();
  });
  it('overflow raises integer out of range', () => {
    const big = colBatch('int32', [2147483647, 1]);
    expectError(() => evalRows(bin('+', i32(0), lit(1, 'int32'), 'int32'), big), 'integer out of range');
    expectError(() => evalRows(bin('*', i32(0), lit(2, 'int32'), 'int32'), big), 'integer out of range');
    expectError(() => evalRows(bin('-', lit(-2147483648, 'int32'), lit(1, 'int32'), 'int32'), big), 'integer out of range');
    expectError(() => evalRows(bin('/', lit(-2147483648, 'int32'), lit(-1, 'int32'), 'int32'), big), 'integer out of range');
    expectError(() => evalRows(un('neg', lit(-2147483648, 'int32'), 'int32'), big), 'integer out of range');
  });
  it('does not raise for overflow hidden under a NULL', () => {
    const values = Int32Array.of(2147483647, 1);
    const c = fixedColumn('int32', values, Uint8Array.of(0, 1));
    const nb = makeBatch(schema([field('c0', 'int32')]), [c], 2);
    expect(evalRows(bin('+', i32(0), lit(1, 'int32'), 'int32'), nb)).toEqual([null, 2]);
  });
  it('computes in the wider result type when the binder asks for it', () => {
    const big = colBatch('int32', [2147483647]);
    expect(evalRows(bin('+', i32(0), lit(1, 'int32'), 'int64'), big)).toEqual([2147483648n]);
  });
  it('unary minus', () => {
    expect(evalRows(un('neg', i32(0), 'int32'), colBatch('int32', [1, null, -3]))).toEqual([-1, null, 3]);
  });
});

describe('int64 arithmetic', () => {
  const b = rowsBatch(['int64', 'int64'], [[10n, 3n], [-10n, 3n], [null, 1n], [5n, 0n]]);
  it('ops, truncating division, NULLs, division by zero', () => {
    expect(evalRows(bin('+', i64(0), i64(1), 'int64'), b)).toEqual([13n, -7n, null, 5n]);
    expect(evalRows(bin('/', i64(0), i64(1), 'int64'), b)).toEqual([3n, -3n, null, null]);
    expect(evalRows(bin('%', i64(0), i64(1), 'int64'), b)).toEqual([1n, -1n, null, null]);
    expect(evalRows(bin('*', i64(0), i64(1), 'int64'), b)).toEqual([30n, -30n, null, 0n]);
  });
  it('overflow raises bigint out of range', () => {
    const big = colBatch('int64', [9223372036854775807n]);
    expectError(() => evalRows(bin('+', i64(0), lit(1n, 'int64'), 'int64'), big), 'bigint out of range');
    expectError(() => evalRows(bin('*', i64(0), lit(2n, 'int64'), 'int64'), big), 'bigint out of range');
    expectError(() => evalRows(un('neg', lit(-9223372036854775808n, 'int64'), 'int64'), big), 'bigint out of range');
  });
});

describe('float64 and mixed types', () => {
  it('float ops, division by zero NULL', () => {
    const b = rowsBatch(['float64', 'float64'], [[1.5, 0.5], [1, 0], [null, 2], [-7.5, 2]]);
    expect(evalRows(bin('/', f64(0), f64(1), 'float64'), b)).toEqual([3, null, null, -3.75]);
    expect(evalRows(bin('%', f64(0), f64(1), 'float64'), b)).toEqual([0, null, null, -1.5]);
    expect(evalRows(bin('-', f64(0), f64(1), 'float64'), b)).toEqual([1, 1, null, -9.5]);
  });
  it('promotes int32 < int64 < float64', () => {
    const b = rowsBatch(['int32', 'int64', 'float64'], [[2, 3n, 0.5], [null, 1n, 1]]);
    expect(evalRows(bin('+', i32(0), i64(1), 'int64'), b)).toEqual([5n, null]);
    expect(evalRows(bin('*', i32(0), f64(2), 'float64'), b)).toEqual([1, null]);
    expect(evalRows(bin('-', i64(1), f64(2), 'float64'), b)).toEqual([2.5, 0]);
    expect(evalRows(bin('/', i64(1), i32(0), 'int64'), b)).toEqual([1n, null]);
  });
  it('NULL literal operand gives NULL', () => {
    expect(evalRows(bin('+', i32(0), lit(null, 'null'), 'int32'), colBatch('int32', [1, 2]))).toEqual([null, null]);
  });
  it('empty batch', () => {
    expect(evalRows(bin('+', i32(0), lit(1, 'int32'), 'int32'), colBatch('int32', []))).toEqual([]);
  });
});

describe('date arithmetic', () => {
  const b = rowsBatch(['date32', 'int32', 'date32'], [[day('2024-02-28'), 2, day('2024-01-01')], [null, 1, day('2024-01-01')], [day('1969-12-31'), -1, day('1970-01-01')]]);
  it('date ± int → date, int + date → date', () => {
    expect(evalRows(bin('+', col(0, 'date32'), i32(1), 'date32'), b)).toEqual([day('2024-03-01'), null, day('1969-12-30')]);
    expect(evalRows(bin('+', i32(1), col(0, 'date32'), 'date32'), b)).toEqual([day('2024-03-01'), null, day('1969-12-30')]);
    expect(evalRows(bin('-', col(0, 'date32'), i32(1), 'date32'), b)).toEqual([day('2024-02-26'), null, day('1970-01-01')]);
  });
  it('date - date → days', () => {
    expect(evalRows(bin('-', col(0, 'date32'), col(2, 'date32'), 'int32'), b)).toEqual([58, null, -1]);
  });
  it('rejects date + date', () => {
    expect(() => evalRows(bin('+', col(0, 'date32'), col(2, 'date32'), 'date32'), b)).toThrow(/not defined/);
  });
});

describe('result type conversion', () => {
  it('int / int truncates even when the result type is float64', () => {
    expect(evalRows(bin('/', col(0, 'int32'), lit(2, 'int32'), 'float64'), colBatch('int32', [7, -7, null]))).toEqual([3, -3, null]);
  });
  it('narrowing to the result type is range checked', () => {
    expect(() => evalRows(bin('+', col(0, 'int64'), lit(1n, 'int64'), 'int32'), colBatch('int64', [2147483647n]))).toThrow('integer out of range');
  });
});
