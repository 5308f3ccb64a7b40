import { describe, expect, it } from 'vitest';
import { encodeUtf8 } from '../../src/columnar/column.js';
import { SpillwayError } from '../../src/common/errors.js';
import type { PhysicalExpr } from '../../src/expr/expr.js';
import { compileLike } from '../../src/expr/like.js';
import { col, colBatch, evalRows, rowsBatch, str } from './helpers.js';

function likeExpr(pattern: PhysicalExpr, negated = false, caseInsensitive = false): PhysicalExpr {
  return { kind: 'like', arg: col(0, 'utf8'), pattern, negated, caseInsensitive, type: 'bool' };
}

/** Reference: translate the pattern to a RegExp over code points. */
function reference(value: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') { re += escape(pattern[++i]!); continue; }
    re += ch === '%' ? '[\\s\\S]*' : ch === '_' ? '.' : escape(ch);
  }
  return new RegExp(`^${re}$`, 'u').test(value);
}
function escape(ch: string): string { return ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

function match(value: string, pattern: string): boolean {
  const b = encodeUtf8(value);
  return compileLike(pattern)(b, 0, b.length);
}

const VALUES = ['', 'a', 'abc', 'abcabc', 'xabcx', 'ab', 'bca', 'aXc', 'héllo', '日本語', '😀x😀', 'a%b', 'a_b', 'a\\b', 'special PROMO box', 'PROMO'];
const PATTERNS = ['', '%', '_', 'abc', 'abc%', '%abc', '%abc%', 'a_c', '%b_', '_%_', 'a%c', '%a%c%', 'h_llo', '日_語', '___', '😀_😀',
  '_😀', 'a\\%b', 'a\\_b', 'a\\\\b', '%\\%%', 'PROMO%', '%PROMO%', 'a%b%c', '%%', 'a%%c', '%_%_%', '_b%'];

describe('LIKE matcher', () => {
  it('agrees with a regular-expression reference on every value × pattern', () => {
    for (const p of PATTERNS) for (const v of VALUES) expect(match(v, p), `${JSON.stringify(v)} LIKE ${JSON.stringify(p)}`).toBe(reference(v, p));
  });
  it('_ matches one character, not one byte', () => {
    expect(match('é', '_')).toBe(true);
    expect(match('é', '__')).toBe(false);
    expect(match('😀', '_')).toBe(true);
  });
  it('a trailing escape is an error', () => {
    expect(() => compileLike('abc\\')).toThrow(SpillwayError);
  });
});

describe('LIKE expression', () => {
  const b = colBatch('utf8', ['PROMO BRUSHED', 'STANDARD', null, 'promo x', '']);
  it('literal patterns with NULLs', () => {
    expect(evalRows(likeExpr(str('PROMO%')), b)).toEqual([true, false, null, false, false]);
    expect(evalRows(likeExpr(str('%AND%')), b)).toEqual([false, true, null, false, false]);
    expect(evalRows(likeExpr(str('PROMO%'), true), b)).toEqual([false, true, null, true, true]);
    expect(evalRows(likeExpr(str(null)), b)).toEqual([null, null, null, null, null]);
  });
  it('ILIKE folds case, including non-ASCII', () => {
    expect(evalRows(likeExpr(str('promo%'), false, true), b)).toEqual([true, false, null, true, false]);
    const u = colBatch('utf8', ['ÉCOLE', 'école', 'ecole']);
    expect(evalRows(likeExpr(str('É%'), false, true), u)).toEqual([true, true, false]);
    expect(evalRows(likeExpr(str('É%'), false, false), u)).toEqual([true, false, false]);
  });
  it('pattern from a column, compiled per value', () => {
    const r = rowsBatch(['utf8', 'utf8'], [['abc', 'a%'], ['abc', 'b%'], ['xyz', null], [null, '%'], ['xyz', '%z']]);
    const e: PhysicalExpr = { kind: 'like', arg: col(0, 'utf8'), pattern: col(1, 'utf8'), negated: false, caseInsensitive: false, type: 'bool' };
    expect(evalRows(e, r)).toEqual([true, false, null, null, true]);
  });
  it('empty batch', () => {
    expect(evalRows(likeExpr(str('%')), colBatch('utf8', []))).toEqual([]);
  });
});
