import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { bin, call, col, colBatch, evalOne, evalRows, lit, rowsBatch, str } from './helpers.js';

const s0 = col(0, 'utf8');
const int = (v: number | null) => lit(v, 'int32');

describe('substring', () => {
  const sub = (s: string | null, start: number | null, len?: number | null) =>
    evalOne(len === undefined ? call('substring', 'utf8', str(s), int(start)) : call('substring', 'utf8', str(s), int(start), int(len)));
  it('follows PostgreSQL for start ≤ 0, beyond the end and missing length', () => {
    expect(sub('hello', 1, 3)).toBe('hel');
    expect(sub('hello', 2)).toBe('ello');
    expect(sub('hello', 0, 3)).toBe('he');
    expect(sub('hello', -2, 4)).toBe('h');
    expect(sub('hello', -2, 3)).toBe('');
    expect(sub('hello', 0)).toBe('hello');
    expect(sub('hello', 5, 10)).toBe('o');
    expect(sub('hello', 6, 2)).toBe('');
    expect(sub('hello', 100)).toBe('');
    expect(sub('hello', 2, 0)).toBe('');
    expect(sub('', 1, 1)).toBe('');
  });
  it('counts characters, not bytes', () => {
    expect(sub('héllo wörld', 2, 4)).toBe('éllo');
    expect(sub('日本語テキスト', 3)).toBe('語テキスト');
    expect(sub('😀a😀', 2, 2)).toBe('a😀');
  });
  it('NULL arguments and negative length', () => {
    expect(sub(null, 1, 2)).toBeNull();
    expect(sub('abc', null, 2)).toBeNull();
    expect(sub('abc', 1, null)).toBeNull();
    expect(() => sub('abc', 1, -1)).toThrow(new SpillwayError('execution', 'negative substring length not allowed'));
  });
  it('over a column with per-row starts (ASCII and non-ASCII columns)', () => {
    const b = rowsBatch(['utf8', 'int32'], [['abcdef', 2], ['xy', 0], [null, 1], ['hello', null]]);
    expect(evalRows(call('substring', 'utf8', s0, col(1, 'int32'), int(2)), b)).toEqual(['bc', 'x', null, null]);
    const u = rowsBatch(['utf8', 'int32'], [['ñandú', 2], ['ab', 1]]);
    expect(evalRows(call('substr', 'utf8', s0, col(1, 'int32')), u)).toEqual(['andú', 'ab']);
  });
});

describe('case, length, trim', () => {
  const b = colBatch('utf8', ['Hello', 'ÉcoLE', '', null, '  pad  ']);
  it('upper / lower', () => {
    expect(evalRows(call('upper', 'utf8', s0), b)).toEqual(['HELLO', 'ÉCOLE', '', null, '  PAD  ']);
    expect(evalRows(call('lower', 'utf8', s0), b)).toEqual(['hello', 'école', '', null, '  pad  ']);
  });
  it('length counts characters; octet_length counts bytes', () => {
    expect(evalRows(call('length', 'int32', s0), b)).toEqual([5, 5, 0, null, 7]);
    expect(evalRows(call('char_length', 'int64', s0), b)).toEqual([5n, 5n, 0n, null, 7n]);
    expect(evalRows(call('octet_length', 'int32', s0), b)).toEqual([5, 6, 0, null, 7]);
  });
  it('trim / ltrim / rtrim remove spaces only, or the given characters', () => {
    expect(evalRows(call('trim', 'utf8', s0), b)).toEqual(['Hello', 'ÉcoLE', '', null, 'pad']);
    expect(evalRows(call('ltrim', 'utf8', s0), b)).toEqual(['Hello', 'ÉcoLE', '', null, 'pad  ']);
    expect(evalRows(call('rtrim', 'utf8', s0), b)).toEqual(['Hello', 'ÉcoLE', '', null, '  pad']);
    expect(evalOne(call('trim', 'utf8', str('\tx\t')))).toBe('\tx\t');
    expect(evalOne(call('btrim', 'utf8', str('xxhixyx'), str('xy')))).toBe('hi');
    expect(evalOne(call('ltrim', 'utf8', str('ééaé'), str('é')))).toBe('aé');
  });
});

