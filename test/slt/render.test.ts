import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashLine, hashValues, renderReal, renderRows, renderValue, sortValues, sqliteTextToInteger } from '../../src/slt/render.js';

describe('renderValue', () => {
  it('renders NULL the same in every column type', () => {
    for (const t of ['I', 'R', 'T']) expect(renderValue(null, t)).toBe('NULL');
  });

  it('renders I as a 64-bit integer, truncating floats toward zero', () => {
    expect(renderValue(42, 'I')).toBe('42');
    expect(renderValue(9223372036854775807n, 'I')).toBe('9223372036854775807');
    expect(renderValue(-9223372036854775808n, 'I')).toBe('-9223372036854775808');
    expect(renderValue(2.9, 'I')).toBe('2');
    expect(renderValue(-2.9, 'I')).toBe('-2');
    expect(renderValue(-0.5, 'I')).toBe('0');
    expect(renderValue(1e30, 'I')).toBe('9223372036854775807');
    expect(renderValue(true, 'I')).toBe('1');
    expect(renderValue('12abc', 'I')).toBe('12');
    expect(renderValue('  -3.7e1x', 'I')).toBe('-37');
    expect(renderValue('abc', 'I')).toBe('0');
  });

  it('converts text like SQLite CAST(x AS INTEGER)', () => {
    expect(sqliteTextToInteger('')).toBe(0n);
    expect(sqliteTextToInteger('+7')).toBe(7n);
    expect(sqliteTextToInteger('.9')).toBe(0n);
    expect(sqliteTextToInteger('99999999999999999999')).toBe(9223372036854775807n);
  });

  it('renders R as %.3f, with round-half-even on exact ties like printf', () => {
    expect(renderValue(1, 'R')).toBe('1.000');
    expect(renderValue(-0.5, 'R')).toBe('-0.500');
    expect(renderValue(2n, 'R')).toBe('2.000');
    expect(renderValue(1.23456, 'R')).toBe('1.235');
    expect(renderReal(0.0625)).toBe('0.062'); // exact tie → even
    expect(renderReal(0.1875)).toBe('0.188'); // exact tie → even
    expect(renderReal(1.0005)).toBe('1.000'); // 1.0005 is below the tie in binary
    expect(renderReal(-0.0001)).toBe('-0.000');
    expect(renderReal(1e22)).toBe('10000000000000000000000.000');
  });

  it('renders T as text with (empty) and @ for non-printable bytes', () => {
    expect(renderValue('abc', 'T')).toBe('abc');
    expect(renderValue('', 'T')).toBe('(empty)');
    expect(renderValue('a\tb', 'T')).toBe('a@b');
    expect(renderValue('é', 'T')).toBe('@@'); // two UTF-8 bytes
    expect(renderValue(17n, 'T')).toBe('17');
    expect(renderValue(17, 'T', 'int32')).toBe('17');
    expect(renderValue(2.5, 'T', 'float64')).toBe('2.5');
    expect(renderValue(3, 'T', 'float64')).toBe('3.0');
    expect(renderValue(0, 'T', 'date32')).toBe('1970-01-01');
  });
});

describe('sorting and hashing', () => {
  const rows = renderRows([[10, 'b'], [9, 'a'], [null, 'c'], [10, 'a']], 'IT');

  it('keeps nosort order', () => {
    expect(sortValues(rows, 'nosort')).toEqual(['10', 'b', '9', 'a', 'NULL', 'c', '10', 'a']);
  });

  it('rowsort compares rendered strings column by column ("10" < "9", NULL as a word)', () => {
    expect(sortValues(rows, 'rowsort')).toEqual(['10', 'a', '10', 'b', '9', 'a', 'NULL', 'c']);
  });

  it('valuesort sorts every value on its own', () => {
    expect(sortValues(rows, 'valuesort')).toEqual(['10', '10', '9', 'NULL', 'a', 'a', 'b', 'c']);
  });

  it('hashes each value followed by a newline', () => {
    const vals = ['1', 'NULL', 'x'];
    expect(hashValues(vals)).toBe(createHash('md5').update('1\nNULL\nx\n').digest('hex'));
    expect(hashLine(vals)).toBe(`3 values hashing to ${hashValues(vals)}`);
    expect(hashValues([])).toBe(createHash('md5').update('').digest('hex'));
  });
});
