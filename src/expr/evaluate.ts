/**
 * Vectorized evaluation of PhysicalExpr over a Batch, a column at a time.
 *
 * Semantics (PostgreSQL unless noted; the result has type expr.type):
 * - NULL in, NULL out, except IS [NOT] NULL / IS TRUE / IS FALSE / IS [NOT] DISTINCT FROM
 *   (never NULL), AND / OR (three-valued: FALSE AND NULL = FALSE, TRUE OR NULL = TRUE),
 *   concat() and COALESCE / GREATEST / LEAST (NULL arguments skipped).
 * - Arithmetic promotes int32 < int64 < float64; int32 / int64 overflow is an error
 *   ('integer out of range' / 'bigint out of range'); integer division truncates toward
 *   zero; division or modulo by zero is NULL (as DuckDB and SQLite; PostgreSQL errors).
 *   Floats follow IEEE (overflow gives Infinity, NaN compares unequal to everything).
 *   date32 ± int → date32, date32 - date32 → int32 days.
 * - Comparisons: numbers by value across types, utf8 by bytes (= code-point order),
 *   false < true, date32 vs timestamp at midnight.
 * - CAST: see cast.ts (float → int rounds half away from zero; text errors use
 *   PostgreSQL's wording, e.g. invalid input syntax for type integer: "abc").
 * - CASE / COALESCE evaluate a branch only over the rows that reach it, so an error in an
 *   unselected branch is never raised; AND / OR retry the right side over only the rows
 *   the left side leaves open when it raises over the whole batch.
 * - LIKE / ILIKE: % _ and backslash escape; '_' is one character (UTF-8 aware).
 * - Unknown function → SpillwayError('unsupported', 'function xyz is not supported').
 *
 * Constants: a literal becomes a one-row column, and an expression without column
 * references is evaluated once over a one-row batch. Kernels read such one-row columns
 * through a broadcast mask (see broadcast.ts) instead of repeating them; evaluate() itself
 * always returns a column of batch.length rows.
 */
import { makeBatch, type Batch, type Column } from '../columnar/column.js';
import { repeatScalar, scalarAt } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import type { Scalar } from '../common/types.js';
import { arithmetic, isArithOp, negate } from './arithmetic.js';
import { castColumn } from './cast.js';
import { compare, distinctFrom, inConstantList, isCompareOp } from './compare.js';
import { assemble, evalCase, referencedColumns, takeNeeded } from './conditional.js';
import { isNested } from '../common/nested_types.js';
import type { PhysicalExpr } from './expr.js';
import { callFunction } from './functions.js';
import { like } from './like.js';
import { andOr, isBool, isNull, not } from './logic.js';
import { concat } from './strings.js';
import { allNull, maskOf } from './broadcast.js';

const ONE_ROW: Batch = makeBatch({ fields: [] }, [], 1);

/** Evaluate expr over every row of batch; the result has batch.length rows. */
export function evaluate(expr: PhysicalExpr, batch: Batch): Column {
  const n = batch.length;
  if (n === 0) return expr.kind === 'column' ? columnAt(expr.index, batch) : allNull(expr.type, 0);
  const c = evalAny(expr, batch);
  return c.length === n ? c : broadcast(c, n);
}

/** Rows where a boolean expression is TRUE (NULL and FALSE give 0), one byte per row. */
export function evaluatePredicate(expr: PhysicalExpr, batch: Batch): Uint8Array {
  const n = batch.length;
  const c = evaluate(expr, batch);
  const out = new Uint8Array(n);
  if (c.type === 'null') return out;
  if (c.type !== 'bool') throw new SpillwayError('type', `argument of WHERE must be boolean, not ${c.type}`);
  const v = c.values, valid = c.validity;
  if (valid === null) out.set(v);
  else for (let i = 0; i < n; i++) out[i] = v[i]! & valid[i]!;
  return out;
}

const constantCache = new WeakMap<PhysicalExpr, boolean>();

/** True when the expression references no columns (so one evaluation serves every row). */
export function isConstant(expr: PhysicalExpr): boolean {
  const hit = constantCache.get(expr);
  if (hit !== undefined) return hit;
  let result: boolean;
  switch (expr.kind) {
    case 'column': result = false; break;
    case 'literal': result = true; break;
    case 'binary': result = isConstant(expr.left) && isConstant(expr.right); break;
    case 'unary': case 'cast': result = isConstant(expr.arg); break;
    case 'case':
      result = (expr.operand === null || isConstant(expr.operand))
        && expr.whens.every((w) => isConstant(w.when) && isConstant(w.then))
        && (expr.else === null || isConstant(expr.else));
      break;
    case 'in_list': result = isConstant(expr.arg) && expr.list.every(isConstant); break;
    case 'like': result = isConstant(expr.arg) && isConstant(expr.pattern); break;
    case 'call': result = expr.args.every(isConstant); break;
  }
  constantCache.set(expr, result);
  return result;
}

