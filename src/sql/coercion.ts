/**
 * Types in the binder: SQL type names, implicit coercion, and folding of literal casts.
 *
 * Rules (PostgreSQL-like):
 *   - numeric promotion int32 < int64 < float64; both operands get the wider type;
 *   - a NULL literal (type 'null') takes the other side's type;
 *   - a string literal is of "unknown" type until used: next to a DATE it becomes a date,
 *     next to a number a number, and so on (folded at bind time, so no runtime cast);
 *   - date32 next to timestamp widens to timestamp;
 *   - anything else that differs is a type error naming both types.
 */
import { commonNestedType, isNested } from '../common/nested_types.js';
import type { DataType, DecimalType, Scalar } from '../common/types.js';
import { decimalParams, decimalType, isDecimal, isNumeric, MAX_DECIMAL_PRECISION, sqlTypeName } from '../common/types.js';
import { decimalText, parseDecimalText } from '../expr/decimal.js';
import { SpillwayError } from '../common/errors.js';
import type { LExpr } from '../plan/logical.js';
import type { DataTypeNode } from './ast.js';
import { civilOf, daysFromCivil, daysInMonth } from '../common/calendar.js';
import { formatTimeOfDay, parseTimeOfDay } from '../common/time_of_day.js';
import { intervalText, parseIntervalText } from '../common/interval.js';
import { formatBlob, parseBlobText } from '../common/blob_text.js';

/** String literals written in the query whose type is still open (PostgreSQL's "unknown"). */
const untypedLiterals = new WeakSet<LExpr>();

export function untypedString(value: string): LExpr {
  const e: LExpr = { kind: 'literal', value, type: 'utf8' };
  untypedLiterals.add(e);
  return e;
}

export function isUntypedString(e: LExpr): boolean {
  return untypedLiterals.has(e);
}

export function isNullLiteral(e: LExpr): boolean {
  return e.kind === 'literal' && e.value === null;
}

/** Map a parsed SQL type (CAST target, CREATE TABLE column) to a DataType. */
export function dataTypeFromSql(t: DataTypeNode): DataType {
  const name = t.dataType.toUpperCase().replace(/\s+/g, ' ').trim();
  switch (name) {
    case 'INT': case 'INTEGER': case 'INT4': case 'SMALLINT': case 'INT2': case 'TINYINT': case 'MEDIUMINT':
      return t.length === 8 ? 'int64' : 'int32';
    case 'BIGINT': case 'INT8': return 'int64';
    case 'DOUBLE': case 'DOUBLE PRECISION': case 'FLOAT': case 'FLOAT8': case 'FLOAT4': case 'REAL':
      return 'float64';
    case 'NUMERIC': case 'DECIMAL': case 'DEC': {
      // DuckDB's default is DECIMAL(18,3); DECIMAL(p) has scale 0.
      const p = t.length ?? 18, sc = t.length === undefined ? 3 : t.scale ?? 0;
      if (!Number.isInteger(p) || p < 1 || p > MAX_DECIMAL_PRECISION) {
        throw new SpillwayError('type', `DECIMAL precision must be between 1 and ${MAX_DECIMAL_PRECISION}, got ${p}`);
      }
      if (!Number.isInteger(sc) || sc < 0 || sc > p) throw new SpillwayError('type', `DECIMAL scale must be between 0 and the precision ${p}, got ${sc}`);
      return decimalType(p, sc);
    }
    case 'VARCHAR': case 'TEXT': case 'CHAR': case 'CHARACTER': case 'CHARACTER VARYING': case 'STRING': case 'BPCHAR':
      return 'utf8';
    case 'DATE': return 'date32';
    case 'TIMESTAMP': case 'DATETIME': case 'TIMESTAMP WITHOUT TIME ZONE': return 'timestamp';
    case 'TIME': case 'TIME WITHOUT TIME ZONE': return 'time';
    case 'INTERVAL': return 'interval';
    case 'BLOB': case 'BYTEA': case 'BINARY': case 'VARBINARY': return 'blob';
    case 'BOOLEAN': case 'BOOL': return 'bool';
    default:
      throw new SpillwayError('unsupported', `unsupported: data type ${t.dataType}`);
  }
}

const NUMERIC_RANK: Partial<Record<DataType, number>> = { int32: 1, int64: 2, float64: 3 };

