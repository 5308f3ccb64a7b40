/**
 * Expression binding: AST expression → typed LExpr over column ids.
 *
 * Coercions are made explicit here (casts, or literals folded to the right type) so that
 * every binary node has operands of one type; see coercion.ts for the rules. Aggregates
 * are collected into an AggregateCollector and replaced by references to their output
 * column ids; subqueries become scalar_subquery / exists / in_subquery with their own plan.
 */
import type { DataType, Scalar } from '../common/types.js';
import { decimalParams, decimalType, isDecimal, isInteger, isNumeric, MAX_DECIMAL_PRECISION, sqlTypeName } from '../common/types.js';
import type { AggregateFunction, BinaryOp } from '../expr/expr.js';
import type { LAggregate, LExpr, LogicalPlan } from '../plan/logical.js';
import { didYouMean, SpillwayError } from '../common/errors.js';
import { intervalText, parseIntervalText } from '../common/interval.js';
import { isStruct, listType } from '../common/nested_types.js';
import { fieldAccess, indexAccess } from './nested_functions.js';
import type { CaseArg, ExprNode, ExtractArgs, FuncArgs, IdentNode, SelectAst } from './ast.js';
import type { BindContext, CteScope } from './bind_context.js';
import type { Scope } from './scope.js';
import {
  addMonths, asDecimal, castTo, commonType, decimalLiteral, decimalResultType, commonTypeOf, dataTypeFromSql, isUntypedString, untypedString,
} from './coercion.js';
import { bindFunctionCall, isKnownFunction, knownFunctionNames, SignatureError } from './functions.js';
import { exprDisplayName } from './names.js';
import { WINDOW_AGGREGATE_MARKER } from './preparse.js';
import { bindSubquery } from './bind_select.js';
import { bindWindowCall, isWindowFunctionName, writtenName, type WindowCollector } from './bind_window.js';

export interface ExprEnv {
  ctx: BindContext;
  scope: Scope;
  ctes: CteScope | null;
  /** Where aggregates go when they are allowed here; null = aggregates are an error. */
  aggregates: AggregateCollector | null;
  /** Clause being bound, for "aggregate functions are not allowed in WHERE". */
  clause: string;
  /** True inside an aggregate's argument (aggregates there are nested). */
  inAggregate?: boolean;
  /** Where window functions go when they are allowed here (select list, ORDER BY, QUALIFY). */
  windows?: WindowCollector | null;
  /** True inside a window function's arguments or window (window functions there are nested). */
  inWindow?: boolean;
  /**
   * While an aggregate over a window is bound as a GROUP BY aggregate (bind_window.ts): the
   * SELECT's own aggregates, where aggregates in its arguments go (`median(sum(x)) OVER ()`).
   */
  outerAggregates?: AggregateCollector | null;
}

/** Stable structural key of a bound expression (group-by matching, aggregate dedup). */
export function exprKey(e: LExpr | null): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** A grouping() call: a placeholder column until the GROUP BY is known (grouping_sets.ts). */
export interface GroupingCall { id: number; name: string; args: LExpr[] }

/** What some aggregates take besides their argument. */
export type AggregateOptions = Pick<LAggregate, 'separator' | 'orderBy' | 'fraction'>;

/** The aggregates of one SELECT; equal aggregates share one output column. */
export class AggregateCollector {
  readonly aggregates: LAggregate[] = [];
  readonly groupingCalls: GroupingCall[] = [];
  private readonly byKey = new Map<string, LAggregate>();

  constructor(private readonly ctx: BindContext) {}

  /** A grouping(args) call: a column the SELECT's grouping rewrite replaces by its value. */
  addGrouping(args: LExpr[], name: string): LExpr {
    const key = exprKey({ kind: 'call', name: 'grouping', args, type: 'int64' });
    let c = this.groupingCalls.find((g) => exprKey({ kind: 'call', name: 'grouping', args: g.args, type: 'int64' }) === key);
    if (!c) {
      c = { id: this.ctx.fresh(), name, args };
      this.ctx.markNullable(c.id, false);
      this.groupingCalls.push(c);
    }
    return { kind: 'column', id: c.id, type: 'int64', name };
  }