/** Value of an expression without column references (constant folding). */
export function evaluateConstant(expr: PhysicalExpr): Scalar {
  if (!isConstant(expr)) throw new Error('evaluateConstant: expression references columns');
  return scalarAt(evalNode(expr, ONE_ROW), 0);
}

/**
 * Evaluate to either a full column (batch.length rows) or, for a constant expression,
 * a one-row column to be broadcast. Kernels accept both shapes.
 */
export function evalAny(expr: PhysicalExpr, batch: Batch): Column {
  switch (expr.kind) {
    case 'column': return columnAt(expr.index, batch);
    case 'literal': return literalColumn(expr);
    default:
      if (batch.length !== 1 && isConstant(expr)) return constantColumn(expr);
      return evalNode(expr, batch);
  }
}

function columnAt(index: number, batch: Batch): Column {
  const c = batch.columns[index];
  if (c === undefined) throw new Error(`column reference #${index} is out of range (batch has ${batch.columns.length} columns)`);
  return c;
}

function broadcast(c: Column, n: number): Column {
  return repeatScalar(c.type, scalarAt(c, 0), n);
}

const folded = new WeakMap<PhysicalExpr, Column>();

function constantColumn(expr: PhysicalExpr): Column {
  let c = folded.get(expr);
  if (c === undefined) {
    c = evalNode(expr, ONE_ROW);
    folded.set(expr, c);
  }
  return c;
}

type LiteralExpr = Extract<PhysicalExpr, { kind: 'literal' }>;

/** A literal as a one-row column, coercing JS values that arrive in another form. */
function literalColumn(expr: LiteralExpr): Column {
  let c = folded.get(expr);
  if (c !== undefined) return c;
  const { value, type } = expr;
  if (value === null) c = allNull(type, 1);
  else {
    switch (type) {
      case 'utf8': c = repeatScalar('utf8', typeof value === 'string' ? value : String(value), 1); break;
      case 'int32': case 'float64': case 'date32':
        c = typeof value === 'string' ? castColumn(repeatScalar('utf8', value, 1), type) : repeatScalar(type, Number(value), 1);
        break;
      case 'int64': case 'timestamp':
        c = typeof value === 'string' ? castColumn(repeatScalar('utf8', value, 1), type)
          : repeatScalar(type, typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))), 1);
        break;
      case 'bool':
        c = typeof value === 'string' ? castColumn(repeatScalar('utf8', value, 1), 'bool') : repeatScalar('bool', Boolean(value), 1);
        break;
      case 'null': c = allNull('null', 1); break;
      default:
        if (isNested(type)) { c = repeatScalar(type, value, 1); break; }
        // A decimal: its unscaled integer (number or bigint), or decimal text.
        c = typeof value === 'string' ? castColumn(repeatScalar('utf8', value, 1), type)
          : repeatScalar(type, typeof value === 'bigint' || typeof value === 'number' ? value : Number(value), 1);
    }
  }
  folded.set(expr, c);
  return c;
}

function evalNode(expr: PhysicalExpr, batch: Batch): Column {
  const n = batch.length;
  switch (expr.kind) {
    case 'column': return columnAt(expr.index, batch);
    case 'literal': return literalColumn(expr);
    case 'binary': {
      const op = expr.op;
      if (op === 'and' || op === 'or') return evalAndOr(op === 'and', expr, batch);
      const left = evalAny(expr.left, batch);
      const right = evalAny(expr.right, batch);
      if (isArithOp(op)) return arithmetic(op, left, right, expr.type, n);
      if (isCompareOp(op)) return compare(op, left, right, n);
      if (op === '||') return concat([left, right], false, n);
      if (op === 'is_distinct_from') return distinctFrom(true, left, right, n);
      if (op === 'is_not_distinct_from') return distinctFrom(false, left, right, n);
      throw new SpillwayError('unsupported', `operator ${String(op)} is not supported`);
    }
    case 'unary': {
      const arg = evalAny(expr.arg, batch);
      switch (expr.op) {
        case 'not': return not(arg);
        case 'neg': return negate(arg, expr.type);
        case 'is_null': return isNull(arg, true);
        case 'is_not_null': return isNull(arg, false);
        case 'is_true': return isBool(arg, 1);
        case 'is_false': return isBool(arg, 0);
      }
      throw new SpillwayError('unsupported', `operator ${String((expr as { op: unknown }).op)} is not supported`);
    }
    case 'cast': return castColumn(evalAny(expr.arg, batch), expr.type);
    case 'case': return evalCase(expr, batch);
    case 'in_list': return evalInList(expr, batch);
    case 'like': return like(evalAny(expr.arg, batch), evalAny(expr.pattern, batch), expr.negated, expr.caseInsensitive, n);
    case 'call': return callFunction(expr, batch);
  }
}

