/**
 * Numeric functions: abs, round, floor, ceil, trunc, sign, sqrt, cbrt, power, ln, log10,
 * exp. Integer inputs stay exact (int64 via BigInt) for abs / round / floor / ceil / trunc /
 * sign; the transcendental ones compute in float64. The result is converted to the
 * binder's type. Domain errors follow PostgreSQL's messages (sqrt of a negative number,
 * logarithm of zero or a negative number, zero to a negative power).
 */
import { fixedColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import { castColumn, roundHalfAway } from './cast.js';
import { allNull, andValidity, maskOf } from './broadcast.js';
import { asDoubles, doublesToColumn, outOfRange } from './numeric.js';

function requireNumeric(c: Column, fn: string): void {
  if (c.type !== 'int32' && c.type !== 'int64' && c.type !== 'float64' && c.type !== 'null') {
    throw new SpillwayError('type', `${fn} expects a number, got ${c.type}`);
  }
}

export function abs(x: Column, outType: DataType): Column {
  requireNumeric(x, 'abs');
  const n = x.length;
  switch (x.type) {
    case 'int32': {
      const out = new Int32Array(n);
      const v = x.values;
      for (let i = 0; i < n; i++) {
        const a = v[i]!;
        if (a === -2147483648) { if (x.validity === null || x.validity[i] === 1) throw outOfRange('int32'); continue; }
        out[i] = a < 0 ? -a : a;
      }
      return castColumn(fixedColumn('int32', out, x.validity), outType);
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      const v = x.values;
      for (let i = 0; i < n; i++) {
        const a = v[i]!;
        if (a === -9223372036854775808n) { if (x.validity === null || x.validity[i] === 1) throw outOfRange('int64'); continue; }
        out[i] = a < 0n ? -a : a;
      }
      return castColumn(fixedColumn('int64', out, x.validity), outType);
    }
    case 'float64': {
      const out = new Float64Array(n);
      const v = x.values;
      for (let i = 0; i < n; i++) out[i] = Math.abs(v[i]!);
      return castColumn(fixedColumn('float64', out, x.validity), outType);
    }
    default: return allNull(outType, n);
  }
}

export type RoundingMode = 'floor' | 'ceil' | 'trunc';

/** floor / ceil / trunc: identity on integers. */
export function rounding(mode: RoundingMode, x: Column, outType: DataType): Column {
  requireNumeric(x, mode);
  if (x.type !== 'float64') return castColumn(x, outType === 'null' ? x.type : outType);
  const n = x.length;
  const out = new Float64Array(n);
  const v = x.values;
  const f = mode === 'floor' ? Math.floor : mode === 'ceil' ? Math.ceil : Math.trunc;
  for (let i = 0; i < n; i++) out[i] = f(v[i]!);
  return castColumn(fixedColumn('float64', out, x.validity), outType);
}

/** round(x[, digits]): half away from zero; negative digits round left of the point. */
export function round(x: Column, digits: Column | null, n: number, outType: DataType): Column {
  requireNumeric(x, 'round');
  if (x.type === 'null' || digits?.type === 'null') return allNull(outType, n);
  const xm = maskOf(x, n);
  const dm = digits === null ? 0 : maskOf(digits, n);
  const dv = digits === null ? Float64Array.of(0) : asDoubles(digits);
  const validity = andValidity(x.validity, xm, digits === null ? null : digits.validity, dm, n);
  if (x.type === 'float64') {
    const out = new Float64Array(n);
    const v = x.values;
    for (let i = 0; i < n; i++) {
      const a = v[i & xm]!;
      const d = Math.trunc(dv[i & dm]!);
      if (d === 0) out[i] = roundHalfAway(a);
      else if (d > 0) {
        const p = 10 ** d;
        const scaled = a * p;
        out[i] = Number.isFinite(scaled) ? roundHalfAway(scaled) / p : a;
      } else {
        const p = 10 ** -d;
        out[i] = roundHalfAway(a / p) * p;
      }
    }
    return castColumn(fixedColumn('float64', out, validity), outType);
  }
  if (x.type === 'int32') {
    const out = new Float64Array(n);
    const v = x.values;
    for (let i = 0; i < n; i++) {
      const a = v[i & xm]!;
      const d = Math.trunc(dv[i & dm]!);
      if (d >= 0) out[i] = a;
      else { const p = 10 ** -d; out[i] = roundHalfAway(a / p) * p; }
    }
    return doublesToColumn(out, validity, outType === 'float64' || outType === 'int64' ? outType : 'int32');
  }
  if (x.type === 'int64') {
    const out = new BigInt64Array(n);
    const v = x.values;
    for (let i = 0; i < n; i++) {
      const a = v[i & xm]!;
      const d = Math.trunc(dv[i & dm]!);
      if (d >= 0) { out[i] = a; continue; }
      if (-d > 18) { out[i] = 0n; continue; }
      const p = 10n ** BigInt(-d);
      const mag = a < 0n ? -a : a;
      const r = ((mag + p / 2n) / p) * p;
      if (r > 9223372036854775807n) { if (validity === null || validity[i] === 1) throw outOfRange('int64'); continue; }
      out[i] = a < 0n ? -r : r;
    }
    return castColumn(fixedColumn('int64', out, validity), outType);
  }
  throw new SpillwayError('type', `round expects a number, got ${x.type}`);
}

export function sign(x: Column, outType: DataType): Column {
  requireNumeric(x, 'sign');
  const n = x.length;
  if (x.type === 'null') return allNull(outType, n);
  const out = new Float64Array(n);
  if (x.type === 'int64') {
    const v = x.values;
    for (let i = 0; i < n; i++) out[i] = v[i]! > 0n ? 1 : v[i]! < 0n ? -1 : 0;
  } else if (x.type === 'int32' || x.type === 'float64') {
    const v = x.values;
    for (let i = 0; i < n; i++) { const a = v[i]!; out[i] = a > 0 ? 1 : a < 0 ? -1 : 0; }
  }
  return doublesToColumn(out, x.validity, outType);
}

export type UnaryMathFn = 'sqrt' | 'cbrt' | 'ln' | 'log10' | 'exp';

export function unaryMath(fn: UnaryMathFn, x: Column, outType: DataType): Column {
  requireNumeric(x, fn);
  const n = x.length;
  if (x.type === 'null') return allNull(outType, n);
  const v = asDoubles(x);
  const valid = x.validity;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = v[i]!;
    if (valid !== null && valid[i] === 0) continue;
    switch (fn) {
      case 'sqrt':
        if (a < 0) throw new SpillwayError('execution', 'cannot take square root of a negative number');
        out[i] = Math.sqrt(a); break;
      case 'cbrt': out[i] = Math.cbrt(a); break;
      case 'ln': case 'log10':
        if (a === 0) throw new SpillwayError('execution', 'cannot take logarithm of zero');
        if (a < 0) throw new SpillwayError('execution', 'cannot take logarithm of a negative number');
        out[i] = fn === 'ln' ? Math.log(a) : Math.log10(a); break;
      case 'exp': out[i] = Math.exp(a); break;
    }
  }
  return doublesToColumn(out, valid, outType === 'null' ? 'float64' : outType);
}

export function power(x: Column, y: Column, n: number, outType: DataType): Column {
  requireNumeric(x, 'power');
  requireNumeric(y, 'power');
  if (x.type === 'null' || y.type === 'null') return allNull(outType, n);
  const xm = maskOf(x, n), ym = maskOf(y, n);
  const a = asDoubles(x), b = asDoubles(y);
  const validity = andValidity(x.validity, xm, y.validity, ym, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const base = a[i & xm]!, e = b[i & ym]!;
    if (base === 0 && e < 0) throw new SpillwayError('execution', 'zero raised to a negative power is undefined');
    if (base < 0 && !Number.isInteger(e)) throw new SpillwayError('execution', 'a negative number raised to a non-integer power yields a complex result');
    out[i] = base ** e;
  }
  return doublesToColumn(out, validity, outType === 'null' ? 'float64' : outType);
}
