/**
 * Constant folding: replaces every expression without column references by its value.
 *
 *  - Arithmetic (+ - * /) between numeric literals whose exact text is known (the binder's
 *    `decimal` text, or an integer literal) and whose result is a DOUBLE is done in scaled
 *    BigInt decimal arithmetic and converted to a double once, so `.06 - 0.01` is exactly
 *    the double nearest 0.05 (floating point would give 0.049999999999999996). The result
 *    keeps its exact text, so nested constant arithmetic stays exact.
 *  - Any other constant expression is evaluated with evaluateConstant; if that throws, the
 *    expression is left as it is, so the error happens at run time and only if a row
 *    reaches it (`CASE WHEN false THEN 1/0 END` must not fail).
 *  - Boolean simplification: x AND true → x, x AND false → false, x OR false → x,
 *    x OR true → true, NOT NOT x → x; CASE branches with constant conditions are pruned.
 *  - A strict operator or function (arithmetic, comparison, ||, LIKE, most functions) with
 *    a NULL literal operand is NULL without evaluating the other operands, as PostgreSQL's
 *    planner does: `x * x * x * x * x = NULL` is NULL even where the product overflows.
 *    AND/OR, IS [NOT] NULL, IS [NOT] DISTINCT FROM, COALESCE, NULLIF, CASE, concat() and
 *    greatest/least are not strict and are left alone.
 *  - Filter(true) disappears; Filter(false or NULL) becomes an empty Values with the same
 *    columns; so does an inner join whose condition folds to false or NULL.
 */
