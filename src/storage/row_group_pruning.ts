/**
 * Row-group pruning: can statistics prove that a conjunct is never TRUE for any row of a
 * row group? Then the scan skips the group without reading it.
 *
 * Understood shapes (anything else keeps the group):
 *   col op lit, lit op col   op ∈ = <> < <= > >=   (NULL literal: never true → skip)
 *   a AND b                  skip if either side skips
 *   a OR b                   skip if both sides skip
 *   col IN (lit, …)          skip if every literal falls outside [min, max]
 *   col IS NULL              skip if the group has no NULLs
 *   col IS NOT NULL          skip if the group is all NULLs
 *   literal FALSE / NULL     skip
 * where `col` may also be a widening cast of a column (int32 → int64 → float64, date32 →
 * timestamp). A comparison over an all-NULL group is NULL for every row, so it skips too.
 *
 * Floating-point columns may hold NaN, which statistics leave out. Because PostgreSQL orders
 * NaN above every number while IEEE comparisons are false, `>`, `>=` and `<>` on a float
 * column never prune; `=`, `<`, `<=` and IN are safe under either rule.
 */
import type { BinaryOp, PhysicalExpr } from '../expr/expr.js';
import type { DataType, Scalar } from '../common/types.js';
import type { ColumnStatistics } from './parquet_metadata.js';

/** Statistics of output column i of the scan, or undefined when unknown. */
export type StatsOf = (column: number) => ColumnStatistics | undefined;

interface Bounds {
  min?: Scalar;
  max?: Scalar;
  nullCount?: number;
  type: DataType;
  /** The values may include NaN (not reflected in min/max). */
  mayHoldNaN: boolean;
}

/** True when some conjunct is provably not TRUE for every row of a group of `rows` rows. */
export function canSkipRowGroup(conjuncts: readonly PhysicalExpr[], statsOf: StatsOf, rows: number): boolean {
  for (const c of conjuncts) if (skips(c, statsOf, rows)) return true;
  return false;
}

function skips(e: PhysicalExpr, statsOf: StatsOf, rows: number): boolean {
  switch (e.kind) {
    case 'literal':
      return e.value === null || e.value === false;
    case 'binary':
      if (e.op === 'and') return skips(e.left, statsOf, rows) || skips(e.right, statsOf, rows);
      if (e.op === 'or') return skips(e.left, statsOf, rows) && skips(e.right, statsOf, rows);
      return comparisonSkips(e.op, e.left, e.right, statsOf, rows);
    case 'unary': {
      if (e.op !== 'is_null' && e.op !== 'is_not_null') return false;
      const b = boundsOf(e.arg, statsOf);
      if (!b || b.nullCount === undefined) return false;
      return e.op === 'is_null' ? b.nullCount === 0 : b.nullCount === rows;
    }
    case 'in_list': {
      const b = boundsOf(e.arg, statsOf);
      if (!b) return false;
      if (b.nullCount === rows) return true;
      if (e.negated || b.min === undefined || b.max === undefined) return false;
      for (const item of e.list) {
        if (item.kind !== 'literal') return false;
        if (item.value === null) continue; // x IN (…, NULL) is never TRUE through the NULL
        const lo = compare(item.value, item.type, b.min, b.type);
        const hi = compare(item.value, item.type, b.max, b.type);
        if (lo === undefined || hi === undefined) return false;
        if (lo >= 0 && hi <= 0) return false; // this value may be present
      }
      return true;
    }
    default:
      return false;
  }
}

