import { describe, expect, it } from 'vitest';
import { constantFolding, decimalText, foldExpr, parseDecimal } from '../../../src/plan/optimizer/constant_folding.js';
import { outputColumns, type LExpr } from '../../../src/plan/logical.js';
import { and, bin, Builder, filter, int, lit, not, num, ref } from '../builders.js';

function literalValue(e: LExpr): unknown {
  expect(e.kind).toBe('literal');
  return e.kind === 'literal' ? e.value : undefined;
}

describe('constant folding: exact decimal arithmetic', () => {
  it('folds .06 - 0.01 to exactly 0.05 and .06 + 0.01 to exactly 0.07', () => {
    expect(0.06 - 0.01).not.toBe(0.05); // the trap being avoided
    const minus = foldExpr(bin('-', num('.06'), num('0.01')));
    const plus = foldExpr(bin('+', num('.06'), num('0.01')));
    expect(literalValue(minus)).toBe(0.05);
    expect(literalValue(plus)).toBe(0.07);
    expect(minus.kind === 'literal' && minus.decimal).toBe('0.05');
  });

  it('folds the TPC-H Q6 BETWEEN bounds inside a Filter', () => {
    const b = new Builder();
    const li = b.table('lineitem', { l_discount: 'float64' });
    const pred = and(bin('>=', li.r('l_discount'), bin('-', num('.06'), num('0.01'))), bin('<=', li.r('l_discount'), bin('+', num('.06'), num('0.01'))));
    const out = constantFolding(filter(li.plan, pred));
    expect(out.kind).toBe('Filter');
    if (out.kind !== 'Filter' || out.predicate.kind !== 'binary') throw new Error('shape');
    const lo = out.predicate.left;
    const hi = out.predicate.right;
    if (lo.kind !== 'binary' || hi.kind !== 'binary') throw new Error('shape');
    expect(literalValue(lo.right)).toBe(0.05);
    expect(literalValue(hi.right)).toBe(0.07);
  });

  it('stays exact through nesting, negation, integers and division', () => {
    expect(0.05 * 3).not.toBe(0.15);
    expect(literalValue(foldExpr(bin('*', bin('-', num('.06'), num('0.01')), num('3'))))).toBe(0.15);
    expect(literalValue(foldExpr(bin('-', { kind: 'unary', op: 'neg', arg: num('0.1'), type: 'float64' }, num('0.2'))))).toBe(-0.3);
    expect(literalValue(foldExpr(bin('+', num('0.1'), lit(2, 'int32'), 'float64')))).toBe(2.1);
    expect(literalValue(foldExpr(bin('/', num('1'), num('3'))))).toBe(1 / 3);
    expect(literalValue(foldExpr(bin('/', num('1.5'), num('0'))))).toBe(null);
    expect(literalValue(foldExpr(bin('*', num('1e2'), num('0.5e-1'))))).toBe(5);
  });

  it('parses and prints decimal text', () => {
    expect(parseDecimal('.06')).toEqual({ m: 6n, s: 2 });
    expect(parseDecimal('-1.5e-3')).toEqual({ m: -15n, s: 4 });
    expect(parseDecimal('12e2')).toEqual({ m: 1200n, s: 0 });
    expect(parseDecimal('abc')).toBeNull();
    expect(parseDecimal('.')).toBeNull();
    expect(decimalText({ m: 500n, s: 4 })).toBe('0.05');
    expect(decimalText({ m: -7n, s: 2 })).toBe('-0.07');
    expect(decimalText({ m: 120n, s: 0 })).toBe('120');
  });
});

