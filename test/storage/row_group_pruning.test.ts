import { describe, expect, it } from 'vitest';
import { col, lit, type PhysicalExpr } from '../../src/expr/expr.js';
import type { ColumnStatistics } from '../../src/storage/parquet_metadata.js';
import { canSkipRowGroup, compareCodePoints } from '../../src/storage/row_group_pruning.js';
import type { DataType } from '../../src/common/types.js';

// Column 0: int32 in [10, 20], no NULLs. Column 1: utf8 in ["b", "d"], 2 NULLs.
// Column 2: float64 in [1.5, 2.5]. Column 3: all NULL. Column 4: date32 in [100, 200].
const ROWS = 10;
const stats: ColumnStatistics[] = [
  { min: 10, max: 20, nullCount: 0 },
  { min: 'b', max: 'd', nullCount: 2 },
  { min: 1.5, max: 2.5, nullCount: 0 },
  { nullCount: ROWS },
  { min: 100, max: 200, nullCount: 0 },
];
const skip = (...conjuncts: PhysicalExpr[]) => canSkipRowGroup(conjuncts, (i) => stats[i], ROWS);
const cmp = (op: '=' | '<>' | '<' | '<=' | '>' | '>=', left: PhysicalExpr, right: PhysicalExpr): PhysicalExpr =>
  ({ kind: 'binary', op, left, right, type: 'bool' });
const i32 = col(0, 'int32');
const s = col(1, 'utf8');
const f = col(2, 'float64');
const allNull = col(3, 'int32');
const d = col(4, 'date32');
const n = (v: number, t: DataType = 'int32') => lit(v, t);

