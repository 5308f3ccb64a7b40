import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { call, col, colBatch, evalOne, evalRows, lit } from './helpers.js';

const f = (v: number | null) => lit(v, 'float64');
const i = (v: number | null) => lit(v, 'int32');

describe('numeric functions', () => {
  it('abs on every numeric type, NULLs, overflow', () => {
    expect(evalRows(call('abs', 'int32', col(0, 'int32')), colBatch('int32', [-3, 4, null]))).toEqual([3, 4, null]);
    expect(evalRows(call('abs', 'int64', col(0, 'int64')), colBatch('int64', [-3n, null]))).toEqual([3n, null]);
    expect(evalRows(call('abs', 'float64', col(0, 'float64')), colBatch('float64', [-0.5, null]))).toEqual([0.5, null]);
    expect(() => evalOne(call('abs', 'int32', i(-2147483648)))).toThrow('integer out of range');
  });
  it('round half away from zero, with digits', () => {
    expect(evalRows(call('round', 'float64', col(0, 'float64')), colBatch('float64', [0.5, 1.5, 2.5, -0.5, -2.5, 2.4, null])))
      .toEqual([1, 2, 3, -1, -3, 2, null]);
    expect(evalOne(call('round', 'float64', f(3.14159), i(2)))).toBe(3.14);
    expect(evalOne(call('round', 'float64', f(-1.25), i(1)))).toBe(-1.3);
    expect(evalOne(call('round', 'float64', f(1234.5), i(-2)))).toBe(1200);
    expect(evalOne(call('round', 'int32', i(1250), i(-2)))).toBe(1300);
    expect(evalOne(call('round', 'int32', i(-1250), i(-2)))).toBe(-1300);
    expect(evalOne(call('round', 'int64', lit(-1250n, 'int64'), i(-2)))).toBe(-1300n);
    expect(evalOne(call('round', 'int32', i(7)))).toBe(7);
    expect(evalOne(call('round', 'float64', f(1.5), i(null)))).toBeNull();
  });
  it('floor, ceil, trunc, sign', () => {
    const b = colBatch('float64', [1.5, -1.5, null]);
    expect(evalRows(call('floor', 'float64', col(0, 'float64')), b)).toEqual([1, -2, null]);
    expect(evalRows(call('ceil', 'float64', col(0, 'float64')), b)).toEqual([2, -1, null]);
    expect(evalRows(call('trunc', 'float64', col(0, 'float64')), b)).toEqual([1, -1, null]);
    expect(evalRows(call('sign', 'float64', col(0, 'float64')), b)).toEqual([1, -1, null]);
    expect(evalRows(call('sign', 'int64', col(0, 'int64')), colBatch('int64', [-5n, 0n]))).toEqual([-1n, 0n]);
    expect(evalOne(call('floor', 'int32', i(5)))).toBe(5);
  });
  it('sqrt, power, ln, exp, log10 and their domain errors', () => {
    expect(evalOne(call('sqrt', 'float64', f(16)))).toBe(4);
    expect(evalOne(call('sqrt', 'float64', i(9)))).toBe(3);
    expect(evalOne(call('power', 'float64', f(2), i(10)))).toBe(1024);
    expect(evalOne(call('power', 'float64', f(-2), i(3)))).toBe(-8);
    expect(evalOne(call('pow', 'float64', f(null), i(3)))).toBeNull();
    expect(evalOne(call('ln', 'float64', f(Math.E)))).toBeCloseTo(1, 12);
    expect(evalOne(call('exp', 'float64', f(0)))).toBe(1);
    expect(evalOne(call('log10', 'float64', f(1000)))).toBeCloseTo(3, 12);
    expect(() => evalOne(call('sqrt', 'float64', f(-1)))).toThrow(new SpillwayError('execution', 'cannot take square root of a negative number'));
    expect(() => evalOne(call('ln', 'float64', f(0)))).toThrow('cannot take logarithm of zero');
    expect(() => evalOne(call('ln', 'float64', f(-1)))).toThrow('cannot take logarithm of a negative number');
    expect(() => evalOne(call('power', 'float64', f(0), f(-1)))).toThrow('zero raised to a negative power is undefined');
    expect(() => evalOne(call('power', 'float64', f(-8), f(0.5)))).toThrow(/complex result/);
  });
  it('domain errors are not raised for NULL rows', () => {
    expect(evalRows(call('sqrt', 'float64', col(0, 'float64')), colBatch('float64', [4, null]))).toEqual([2, null]);
  });
  it('mod matches %: truncated, NULL on zero', () => {
    const b = colBatch('int32', [7, -7, null]);
    expect(evalRows(call('mod', 'int32', col(0, 'int32'), i(3)), b)).toEqual([1, -1, null]);
    expect(evalRows(call('mod', 'int32', col(0, 'int32'), i(0)), b)).toEqual([null, null, null]);
  });
  it('unknown function and wrong argument count', () => {
    expect(() => evalOne(call('frobnicate', 'int32', i(1)))).toThrow(new SpillwayError('unsupported', 'function frobnicate is not supported'));
    try {
      evalOne(call('frobnicate', 'int32', i(1)));
    } catch (e) {
      expect((e as SpillwayError).kind).toBe('unsupported');
    }
    expect(() => evalOne(call('abs', 'int32', i(1), i(2)))).toThrow('function abs expects 1 argument, got 2');
  });
});
