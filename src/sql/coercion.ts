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
import type { DataType, Scalar } from '../common/types.js';
import { isNumeric, sqlTypeName } from '../common/types.js';
import { SpillwayError } from '../common/errors.js';
import type { LExpr } from '../plan/logical.js';
import type { DataTypeNode } from './ast.js';
import { civilOf, daysFromCivil, daysInMonth } from '../common/calendar.js';

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
    case 'NUMERIC': case 'DECIMAL': return 'float64';
    case 'VARCHAR': case 'TEXT': case 'CHAR': case 'CHARACTER': case 'CHARACTER VARYING': case 'STRING': case 'BPCHAR':
      return 'utf8';
    case 'DATE': return 'date32';
    case 'TIMESTAMP': case 'DATETIME': case 'TIMESTAMP WITHOUT TIME ZONE': return 'timestamp';
    case 'BOOLEAN': case 'BOOL': return 'bool';
    default:
      throw new SpillwayError('unsupported', `unsupported: data type ${t.dataType}`);
  }
}

const NUMERIC_RANK: Partial<Record<DataType, number>> = { int32: 1, int64: 2, float64: 3 };

export function widerNumeric(a: DataType, b: DataType): DataType {
  return (NUMERIC_RANK[a] ?? 0) >= (NUMERIC_RANK[b] ?? 0) ? a : b;
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
      return null;
    default:
      return null;
  }
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
  if (isUntypedString(a) && tb !== 'utf8') return tb;
  if (isUntypedString(b) && ta !== 'utf8') return ta;
  if ((ta === 'date32' && tb === 'timestamp') || (ta === 'timestamp' && tb === 'date32')) return 'timestamp';
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
    throw new SpillwayError('type', `${what} types ${sqlTypeName(t)} and ${sqlTypeName(e.type)} cannot be matched${where}`);
  }
  return t;
}