  add(fn: AggregateFunction, arg: LExpr | null, distinct: boolean, type: DataType, name: string, options: AggregateOptions = {}): LExpr {
    const key = `${fn}|${distinct}|${exprKey(arg)}|${JSON.stringify(options, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    let a = this.byKey.get(key);
    if (!a) {
      a = { id: this.ctx.fresh(), name, fn, arg, distinct, type, ...options };
      this.ctx.markNullable(a.id, fn !== 'count' && fn !== 'count_star' && fn !== 'approx_count_distinct');
      this.aggregates.push(a);
      this.byKey.set(key, a);
    }
    return { kind: 'column', id: a.id, type: a.type, name: a.name };
  }

  ids(): Set<number> {
    return new Set(this.aggregates.map((a) => a.id));
  }
}

// ---------------------------------------------------------------------------------------
// Literals

export function numberLiteral(value: unknown): LExpr {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      if (value >= -2147483648 && value <= 2147483647) return { kind: 'literal', value, type: 'int32' };
      if (Number.isSafeInteger(value)) return { kind: 'literal', value: BigInt(value), type: 'int64' };
    }
    return decimalLiteral(String(value)) ?? { kind: 'literal', value, type: 'float64', decimal: String(value) };
  }
  const text = String(value).trim();
  if (/^[-+]?\d+$/.test(text)) {
    const b = BigInt(text);
    if (b >= -2147483648n && b <= 2147483647n) return { kind: 'literal', value: Number(b), type: 'int32' };
    if (b >= -(2n ** 63n) && b < 2n ** 63n) return { kind: 'literal', value: b, type: 'int64' };
  }
  // 0.1 is DECIMAL(2,1) as in DuckDB and PostgreSQL; exponents and wider text are doubles.
  return decimalLiteral(text) ?? { kind: 'literal', value: Number(text), type: 'float64', decimal: text };
}

function negateLiteral(e: LExpr & { kind: 'literal' }): LExpr | null {
  const v = e.value;
  if (v === null) return e;
  if (e.type === 'int32' && typeof v === 'number') {
    return v === -2147483648 ? { kind: 'literal', value: 2147483648n, type: 'int64' } : { kind: 'literal', value: -v, type: 'int32' };
  }
  if (e.type === 'int64' && typeof v === 'bigint') {
    const n = -v;
    return n >= -2147483648n && n <= 2147483647n ? { kind: 'literal', value: Number(n), type: 'int32' } : { kind: 'literal', value: n, type: 'int64' };
  }
  if (isDecimal(e.type) && (typeof v === 'number' || typeof v === 'bigint')) {
    return { kind: 'literal', value: typeof v === 'number' ? (v === 0 ? 0 : -v) : -v, type: e.type };
  }
  if (e.type === 'float64' && typeof v === 'number' && e.decimal === '9223372036854775808') {
    // -9223372036854775808 is the smallest BIGINT, though its digits alone are not one.
    return { kind: 'literal', value: -(2n ** 63n), type: 'int64' };
  }
  if (e.type === 'float64' && typeof v === 'number') {
    const text = e.decimal ?? String(v);
    const decimal = text.startsWith('-') ? text.slice(1) : `-${text}`;
    return { kind: 'literal', value: -v, type: 'float64', decimal };
  }
  return null;
}

const lit = (value: Scalar, type: DataType): LExpr => ({ kind: 'literal', value, type });

// ---------------------------------------------------------------------------------------
// Helpers over AST shapes

function funcName(n: ExprNode): string {
  if (typeof n.name === 'string') return n.name;
  if (n.name && Array.isArray(n.name.name)) return n.name.name.map((p: IdentNode) => p.value).join('.');
  return '';
}

function funcArgs(n: ExprNode): ExprNode[] {
  const a = n.args as FuncArgs | undefined;
  if (!a) return [];
  if (Array.isArray(a.value)) return a.value;
  if (a.expr) return [a.expr];
  return [];
}

function subqueryOf(n: ExprNode | undefined): SelectAst | null {
  if (!n) return null;
  if (n.ast && typeof n.ast === 'object') return n.ast;
  if (n.type === 'select') return n as unknown as SelectAst;
  return null;
}

function columnRefParts(n: ExprNode): { name: string; qualifier: string | undefined; star: boolean } {
  let qualifier: string | undefined;
  if (typeof n.table === 'string') qualifier = n.table;
  else if (n.table && typeof n.table === 'object') qualifier = n.table.value;
  const c = n.column;
  if (c === '*') return { name: '*', qualifier, star: true };
  if (typeof c === 'string') return { name: c, qualifier, star: false };
  if (c && typeof c === 'object' && c.expr) return { name: String(c.expr.value), qualifier, star: false };
  return { name: '?', qualifier, star: false };
}

export { columnRefParts };

function unescapeString(s: string): string {
  return s.replace(/''/g, "'");
}

// ---------------------------------------------------------------------------------------
// Binding

export function bindBool(node: ExprNode, env: ExprEnv, what = env.clause): LExpr {
  const e = bindExpr(node, env);
  return requireBool(e, env, node, what);
}

function requireBool(e: LExpr, env: ExprEnv, node: ExprNode, what: string): LExpr {
  if (e.type === 'bool') return e;
  if (e.type === 'null' || isUntypedString(e)) return castTo(e, 'bool');
  throw env.ctx.error('type', `argument of ${what} must be type BOOLEAN, not type ${sqlTypeName(e.type)}${env.ctx.at(node)}`);
}

/**
 * A column, or `s.a` read as field a of a struct column s when no table is named s (DuckDB
 * resolves a table first too).
 */
function resolveColumnOrField(name: string, qualifier: string | undefined, env: ExprEnv): LExpr {
  try {
    return env.scope.resolve(name, qualifier, env.ctx);
  } catch (e) {
    if (qualifier === undefined || !(e instanceof SpillwayError)) throw e;
    let base: LExpr;
    try { base = env.scope.resolve(qualifier, undefined, env.ctx); } catch { throw e; }
    if (!isStruct(base.type)) throw e;
    return fieldAccess(base, name);
  }
}

/** `x[i]` / `x['f']` after a column reference (node-sql-parser's array_index), applied in order. */
function bindNestedAccess(node: ExprNode, env: ExprEnv, base: LExpr): LExpr {
  const indexes = (node as { array_index?: { index: ExprNode }[] }).array_index ?? [];
  let out = base;
  for (const ix of indexes) {
    try {
      out = indexAccess(out, bindExpr(ix.index, env));
    } catch (e) {
      if (e instanceof SpillwayError) throw env.ctx.error(e.kind, `${e.message}${env.ctx.at(node)}`);
      throw e;
    }
  }
  return out;
}

export function bindExpr(node: ExprNode, env: ExprEnv): LExpr {
  const bound = bindExprNode(node, env);
  // Subscripts after any other expression (`list_value(1, 2)[1]`, `f(x)['a']`); column
  // references and ARRAY[…] apply their own.
  const subscripted = node.type !== 'column_ref' && node.type !== 'array' && ((node as { array_index?: unknown[] }).array_index?.length ?? 0) > 0;
  return subscripted ? bindNestedAccess(node, env, bound) : bound;
}

function bindExprNode(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const sub = subqueryOf(node);
  if (sub && node.type !== 'function') return bindScalarSubquery(sub, env, node);
  switch (node.type) {
    case 'column_ref': {
      const { name, qualifier, star } = columnRefParts(node);
      if (star) throw ctx.error('binder', `"*" is not allowed here${ctx.at(node)}`);
      return bindNestedAccess(node, env, resolveColumnOrField(name, qualifier, env));
    }
    case 'array': {
      const items = ((node as { expr_list?: { value?: ExprNode[] } }).expr_list?.value ?? []).map((x) => bindExpr(x, env));
      return bindNestedAccess(node, env, callFunction('list_value', items, env, node));
    }
    case 'double_quote_string':
      return env.scope.resolve(String(node.value), undefined, ctx);
    case 'number': case 'bigint':
      return numberLiteral(node.value);
    case 'single_quote_string': case 'string': case 'natural_string':
      return untypedString(unescapeString(String(node.value)));
    case 'bool': return lit(Boolean(node.value), 'bool');
    case 'null': return lit(null, 'null');
    case 'date': case 'timestamp': case 'time': {
      const t: DataType = node.type === 'date' ? 'date32' : node.type === 'time' ? 'time' : 'timestamp';
      try {
        return castTo(untypedString(String(node.value)), t);
      } catch {
        throw ctx.error('type', `invalid ${sqlTypeName(t)} literal '${String(node.value)}'${ctx.at(node)}`);
      }
    }
    case 'binary_expr': return bindBinary(node, env);
    case 'unary_expr': return bindUnary(node, env);
    case 'function': return bindFunction(node, env);
    case 'aggr_func': return bindAggregate(node, env);
    case 'case': return bindCase(node, env);
    case 'cast': {
      const targets = node.target ?? [];
      if (targets.length === 0) throw ctx.error('syntax', `CAST without a target type${ctx.at(node)}`);
      let types: DataType[];
      try { types = targets.map(dataTypeFromSql); } catch (e) { throw ctx.error('unsupported', `${(e as Error).message}${ctx.at(node)}`); }
      const arg = bindExpr(node.expr!, env);
      try {
        // x::a::b casts to a, then to b.
        let out = arg;
        for (const type of types) out = castTo(out, type);
        // A literal cast to utf8 is a typed string, no longer an untyped literal.
        return out === arg && isUntypedString(arg) ? lit(arg.kind === 'literal' ? arg.value : null, 'utf8') : out;
      } catch (e) {
        throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
      }
    }
    case 'extract': {
      const a = node.args as ExtractArgs;
      let source = bindExpr(a.source, env);
      if (a.cast_type) source = castTo(source, dataTypeFromSql({ dataType: a.cast_type }));
      return callFunction('date_part', [lit(a.field.toLowerCase(), 'utf8'), source], env, node);
    }
    case 'interval':
      return bindIntervalLiteral(node, env);
    case 'window_func':
      return bindWindowCall(node, env);
    case 'expr_list':
      throw ctx.error('unsupported', `unsupported: row values (a list in parentheses) here${ctx.at(node)}`);
    case 'param': case 'var':
      throw ctx.error('unsupported', `unsupported: query parameters${ctx.at(node)}`);
    default:
      throw ctx.error('unsupported', `unsupported: expression of kind ${node.type ?? 'unknown'}${ctx.at(node)}`);
  }
}

function bindScalarSubquery(ast: SelectAst, env: ExprEnv, node: ExprNode): LExpr {
  const q = bindSubquery(ast, env);
  if (q.columns.length !== 1) throw env.ctx.error('binder', `subquery must return only one column, got ${q.columns.length}${env.ctx.at(node)}`);
  return { kind: 'scalar_subquery', plan: q.plan, type: q.columns[0]!.type };
}

const COMPARISONS: Record<string, BinaryOp> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const ARITHMETIC: Record<string, BinaryOp> = { '+': '+', '-': '-', '*': '*', '/': '/', '%': '%' };

/** `NOT (x)` as the grammar emits it: a call of NOT, or an unparenthesized unary NOT. */
function notOperand(n: ExprNode | undefined): ExprNode | null {
  if (!n || n.parentheses) return null;
  if (n.type === 'function' && funcName(n).toLowerCase() === 'not' && funcArgs(n).length === 1) return funcArgs(n)[0]!;
  if (n.type === 'unary_expr' && (n.operator ?? '').toUpperCase() === 'NOT' && n.expr) return n.expr;
  return null;
}

/**
 * The grammar binds NOT tighter than comparisons: `NOT (a) IS NULL` arrives as
 * `(NOT a) IS NULL`. SQL's NOT binds looser than every operator but AND/OR, so move the NOT
 * of the leftmost operand out: `NOT (a IS NULL)`. Returns null when there is nothing to move.
 */
function withoutLeadingNot(n: ExprNode): ExprNode | null {
  const inner = notOperand(n);
  if (inner) return inner;
  const op = (n.operator ?? '').toUpperCase();
  if (n.type === 'binary_expr' && !n.parentheses && op !== 'AND' && op !== 'OR' && n.left) {
    const l = withoutLeadingNot(n.left);
    if (l) return { ...n, left: l };
  }
  return null;
}

/**
 * The grammar groups unparenthesized AND/OR chains wrongly in places: `a AND b IN (1) OR c`
 * arrives as `a AND (b IN (1) OR c)`, and in the select list even `a AND b OR c` does. An
 * in-order walk of the chain still yields its operands and operators in text order, so
 * rebuild it: AND binds tighter than OR, both associate to the left.
 */
function bindBoolChain(node: ExprNode, env: ExprEnv): LExpr {
  const operands: ExprNode[] = [];
  const ops: ('AND' | 'OR')[] = [];
  const walk = (n: ExprNode, isRoot: boolean) => {
    const op = (n.operator ?? '').toUpperCase();
    if (n.type === 'binary_expr' && (isRoot || !n.parentheses) && (op === 'AND' || op === 'OR') && n.left && n.right) {
      walk(n.left, false);
      ops.push(op);
      walk(n.right, false);
    } else {
      operands.push(n);
    }
  };
  walk(node, true);
  const disjuncts: LExpr[] = [];
  let conj = bindBool(operands[0]!, env, ops[0]!);
  for (let i = 0; i < ops.length; i++) {
    const next = bindBool(operands[i + 1]!, env, ops[i]!);
    if (ops[i] === 'AND') conj = { kind: 'binary', op: 'and', left: conj, right: next, type: 'bool' };
    else { disjuncts.push(conj); conj = next; }
  }
  disjuncts.push(conj);
  return disjuncts.reduce((l, r) => ({ kind: 'binary', op: 'or', left: l, right: r, type: 'bool' }));
}

function bindBinary(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const op = (node.operator ?? '').toUpperCase();
  if (op !== 'AND' && op !== 'OR' && node.left) {
    const left = withoutLeadingNot(node.left);
    if (left) return { kind: 'unary', op: 'not', arg: bindBool({ ...node, left }, env, 'NOT'), type: 'bool' };
  }
  const left = node.left!;
  const right = node.right!;
  switch (op) {
    case 'AND': case 'OR':
      return bindBoolChain(node, env);
    case 'IN': case 'NOT IN': return bindIn(node, env, op === 'NOT IN');
    case 'BETWEEN': case 'NOT BETWEEN': {
      const bounds = (right.value as ExprNode[] | undefined) ?? [];
      if (bounds.length !== 2) throw ctx.error('syntax', `BETWEEN needs two bounds${ctx.at(node)}`);
      const x = bindExpr(left, env);
      const lo = bindExpr(bounds[0]!, env);
      const hi = bindExpr(bounds[1]!, env);
      if (op === 'BETWEEN') {
        return { kind: 'binary', op: 'and', left: compare('>=', x, lo, env, node), right: compare('<=', x, hi, env, node), type: 'bool' };
      }
      return { kind: 'binary', op: 'or', left: compare('<', x, lo, env, node), right: compare('>', x, hi, env, node), type: 'bool' };
    }
    case '~': case '~*': case '!~': case '!~*': {
      // PostgreSQL's regular-expression match operators: regexp_matches, 'i' for ~*.
      const args = [bindExpr(left, env), bindExpr(right, env)];
      if (op.endsWith('*')) args.push(lit('i', 'utf8'));
      const m = callFunction('regexp_matches', args, env, node);
      return op.startsWith('!') ? { kind: 'unary', op: 'not', arg: m, type: 'bool' } : m;
    }
    case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE': {
      const arg = bindExpr(left, env);
      const pattern = bindExpr(right, env);
      for (const [side, e] of [['argument', arg], ['pattern', pattern]] as const) {
        if (e.type !== 'utf8' && e.type !== 'null') {
          throw ctx.error('type', `operator ${op} expects text, got ${sqlTypeName(e.type)} as its ${side}${ctx.at(node)}`);
        }
      }
      return {
        kind: 'like', arg: castTo(arg, 'utf8'), pattern: castTo(pattern, 'utf8'),
        negated: op.startsWith('NOT'), caseInsensitive: op.endsWith('ILIKE'), type: 'bool',
      };
    }
    case 'IS': case 'IS NOT': {
      const arg = bindExpr(left, env);
      const negated = op === 'IS NOT';
      if (right.type === 'null') return { kind: 'unary', op: negated ? 'is_not_null' : 'is_null', arg, type: 'bool' };
      if (right.type === 'bool') {
        const b = requireBool(arg, env, left, 'IS');
        const e: LExpr = { kind: 'unary', op: right.value ? 'is_true' : 'is_false', arg: b, type: 'bool' };
        return negated ? { kind: 'unary', op: 'not', arg: e, type: 'bool' } : e;
      }
      // x IS [NOT] y with a general y: IS [NOT] DISTINCT FROM semantics.
      const y = bindExpr(right, env);
      const [a, b] = coercePair(arg, y, env, node, 'compare');
      return { kind: 'binary', op: negated ? 'is_distinct_from' : 'is_not_distinct_from', left: a, right: b, type: 'bool' };
    }
    case 'IS DISTINCT FROM': case 'IS NOT DISTINCT FROM': {
      const [a, b] = coercePair(bindExpr(left, env), bindExpr(right, env), env, node, 'compare');
      return { kind: 'binary', op: op === 'IS DISTINCT FROM' ? 'is_distinct_from' : 'is_not_distinct_from', left: a, right: b, type: 'bool' };
    }
    case '||': {
      const a = bindExpr(left, env);
      const b = bindExpr(right, env);
      // BLOB || BLOB is a BLOB (an untyped string literal on one side reads as one).
      if ((a.type === 'blob' && (b.type === 'blob' || isUntypedString(b) || b.type === 'null'))
        || (b.type === 'blob' && (isUntypedString(a) || a.type === 'null'))) {
        return { kind: 'call', name: 'blob_concat', args: [castTo(a, 'blob'), castTo(b, 'blob')], type: 'blob' };
      }
      return { kind: 'binary', op: '||', left: castTo(a, 'utf8'), right: castTo(b, 'utf8'), type: 'utf8' };
    }
    default:
      break;
  }
  if (op in COMPARISONS) {
    const rightSub = right.type === 'function' && ['all', 'any', 'some'].includes(funcName(right).toLowerCase());
    if (rightSub) throw ctx.error('unsupported', `unsupported: ${funcName(right).toUpperCase()} (subquery) comparisons${ctx.at(node)}`);
    return compare(COMPARISONS[op]!, bindExpr(left, env), bindExpr(right, env), env, node);
  }
  if (op in ARITHMETIC) {
    return arithmetic(ARITHMETIC[op]!, bindExpr(left, env), bindExpr(right, env), env, node);
  }
  throw ctx.error('unsupported', `unsupported: operator ${node.operator ?? '?'}${ctx.at(node)}`);
}

/** Bring two operands to one type, or fail naming both types. */
function coercePair(a: LExpr, b: LExpr, env: ExprEnv, node: ExprNode, verb: 'compare' | 'combine'): [LExpr, LExpr] {
  const t = commonType(a, b);
  if (t === null) {
    throw env.ctx.error('type', `cannot ${verb} ${sqlTypeName(a.type)} with ${sqlTypeName(b.type)}${env.ctx.at(node)}`);
  }
  const target: DataType = t === 'null' ? 'int32' : t;
  try {
    return [castTo(a, target), castTo(b, target)];
  } catch (e) {
    throw env.ctx.error('type', `${(e as Error).message}${env.ctx.at(node)}`);
  }
}

export function compare(op: BinaryOp, a: LExpr, b: LExpr, env: ExprEnv, node: ExprNode): LExpr {
  const [l, r] = coercePair(a, b, env, node, 'compare');
  return { kind: 'binary', op, left: l, right: r, type: 'bool' };
}

function arithmetic(op: BinaryOp, a: LExpr, b: LExpr, env: ExprEnv, node: ExprNode): LExpr {
  const { ctx } = env;
  const temporal = temporalArithmetic(op, a, b, env, node);
  if (temporal !== null) return temporal;
  // date ± integer → date_add_days
  if ((op === '+' || op === '-') && (a.type === 'date32' || (op === '+' && b.type === 'date32'))) {
    const [d, n] = a.type === 'date32' ? [a, b] : [b, a];
    if (isInteger(n.type) || n.type === 'null' || isUntypedString(n)) {
      const count = castTo(n, 'int32');
      return addToDate(d, op === '-' ? negate(count) : count, 0, env, node);
    }
    if (op === '-' && b.type === 'date32') {
      throw ctx.error('unsupported', `unsupported: subtracting two dates${ctx.at(node)}`);
    }
  }
  const ta = isUntypedString(a) ? (isNumeric(b.type) ? b.type : 'float64') : a.type;
  const tb = isUntypedString(b) ? (isNumeric(a.type) ? a.type : 'float64') : b.type;
  const okA = isNumeric(ta) || ta === 'null';
  const okB = isNumeric(tb) || tb === 'null';
  if (!okA || !okB) {
    throw ctx.error('type', `operator ${op} is not defined for ${sqlTypeName(a.type)} and ${sqlTypeName(b.type)}${ctx.at(node)}`);
  }
  let t: DataType;
  if (ta === 'null' && tb === 'null') t = 'int32';
  else if (ta === 'null') t = tb;
  else if (tb === 'null') t = ta;
  else t = (ta === 'float64' || tb === 'float64') ? 'float64' : (ta === 'int64' || tb === 'int64') ? 'int64' : 'int32';
  if ((isDecimal(ta) || isDecimal(tb)) && t !== 'float64') {
    // Exact decimals (DuckDB's result types); / and anything too wide are doubles.
    const dt = op === '/' ? null : decimalResultType(op, ta, tb);
    try {
      if (dt === null) return { kind: 'binary', op, left: castTo(a, 'float64'), right: castTo(b, 'float64'), type: 'float64' };
      // Each side as a decimal of its own scale (integers as DECIMAL(10,0) / (19,0)); + - % rescale in the kernel.
      const side = (e: LExpr, te: DataType): LExpr => castTo(e, te === 'null' ? dt : asDecimal(te) ?? dt);
      return { kind: 'binary', op, left: side(a, ta), right: side(b, tb), type: dt };
    } catch (e) {
      throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
    }
  }
  try {
    return { kind: 'binary', op, left: castTo(a, t), right: castTo(b, t), type: t };
  } catch (e) {
    throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
  }
}

function negate(e: LExpr): LExpr {
  if (e.kind === 'literal') {
    const n = negateLiteral(e);
    if (n) return n;
  }
  return { kind: 'unary', op: 'neg', arg: e, type: e.type };
}

/** d + days + months, folded when d and the counts are literals. */
function addToDate(d: LExpr, days: LExpr, months: number, env: ExprEnv, node: ExprNode): LExpr {
  let date = d;
  if (isUntypedString(date)) date = castTo(date, 'date32');
  if (date.type === 'null') date = castTo(date, 'date32');
  if (date.type !== 'date32' && date.type !== 'timestamp') {
    throw env.ctx.error('type', `operator + is not defined for ${sqlTypeName(date.type)} and INTERVAL${env.ctx.at(node)}`);
  }
  if (months !== 0) {
    if (date.kind === 'literal' && date.type === 'date32' && typeof date.value === 'number') {
      date = lit(addMonths(date.value, months), 'date32');
    } else {
      date = { kind: 'call', name: 'date_add_months', args: [date, lit(months, 'int32')], type: date.type };
    }
  }
  if (days.kind === 'literal' && days.value === 0) return date;
  if (date.kind === 'literal' && date.type === 'date32' && typeof date.value === 'number' && days.kind === 'literal') {
    if (days.value === null) return lit(null, 'date32');
    if (typeof days.value === 'number') return lit(date.value + days.value, 'date32');
  }
  return { kind: 'call', name: 'date_add_days', args: [date, days], type: date.type };
}

/**
 * INTERVAL 'text', INTERVAL n unit, INTERVAL 'n' unit: a literal holding the interval's text
 * (its Scalar form, common/interval.ts).
 */
function bindIntervalLiteral(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const inner = node.expr;
  const raw = inner?.value;
  if (inner === undefined || (inner.type !== 'number' && inner.type !== 'bigint' && inner.type !== 'single_quote_string' && inner.type !== 'string')) {
    throw ctx.error('unsupported', `unsupported: INTERVAL of a non-constant expression (write INTERVAL 'n' unit or multiply an INTERVAL by it)${ctx.at(node)}`);
  }
  const text = `${String(raw)} ${node.unit ?? ''}`.trim();
  const parts = parseIntervalText(text);
  if (parts === null) throw ctx.error('type', `invalid INTERVAL literal '${text}'${ctx.at(node)}`);
  return lit(intervalText(parts), 'interval');
}

/**
 * Arithmetic with an INTERVAL, TIME or two TIMESTAMPs (expr/interval.ts), or null when
 * neither side is one. date ± a constant interval of whole days and months stays a DATE
 * (date_add_days / date_add_months, folded for constants), so TPC-H's
 * `date '1998-12-01' - interval '90' day` is the date it always was; any other date or
 * timestamp ± interval is a TIMESTAMP, as in DuckDB.
 */
function temporalArithmetic(op: BinaryOp, a: LExpr, b: LExpr, env: ExprEnv, node: ExprNode): LExpr | null {
  const { ctx } = env;
  const ta = a.type, tb = b.type;
  const special = (t: DataType): boolean => t === 'interval' || t === 'time' || t === 'blob';
  if (!special(ta) && !special(tb) && !(op === '-' && ta === 'timestamp' && tb === 'timestamp')) return null;
  const fail = (): never => {
    throw ctx.error('type', `operator ${op} is not defined for ${sqlTypeName(ta)} and ${sqlTypeName(tb)}${ctx.at(node)}`);
  };
  const call = (name: string, args: LExpr[], type: DataType): LExpr => ({ kind: 'call', name, args, type });
  if (op === '-' && ta === 'timestamp' && tb === 'timestamp') return call('timestamp_diff', [a, b], 'interval');
  if (ta === 'interval' && (tb === 'interval' || tb === 'null') && (op === '+' || op === '-')) {
    return call(op === '+' ? 'interval_add' : 'interval_sub', [a, castTo(b, 'interval')], 'interval');
  }
  if ((op === '*' && (ta === 'interval' || tb === 'interval')) || (op === '/' && ta === 'interval')) {
    const [iv, k] = ta === 'interval' ? [a, b] : [b, a];
    const kk = isUntypedString(k) ? castTo(k, 'float64') : k;
    if (!isNumeric(kk.type) && kk.type !== 'null') fail();
    return call(op === '*' ? 'interval_mul' : 'interval_div', [iv, castTo(kk, 'float64')], 'interval');
  }
  // x ± interval, interval + x
  const ivFirst = ta === 'interval';
  if ((op === '+' && (ivFirst || tb === 'interval')) || (op === '-' && tb === 'interval' && !ivFirst)) {
    const [x0, iv] = ivFirst ? [b, a] : [a, b];
    let x = x0;
    if (isUntypedString(x) || x.type === 'null') x = castTo(x, 'date32');
    const sign = op === '-' ? -1 : 1;
    if ((x.type === 'date32' || x.type === 'timestamp') && iv.kind === 'literal' && typeof iv.value === 'string') {
      const p = parseIntervalText(iv.value);
      if (p !== null && p.micros === 0) return addToDate(x, lit(sign * p.days, 'int32'), sign * p.months, env, node);
    }
    if (x.type === 'date32' || x.type === 'timestamp') {
      return call(sign === 1 ? 'timestamp_add_interval' : 'timestamp_sub_interval', [castTo(x, 'timestamp'), iv], 'timestamp');
    }
    if (x.type === 'time') return call(sign === 1 ? 'time_add_interval' : 'time_sub_interval', [x, iv], 'time');
  }
  return fail();
}

function bindIn(node: ExprNode, env: ExprEnv, negated: boolean): LExpr {
  const { ctx } = env;
  const arg = bindExpr(node.left!, env);
  const items = (node.right?.value as ExprNode[] | undefined) ?? [];
  const sub = items.length === 1 ? subqueryOf(items[0]) : subqueryOf(node.right);
  if (sub) {
    const q = bindSubquery(sub, env);
    if (q.columns.length !== 1) throw ctx.error('binder', `subquery has too many columns for IN: ${q.columns.length}${ctx.at(node)}`);
    const col = q.columns[0]!;
    const colRef: LExpr = { kind: 'column', id: col.id, type: col.type, name: col.name };
    const [a, c] = coercePair(arg, colRef, env, node, 'compare');
    let plan: LogicalPlan = q.plan;
    if (c !== colRef) {
      const out = ctx.column(col.name, c.type, col.nullable);
      plan = { kind: 'Project', input: plan, exprs: [c], columns: [out] };
    }
    return { kind: 'in_subquery', arg: a, plan, negated, type: 'bool' };
  }
  if (node.right?.type !== 'expr_list') throw ctx.error('syntax', `IN needs a list or a subquery${ctx.at(node)}`);
  const list = items.map((i) => bindExpr(i, env));
  let t: DataType;
  try {
    t = commonTypeOf([arg, ...list], 'IN', '');
  } catch (e) {
    throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
  }
  if (t === 'null') t = 'int32';
  try {
    return { kind: 'in_list', arg: castTo(arg, t), list: list.map((e) => castTo(e, t)), negated, type: 'bool' };
  } catch (e) {
    throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
  }
}

function bindUnary(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const op = (node.operator ?? '').toUpperCase();
  const argNode = node.expr!;
  switch (op) {
    case 'NOT EXISTS': case 'EXISTS': {
      const sub = subqueryOf(argNode);
      if (!sub) throw ctx.error('syntax', `EXISTS needs a subquery${ctx.at(node)}`);
      return { kind: 'exists', plan: bindSubquery(sub, env).plan, negated: op === 'NOT EXISTS', type: 'bool' };
    }
    case 'NOT': case '!':
      return { kind: 'unary', op: 'not', arg: bindBool(argNode, env, 'NOT'), type: 'bool' };
    case '-': {
      const arg = bindExpr(argNode, env);
      if (arg.kind === 'literal') {
        const n = negateLiteral(arg);
        if (n) return n;
      }
      if (arg.type === 'interval') return { kind: 'call', name: 'interval_neg', args: [arg], type: 'interval' };
      const a = isUntypedString(arg) ? castTo(arg, 'float64') : arg;
      if (!isNumeric(a.type) && a.type !== 'null') throw ctx.error('type', `operator - is not defined for ${sqlTypeName(a.type)}${ctx.at(node)}`);
      return { kind: 'unary', op: 'neg', arg: a, type: a.type === 'null' ? 'int32' : a.type };
    }
    case '+': {
      // Unary plus is the identity (SQLite's corpus writes it before anything).
      const arg = bindExpr(argNode, env);
      return isUntypedString(arg) ? castTo(arg, 'float64') : arg;
    }
    default:
      throw ctx.error('unsupported', `unsupported: operator ${node.operator ?? '?'}${ctx.at(node)}`);
  }
}

function callFunction(name: string, args: LExpr[], env: ExprEnv, node: ExprNode): LExpr {
  try {
    return bindFunctionCall(name, args);
  } catch (e) {
    if (e instanceof SignatureError) throw env.ctx.error(e.kind, `${e.message}${env.ctx.at(node)}`);
    const msg = (e as Error).message;
    throw env.ctx.error('type', `${msg}${env.ctx.at(node)}`);
  }
}

const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or',
  'var_samp', 'var_pop', 'variance', 'stddev', 'stddev_samp', 'stddev_pop', 'approx_count_distinct',
  'string_agg', 'median', 'quantile', 'quantile_cont', 'quantile_disc', 'percentile_cont', 'percentile_disc',
  'list', 'array_agg',
]);

/** Whether `name` (lower case) is an aggregate function, as GROUP BY and windows take it. */
export function isAggregateName(name: string): boolean {
  return AGGREGATES.has(name);
}

/** Spellings of the same aggregate. */
const AGGREGATE_ALIASES: Record<string, AggregateFunction> = {
  array_agg: 'list', variance: 'var_samp', stddev: 'stddev_samp', quantile: 'percentile_disc', quantile_cont: 'percentile_cont', quantile_disc: 'percentile_disc',
};

function bindFunction(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const name = funcName(node).toLowerCase();
  const argNodes = funcArgs(node);
  if (node.over) return bindWindowCall(node, env);
  if (isWindowFunctionName(name)) {
    throw ctx.error('binder', `window function ${writtenName(node, ctx)} requires an OVER clause${ctx.at(node)}`);
  }
  if (name === 'exists') {
    const sub = subqueryOf(argNodes[0]);
    if (!sub) throw ctx.error('syntax', `EXISTS needs a subquery${ctx.at(node)}`);
    return { kind: 'exists', plan: bindSubquery(sub, env).plan, negated: false, type: 'bool' };
  }
  if (name === 'not' && argNodes.length === 1) {
    return { kind: 'unary', op: 'not', arg: bindBool(argNodes[0]!, env, 'NOT'), type: 'bool' };
  }
  if (name === 'all' || name === 'any' || name === 'some') {
    throw ctx.error('unsupported', `unsupported: ${name.toUpperCase()} (subquery) comparisons${ctx.at(node)}`);
  }
  if (AGGREGATES.has(name)) return bindAggregate({ ...node, type: 'aggr_func', args: { expr: argNodes[0], value: argNodes } }, env);
  if (name === 'grouping' || name === 'grouping_id') return bindGrouping(node, argNodes, env);
  if (name === 'read_parquet' || name === 'read_csv' || name === 'read_csv_auto') throw ctx.error('binder', `${name}(...) is a table function: use it in FROM${ctx.at(node)}`);
  if (name === 'typeof') {
    if (argNodes.length !== 1) throw ctx.error('binder', `function typeof takes 1 argument, got ${argNodes.length}${ctx.at(node)}`);
    const a = bindExpr(argNodes[0]!, env);
    // DuckDB's spellings: an untyped string literal is VARCHAR, NULL is "NULL".
    return lit(a.type === 'null' ? '"NULL"' : sqlTypeName(isUntypedString(a) ? 'utf8' : a.type), 'utf8');
  }
  if (name === 'date_add' && argNodes.length === 2 && argNodes[1]!.type === 'interval') {
    // date_add(d, INTERVAL …) is d + INTERVAL …, a TIMESTAMP as in DuckDB.
    const sum = arithmetic('+', bindExpr(argNodes[0]!, env), bindExpr(argNodes[1]!, env), env, node);
    return castTo(sum, 'timestamp');
  }
  if (name === 'date_add') throw ctx.error('binder', `function date_add takes a date or timestamp and an INTERVAL, e.g. date_add(d, INTERVAL 1 MONTH)${ctx.at(node)}`);
  if (!isKnownFunction(name)) {
    throw ctx.error('binder', `unknown function "${name}"${ctx.at(node)}${didYouMean(name, [...knownFunctionNames(), ...AGGREGATES])}`);
  }
  return callFunction(name, argNodes.map((a) => bindExpr(a, env)), env, node);
}

function bindAggregate(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const name = funcName(node).toLowerCase();
  if (node.over) return bindWindowCall(node, env);
  if (env.inAggregate) throw ctx.error('binder', `aggregate function calls cannot be nested${ctx.at(node)}`);
  if (!env.aggregates) throw ctx.error('binder', `aggregate functions are not allowed in ${env.clause}${ctx.at(node)}`);
  if (!AGGREGATES.has(name)) throw ctx.error('unsupported', `unsupported: aggregate function ${name}${ctx.at(node)}`);
  const a = { ...((node.args ?? {}) as FuncArgs) };
  let distinct = typeof a.distinct === 'string' && a.distinct.toUpperCase() === 'DISTINCT';
  // min(DISTINCT (x)) and min(ALL (x)) arrive as calls of functions named DISTINCT / ALL.
  const wrapped = a.expr?.type === 'function' ? funcName(a.expr).toLowerCase() : '';
  if ((wrapped === 'distinct' || wrapped === 'all') && funcArgs(a.expr!).length === 1) {
    distinct = distinct || wrapped === 'distinct';
    a.expr = funcArgs(a.expr!)[0]!;
  }
  const display = exprDisplayName(node);
  const argEnv = aggregateArgumentEnv(env);
  // agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): every aggregate skips NULLs.
  const filter = node.filter?.where ? bindBool(node.filter.where, { ...argEnv, clause: 'FILTER' }, 'FILTER') : null;
  const only = (e: LExpr): LExpr => (filter === null ? e : { kind: 'case', operand: null, whens: [{ when: filter, then: e }], else: null, type: e.type });
  if (a.expr?.type === 'star') {
    if (name !== 'count') throw ctx.error('binder', `${name}(*) is not allowed: only count(*)${ctx.at(node)}`);
    if (filter !== null) return env.aggregates.add('count', only(lit(1, 'int32')), false, 'int64', display);
    return env.aggregates.add('count_star', null, false, 'int64', display);
  }
  if (name === 'percentile_cont' || name === 'percentile_disc') return bindPercentile(node, name, a, distinct, display, env, only);
  if (!a.expr) throw ctx.error('binder', `function ${name} takes 1 argument, got 0${ctx.at(node)}`);
  const argCount = Array.isArray(a.value) ? a.value.length : 1;
  const maxArgs = name === 'quantile' || name === 'quantile_cont' || name === 'quantile_disc' || name === 'string_agg' ? 2 : 1;
  if (argCount > maxArgs) throw ctx.error('binder', `function ${name} takes ${maxArgs} argument${maxArgs > 1 ? 's' : ''}, got ${argCount}${ctx.at(node)}`);
  let arg = bindExpr(a.expr, argEnv);
  if (arg.kind === 'literal' && isUntypedString(arg)) arg = lit(arg.value, 'utf8');
  arg = only(arg);
  if (NEW_AGGREGATES.has(name)) return bindOtherAggregate(node, name, arg, a, distinct, display, env);
  let type: DataType;
  switch (name) {
    case 'count': type = 'int64'; break;
    case 'sum': case 'avg': {
      if (arg.type === 'null') arg = castTo(arg, name === 'sum' ? 'int32' : 'float64');
      if (!isNumeric(arg.type)) throw ctx.error('type', `function ${name} expects a number, got ${sqlTypeName(arg.type)}${ctx.at(node)}`);
      // sum(DECIMAL(p,s)) is DECIMAL(38,s) (exact); avg of a decimal is a DOUBLE (DuckDB).
      if (isDecimal(arg.type) && name === 'avg') {
        // avg(DECIMAL) = the exact sum, then one division in doubles (NULL without input).
        const sum = env.aggregates.add('sum', arg, distinct, decimalType(MAX_DECIMAL_PRECISION, decimalParams(arg.type).scale), `sum(${display})`);
        const count = env.aggregates.add('count', arg, distinct, 'int64', `count(${display})`);
        return { kind: 'binary', op: '/', left: castTo(sum, 'float64'), right: castTo(count, 'float64'), type: 'float64' };
      }
      type = name === 'avg' ? 'float64' : isDecimal(arg.type) ? decimalType(MAX_DECIMAL_PRECISION, decimalParams(arg.type).scale)
        : arg.type === 'float64' ? 'float64' : 'int64';
      break;
    }
    default:
      type = arg.type;
  }
  return env.aggregates.add(name as AggregateFunction, arg, distinct, type, display);
}

/** Where an aggregate's arguments are bound: nested aggregates are an error, except in a window aggregate's arguments. */
function aggregateArgumentEnv(env: ExprEnv): ExprEnv {
  const outer = env.outerAggregates ?? null;
  return { ...env, aggregates: outer, inAggregate: outer === null, outerAggregates: null, windows: null, clause: 'aggregate function arguments' };
}

/** The aggregates beyond count/sum/avg/min/max. */
const NEW_AGGREGATES = new Set([
  'bool_and', 'bool_or', 'var_samp', 'var_pop', 'variance', 'stddev', 'stddev_samp', 'stddev_pop',
  'approx_count_distinct', 'string_agg', 'median', 'quantile', 'quantile_cont', 'quantile_disc', 'list', 'array_agg',
]);

function bindOtherAggregate(node: ExprNode, name: string, arg: LExpr, a: FuncArgs, distinct: boolean, display: string, env: ExprEnv): LExpr {
  const { ctx } = env;
  const collector = env.aggregates!;
  const argEnv = aggregateArgumentEnv(env);
  const fn = AGGREGATE_ALIASES[name] ?? (name as AggregateFunction);
  const typeError = (want: string): never => {
    throw ctx.error('type', `function ${name} expects ${want}, got ${sqlTypeName(arg.type)}${ctx.at(node)}`);
  };
  if (arg.kind === 'literal' && isUntypedString(arg)) arg = lit(arg.value, 'utf8');
  switch (fn) {
    case 'bool_and': case 'bool_or':
      if (arg.type === 'null') arg = castTo(arg, 'bool');
      if (arg.type !== 'bool') typeError('a boolean');
      return collector.add(fn, arg, distinct, 'bool', display);
    case 'var_samp': case 'var_pop': case 'stddev_samp': case 'stddev_pop':
      if (arg.type === 'null' || isDecimal(arg.type)) arg = castTo(arg, 'float64');
      if (!isNumeric(arg.type)) typeError('a number');
      return collector.add(fn, arg, distinct, 'float64', display);
    case 'approx_count_distinct':
      return collector.add(fn, arg, false, 'int64', display);
    case 'list': {
      // list(x) / array_agg(x [ORDER BY …]): NULL values become NULL elements, as DuckDB
      if (distinct) throw ctx.error('unsupported', `unsupported: DISTINCT in ${name}${ctx.at(node)}`);
      if (arg.type === 'null') arg = castTo(arg, 'int32');
      const orderBy = (a.orderby ?? []).map((o) => orderKey(bindExpr(o.expr, argEnv), o));
      return collector.add('list', arg, false, listType(arg.type), display, orderBy.length > 0 ? { orderBy } : {});
    }
    case 'string_agg': {
      let separator: string | null = ',';
      const sepNode = a.separator?.delimiter ?? (Array.isArray(a.value) && a.value.length > 1 ? a.value[1] : undefined);
      if (sepNode) {
        const sep = bindExpr(sepNode, argEnv);
        if (sep.kind !== 'literal' || (sep.value !== null && typeof sep.value !== 'string')) {
          throw ctx.error('binder', `the separator of ${name} must be a constant string${ctx.at(node)}`);
        }
        separator = sep.value as string | null;
      }
      if (arg.type !== 'utf8') arg = castTo(arg, 'utf8');
      const orderBy = (a.orderby ?? []).map((o) => orderKey(bindExpr(o.expr, argEnv), o));
      if (distinct && !(orderBy.length === 0 || (orderBy.length === 1 && exprKey(orderBy[0]!.expr) === exprKey(arg)))) {
        throw ctx.error('binder', `in ${name}(DISTINCT …), ORDER BY may only name the aggregated value${ctx.at(node)}`);
      }
      return collector.add('string_agg', arg, distinct, 'utf8', display, { separator, ...(orderBy.length > 0 ? { orderBy } : {}) });
    }
    default: {
      // median(x), quantile_cont(x, f), quantile_disc(x, f), quantile(x, f)
      const fractionNode = Array.isArray(a.value) ? a.value[1] : undefined;
      if (name !== 'median' && !fractionNode) throw ctx.error('binder', `function ${name} takes 2 arguments (value, fraction), got 1${ctx.at(node)}`);
      const fraction = fractionNode ? fractionOf(bindExpr(fractionNode, argEnv), name, node, env) : 0.5;
      const cont = name === 'median' ? isNumeric(arg.type) : fn === 'percentile_cont';
      return percentile(cont ? 'percentile_cont' : 'percentile_disc', arg, fraction, true, distinct, display, node, env);
    }
  }
}

/** percentile_cont(f) / percentile_disc(f) WITHIN GROUP (ORDER BY x [DESC]) */
function bindPercentile(node: ExprNode, name: string, a: FuncArgs, distinct: boolean, display: string, env: ExprEnv, only: (e: LExpr) => LExpr): LExpr {
  const { ctx } = env;
  const within = node.within_group_orderby ?? [];
  if (within.length !== 1 || !a.expr) throw ctx.error('binder', `${name} needs a fraction and WITHIN GROUP (ORDER BY one value)${ctx.at(node)}`);
  const argEnv = aggregateArgumentEnv(env);
  const fraction = fractionOf(bindExpr(a.expr, argEnv), name, node, env);
  const key = orderKey(bindExpr(within[0]!.expr, argEnv), within[0]!);
  return percentile(name as AggregateFunction, only(key.expr), fraction, key.ascending, distinct, display, node, env);
}

function percentile(fn: AggregateFunction, arg: LExpr, fraction: number, ascending: boolean, distinct: boolean, display: string, node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  if (distinct) throw ctx.error('unsupported', `unsupported: DISTINCT in ${fn}${ctx.at(node)}`);
  if (arg.kind === 'literal' && isUntypedString(arg)) arg = lit(arg.value, 'utf8');
  if (arg.type === 'null' || (fn === 'percentile_cont' && isDecimal(arg.type))) arg = castTo(arg, 'float64');
  if (fn === 'percentile_cont' && !isNumeric(arg.type)) {
    throw ctx.error('type', `${fn} expects a number, got ${sqlTypeName(arg.type)}${ctx.at(node)}`);
  }
  const type = fn === 'percentile_cont' ? 'float64' : arg.type;
  const orderBy = [{ expr: arg, ascending, nullsFirst: false }];
  return env.aggregates!.add(fn, arg, false, type, display, { fraction, orderBy });
}

/** The fraction of a percentile: a constant from 0 to 1. */
function fractionOf(e0: LExpr, name: string, node: ExprNode, env: ExprEnv): number {
  // A DECIMAL literal (0.25) folds to its double.
  const e = isDecimal(e0.type) ? castTo(e0, 'float64') : e0;
  const v = e.kind === 'literal' ? e.value : e.kind === 'cast' && e.arg.kind === 'literal' ? e.arg.value : undefined;
  const f = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
  if (!(f >= 0 && f <= 1)) throw env.ctx.error('binder', `the fraction of ${name} must be a constant from 0 to 1${env.ctx.at(node)}`);
  return f;
}

/** A bound ORDER BY item (NULLS LAST for ASC, FIRST for DESC unless spelled out, as PostgreSQL). */
function orderKey(expr: LExpr, o: { type: string | null; nulls: string | null }): { expr: LExpr; ascending: boolean; nullsFirst: boolean } {
  const ascending = (o.type ?? 'ASC').toUpperCase() !== 'DESC';
  const nulls = (o.nulls ?? '').toLowerCase();
  return { expr, ascending, nullsFirst: nulls.includes('first') ? true : nulls.includes('last') ? false : !ascending };
}

/** grouping(a, …) / grouping_id(a, …): a placeholder until the GROUP BY is bound. */
function bindGrouping(node: ExprNode, argNodes: ExprNode[], env: ExprEnv): LExpr {
  const { ctx } = env;
  const name = funcName(node).toLowerCase();
  if (env.inAggregate) throw ctx.error('binder', `${name} cannot be used inside an aggregate function${ctx.at(node)}`);
  if (!env.aggregates) throw ctx.error('binder', `${name} is not allowed in ${env.clause}: it needs a GROUP BY${ctx.at(node)}`);
  if (argNodes.length === 0 || argNodes.length > 62) throw ctx.error('binder', `${name} takes 1 to 62 GROUP BY expressions, got ${argNodes.length}${ctx.at(node)}`);
  const args = argNodes.map((a) => bindExpr(a, { ...env, aggregates: null, windows: null, clause: `${name} arguments` }));
  return env.aggregates.addGrouping(args, exprDisplayName(node));
}

function bindCase(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const args = (node.args as CaseArg[] | undefined) ?? [];
  const operand = node.expr ? bindExpr(node.expr, env) : null;
  const whenArgs = args.filter((a) => a.type === 'when');
  const elseArg = args.find((a) => a.type === 'else');
  let conds = whenArgs.map((w) => (operand ? bindExpr(w.cond!, env) : bindBool(w.cond!, env, 'CASE WHEN')));
  let op: LExpr | null = operand;
  if (operand) {
    let t: DataType;
    try { t = commonTypeOf([operand, ...conds], 'CASE/WHEN', ''); } catch (e) { throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`); }
    if (t === 'null') t = 'int32';
    op = castTo(operand, t);
    conds = conds.map((c) => castTo(c, t));
  }
  const results = whenArgs.map((w) => bindExpr(w.result, env));
  const elseExpr = elseArg ? bindExpr(elseArg.result, env) : null;
  let t: DataType;
  try {
    t = commonTypeOf(elseExpr ? [...results, elseExpr] : results, 'CASE', '');
  } catch (e) {
    throw ctx.error('type', `${(e as Error).message}${ctx.at(node)}`);
  }
  const fix = (e: LExpr): LExpr => {
    const c = castTo(e, t);
    return isUntypedString(c) ? lit(c.kind === 'literal' ? c.value : null, 'utf8') : c;
  };
  return {
    kind: 'case', operand: op,
    whens: conds.map((c, i) => ({ when: c, then: fix(results[i]!) })),
    else: elseExpr ? fix(elseExpr) : null,
    type: t,
  };
}

/** True when the AST expression contains an aggregate call outside any subquery. */
export function containsAggregate(n: unknown): boolean {
  if (!n || typeof n !== 'object') return false;
  if (Array.isArray(n)) return n.some(containsAggregate);
  const o = n as ExprNode & Record<string, unknown>;
  if (o.ast || o.type === 'select') return false;
  if (o.type === 'aggr_func' && !o.over) return true;
  // An aggregate over a window (preparse.ts wraps it in a marker): not an aggregate of the
  // SELECT, though its arguments may hold some.
  if (o.type === 'function' && funcName(o).toLowerCase() === WINDOW_AGGREGATE_MARKER) {
    return funcArgs(o).some((call) => Object.entries(call).some(([k, v]) => k !== 'loc' && v !== null && typeof v === 'object' && containsAggregate(v)));
  }
  if (o.type === 'function' && !o.over && AGGREGATES.has(funcName(o).toLowerCase())) return true;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'loc') continue;
    if (v && typeof v === 'object' && containsAggregate(v)) return true;
  }
  return false;
}
