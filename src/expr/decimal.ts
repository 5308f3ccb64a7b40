/**
 * Exact DECIMAL(p,s) kernels: casts to and from decimals, rescaling, + − × % and unary minus,
 * and decimal text. A decimal column holds unscaled integers (common/types.ts) in one of two
 * forms; kernels compute in doubles while every result is provably exact (an integer result
 * of magnitude below 2^53 computed from exact integers by one IEEE operation is exact) and
 * redo the batch in bigints otherwise.
 *
 * Rounding to fewer digits (casts, rescaling down) is half away from zero, as DuckDB does.
 * Values outside DECIMAL(p,s)'s range, or beyond the int64 range of the bigint form, are an
 * error naming the value and the type.
 */
import { fixedColumn, type Column, type DecimalColumn, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { decimalParams, isDecimal, sqlTypeName, type DataType, type DecimalType } from '../common/types.js';
import { andValidity, maskOf } from './broadcast.js';
import { decodeRange, Utf8Writer } from './utf8.js';

/** Exact in the Float64Array form: |v| < 2^53. */
const EXACT = 9007199254740992;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

const POW10: number[] = [];
for (let k = 0, p = 1; k <= 22; k++, p *= 10) POW10.push(p);
const POW10N: bigint[] = [];
for (let k = 0, p = 1n; k <= 40; k++, p *= 10n) POW10N.push(p);

export function pow10(k: number): number {
  return POW10[k] ?? Math.pow(10, k);
}

function overflow(text: string, to: DataType): SpillwayError {
  return new SpillwayError('execution', `Casting value "${text}" to type ${sqlTypeName(to)} failed: value is out of range`);
}

/** The text of an unscaled decimal value v at scale s ('-12.50'). */
export function decimalText(v: number | bigint, scale: number): string {
  const neg = v < 0;
  let digits = typeof v === 'number' ? String(neg ? -v : v) : (neg ? -v : v).toString();
  if (scale === 0) return neg ? `-${digits}` : digits;
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  const cut = digits.length - scale;
  return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** Parse decimal text ('1.5', '-.25', '3e2') to the unscaled value at `scale`, rounding half away from zero; null on bad syntax. */
export function parseDecimalText(text: string, scale: number): bigint | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  const digits = (m[2] ?? '') + (m[3] ?? '');
  // value = digits × 10^(exp - fracLen); unscaled = value × 10^scale.
  const shift = exp - (m[3]?.length ?? 0) + scale;
  let v = BigInt(digits === '' ? '0' : digits);
  if (shift >= 0) v *= 10n ** BigInt(shift);
  else v = roundDivBig(v, 10n ** BigInt(-shift));
  return m[1] === '-' ? -v : v;
}

/** a / b rounded half away from zero (b > 0). */
function roundDivBig(a: bigint, b: bigint): bigint {
  const q = a / b, r = a % b;
  const twice = (r < 0n ? -r : r) * 2n;
  return twice >= b ? q + (a < 0n ? -1n : 1n) : q;
}

/** Round x / 10^k half away from zero, x an exact integer double. */
function roundDivNum(x: number, p: number): number {
  const r = x % p;
  const q = (x - r) / p;
  const twice = (r < 0 ? -r : r) * 2;
  return twice >= p ? q + (x < 0 ? -1 : 1) : q;
}

/**
 * Values of a decimal column at another scale (and optionally checked against a precision):
 * the Float64Array form when every result is exact there.
 */
function rescale(c: DecimalColumn, fromScale: number, to: DecimalType, check: boolean): DecimalColumn {
  const { precision, scale } = decimalParams(to);
  const n = c.length, valid = c.validity, v = c.values;
  const limit = precision <= 22 ? pow10(precision) : Infinity;
  if (v instanceof Float64Array) {
    const out = new Float64Array(n);
    let ok = true;
    if (scale >= fromScale) {
      const f = pow10(scale - fromScale);
      for (let i = 0; i < n; i++) {
        const r = v[i]! * f;
        if (r >= EXACT || r <= -EXACT) { ok = false; break; }
        out[i] = r;
      }
    } else {
      const p = pow10(fromScale - scale);
      for (let i = 0; i < n; i++) out[i] = roundDivNum(v[i]!, p);
    }
    if (ok) {
      if (check && limit <= EXACT) {
        for (let i = 0; i < n; i++) {
          const r = out[i]!;
          if ((r >= limit || r <= -limit) && (valid === null || valid[i] === 1)) throw overflow(decimalText(v[i]!, fromScale), to);
        }
      }
      return fixedColumn(to, out, valid) as DecimalColumn;
    }
  }
  const big = v instanceof BigInt64Array ? v : toBig(v);
  const out = new BigInt64Array(n);
  const limitN = POW10N[precision]!;
  const up = scale >= fromScale ? POW10N[scale - fromScale]! : 1n;
  const down = scale < fromScale ? POW10N[fromScale - scale]! : 1n;
  let small = true;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const x = big[i]!;
    const r = down === 1n ? x * up : roundDivBig(x, down);
    if ((check && (r >= limitN || r <= -limitN)) || r > INT64_MAX || r < INT64_MIN) throw overflow(decimalText(x, fromScale), to);
    out[i] = r;
    if (r >= 9007199254740992n || r <= -9007199254740992n) small = false;
  }
  return fixedColumn(to, small ? toNum(out) : out, valid) as DecimalColumn;
}