describe('constant folding: other expressions', () => {
  it('evaluates constant expressions without exact text', () => {
    expect(literalValue(foldExpr(bin('+', int(1), int(2))))).toBe(3);
    expect(literalValue(foldExpr(bin('<', int(1), int(2))))).toBe(true);
    expect(literalValue(foldExpr(bin('+', int(1), lit(null, 'int32'))))).toBe(null);
  });

  it('leaves an expression that fails (int32 overflow) to fail at run time', () => {
    const e = bin('+', int(2147483647), int(1));
    expect(foldExpr(e)).toEqual(e);
  });

  it('does not evaluate a CASE branch that is never taken', () => {
    const e: LExpr = { kind: 'case', operand: null, whens: [{ when: lit(false, 'bool'), then: bin('+', int(2147483647), int(1)) }], else: int(7), type: 'int32' };
    expect(literalValue(foldExpr(e))).toBe(7);
    const none: LExpr = { kind: 'case', operand: null, whens: [{ when: lit(null, 'bool'), then: int(1) }], else: null, type: 'int32' };
    expect(foldExpr(none)).toEqual(lit(null, 'int32'));
  });

  it('simplifies AND/OR with constants and double negation', () => {
    const b = new Builder();
    const t = b.table('t', { x: 'bool', y: 'int32' });
    const x = t.r('x');
    expect(foldExpr(and(x, lit(true, 'bool')))).toEqual(x);
    expect(foldExpr(and(lit(true, 'bool'), x))).toEqual(x);
    expect(foldExpr(bin('or', x, lit(false, 'bool')))).toEqual(x);
    expect(foldExpr(bin('or', x, lit(true, 'bool')))).toEqual(lit(true, 'bool'));
    expect(foldExpr(and(x, lit(false, 'bool')))).toEqual(lit(false, 'bool'));
    expect(foldExpr(not(not(x)))).toEqual(x);
    // x AND NULL is not x.
    expect(foldExpr(and(x, lit(null, 'bool')))).toEqual(and(x, lit(null, 'bool')));
    // Column expressions are never evaluated.
    const e = bin('+', t.r('y'), int(1));
    expect(foldExpr(e)).toEqual(e);
    // Constant parts of a column expression are.
    expect(foldExpr(bin('>', t.r('y'), bin('*', int(2), int(3))))).toEqual(bin('>', t.r('y'), int(6)));
  });

  it('removes Filter(true) and turns Filter(false/NULL) into an empty Values', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'utf8' });
    expect(constantFolding(filter(t.plan, bin('=', int(1), int(1))))).toEqual(t.plan);
    for (const p of [lit(false, 'bool'), lit(null, 'bool'), and(t.r('a'), lit(false, 'bool'))]) {
      const out = constantFolding(filter(t.plan, p));
      expect(out).toEqual({ kind: 'Values', columns: t.plan.columns, rows: [] });
    }
  });

  it('folds expressions in every node kind, including Values rows and projections', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32' });
    const p = b.project(t.plan, [['k', bin('+', int(1), int(2))], ['a', ref(t.c.a!)]]);
    const out = constantFolding(p);
    expect(out.kind === 'Project' && out.exprs[0]).toEqual(lit(3, 'int32'));
    expect(outputColumns(out)).toEqual(p.columns);
    const v = constantFolding({ kind: 'Values', columns: [b.column('x', 'float64')], rows: [[bin('-', num('.06'), num('0.01'))]] });
    expect(v.kind === 'Values' && v.rows[0]![0]!.kind === 'literal' && v.rows[0]![0]!.value).toBe(0.05);
  });
});

describe('constant folding: strict operators with a NULL operand', () => {
  const b = new Builder();
  const t = b.table('t', { x: 'int32', s: 'utf8', ok: 'bool' });
  const x = t.r('x');
  const nullInt = lit(null, 'int32');

  it('folds x * x * x * x * x = NULL to NULL without evaluating the product (no overflow)', () => {
    const product = bin('*', bin('*', bin('*', bin('*', x, x), x), x), x);
    expect(foldExpr(bin('=', product, nullInt))).toEqual(lit(null, 'bool'));
    expect(foldExpr(bin('<>', nullInt, product))).toEqual(lit(null, 'bool'));
    // The Filter keeps no row at all.
    expect(constantFolding(filter(t.plan, bin('=', product, nullInt)))).toEqual({ kind: 'Values', columns: t.plan.columns, rows: [] });
  });

  it('folds arithmetic, ||, LIKE, NULL IN (…) and strict functions with a NULL operand', () => {
    expect(foldExpr(bin('+', x, nullInt))).toEqual(lit(null, 'int32'));
    expect(foldExpr(bin('/', nullInt, x))).toEqual(lit(null, 'int32'));
    expect(foldExpr(bin('||', t.r('s'), lit(null, 'utf8'), 'utf8'))).toEqual(lit(null, 'utf8'));
    expect(foldExpr({ kind: 'like', arg: t.r('s'), pattern: lit(null, 'utf8'), negated: false, caseInsensitive: false, type: 'bool' })).toEqual(lit(null, 'bool'));
    expect(foldExpr({ kind: 'in_list', arg: nullInt, list: [x], negated: false, type: 'bool' })).toEqual(lit(null, 'bool'));
    expect(foldExpr({ kind: 'call', name: 'abs', args: [nullInt], type: 'int32' })).toEqual(lit(null, 'int32'));
    expect(foldExpr({ kind: 'call', name: 'substring', args: [t.r('s'), nullInt], type: 'utf8' })).toEqual(lit(null, 'utf8'));
  });

  it('leaves non-strict operators alone', () => {
    const keep: LExpr[] = [
      and(t.r('ok'), lit(null, 'bool')),
      bin('or', t.r('ok'), lit(null, 'bool')),
      bin('is_distinct_from', x, nullInt, 'bool'),
      bin('is_not_distinct_from', x, nullInt, 'bool'),
      { kind: 'unary', op: 'is_null', arg: bin('+', x, int(1)), type: 'bool' },
      { kind: 'call', name: 'coalesce', args: [x, nullInt], type: 'int32' },
      { kind: 'call', name: 'nullif', args: [x, nullInt], type: 'int32' },
      { kind: 'call', name: 'concat', args: [t.r('s'), lit(null, 'utf8')], type: 'utf8' },
      { kind: 'call', name: 'greatest', args: [x, nullInt], type: 'int32' },
      { kind: 'in_list', arg: x, list: [nullInt, int(1)], negated: false, type: 'bool' },
      { kind: 'case', operand: null, whens: [{ when: t.r('ok'), then: nullInt }], else: x, type: 'int32' },
    ];
    for (const e of keep) expect(foldExpr(e)).toEqual(e);
  });
});
