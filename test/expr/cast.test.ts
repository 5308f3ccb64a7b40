import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { formatFloat } from '../../src/expr/cast.js';
import type { DataType, Scalar } from '../../src/common/types.js';
import { cast, col, colBatch, day, evalRows } from './helpers.js';

function castRows(from: DataType, to: DataType, values: Scalar[]): Scalar[] {
  return evalRows(cast(col(0, from), to), colBatch(from, values));
}

function castError(from: DataType, to: DataType, value: Scalar): SpillwayError {
  try {
    castRows(from, to, [value]);
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    return e as SpillwayError;
  }
  throw new Error(`cast of ${String(value)} to ${to} did not fail`);
}

describe('numeric casts', () => {
  it('widening keeps values and NULLs', () => {
    expect(castRows('int32', 'int64', [1, null, -2147483648])).toEqual([1n, null, -2147483648n]);
    expect(castRows('int32', 'float64', [1, null, -3])).toEqual([1, null, -3]);
    expect(castRows('int64', 'float64', [2n ** 53n, null])).toEqual([2 ** 53, null]);
  });
  it('narrowing is range checked', () => {
    expect(castRows('int64', 'int32', [2147483647n, null, -2147483648n])).toEqual([2147483647, null, -2147483648]);
    expect(castError('int64', 'int32', 2147483648n).message).toBe('integer out of range');
  });
  it('float → int rounds half to even, as PostgreSQL and DuckDB do', () => {
    expect(castRows('float64', 'int32', [0.5, 1.5, 2.5, -0.5, -2.5, -3.5, 2.4999, 74.5, null])).toEqual([0, 2, 2, 0, -2, -4, 2, 74, null]);
    expect(castRows('float64', 'int64', [2.5, -2.5, 3.5, 1e15])).toEqual([2n, -2n, 4n, 1000000000000000n]);
    expect(castError('float64', 'int32', 2147483647.5).message).toBe('integer out of range');
    expect(castError('float64', 'int32', NaN).message).toBe('integer out of range');
    expect(castError('float64', 'int64', 1e19).message).toBe('bigint out of range');
  });
  it('bool ↔ int', () => {
    expect(castRows('bool', 'int32', [true, false, null])).toEqual([1, 0, null]);
    expect(castRows('int32', 'bool', [0, 7, null])).toEqual([false, true, null]);
    expect(castRows('int64', 'bool', [0n, -1n])).toEqual([false, true]);
  });
  it('null type casts to all NULL', () => {
    for (const t of ['int32', 'int64', 'float64', 'utf8', 'bool', 'date32', 'timestamp'] as DataType[]) {
      expect(castRows('null', t, [null, null])).toEqual([null, null]);
    }
  });
});

describe('to text', () => {
  it('ints, bools, dates, timestamps', () => {
    expect(castRows('int32', 'utf8', [0, -12, null])).toEqual(['0', '-12', null]);
    expect(castRows('int64', 'utf8', [-9223372036854775808n])).toEqual(['-9223372036854775808']);
    expect(castRows('bool', 'utf8', [true, false, null])).toEqual(['true', 'false', null]);
    expect(castRows('date32', 'utf8', [0, day('2024-02-29'), day('0999-01-05'), null])).toEqual(['1970-01-01', '2024-02-29', '0999-01-05', null]);
    expect(castRows('date32', 'utf8', [day('0000-12-31')])).toEqual(['0001-12-31 BC']);
    expect(castRows('timestamp', 'utf8', [0n, 1_500_000n, -1n, 86_400_000_000n + 3_723_000_000n + 120_000n]))
      .toEqual(['1970-01-01 00:00:00', '1970-01-01 00:00:01.5', '1969-12-31 23:59:59.999999', '1970-01-02 01:02:03.12']);
  });
  it('floats print like PostgreSQL', () => {
    expect(castRows('float64', 'utf8', [1, 1.5, -0.25, 0.1 + 0.2, null])).toEqual(['1', '1.5', '-0.25', '0.30000000000000004', null]);
    expect(formatFloat(1e15)).toBe('1e+15');
    expect(formatFloat(123456789012345)).toBe('123456789012345');
    expect(formatFloat(1e-5)).toBe('1e-05');
    expect(formatFloat(0.0001)).toBe('0.0001');
    expect(formatFloat(1.5e300)).toBe('1.5e+300');
    expect(formatFloat(-0)).toBe('-0');
    expect(formatFloat(NaN)).toBe('NaN');
    expect(formatFloat(-Infinity)).toBe('-Infinity');
  });
  it('non-ASCII text survives a round trip through concat of casts', () => {
    expect(castRows('utf8', 'utf8', ['héllo', null])).toEqual(['héllo', null]);
  });
});

