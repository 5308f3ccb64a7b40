/**
 * Physical expressions: typed, JSON-serializable trees whose column references are
 * positions in the input batch. Evaluated a column at a time by expr/evaluate.ts.
 *
 * Semantics follow PostgreSQL unless noted: three-valued logic, integer division truncates,
 * int32 arithmetic overflow is an error, division or modulo by zero yields NULL (as DuckDB
 * and SQLite do), comparisons between int32/int64/float64 promote to the wider type.
 */
import type { DataType, Scalar } from '../common/types.js';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | 'and' | 'or'
  | '||'
  | 'is_distinct_from' | 'is_not_distinct_from';

export type UnaryOp = 'not' | 'neg' | 'is_null' | 'is_not_null' | 'is_true' | 'is_false';

/**
 * Scalar functions. Arguments are already coerced by the binder.
 *  abs(x) round(x[, digits]) floor ceil sqrt power(x,y) ln exp sign
 *  substring(s, start[, len]) upper lower length trim ltrim rtrim replace(s,a,b) concat(...)
 *  strpos(s, sub) starts_with(s, p)
 *  coalesce(...) nullif(a, b) greatest(...) least(...)
 *  extract_year/month/day/... via date_part(part: literal utf8, d)
 *  date_add_days(d, n) date_add_months(d, n)  (the binder turns date ± a constant interval of
 *    whole days and months into these)
 *  interval_add/sub/neg/mul/div, timestamp_add/sub_interval, time_add/sub_interval,
 *    timestamp_diff  (the binder turns other INTERVAL, TIME and timestamp − timestamp
 *    arithmetic into these; kernels in expr/interval.ts)
 *  hex(b) unhex(s) blob_concat(a, b)  (BLOB, expr/blob.ts)
 *  date_trunc(part, d)
 * Also: mod trunc cbrt log10 log octet_length substr left right lpad rpad reverse btrim
 *  ifnull, and year/quarter/month/day/week/hour/minute/second(d) as date_part shorthands
 *  (the full list is SUPPORTED_FUNCTIONS in expr/functions.ts).
 */
export type FunctionName = string;

export type PhysicalExpr =
  | { kind: 'column'; index: number; type: DataType; name?: string }
  | { kind: 'literal'; value: Scalar; type: DataType }
  | { kind: 'binary'; op: BinaryOp; left: PhysicalExpr; right: PhysicalExpr; type: DataType }
  | { kind: 'unary'; op: UnaryOp; arg: PhysicalExpr; type: DataType }
  | { kind: 'cast'; arg: PhysicalExpr; type: DataType }
  | { kind: 'case'; operand: PhysicalExpr | null; whens: { when: PhysicalExpr; then: PhysicalExpr }[]; else: PhysicalExpr | null; type: DataType }
  | { kind: 'in_list'; arg: PhysicalExpr; list: PhysicalExpr[]; negated: boolean; type: 'bool' }
  | { kind: 'like'; arg: PhysicalExpr; pattern: PhysicalExpr; negated: boolean; caseInsensitive: boolean; type: 'bool' }
  | { kind: 'call'; name: FunctionName; args: PhysicalExpr[]; type: DataType };

export type AggregateFunction =
  | 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max'
  | 'bool_and' | 'bool_or'
  | 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop'
  | 'approx_count_distinct'
  /** Holistic: they need every value of a group (no partial state; mode single only). */
  | 'string_agg' | 'percentile_cont' | 'percentile_disc'
  /** Holistic: every value of a group (NULLs too) as a list (list / array_agg). */
  | 'list';

/**
 * One aggregate of a HashAggregate node. `arg` is evaluated over the node's input
 * (absent for count_star). In mode 'final' the aggregate reads its partial state columns
 * (see exec/aggregate/ for the state layout of each function).
 */
export interface AggregateExpr {
  fn: AggregateFunction;
  arg: PhysicalExpr | null;
  distinct: boolean;
  /**
   * Output type: count, approx_count_distinct → int64; sum(int) → int64; sum(float) → float64;
   * avg, var_*, stddev_*, percentile_cont → float64; bool_and/or → bool; string_agg → utf8;
   * min/max, percentile_disc → arg type.
   */
  type: DataType;
  name: string;
  /** string_agg: the separator (NULL = none: the values are concatenated). */
  separator?: string | null;
  /** string_agg: ORDER BY inside the call (over the node's input); percentile_*: one key, the value's order. */
  orderBy?: SortKey[];
  /** percentile_cont / percentile_disc: the fraction, 0 to 1. */
  fraction?: number;
}

export interface SortKey {
  expr: PhysicalExpr;
  ascending: boolean;
  /** Default as PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC. */
  nullsFirst: boolean;
}

export function col(index: number, type: DataType, name?: string): PhysicalExpr {
  return name === undefined ? { kind: 'column', index, type } : { kind: 'column', index, type, name };
}

export function lit(value: Scalar, type: DataType): PhysicalExpr {
  return { kind: 'literal', value, type };
}

/** Structural identity of an expression, ignoring column display names. */
export function exprKey(e: PhysicalExpr): string {
  return JSON.stringify(e, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'column') {
      const c = v as Extract<PhysicalExpr, { kind: 'column' }>;
      return { kind: 'column', index: c.index, type: c.type };
    }
    return v;
  });
}

export function sameExprs(a: readonly PhysicalExpr[], b: readonly PhysicalExpr[]): boolean {
  return a.length === b.length && a.every((e, i) => exprKey(e) === exprKey(b[i]!));
}
