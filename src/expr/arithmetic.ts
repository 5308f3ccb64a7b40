/**
 * Arithmetic kernels: + - * / % and unary minus over int32, int64 and float64, plus
 * date32 ± integer days and date32 - date32.
 *
 * Mixed numeric inputs are promoted to the wider of (left, right) in the order
 * int32 < int64 < float64 (for + - * also the result type, if wider) and computed there;
 * the result is then converted to the binder's type (narrowing is range checked). int32 and int64 overflow raise SpillwayError('execution');
 * integer division truncates toward zero; division or modulo by zero yields NULL.
 * Overflow is only reported for rows whose inputs are both valid.
 */
import { fixedColumn, type Column, type DecimalColumn } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import { isDecimal } from '../common/types.js';
import { decimalArithmetic, negateDecimal } from './decimal.js';
import type { BinaryOp } from './expr.js';
import { castColumn } from './cast.js';
import { allNull, andValidity, maskOf } from './broadcast.js';
import { outOfRange } from './numeric.js';

export type ArithOp = '+' | '-' | '*' | '/' | '%';

const NUM_RANK: Partial<Record<DataType, number>> = { int32: 1, int64: 2, float64: 3 };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

export function isArithOp(op: BinaryOp): op is ArithOp {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%';
}

/** Evaluate left op right over n rows (either side may be a broadcast constant). */
export function arithmetic(op: ArithOp, left: Column, right: Column, outType: DataType, n: number): Column {
  if (left.type === 'null' || right.type === 'null') return allNull(outType === 'null' ? 'int32' : outType, n);

  // Date arithmetic.
  if (left.type === 'date32' || right.type === 'date32') return dateArithmetic(op, left, right, outType, n);

  // Exact decimals: the binder gives both sides decimal types when the result is one; a
  // decimal result of / (not DuckDB's) or a double one computes in doubles.
  if (isDecimal(outType) && op !== '/') {
    const other: DataType = op === '*' ? 'decimal(38,0)' : outType;
    return decimalArithmetic(op, castColumn(left, isDecimal(left.type) ? left.type : other) as DecimalColumn,
      castColumn(right, isDecimal(right.type) ? right.type : other) as DecimalColumn, outType, n);
  }
  if (isDecimal(left.type) || isDecimal(right.type)) {
    const r = arithmetic(op, castColumn(left, isDecimal(left.type) ? 'float64' : left.type),
      castColumn(right, isDecimal(right.type) ? 'float64' : right.type), isDecimal(outType) ? 'float64' : outType, n);
    return castColumn(r, outType);
  }

  const lr = NUM_RANK[left.type], rr = NUM_RANK[right.type];
  if (lr === undefined || rr === undefined) {
    throw new SpillwayError('type', `operator ${op} is not defined for ${left.type} and ${right.type}`);
  }
  // + - * compute in the result type when it is wider (no spurious overflow); / and %
  // keep the operands' type so int / int still truncates before any widening.
  const outRank = op === '/' || op === '%' ? 0 : NUM_RANK[outType] ?? 0;
  const rank = Math.max(lr, rr, outRank);
  const work: DataType = rank === 1 ? 'int32' : rank === 2 ? 'int64' : 'float64';
  const l = castColumn(left, work), r = castColumn(right, work);
  const lm = maskOf(l, n), rm = maskOf(r, n);
  const validity = andValidity(l.validity, lm, r.validity, rm, n);
  let result: Column;
  if (l.type === 'int32' && r.type === 'int32') result = int32Arith(op, l.values, lm, r.values, rm, validity, n);
  else if (l.type === 'int64' && r.type === 'int64') result = int64Arith(op, l.values, lm, r.values, rm, validity, n);
  else if (l.type === 'float64' && r.type === 'float64') result = float64Arith(op, l.values, lm, r.values, rm, validity, n);
  else throw new Error(`arithmetic: promotion failed for ${l.type} and ${r.type}`);
  return outType === work || outType === 'null' ? result : castColumn(result, outType);
}

/** Clear row i in a validity that may not exist yet. */
function setNull(validity: Uint8Array | null, i: number, n: number): Uint8Array {
  const v = validity ?? new Uint8Array(n).fill(1);
  v[i] = 0;
  return v;
}

function isValidAt(validity: Uint8Array | null, i: number): boolean {
  return validity === null || validity[i] === 1;
}

function int32Arith(op: ArithOp, a: Int32Array, am: number, b: Int32Array, bm: number, validity: Uint8Array | null, n: number): Column {
  const out = new Int32Array(n);
  switch (op) {
    // Results are exact in doubles (|a*b| < 2^62 is inexact only when already out of range).
    case '+':
      for (let i = 0; i < n; i++) {
        const r = a[i & am]! + b[i & bm]!;
        if (r > INT32_MAX || r < INT32_MIN) { if (isValidAt(validity, i)) throw outOfRange('int32'); continue; }
        out[i] = r;
      }
      break;
    case '-':
      for (let i = 0; i < n; i++) {
        const r = a[i & am]! - b[i & bm]!;
        if (r > INT32_MAX || r < INT32_MIN) { if (isValidAt(validity, i)) throw outOfRange('int32'); continue; }
        out[i] = r;
      }
      break;
    case '*':
      for (let i = 0; i < n; i++) {
        const r = a[i & am]! * b[i & bm]!;
        if (r > INT32_MAX || r < INT32_MIN) { if (isValidAt(validity, i)) throw outOfRange('int32'); continue; }
        out[i] = r;
      }
      break;
    case '/': {
      for (let i = 0; i < n; i++) {
        const x = a[i & am]!, y = b[i & bm]!;
        if (y === 0) { validity = setNull(validity, i, n); continue; }
        const r = Math.trunc(x / y);
        if (r > INT32_MAX) { if (isValidAt(validity, i)) throw outOfRange('int32'); continue; }
        out[i] = r;
      }
      break;
    }
    case '%': {
      for (let i = 0; i < n; i++) {
        const y = b[i & bm]!;
        if (y === 0) { validity = setNull(validity, i, n); continue; }
        out[i] = a[i & am]! % y;
      }
      break;
    }
  }
  return fixedColumn('int32', out, validity);
}