describe('from text', () => {
  it('integers: trims whitespace, accepts a sign', () => {
    expect(castRows('utf8', 'int32', [' 42 ', '-7', '+3', null, '\t0\n'])).toEqual([42, -7, 3, null, 0]);
    expect(castRows('utf8', 'int64', ['9223372036854775807', '-9223372036854775808', ' 12 '])).toEqual([9223372036854775807n, -9223372036854775808n, 12n]);
  });
  it('integer errors use PostgreSQL wording', () => {
    const e = castError('utf8', 'int32', 'abc');
    expect(e.kind).toBe('execution');
    expect(e.message).toBe('invalid input syntax for type integer: "abc"');
    expect(castError('utf8', 'int32', '1.5').message).toBe('invalid input syntax for type integer: "1.5"');
    expect(castError('utf8', 'int32', '').message).toBe('invalid input syntax for type integer: ""');
    expect(castError('utf8', 'int32', '-').message).toBe('invalid input syntax for type integer: "-"');
    expect(castError('utf8', 'int32', '99999999999').message).toBe('value "99999999999" is out of range for type integer');
    expect(castError('utf8', 'int64', 'x1').message).toBe('invalid input syntax for type bigint: "x1"');
    expect(castError('utf8', 'int64', '9223372036854775808').message).toBe('value "9223372036854775808" is out of range for type bigint');
  });
  it('floats', () => {
    expect(castRows('utf8', 'float64', ['1.5', ' -2e3 ', '.5', '7.', 'Infinity', '-inf', null])).toEqual([1.5, -2000, 0.5, 7, Infinity, -Infinity, null]);
    expect(Number.isNaN(castRows('utf8', 'float64', ['NaN'])[0])).toBe(true);
    expect(castError('utf8', 'float64', '1,5').message).toBe('invalid input syntax for type double precision: "1,5"');
    expect(castError('utf8', 'float64', '0x10').message).toBe('invalid input syntax for type double precision: "0x10"');
  });
  it('booleans', () => {
    expect(castRows('utf8', 'bool', ['true', 'F', ' yes ', 'off', '1', '0', 't', null])).toEqual([true, false, true, false, true, false, true, null]);
    expect(castError('utf8', 'bool', 'maybe').message).toBe('invalid input syntax for type boolean: "maybe"');
  });
  it('dates', () => {
    expect(castRows('utf8', 'date32', ['1998-12-01', ' 2000-02-29 ', '1969-12-31', '0001-01-01 BC', null]))
      .toEqual([day('1998-12-01'), day('2000-02-29'), -1, day('0000-01-01'), null]);
    expect(castError('utf8', 'date32', 'yesterday').message).toBe('invalid input syntax for type date: "yesterday"');
    expect(castError('utf8', 'date32', '2021-02-29').message).toBe('date/time field value out of range: "2021-02-29"');
    expect(castError('utf8', 'date32', '2021-13-01').message).toBe('date/time field value out of range: "2021-13-01"');
  });
  it('timestamps', () => {
    expect(castRows('utf8', 'timestamp', ['1970-01-01 00:00:01.5', '1970-01-02', '1969-12-31T23:59:59']))
      .toEqual([1_500_000n, 86_400_000_000n, -1_000_000n]);
    expect(castError('utf8', 'timestamp', '1970-01-01 25:00').message).toBe('date/time field value out of range: "1970-01-01 25:00"');
  });
});

describe('dates and timestamps', () => {
  it('date32 ↔ timestamp', () => {
    expect(castRows('date32', 'timestamp', [0, -1, null])).toEqual([0n, -86_400_000_000n, null]);
    expect(castRows('timestamp', 'date32', [1n, -1n, 86_400_000_000n, null])).toEqual([0, -1, 1, null]);
  });
  it('unsupported pairs are type errors', () => {
    const e = castError('date32', 'int32', 1);
    expect(e.kind).toBe('type');
    expect(e.message).toBe('cannot cast type DATE to INTEGER');
  });
  it('empty batch', () => {
    expect(castRows('utf8', 'int32', [])).toEqual([]);
  });
});