describe('row-group pruning', () => {
  it('col op literal against [min, max]', () => {
    expect(skip(cmp('=', i32, n(5)))).toBe(true);
    expect(skip(cmp('=', i32, n(25)))).toBe(true);
    expect(skip(cmp('=', i32, n(10)))).toBe(false);
    expect(skip(cmp('=', i32, n(20)))).toBe(false);
    expect(skip(cmp('<', i32, n(10)))).toBe(true);
    expect(skip(cmp('<', i32, n(11)))).toBe(false);
    expect(skip(cmp('<=', i32, n(9)))).toBe(true);
    expect(skip(cmp('<=', i32, n(10)))).toBe(false);
    expect(skip(cmp('>', i32, n(20)))).toBe(true);
    expect(skip(cmp('>', i32, n(19)))).toBe(false);
    expect(skip(cmp('>=', i32, n(21)))).toBe(true);
    expect(skip(cmp('>=', i32, n(20)))).toBe(false);
  });

  it('literal op col is flipped', () => {
    expect(skip(cmp('>', n(10), i32))).toBe(true);   // 10 > x  ⇔  x < 10
    expect(skip(cmp('>', n(11), i32))).toBe(false);
    expect(skip(cmp('<=', n(21), i32))).toBe(true);  // 21 <= x ⇔  x >= 21
  });

  it('<> skips only a constant group equal to the literal', () => {
    const one: ColumnStatistics[] = [{ min: 7, max: 7, nullCount: 0 }];
    expect(canSkipRowGroup([cmp('<>', i32, n(7))], (i) => one[i], 5)).toBe(true);
    expect(canSkipRowGroup([cmp('<>', i32, n(8))], (i) => one[i], 5)).toBe(false);
    expect(skip(cmp('<>', i32, n(15)))).toBe(false);
  });

  it('compares int columns with int64 and float literals', () => {
    expect(skip(cmp('>', i32, lit(20n, 'int64')))).toBe(true);
    expect(skip(cmp('>', i32, lit(19n, 'int64')))).toBe(false);
    expect(skip(cmp('=', i32, lit(10.5, 'float64')))).toBe(false);
    expect(skip(cmp('<', i32, lit(9.99, 'float64')))).toBe(true);
  });

  it('strings compare in code-point (UTF-8 byte) order', () => {
    expect(skip(cmp('=', s, lit('a', 'utf8')))).toBe(true);
    expect(skip(cmp('=', s, lit('c', 'utf8')))).toBe(false);
    expect(skip(cmp('>', s, lit('d', 'utf8')))).toBe(true);
    expect(compareCodePoints('\u{1F600}', '\uFFFF')).toBe(1); // JS '<' says the opposite
    expect(compareCodePoints('ab', 'a')).toBe(1);
    expect(compareCodePoints('a', 'ab')).toBe(-1);
    expect(compareCodePoints('ab', 'ab')).toBe(0);
  });

  it('BETWEEN as two conjuncts, AND, OR', () => {
    expect(skip(cmp('>=', i32, n(21)), cmp('<=', i32, n(30)))).toBe(true);
    expect(skip(cmp('>=', i32, n(15)), cmp('<=', i32, n(30)))).toBe(false);
    const and = (a: PhysicalExpr, b: PhysicalExpr): PhysicalExpr => ({ kind: 'binary', op: 'and', left: a, right: b, type: 'bool' });
    const or = (a: PhysicalExpr, b: PhysicalExpr): PhysicalExpr => ({ kind: 'binary', op: 'or', left: a, right: b, type: 'bool' });
    expect(skip(and(cmp('>', i32, n(0)), cmp('>', i32, n(100))))).toBe(true);
    expect(skip(or(cmp('=', i32, n(0)), cmp('=', i32, n(100))))).toBe(true);
    expect(skip(or(cmp('=', i32, n(0)), cmp('=', i32, n(15))))).toBe(false);
  });

  it('IN lists of literals', () => {
    const inList = (list: PhysicalExpr[], negated = false): PhysicalExpr => ({ kind: 'in_list', arg: i32, list, negated, type: 'bool' });
    expect(skip(inList([n(1), n(2), n(30)]))).toBe(true);
    expect(skip(inList([n(1), n(15)]))).toBe(false);
    expect(skip(inList([n(1), lit(null, 'int32')]))).toBe(true);
    expect(skip(inList([n(1)], true))).toBe(false);
    expect(skip(inList([n(1), i32]))).toBe(false); // not all literals
  });

  it('IS NULL / IS NOT NULL use the null count', () => {
    const isNull = (arg: PhysicalExpr): PhysicalExpr => ({ kind: 'unary', op: 'is_null', arg, type: 'bool' });
    const notNull = (arg: PhysicalExpr): PhysicalExpr => ({ kind: 'unary', op: 'is_not_null', arg, type: 'bool' });
    expect(skip(isNull(i32))).toBe(true);
    expect(skip(isNull(s))).toBe(false);
    expect(skip(notNull(allNull))).toBe(true);
    expect(skip(notNull(s))).toBe(false);
  });

  it('an all-NULL group fails every comparison; a NULL literal never matches', () => {
    expect(skip(cmp('=', allNull, n(1)))).toBe(true);
    expect(skip(cmp('<>', allNull, n(1)))).toBe(true);
    expect(skip(cmp('=', i32, lit(null, 'int32')))).toBe(true);
    expect(skip(lit(false, 'bool'))).toBe(true);
    expect(skip(lit(true, 'bool'))).toBe(false);
  });

  it('floats never prune on >, >= or <> (NaN is not in the statistics)', () => {
    expect(skip(cmp('>', f, lit(3, 'float64')))).toBe(false);
    expect(skip(cmp('>=', f, lit(3, 'float64')))).toBe(false);
    expect(skip(cmp('<', f, lit(1, 'float64')))).toBe(true);
    expect(skip(cmp('=', f, lit(3, 'float64')))).toBe(true);
  });

  it('widening casts of the column keep their bounds', () => {
    const asI64: PhysicalExpr = { kind: 'cast', arg: i32, type: 'int64' };
    expect(skip(cmp('>', asI64, lit(20n, 'int64')))).toBe(true);
    const asTs: PhysicalExpr = { kind: 'cast', arg: d, type: 'timestamp' };
    expect(skip(cmp('<', asTs, lit(100n * 86_400_000_000n, 'timestamp')))).toBe(true);
    expect(skip(cmp('<', asTs, lit(100n * 86_400_000_000n + 1n, 'timestamp')))).toBe(false);
    const narrowing: PhysicalExpr = { kind: 'cast', arg: f, type: 'int32' };
    expect(skip(cmp('=', narrowing, n(100)))).toBe(false);
  });

  it('keeps the group for anything it does not understand', () => {
    expect(skip(cmp('=', i32, i32))).toBe(false);
    expect(skip(cmp('=', d, lit('x', 'utf8')))).toBe(false); // incomparable types
    expect(skip({ kind: 'call', name: 'abs', args: [i32], type: 'int32' })).toBe(false);
    expect(canSkipRowGroup([cmp('=', i32, n(5))], () => undefined, ROWS)).toBe(false);
    expect(canSkipRowGroup([cmp('=', i32, n(5))], () => ({ nullCount: 0 }), ROWS)).toBe(false);
  });
});