/** An integer type as the DECIMAL that holds it (DuckDB: INTEGER → DECIMAL(10,0), BIGINT → DECIMAL(19,0)). */
export function asDecimal(t: DataType): DecimalType | null {
  if (isDecimal(t)) return t;
  if (t === 'int32') return 'decimal(10,0)';
  if (t === 'int64') return 'decimal(19,0)';
  return null;
}

/**
 * The common type of two numeric types: the wider of int32 < int64 < float64; a decimal with
 * a double is a double; a decimal with a decimal or an integer is the decimal with the most
 * integer digits and the largest scale (a double when that needs more than 38 digits).
 */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (isDecimal(a) || isDecimal(b)) {
    if (a === b) return a;
    const x = asDecimal(a), y = asDecimal(b);
    if (x === null || y === null) return 'float64';
    const px = decimalParams(x), py = decimalParams(y);
    const scale = Math.max(px.scale, py.scale);
    const digits = Math.max(px.precision - px.scale, py.precision - py.scale) + scale;
    return digits > MAX_DECIMAL_PRECISION ? 'float64' : decimalType(digits, scale);
  }
  return (NUMERIC_RANK[a] ?? 0) >= (NUMERIC_RANK[b] ?? 0) ? a : b;
}

/**
 * The result type of a + - * % b where a or b is a decimal and neither a double (DuckDB's rules):
 * + and - take the larger scale and one more integer digit; * adds scales and precisions,
 * kept at 18 digits when both sides fit 18 (the int64 fast path) and capped at 38; % takes
 * the common type. null: no decimal fits (the caller computes in doubles).
 */
export function decimalResultType(op: string, a: DataType, b: DataType): DecimalType | null {
  const x = asDecimal(a === 'null' ? b : a), y = asDecimal(b === 'null' ? a : b);
  if (x === null || y === null) return null;
  const px = decimalParams(x), py = decimalParams(y);
  if (op === '*') {
    const scale = px.scale + py.scale;
    let p = px.precision + py.precision;
    if (p > 18 && px.precision <= 18 && py.precision <= 18 && scale < 18) p = 18;
    if (scale > MAX_DECIMAL_PRECISION) return null;
    return decimalType(Math.min(p, MAX_DECIMAL_PRECISION), scale);
  }
  const scale = Math.max(px.scale, py.scale);
  const digits = Math.max(px.precision - px.scale, py.precision - py.scale) + scale + (op === '%' ? 0 : 1);
  return decimalType(Math.min(digits, MAX_DECIMAL_PRECISION), scale);
}