describe('replace, strpos, starts_with, left, right, pads, reverse', () => {
  it('replace', () => {
    expect(evalOne(call('replace', 'utf8', str('abcabc'), str('b'), str('XY')))).toBe('aXYcaXYc');
    expect(evalOne(call('replace', 'utf8', str('aaa'), str('aa'), str('b')))).toBe('ba');
    expect(evalOne(call('replace', 'utf8', str('abc'), str(''), str('z')))).toBe('abc');
    expect(evalOne(call('replace', 'utf8', str('héhé'), str('é'), str('e')))).toBe('hehe');
    expect(evalOne(call('replace', 'utf8', str('abc'), str(null), str('z')))).toBeNull();
    const b = colBatch('utf8', ['a-b', null, '--']);
    expect(evalRows(call('replace', 'utf8', s0, str('-'), str('')), b)).toEqual(['ab', null, '']);
  });
  it('strpos counts characters and returns 0 when absent', () => {
    expect(evalOne(call('strpos', 'int32', str('héllo'), str('llo')))).toBe(3);
    expect(evalOne(call('strpos', 'int32', str('hello'), str('z')))).toBe(0);
    expect(evalOne(call('strpos', 'int32', str('hello'), str('')))).toBe(1);
    expect(evalOne(call('strpos', 'int32', str(null), str('a')))).toBeNull();
  });
  it('starts_with', () => {
    const b = colBatch('utf8', ['apple', 'ap', 'banana', null]);
    expect(evalRows(call('starts_with', 'bool', s0, str('app')), b)).toEqual([true, false, false, null]);
  });
  it('left / right with positive and negative counts', () => {
    expect(evalOne(call('left', 'utf8', str('héllo'), int(2)))).toBe('hé');
    expect(evalOne(call('left', 'utf8', str('héllo'), int(-2)))).toBe('hél');
    expect(evalOne(call('right', 'utf8', str('héllo'), int(2)))).toBe('lo');
    expect(evalOne(call('right', 'utf8', str('héllo'), int(-2)))).toBe('llo');
    expect(evalOne(call('left', 'utf8', str('ab'), int(10)))).toBe('ab');
  });
  it('lpad / rpad truncate or fill', () => {
    expect(evalOne(call('lpad', 'utf8', str('hi'), int(5)))).toBe('   hi');
    expect(evalOne(call('lpad', 'utf8', str('hi'), int(5), str('xy')))).toBe('xyxhi');
    expect(evalOne(call('rpad', 'utf8', str('hi'), int(5), str('é')))).toBe('hiééé');
    expect(evalOne(call('rpad', 'utf8', str('hello'), int(2)))).toBe('he');
  });
  it('reverse keeps multi-byte characters whole', () => {
    expect(evalOne(call('reverse', 'utf8', str('aé😀')))).toBe('😀éa');
  });
});

describe('concatenation', () => {
  const b = rowsBatch(['utf8', 'utf8', 'int32'], [['a', 'b', 1], [null, 'b', 2], ['a', null, null]]);
  it('|| is NULL when either side is NULL', () => {
    expect(evalRows(bin('||', s0, col(1, 'utf8'), 'utf8'), b)).toEqual(['ab', null, null]);
    expect(evalRows(bin('||', s0, str('-'), 'utf8'), b)).toEqual(['a-', null, 'a-']);
  });
  it('concat ignores NULLs and casts non-text arguments', () => {
    expect(evalRows(call('concat', 'utf8', s0, str('/'), col(1, 'utf8'), col(2, 'int32')), b)).toEqual(['a/b1', '/b2', 'a/']);
  });
  it('empty batch', () => {
    expect(evalRows(call('concat', 'utf8', s0, str('x')), rowsBatch(['utf8'], []))).toEqual([]);
  });
});