function toBig(v: Float64Array): BigInt64Array {
  const out = new BigInt64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]!);
  return out;
}

function toNum(v: BigInt64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]!);
  return out;
}

/** The Float64Array form when every value fits it, else the column as it is. */
function compact(c: DecimalColumn): DecimalColumn {
  const v = c.values;
  if (v instanceof Float64Array) return c;
  for (let i = 0; i < v.length; i++) { const x = v[i]!; if (x >= 9007199254740992n || x <= -9007199254740992n) return c; }
  return fixedColumn(c.type, toNum(v), c.validity) as DecimalColumn;
}

/** CAST where the source or the target is a decimal. */
export function castDecimal(c: Column, to: DataType): Column {
  const n = c.length, valid = c.validity;
  if (isDecimal(c.type)) {
    const d = c as DecimalColumn;
    const from = decimalParams(d.type).scale;
    if (isDecimal(to)) return rescale(d, from, to, true);
    const v = d.values;
    switch (to) {
      case 'float64': {
        const out = new Float64Array(n);
        const p = pow10(from);
        // v / 10^s with both exact is the correctly rounded double of the decimal.
        if (v instanceof Float64Array) for (let i = 0; i < n; i++) out[i] = v[i]! / p;
        else for (let i = 0; i < n; i++) out[i] = Number(decimalText(v[i]!, from));
        return fixedColumn('float64', out, valid);
      }
      case 'int32': case 'int64': {
        const r = rescale(d, from, `decimal(38,0)`, false).values;
        if (to === 'int64') {
          const out = r instanceof BigInt64Array ? r : toBig(r);
          return fixedColumn('int64', out, valid);
        }
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const x = Number(r[i]!);
          if ((x > 2147483647 || x < -2147483648) && (valid === null || valid[i] === 1)) throw overflow(decimalText(v[i]!, from), to);
          out[i] = x;
        }
        return fixedColumn('int32', out, valid);
      }
      case 'bool': {
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) out[i] = v[i]! != 0 ? 1 : 0; // eslint-disable-line eqeqeq
        return fixedColumn('bool', out, valid);
      }
      case 'utf8': return decimalsToUtf8(d, from);
      default: throw new SpillwayError('type', `cannot cast type ${sqlTypeName(c.type)} to ${sqlTypeName(to)}`);
    }
  }
  const target = to as DecimalType;
  const { precision, scale } = decimalParams(target);
  switch (c.type) {
    case 'int32': case 'bool': {
      const src = fixedColumn(target, Float64Array.from(c.values), valid) as DecimalColumn;
      return rescale(src, 0, target, true);
    }
    case 'int64': return rescale(compact(fixedColumn(target, c.values, valid) as DecimalColumn), 0, target, true);
    case 'float64': {
      const v = c.values;
      const f = pow10(scale);
      const limit = pow10(precision);
      const out = new Float64Array(n);
      let big: BigInt64Array | null = null;
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        const x = v[i]!;
        if (!Number.isFinite(x) || Math.abs(x) >= limit / f) throw overflow(String(x), target);
        const r = x * f;
        // Round half away from zero; beyond 2^53 the scaled double is already an integer.
        const q = r < 0 ? -Math.round(-r) : Math.round(r);
        if (q >= EXACT || q <= -EXACT) {
          big ??= toBig(out);
          big[i] = parseDecimalText(String(x), scale) ?? 0n;
        } else {
          out[i] = q;
          if (big) big[i] = BigInt(q);
        }
      }
      return fixedColumn(target, big ?? out, valid);
    }
    case 'utf8': return utf8ToDecimal(c, target);
    default: throw new SpillwayError('type', `cannot cast type ${sqlTypeName(c.type)} to ${sqlTypeName(to)}`);
  }
}

function decimalsToUtf8(c: DecimalColumn, scale: number): Utf8Column {
  const n = c.length, valid = c.validity, v = c.values;
  const w = new Utf8Writer(n, n * 8);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { w.endNull(); continue; }
    w.pushString(decimalText(v[i]!, scale));
    w.endRow();
  }
  return w.finish();
}