/** The DECIMAL literal of numeric text ('0.10' → DECIMAL(3,2) 10), or null (exponent, > 38 digits, beyond int64). */
export function decimalLiteral(text: string): LExpr | null {
  const m = /^([+-]?)(\d*)\.(\d*)$/.exec(text.trim());
  if (!m || (m[2] === '' && m[3] === '')) return null;
  const int = m[2]!.replace(/^0+/, '');
  const scale = m[3]!.length;
  const precision = Math.max(m[2] === '' ? 0 : Math.max(int.length, 1), 1) + scale - (m[2] === '' && scale > 0 ? 1 : 0);
  const p = Math.max(precision, scale, 1);
  if (p > MAX_DECIMAL_PRECISION) return null;
  const v = parseDecimalText(text, scale);
  if (v === null || v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return { kind: 'literal', value: decimalValue(v), type: decimalType(p, scale) };
}

/** An unscaled decimal as a Scalar: a number when safe, else a bigint. */
function decimalValue(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' string, or null when it is not a valid date. */
export function parseDate(text: string): number | null {
  const m = /^\s*(-?\d{1,6})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return daysFromCivil(y, mo, d);
}

/** Microseconds since the epoch of 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]', or null. */
export function parseTimestamp(text: string): bigint | null {
  const m = /^\s*(-?\d{1,6}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*$/.exec(text);
  if (!m) return null;
  const days = parseDate(m[1]!);
  if (days === null) return null;
  const h = Number(m[2] ?? 0);
  const mi = Number(m[3] ?? 0);
  const s = Number(m[4] ?? 0);
  if (h > 23 || mi > 59 || s > 59) return null;
  const frac = BigInt((m[5] ?? '').padEnd(6, '0') || '0');
  return BigInt(days) * 86_400_000_000n + BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + frac;
}

/** date + n months, clamping the day to the month's end as PostgreSQL does. */
export function addMonths(days: number, months: number): number {
  const { year: y, month: m, day: d } = civilOf(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

function literal(value: Scalar, type: DataType, decimal?: string): LExpr {
  return decimal === undefined ? { kind: 'literal', value, type } : { kind: 'literal', value, type, decimal };
}

/**
 * Convert a literal to `target` at bind time when that is exact and cannot fail at run time;
 * null when it cannot be folded (the caller then emits a cast node).
 */
export function foldLiteralCast(e: LExpr, target: DataType): LExpr | null {
  if (e.kind !== 'literal') return null;
  const v = e.value;
  if (v === null) return literal(null, target);
  if (e.type === target) return e;
  if (isNested(target) || isNested(e.type)) return null; // cast at run time (expr/nested_cast.ts)
  if (isDecimal(target) || isDecimal(e.type)) return foldDecimalCast(e, target);
  switch (target) {
    case 'int64':
      if (e.type === 'int32' && typeof v === 'number') return literal(BigInt(v), 'int64');
      if (e.type === 'utf8' && typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return literal(BigInt(v.trim()), 'int64');
      return null;
    case 'int32':
      if (e.type === 'int64' && typeof v === 'bigint' && v >= -2147483648n && v <= 2147483647n) return literal(Number(v), 'int32');
      if (e.type === 'utf8' && typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) {
        const n = Number(v);
        if (n >= -2147483648 && n <= 2147483647) return literal(n, 'int32');
      }
      return null;
    case 'float64':
      if (e.type === 'int32' && typeof v === 'number') return literal(v, 'float64', String(v));
      if (e.type === 'int64' && typeof v === 'bigint') return literal(Number(v), 'float64', v.toString());
      if (e.type === 'utf8' && typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) {
        return literal(Number(v), 'float64', v.trim());
      }
      return null;
    case 'date32':
      if (e.type === 'utf8' && typeof v === 'string') {
        const d = parseDate(v);
        if (d === null) throw new SpillwayError('type', `invalid input syntax for type DATE: '${v}'`);
        return literal(d, 'date32');
      }
      return null;
    case 'timestamp':
      if (e.type === 'utf8' && typeof v === 'string') {
        const t = parseTimestamp(v);
        if (t === null) throw new SpillwayError('type', `invalid input syntax for type TIMESTAMP: '${v}'`);
        return literal(t, 'timestamp');
      }
      if (e.type === 'date32' && typeof v === 'number') return literal(BigInt(v) * 86_400_000_000n, 'timestamp');
      return null;
    case 'time':
      if (e.type === 'utf8' && typeof v === 'string') {
        const t = parseTimeOfDay(v);
        if (t === null) throw new SpillwayError('type', `invalid input syntax for type TIME: '${v}'`);
        return literal(t, 'time');
      }
      return null;
    case 'interval':
      if (e.type === 'utf8' && typeof v === 'string') {
        const p = parseIntervalText(v);
        if (p === null) throw new SpillwayError('type', `invalid input syntax for type INTERVAL: '${v}'`);
        return literal(intervalText(p), 'interval');
      }
      return null;
    case 'blob':
      if (e.type === 'utf8' && typeof v === 'string') {
        const b = parseBlobText(v);
        if (typeof b === 'string') throw new SpillwayError('type', `cannot cast to BLOB: ${b}`);
        return literal(formatBlob(b), 'blob');
      }
      return null;
    case 'bool':
      if (e.type === 'utf8' && typeof v === 'string') {
        const s = v.trim().toLowerCase();
        if (['t', 'true', 'yes', 'on', '1'].includes(s)) return literal(true, 'bool');
        if (['f', 'false', 'no', 'off', '0'].includes(s)) return literal(false, 'bool');
        throw new SpillwayError('type', `invalid input syntax for type BOOLEAN: '${v}'`);
      }
      return null;
    case 'utf8':
      if (typeof v === 'number' && e.type === 'int32') return literal(String(v), 'utf8');
      if (typeof v === 'bigint' && e.type === 'int64') return literal(v.toString(), 'utf8');
      if (typeof v === 'boolean') return literal(v ? 'true' : 'false', 'utf8');
      // A blob's Scalar is the text CAST gives.
      if ((e.type === 'interval' || e.type === 'blob') && typeof v === 'string') return literal(v, 'utf8');
      if (e.type === 'time' && typeof v === 'number') return literal(formatTimeOfDay(v), 'utf8');
      return null;
    default:
      return null;
  }
}

/** Casts of literals to and from decimals, exact at bind time; null leaves a run-time cast (and its errors). */
function foldDecimalCast(e: LExpr & { kind: 'literal' }, target: DataType): LExpr | null {
  const v = e.value;
  if (isDecimal(target)) {
    const { precision, scale } = decimalParams(target);
    let text: string | null = null;
    if (isDecimal(e.type) && (typeof v === 'number' || typeof v === 'bigint')) text = decimalText(v, decimalParams(e.type).scale);
    else if ((e.type === 'int32' || e.type === 'int64') && (typeof v === 'number' || typeof v === 'bigint')) text = v.toString();
    else if (e.type === 'utf8' && typeof v === 'string') text = v;
    if (text === null) return null;
    const u = parseDecimalText(text, scale);
    const limit = 10n ** BigInt(precision);
    if (u === null || u >= limit || u <= -limit || u > 9223372036854775807n || u < -9223372036854775808n) return null;
    return literal(decimalValue(u), target);
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') return null;
  const text = decimalText(v, decimalParams(e.type as DecimalType).scale);
  if (target === 'float64') return literal(Number(text), 'float64', text);
  if (target === 'utf8') return literal(text, 'utf8');
  return null;
}

/** Cast `e` to `target`, folding literals; no-op when it already has that type. */
export function castTo(e: LExpr, target: DataType): LExpr {
  if (exprType(e) === target) return e;
  const folded = foldLiteralCast(e, target);
  if (folded) return folded;
  return { kind: 'cast', arg: e, type: target };
}

export function exprType(e: LExpr): DataType {
  return e.type;
}

/**
 * The type two operands are brought to for comparison, CASE branches, IN lists, UNION
 * columns; null when there is none (the caller raises a type error naming both).
 * Untyped string literals adapt to the other side.
 */
export function commonType(a: LExpr, b: LExpr): DataType | null {
  const ta = a.type;
  const tb = b.type;
  if (ta === tb) return ta;
  if (ta === 'null') return tb;
  if (tb === 'null') return ta;
  if (isNumeric(ta) && isNumeric(tb)) return widerNumeric(ta, tb);
  if (isUntypedString(a) && isDecimal(tb)) return tb;
  if (isUntypedString(b) && isDecimal(ta)) return ta;
  if (isUntypedString(a) && tb !== 'utf8') return tb;
  if (isUntypedString(b) && ta !== 'utf8') return ta;
  if ((ta === 'date32' && tb === 'timestamp') || (ta === 'timestamp' && tb === 'date32')) return 'timestamp';
  if (isNested(ta) && isNested(tb)) return commonNestedType(ta, tb, commonLeafType);
  return null;
}

/** Common type of two element or field types of nested values (no untyped strings there). */
function commonLeafType(x: DataType, y: DataType): DataType | null {
  if (x === y) return x;
  if (x === 'null') return y;
  if (y === 'null') return x;
  if (isNumeric(x) && isNumeric(y)) return widerNumeric(x, y);
  if ((x === 'date32' && y === 'timestamp') || (x === 'timestamp' && y === 'date32')) return 'timestamp';
  return null;
}

/** Common type of many expressions (left to right), or a type error naming the mismatch. */
export function commonTypeOf(exprs: LExpr[], what: string, where: string): DataType {
  let t: DataType = 'null';
  // True while every expression seen so far is an untyped string literal or NULL.
  let untyped = true;
  for (const e of exprs) {
    const eUntyped = isUntypedString(e) || e.type === 'null';
    if (e.type === 'null') continue;
    if (t === 'null' || e.type === t) { t = e.type; untyped = untyped && eUntyped; continue; }
    if (isNumeric(t) && isNumeric(e.type)) { t = widerNumeric(t, e.type); untyped = false; continue; }
    if (isUntypedString(e)) continue;
    if (untyped) { t = e.type; untyped = false; continue; }
    if ((t === 'date32' && e.type === 'timestamp') || (t === 'timestamp' && e.type === 'date32')) { t = 'timestamp'; continue; }
    const nested = isNested(t) && isNested(e.type) ? commonNestedType(t, e.type, commonLeafType) : null;
    if (nested !== null) { t = nested; continue; }
    throw new SpillwayError('type', `${what} types ${sqlTypeName(t)} and ${sqlTypeName(e.type)} cannot be matched${where}`);
  }
  return t;
}