const FLIPPED: Partial<Record<BinaryOp, BinaryOp>> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function comparisonSkips(op: BinaryOp, left: PhysicalExpr, right: PhysicalExpr, statsOf: StatsOf, rows: number): boolean {
  if (FLIPPED[op] === undefined) return false;
  let colSide = left;
  let litSide = right;
  let o = op;
  if (left.kind === 'literal') { colSide = right; litSide = left; o = FLIPPED[op]!; }
  if (litSide.kind !== 'literal') return false;
  const b = boundsOf(colSide, statsOf);
  if (!b) return false;
  if (litSide.value === null) return true; // comparison with NULL is never TRUE
  if (b.nullCount !== undefined && b.nullCount === rows) return true;
  if (b.min === undefined || b.max === undefined) return false;
  if (b.mayHoldNaN && (o === '>' || o === '>=' || o === '<>')) return false;
  const v = litSide.value;
  const vsMin = compare(v, litSide.type, b.min, b.type);
  const vsMax = compare(v, litSide.type, b.max, b.type);
  if (vsMin === undefined || vsMax === undefined) return false;
  switch (o) {
    case '=': return vsMin < 0 || vsMax > 0;
    case '<>': return vsMin === 0 && vsMax === 0;
    case '<': return vsMin <= 0;   // every value >= min >= lit
    case '<=': return vsMin < 0;
    case '>': return vsMax >= 0;   // every value <= max <= lit
    case '>=': return vsMax > 0;
    default: return false;
  }
}

const MICROS_PER_DAY = 86_400_000_000n;

/** Bounds of a column reference, possibly under a widening cast; undefined for anything else. */
function boundsOf(e: PhysicalExpr, statsOf: StatsOf): Bounds | undefined {
  if (e.kind === 'column') {
    const s = statsOf(e.index);
    if (!s) return undefined;
    return { min: s.min, max: s.max, nullCount: s.nullCount, type: e.type, mayHoldNaN: e.type === 'float64' };
  }
  if (e.kind === 'cast') {
    const inner = boundsOf(e.arg, statsOf);
    if (!inner) return undefined;
    const widen = widening(inner.type, e.type);
    if (!widen) return undefined;
    return {
      min: inner.min === undefined ? undefined : widen(inner.min),
      max: inner.max === undefined ? undefined : widen(inner.max),
      nullCount: inner.nullCount,
      type: e.type,
      mayHoldNaN: inner.mayHoldNaN,
    };
  }
  return undefined;
}

/** Order-preserving casts, as functions on bounds. */
function widening(from: DataType, to: DataType): ((v: Scalar) => Scalar | undefined) | undefined {
  if (from === to) return (v) => v;
  if (from === 'int32' && to === 'int64') return (v) => (typeof v === 'number' ? BigInt(v) : undefined);
  if ((from === 'int32' || from === 'int64') && to === 'float64') {
    return (v) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined);
  }
  if (from === 'date32' && to === 'timestamp') return (v) => (typeof v === 'number' ? BigInt(v) * MICROS_PER_DAY : undefined);
  return undefined;
}

type Family = 'number' | 'date' | 'timestamp' | 'string' | 'bool';

function familyOf(t: DataType): Family | undefined {
  switch (t) {
    case 'int32': case 'int64': case 'float64': return 'number';
    case 'date32': return 'date';
    case 'timestamp': return 'timestamp';
    case 'utf8': return 'string';
    case 'bool': return 'bool';
    default: return undefined;
  }
}

/** Sign of a − b, or undefined when the two cannot be compared here. */
export function compare(a: Scalar, aType: DataType, b: Scalar, bType: DataType): number | undefined {
  const fam = familyOf(aType);
  if (fam === undefined || fam !== familyOf(bType) || a === null || b === null) return undefined;
  if (fam === 'string') return typeof a === 'string' && typeof b === 'string' ? compareCodePoints(a, b) : undefined;
  if (fam === 'bool') return typeof a === 'boolean' && typeof b === 'boolean' ? Number(a) - Number(b) : undefined;
  if ((typeof a !== 'number' && typeof a !== 'bigint') || (typeof b !== 'number' && typeof b !== 'bigint')) return undefined;
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  // < and > compare a bigint with a number exactly.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-point order, which is UTF-8 byte order (JS `<` compares UTF-16 units instead). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  return restA > 0 ? 1 : restB > 0 ? -1 : 0;
}