/** The operands of a chain of one operator (`a AND b AND c`, any grouping), left to right, without recursion. */
function chainOperands(root: PhysicalExpr, op: 'and' | 'or'): PhysicalExpr[] {
  const out: PhysicalExpr[] = [];
  const stack: PhysicalExpr[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.kind === 'binary' && e.op === op) { stack.push(e.right, e.left); continue; }
    out.push(e);
  }
  return out;
}

/**
 * AND / OR over the whole chain of operands (so a chain of thousands never recurses),
 * left to right: once the operands so far decide every row the rest are skipped; an
 * operand that raises over the whole batch is re-evaluated over only the rows still open,
 * so `x <> 0 AND 100 / x ...`-style guards never raise for guarded rows.
 */
function evalAndOr(isAnd: boolean, expr: PhysicalExpr, batch: Batch): Column {
  const operands = chainOperands(expr, isAnd ? 'and' : 'or');
  let acc = evalAny(operands[0]!, batch);
  for (let k = 1; k < operands.length; k++) acc = evalAndOrStep(isAnd, acc, operands[k]!, batch);
  return acc;
}

/** Rows the left operand of AND (dominant 0) / OR (dominant 1) does not decide alone. */
function openRows(values: Uint8Array, validity: Uint8Array | null, lm: number, dominant: number, n: number): number {
  let open = 0;
  if (validity === null && lm === -1) {
    for (let i = 0; i < n; i++) open += values[i] === dominant ? 0 : 1;
    return open;
  }
  for (let i = 0; i < n; i++) {
    const j = i & lm;
    if (!(values[j] === dominant && (validity === null || validity[j] === 1))) open++;
  }
  return open;
}

function evalAndOrStep(isAnd: boolean, left: Column, rightExpr: PhysicalExpr, batch: Batch): Column {
  const n = batch.length;
  const dominant = isAnd ? 0 : 1;
  if (left.type === 'bool') {
    const lm = maskOf(left, n);
    const open = openRows(left.values, left.validity, lm, dominant, n);
    if (open === 0) return left;
    let right: Column;
    try {
      right = evalAny(rightExpr, batch);
    } catch (err) {
      if (!(err instanceof SpillwayError)) throw err;
      const idx = new Int32Array(open);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const j = i & lm;
        if (!(left.values[j] === dominant && (left.validity === null || left.validity[j] === 1))) idx[k++] = i;
      }
      const sub = evaluate(rightExpr, takeNeeded(batch, idx, referencedColumns(rightExpr)));
      // Rows the left side decides get NULL on the right, which AND / OR then ignore.
      const pieceOfRow = new Int32Array(n).fill(-1);
      const rowInPiece = new Int32Array(n);
      for (let q = 0; q < idx.length; q++) { pieceOfRow[idx[q]!] = 0; rowInPiece[idx[q]!] = q; }
      right = assemble('bool', [sub], pieceOfRow, rowInPiece, n);
    }
    return andOr(isAnd, left, right, n);
  }
  return andOr(isAnd, left, evalAny(rightExpr, batch), n);
}

type InListExpr = Extract<PhysicalExpr, { kind: 'in_list' }>;

const NUMERIC = new Set(['int32', 'int64', 'float64']);

function evalInList(expr: InListExpr, batch: Batch): Column {
  const n = batch.length;
  const arg = evalAny(expr.arg, batch);
  if (expr.list.every(isConstant)) {
    const values: Scalar[] = [];
    for (const item of expr.list) {
      let c = evalAny(item, ONE_ROW);
      // Bring the item to the argument's type unless both are numbers (compared by value).
      if (c.type !== arg.type && c.type !== 'null' && arg.type !== 'null' && !(NUMERIC.has(c.type) && NUMERIC.has(arg.type))) {
        c = castColumn(c, arg.type);
      }
      values.push(scalarAt(c, 0));
    }
    return inConstantList(arg, values, expr.negated, n);
  }
  // General form: x IN (a, b) ≡ x = a OR x = b under three-valued logic.
  let acc: Column | null = null;
  for (const item of expr.list) {
    const eq = compare('=', arg, evalAny(item, batch), n);
    acc = acc === null ? eq : andOr(false, acc, eq, n);
  }
  if (acc === null) return allNull('bool', n);
  return expr.negated ? not(acc) : acc;
}