function int64Arith(op: ArithOp, a: BigInt64Array, am: number, b: BigInt64Array, bm: number, validity: Uint8Array | null, n: number): Column {
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i & am]!, y = b[i & bm]!;
    let r: bigint;
    switch (op) {
      case '+': r = x + y; break;
      case '-': r = x - y; break;
      case '*': r = x * y; break;
      case '/': if (y === 0n) { validity = setNull(validity, i, n); continue; } r = x / y; break;
      case '%': if (y === 0n) { validity = setNull(validity, i, n); continue; } r = x % y; break;
    }
    if (r > INT64_MAX || r < INT64_MIN) { if (isValidAt(validity, i)) throw outOfRange('int64'); continue; }
    out[i] = r;
  }
  return fixedColumn('int64', out, validity);
}

function float64Arith(op: ArithOp, a: Float64Array, am: number, b: Float64Array, bm: number, validity: Uint8Array | null, n: number): Column {
  const out = new Float64Array(n);
  switch (op) {
    case '+': for (let i = 0; i < n; i++) out[i] = a[i & am]! + b[i & bm]!; break;
    case '-': for (let i = 0; i < n; i++) out[i] = a[i & am]! - b[i & bm]!; break;
    case '*': for (let i = 0; i < n; i++) out[i] = a[i & am]! * b[i & bm]!; break;
    case '/':
      for (let i = 0; i < n; i++) {
        const y = b[i & bm]!;
        if (y === 0) { validity = setNull(validity, i, n); continue; }
        out[i] = a[i & am]! / y;
      }
      break;
    case '%':
      for (let i = 0; i < n; i++) {
        const y = b[i & bm]!;
        if (y === 0) { validity = setNull(validity, i, n); continue; }
        out[i] = a[i & am]! % y;
      }
      break;
  }
  return fixedColumn('float64', out, validity);
}

/** date32 + int, int + date32, date32 - int → date32; date32 - date32 → integer days. */
function dateArithmetic(op: ArithOp, left: Column, right: Column, outType: DataType, n: number): Column {
  if (left.type === 'date32' && right.type === 'date32') {
    if (op !== '-') throw new SpillwayError('type', `operator ${op} is not defined for date and date`);
    const lm = maskOf(left, n), rm = maskOf(right, n);
    const out = new Int32Array(n);
    const a = left.values, b = right.values;
    const validity = andValidity(left.validity, lm, right.validity, rm, n);
    for (let i = 0; i < n; i++) {
      const r = a[i & lm]! - b[i & rm]!;
      if (r > INT32_MAX || r < INT32_MIN) { if (isValidAt(validity, i)) throw outOfRange('int32'); continue; }
      out[i] = r;
    }
    const c = fixedColumn('int32', out, validity);
    return outType === 'int32' ? c : castColumn(c, outType);
  }
  const dateOnLeft = left.type === 'date32';
  const date = dateOnLeft ? left : right;
  const other = dateOnLeft ? right : left;
  if (!(op === '+' || (op === '-' && dateOnLeft)) || (other.type !== 'int32' && other.type !== 'int64')) {
    throw new SpillwayError('type', `operator ${op} is not defined for ${left.type} and ${right.type}`);
  }
  const days = castColumn(other, 'int32');
  if (date.type !== 'date32' || days.type !== 'int32') throw new Error('dateArithmetic: unexpected types');
  const dm = maskOf(date, n), km = maskOf(days, n);
  const validity = andValidity(date.validity, dm, days.validity, km, n);
  const out = new Int32Array(n);
  const d = date.values, k = days.values;
  const sign = op === '-' ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const r = d[i & dm]! + sign * k[i & km]!;
    if (r > INT32_MAX || r < INT32_MIN) { if (isValidAt(validity, i)) throw outOfRange('date32'); continue; }
    out[i] = r;
  }
  const c = fixedColumn('date32', out, validity);
  return outType === 'date32' || outType === 'null' ? c : castColumn(c, outType);
}

/** Unary minus. */
export function negate(arg: Column, outType: DataType): Column {
  const n = arg.length;
  switch (arg.type) {
    case 'null': return allNull(outType === 'null' ? 'int32' : outType, n);
    case 'int32': {
      const out = new Int32Array(n);
      const v = arg.values;
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        if (x === INT32_MIN) { if (isValidAt(arg.validity, i)) throw outOfRange('int32'); continue; }
        out[i] = -x;
      }
      const c = fixedColumn('int32', out, arg.validity);
      return outType === 'int32' ? c : castColumn(c, outType);
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      const v = arg.values;
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        if (x === INT64_MIN) { if (isValidAt(arg.validity, i)) throw outOfRange('int64'); continue; }
        out[i] = -x;
      }
      const c = fixedColumn('int64', out, arg.validity);
      return outType === 'int64' ? c : castColumn(c, outType);
    }
    case 'float64': {
      const out = new Float64Array(n);
      const v = arg.values;
      for (let i = 0; i < n; i++) out[i] = -v[i]!;
      const c = fixedColumn('float64', out, arg.validity);
      return outType === 'float64' ? c : castColumn(c, outType);
    }
    default:
      if (isDecimal(arg.type)) return castColumn(negateDecimal(arg as DecimalColumn), outType);
      throw new SpillwayError('type', `unary minus is not defined for ${arg.type}`);
  }
}