function utf8ToDecimal(c: Utf8Column, to: DecimalType): Column {
  const { precision, scale } = decimalParams(to);
  const n = c.length, valid = c.validity, d = c.data, o = c.offsets;
  const out = new BigInt64Array(n);
  const limit = POW10N[precision]!;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const text = decodeRange(d, o[i]!, o[i + 1]!);
    const r = parseDecimalText(text, scale);
    if (r === null) throw new SpillwayError('execution', `invalid input syntax for type ${sqlTypeName(to)}: "${text}"`);
    if (r >= limit || r <= -limit || r > INT64_MAX || r < INT64_MIN) throw overflow(text.trim(), to);
    out[i] = r;
  }
  return compact(fixedColumn(to, out, valid) as DecimalColumn);
}

export type DecimalOp = '+' | '-' | '*' | '%';

/**
 * left op right over n rows where both sides are decimals (either may be a broadcast constant)
 * and `out` is the binder's result type: + − and % at the result's scale, × at the sum of the
 * scales (the binder makes the result's scale exactly that).
 */
export function decimalArithmetic(op: DecimalOp, left: DecimalColumn, right: DecimalColumn, out: DecimalType, n: number): DecimalColumn {
  const outScale = decimalParams(out).scale;
  let l = left, r = right;
  if (op !== '*') {
    const ls = decimalParams(l.type).scale, rs = decimalParams(r.type).scale;
    if (ls !== outScale) l = rescale(l, ls, out, false);
    if (rs !== outScale) r = rescale(r, rs, out, false);
  }
  const lm = maskOf(l, n), rm = maskOf(r, n);
  let validity = andValidity(l.validity, lm, r.validity, rm, n);
  const a = l.values, b = r.values;
  if (a instanceof Float64Array && b instanceof Float64Array) {
    const res = new Float64Array(n);
    let ok = true;
    switch (op) {
      case '+': for (let i = 0; i < n; i++) { const x = a[i & lm]! + b[i & rm]!; if (x >= EXACT || x <= -EXACT) { ok = false; break; } res[i] = x; } break;
      case '-': for (let i = 0; i < n; i++) { const x = a[i & lm]! - b[i & rm]!; if (x >= EXACT || x <= -EXACT) { ok = false; break; } res[i] = x; } break;
      case '*': for (let i = 0; i < n; i++) { const x = a[i & lm]! * b[i & rm]!; if (x >= EXACT || x <= -EXACT) { ok = false; break; } res[i] = x; } break;
      case '%':
        for (let i = 0; i < n; i++) {
          const y = b[i & rm]!;
          if (y === 0) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; continue; }
          res[i] = a[i & lm]! % y;
        }
        break;
    }
    if (ok) return fixedColumn(out, res, validity) as DecimalColumn;
  }
  const A = a instanceof BigInt64Array ? a : toBig(a), B = b instanceof BigInt64Array ? b : toBig(b);
  const res = new BigInt64Array(n);
  // Up to 18 digits the type's own bound is checked (DuckDB's DECIMAL(18) products); wider ones are bounded by int64.
  const p = decimalParams(out).precision;
  const hi = p <= 18 ? POW10N[p]! - 1n : INT64_MAX, lo = p <= 18 ? -hi : INT64_MIN;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const x = A[i & lm]!, y = B[i & rm]!;
    let v: bigint;
    switch (op) {
      case '+': v = x + y; break;
      case '-': v = x - y; break;
      case '*': v = x * y; break;
      case '%':
        if (y === 0n) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; continue; }
        v = x % y; break;
    }
    if (v > hi || v < lo) {
      throw new SpillwayError('execution', `decimal out of range: ${decimalText(x, decimalParams(l.type).scale)} ${op} ${decimalText(y, decimalParams(r.type).scale)} does not fit ${sqlTypeName(out)}${p <= 18 ? '' : ' in 64 bits'}`);
    }
    res[i] = v;
  }
  return compact(fixedColumn(out, res, validity) as DecimalColumn);
}

/** Unary minus of a decimal column (same type). */
export function negateDecimal(c: DecimalColumn): DecimalColumn {
  const v = c.values, n = c.length;
  if (v instanceof Float64Array) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = -v[i]! + 0; // + 0 turns -0 into 0
    return fixedColumn(c.type, out, c.validity) as DecimalColumn;
  }
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (v[i] === INT64_MIN) throw new SpillwayError('execution', `decimal out of range: -(${decimalText(v[i]!, decimalParams(c.type).scale)})`);
    out[i] = -v[i]!;
  }
  return fixedColumn(c.type, out, c.validity) as DecimalColumn;
}

/** A decimal column as doubles (the value, scale applied): for division and math functions. */
export function decimalToDoubles(c: DecimalColumn): Float64Array {
  return (castDecimal(c, 'float64') as { values: Float64Array }).values;
}