import type { DataType } from '../../common/types.js';
import { evaluateConstant } from '../../expr/evaluate.js';
import { outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { isFalseOrNull, isTrue, mapExpr, toPhysicalExpr, FALSE, TRUE } from '../logical_exprs.js';
import { mapNodeExprs, transformUp } from '../logical_tree.js';

/** Binary operators whose result is NULL when either operand is NULL. */
const STRICT_BINARY = new Set<string>(['+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=', '||']);

/** Functions whose result is NULL when any argument is NULL (see expr/functions.ts). */
const STRICT_FUNCTIONS = new Set([
  'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'sign', 'sqrt', 'cbrt', 'ln', 'log10', 'log', 'exp',
  'power', 'pow', 'mod', 'upper', 'lower', 'length', 'char_length', 'character_length', 'octet_length',
  'substring', 'substr', 'left', 'right', 'trim', 'btrim', 'ltrim', 'rtrim', 'replace', 'strpos',
  'starts_with', 'lpad', 'rpad', 'reverse', 'date_part', 'extract', 'date_trunc', 'date_add_days',
  'date_add_months', 'year', 'quarter', 'month', 'day', 'dayofweek', 'dayofyear', 'week', 'hour',
  'minute', 'second',
]);

/** Functions whose value may change between calls; never folded. */
const VOLATILE = new Set(['random', 'now', 'current_date', 'current_timestamp', 'current_time', 'uuid', 'raise_error', 'unnest']);

export function constantFolding(plan: LogicalPlan): LogicalPlan {
  return transformUp(plan, (node) => {
    const folded = mapNodeExprs(node, foldExpr);
    if (folded.kind === 'Filter') {
      if (isTrue(folded.predicate)) return folded.input;
      if (isFalseOrNull(folded.predicate)) return { kind: 'Values', columns: outputColumns(folded.input), rows: [] };
    }
    if (folded.kind === 'Join' && (folded.joinType === 'inner' || folded.joinType === 'semi')
        && folded.condition !== null && isFalseOrNull(folded.condition)) {
      return { kind: 'Values', columns: outputColumns(folded), rows: [] };
    }
    return folded;
  });
}

/** Fold one expression bottom-up. Subquery plans are folded by their own decorrelation. */
export function foldExpr(e: LExpr): LExpr {
  return mapExpr(e, foldNode);
}

function foldNode(e: LExpr): LExpr {
  switch (e.kind) {
    case 'column': case 'literal': case 'scalar_subquery': case 'exists': case 'in_subquery':
      return e;
    case 'binary': {
      if (e.op === 'and') {
        if (isBoolLiteral(e.left, false) || isBoolLiteral(e.right, false)) return FALSE;
        if (isBoolLiteral(e.left, true)) return e.right;
        if (isBoolLiteral(e.right, true)) return e.left;
      } else if (e.op === 'or') {
        if (isBoolLiteral(e.left, true) || isBoolLiteral(e.right, true)) return TRUE;
        if (isBoolLiteral(e.left, false)) return e.right;
        if (isBoolLiteral(e.right, false)) return e.left;
      }
      if (STRICT_BINARY.has(e.op) && (isNullLiteral(e.left) || isNullLiteral(e.right))) return nullOf(e.type);
      if (e.left.kind === 'literal' && e.right.kind === 'literal' && e.type === 'float64') {
        const exact = exactArithmetic(e.op, e.left, e.right);
        if (exact !== undefined) return exact;
      }
      return evaluateIfConstant(e);
    }
    case 'unary':
      if (e.op === 'not' && e.arg.kind === 'unary' && e.arg.op === 'not') return e.arg.arg;
      if (e.op === 'neg' && e.arg.kind === 'literal' && e.arg.decimal !== undefined && e.type === 'float64') {
        const d = parseDecimal(e.arg.decimal);
        if (d) return decimalLiteral({ m: -d.m, s: d.s });
      }
      return evaluateIfConstant(e);
    case 'cast':
      if (e.type === 'float64' && e.arg.kind === 'literal') {
        const d = exactText(e.arg);
        if (d !== undefined) { const p = parseDecimal(d); if (p) return decimalLiteral(p); }
      }
      return evaluateIfConstant(e);
    case 'case': return foldCase(e);
    case 'call':
      if (VOLATILE.has(e.name.toLowerCase())) return e;
      if (STRICT_FUNCTIONS.has(e.name.toLowerCase()) && e.args.some(isNullLiteral)) return nullOf(e.type);
      return evaluateIfConstant(e);
    case 'like':
      if (isNullLiteral(e.arg) || isNullLiteral(e.pattern)) return nullOf('bool');
      return evaluateIfConstant(e);
    case 'in_list':
      // NULL IN (…) is NULL; x IN (NULL, …) is not (it is true when x is in the list).
      if (isNullLiteral(e.arg)) return nullOf('bool');
      return evaluateIfConstant(e);
  }
}

function isNullLiteral(e: LExpr): boolean {
  return e.kind === 'literal' && e.value === null;
}

function nullOf(type: DataType): LExpr {
  return { kind: 'literal', value: null, type };
}

function isBoolLiteral(e: LExpr, v: boolean): boolean {
  return e.kind === 'literal' && e.value === v;
}

function foldCase(e: Extract<LExpr, { kind: 'case' }>): LExpr {
  if (e.operand === null) {
    // Drop branches that can never be taken; a leading always-true branch decides.
    const whens = e.whens.filter((w) => !(w.when.kind === 'literal' && (w.when.value === false || w.when.value === null)));
    if (whens.length > 0 && isTrue(whens[0]!.when)) return whens[0]!.then;
    if (whens.length === 0) return e.else ?? { kind: 'literal', value: null, type: e.type };
    if (whens.length !== e.whens.length) return evaluateIfConstant({ ...e, whens });
  }
  return evaluateIfConstant(e);
}

/** Evaluate an expression whose children are all literals; otherwise (or on error) leave it. */
function evaluateIfConstant(e: LExpr): LExpr {
  if (e.kind === 'literal' || e.kind === 'column') return e;
  if (!childrenAllLiteral(e)) return e;
  try {
    const value = evaluateConstant(toPhysicalExpr(e, () => undefined));
    return { kind: 'literal', value, type: e.type };
  } catch {
    return e;
  }
}

function childrenAllLiteral(e: LExpr): boolean {
  switch (e.kind) {
    case 'binary': return e.left.kind === 'literal' && e.right.kind === 'literal';
    case 'unary': case 'cast': return e.arg.kind === 'literal';
    case 'case': return (e.operand === null || e.operand.kind === 'literal')
      && e.whens.every((w) => w.when.kind === 'literal' && w.then.kind === 'literal')
      && (e.else === null || e.else.kind === 'literal');
    case 'in_list': return e.arg.kind === 'literal' && e.list.every((x) => x.kind === 'literal');
    case 'like': return e.arg.kind === 'literal' && e.pattern.kind === 'literal';
    case 'call': return e.args.every((x) => x.kind === 'literal');
    default: return false;
  }
}

// ---------- exact decimal arithmetic ----------

/** A decimal number m × 10^-s. */
interface Decimal { m: bigint; s: number }

const DIVISION_DIGITS = 40;

/** Exact text of a numeric literal: its decimal text, or an integer literal's value. */
function exactText(e: Extract<LExpr, { kind: 'literal' }>): string | undefined {
  if (e.decimal !== undefined) return e.decimal;
  if (e.type === 'int32' || e.type === 'int64') {
    if (typeof e.value === 'number' && Number.isInteger(e.value)) return String(e.value);
    if (typeof e.value === 'bigint') return e.value.toString();
  }
  return undefined;
}

function exactArithmetic(op: string, l: Extract<LExpr, { kind: 'literal' }>, r: Extract<LExpr, { kind: 'literal' }>): LExpr | undefined {
  if (op !== '+' && op !== '-' && op !== '*' && op !== '/') return undefined;
  if (l.value === null || r.value === null) return undefined;
  const lt = exactText(l);
  const rt = exactText(r);
  if (lt === undefined || rt === undefined) return undefined;
  const a = parseDecimal(lt);
  const b = parseDecimal(rt);
  if (!a || !b) return undefined;
  switch (op) {
    case '+': case '-': {
      const s = Math.max(a.s, b.s);
      const am = a.m * 10n ** BigInt(s - a.s);
      const bm = b.m * 10n ** BigInt(s - b.s);
      return decimalLiteral({ m: op === '+' ? am + bm : am - bm, s });
    }
    case '*': return decimalLiteral({ m: a.m * b.m, s: a.s + b.s });
    default: {
      if (b.m === 0n) return { kind: 'literal', value: null, type: 'float64' };
      // a/b = a.m·10^b.s / (b.m·10^a.s), carried to DIVISION_DIGITS decimal places.
      const num = a.m * 10n ** BigInt(b.s + DIVISION_DIGITS);
      const den = b.m * 10n ** BigInt(a.s);
      return decimalLiteral({ m: num / den, s: DIVISION_DIGITS });
    }
  }
}

/** Parse "12.5", ".06", "-3", "1.5e-3" exactly; null if not a finite decimal. */
export function parseDecimal(text: string): Decimal | null {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match) return null;
  const [, sign, intPart = '', fracPart = '', expPart] = match;
  if (intPart === '' && fracPart === '') return null;
  let m = BigInt((intPart + fracPart) || '0');
  let s = fracPart.length - (expPart ? Number(expPart) : 0);
  if (s < 0) { m *= 10n ** BigInt(-s); s = 0; }
  return { m: sign === '-' ? -m : m, s };
}

/** Canonical text of m × 10^-s (trailing fractional zeros dropped). */
export function decimalText(d: Decimal): string {
  let { m, s } = d;
  while (s > 0 && m % 10n === 0n) { m /= 10n; s--; }
  const neg = m < 0n;
  const digits = (neg ? -m : m).toString();
  if (s === 0) return (neg ? '-' : '') + digits;
  const padded = digits.padStart(s + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, padded.length - s)}.${padded.slice(padded.length - s)}`;
}

function decimalLiteral(d: Decimal): LExpr {
  const text = decimalText(d);
  // Number() of decimal text is the correctly rounded double: the one rounding we allow.
  const type: DataType = 'float64';
  return { kind: 'literal', value: Number(text), type, decimal: text };
}
