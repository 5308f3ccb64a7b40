/**
 * Window function binding: `f(args) OVER (PARTITION BY … ORDER BY … frame)` and
 * `OVER w` with `WINDOW w AS (…)` → a reference to a column of a logical Window node.
 *
 * Window functions are allowed where the select list is evaluated (SELECT, ORDER BY,
 * QUALIFY); they run after WHERE, GROUP BY and HAVING, so their arguments may use
 * aggregates. The collector groups functions by their PARTITION BY / ORDER BY: one Window
 * node per distinct pair, stacked in order of appearance (bind_select.ts).
 *
 * Frames: as written (ROWS, RANGE, GROUPS; sql/preparse.ts encodes every frame into the one
 * shape the grammar accepts, decoded here), else the PostgreSQL default: RANGE BETWEEN UNBOUNDED
 * PRECEDING AND CURRENT ROW with an ORDER BY, the whole partition without one.
 */
import type { DataType } from '../common/types.js';
import { decimalParams, decimalType, isDecimal, isNumeric, MAX_DECIMAL_PRECISION, sqlTypeName } from '../common/types.js';
import type { AggregateFunction } from '../expr/expr.js';
import type { FrameBound, LExpr, LSortKey, LWindowFunction, WindowFrame, WindowFunctionName } from '../plan/logical.js';
import type { ExprNode, FuncArgs, IdentNode, OrderByItem } from './ast.js';
import type { BindContext } from './bind_context.js';
import { AggregateCollector, bindExpr, isAggregateName, type ExprEnv } from './bind_expr.js';
import { castTo, commonTypeOf, isUntypedString } from './coercion.js';
import { exprDisplayName } from './names.js';
import { decodeFrameBound, describePosition, WINDOW_AGGREGATE_MARKER } from './preparse.js';
import { mapWindowFunctionExprs } from '../plan/logical_tree.js';

/** One PARTITION BY / ORDER BY and the functions evaluated over it. */
export interface WindowSpecGroup {
  partitionBy: LExpr[];
  orderBy: LSortKey[];
  functions: LWindowFunction[];
}

interface SpecAst {
  partitionby?: { expr: ExprNode }[] | null;
  orderby?: OrderByItem[] | null;
  window_frame_clause?: ExprNode | null;
}

/** Equal keys for structurally equal bound windows and functions (bigints included). */
function structuralKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

/** The window functions of one SELECT, grouped by window. */
export class WindowCollector {
  readonly groups: WindowSpecGroup[] = [];
  private readonly byKey = new Map<string, WindowSpecGroup>();
  private readonly byFunction = new Map<string, LWindowFunction>();
  private readonly named = new Map<string, SpecAst>();

  constructor(private readonly ctx: BindContext, windowClause: unknown) {
    const defs = (windowClause as { expr?: { name: string; as_window_specification?: { window_specification?: SpecAst } }[] } | null)?.expr ?? [];
    for (const d of defs) {
      const spec = d.as_window_specification?.window_specification;
      if (spec) this.named.set(d.name.toLowerCase(), spec);
    }
  }

  namedSpec(name: string): SpecAst | undefined {
    return this.named.get(name.toLowerCase());
  }

  add(partitionBy: LExpr[], orderBy: LSortKey[], f: Omit<LWindowFunction, 'id'>): LExpr {
    const key = structuralKey([partitionBy, orderBy]);
    let g = this.byKey.get(key);
    if (!g) {
      g = { partitionBy, orderBy, functions: [] };
      this.byKey.set(key, g);
      this.groups.push(g);
    }
    const fkey = `${key}|${structuralKey({ ...f, name: '' })}`;
    let fn = this.byFunction.get(fkey);
    if (!fn) {
      fn = { ...f, id: this.ctx.fresh() };
      this.ctx.markNullable(fn.id, true);
      g.functions.push(fn);
      this.byFunction.set(fkey, fn);
    }
    return { kind: 'column', id: fn.id, type: fn.type, name: fn.name };
  }

  ids(): Set<number> {
    return new Set(this.groups.flatMap((g) => g.functions.map((f) => f.id)));
  }

  /** Rewrite every expression (after aggregation: group expressions → group columns). */
  mapExprs(f: (e: LExpr) => LExpr): void {
    for (const g of this.groups) {
      g.partitionBy = g.partitionBy.map(f);
      g.orderBy = g.orderBy.map((k) => ({ ...k, expr: f(k.expr) }));
      g.functions = g.functions.map((w) => mapWindowFunctionExprs(w, f));
    }
  }
}

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile']);
const VALUE = new Set(['lag', 'lead', 'first_value', 'last_value', 'nth_value']);
/** Aggregates the window evaluates itself (prefix sums, deques); every other one runs per frame. */
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max']);
const FAST_AGGREGATES = new Set<string>(['count', 'count_star', 'sum', 'avg', 'min', 'max']);

/** `first_value(__window_aggregate(agg(…)[, filter]))` (preparse.ts): the aggregate call, FILTER attached. */
function windowAggregateCall(arg: ExprNode | undefined): ExprNode | null {
  if (!arg || arg.type !== 'function' || nameOf(arg) !== WINDOW_AGGREGATE_MARKER) return null;
  const inner = argsOf(arg);
  const call = inner[0];
  if (!call) return null;
  return inner[1] ? { ...call, filter: { where: inner[1] } } : call;
}

/** agg(DISTINCT x): a distinct keyword, or the call of a function named DISTINCT (preparse.ts). */
function isDistinctCall(node: ExprNode): boolean {
  const a = (node.args ?? {}) as FuncArgs;
  return (typeof a.distinct === 'string' && a.distinct.toUpperCase() === 'DISTINCT') || (a.expr?.type === 'function' && nameOf(a.expr) === 'distinct');
}

export function isWindowFunctionName(name: string): boolean {
  return RANKING.has(name) || VALUE.has(name);
}

/** The node, or the first node inside it, that carries a parser location (for error positions). */
function located(n: unknown): ExprNode | null {
  if (!n || typeof n !== 'object') return null;
  const o = n as ExprNode & Record<string, unknown>;
  if (o.loc) return o;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'loc' || !v || typeof v !== 'object') continue;
    const r = located(v);
    if (r) return r;
  }
  return null;
}

/**
 * " at line L, column C" of a window function call. The grammar gives ranking and offset
 * calls no location: take the first location inside the call and look back for the name.
 */
export function windowAt(node: ExprNode, name: string, ctx: BindContext): string {
  if (node.loc) return ctx.at(node);
  const inner = located(node)?.loc?.start.offset;
  if (inner === undefined) return ctx.atIdent(name);
  const local = ctx.source.toOriginal ? ctx.source.toOriginal(inner) : inner;
  const at = ctx.source.text.toLowerCase().lastIndexOf(name, local);
  return at < 0 ? ctx.at(located(node)) : ` at ${describePosition(ctx.source.script, ctx.source.offset + at)}`;
}

function nameOf(node: ExprNode): string {
  if (typeof node.name === 'string') return node.name.toLowerCase();
  if (node.name && Array.isArray(node.name.name)) return node.name.name.map((p: IdentNode) => p.value).join('.').toLowerCase();
  return '';
}

function argsOf(node: ExprNode): ExprNode[] {
  const a = node.args as (FuncArgs & { type?: string }) | undefined;
  if (!a) return [];
  if (Array.isArray(a.value)) return a.value;
  if (a.expr) return [a.expr];
  return [];
}

/** The function's name; percent_rank and cume_dist reach the parser renamed to ntile (preparse.ts). */
export function writtenName(node: ExprNode, ctx: BindContext): string {
  const name = nameOf(node);
  const off = node.loc?.start.offset;
  if (name !== 'ntile' || off === undefined) return name;
  const local = ctx.source.toOriginal ? ctx.source.toOriginal(off) : off;
  const m = /^[A-Za-z_]+/.exec(ctx.source.text.slice(local));
  const written = m ? m[0].toLowerCase() : name;
  return written === 'percent_rank' || written === 'cume_dist' ? written : name;
}

/** Bind `node` (a window_func, function or aggr_func carrying `over`) into env.windows. */
export function bindWindowCall(node: ExprNode, env: ExprEnv): LExpr {
  const { ctx } = env;
  const name = writtenName(node, ctx);
  const at = () => windowAt(node, name, ctx);
  if (env.inWindow) throw ctx.error('binder', `window function calls cannot be nested${at()}`);
  if (!env.windows) throw ctx.error('binder', `window functions are not allowed in ${env.clause}${at()}`);
  const windows = env.windows;
  const over = (node as ExprNode & { over?: { as_window_specification?: unknown } }).over;
  const specRef = over?.as_window_specification;
  let spec: SpecAst;
  if (typeof specRef === 'string') {
    const s = windows.namedSpec(specRef);
    if (!s) throw ctx.error('binder', `window "${specRef}" does not exist${at()}`);
    spec = s;
  } else {
    spec = ((specRef as { window_specification?: SpecAst } | undefined)?.window_specification) ?? {};
  }
  const inner: ExprEnv = { ...env, windows: null, inWindow: true, clause: 'window function arguments' };
  const partitionBy = (spec.partitionby ?? []).map((p) => bindExpr(p.expr, { ...inner, clause: 'PARTITION BY' }));
  const orderBy: LSortKey[] = (spec.orderby ?? []).map((o) => {
    const ascending = (o.type ?? 'ASC').toUpperCase() !== 'DESC';
    const nulls = (o.nulls ?? '').toLowerCase();
    const nullsFirst = nulls.includes('first') ? true : nulls.includes('last') ? false : !ascending;
    return { expr: bindExpr(o.expr, { ...inner, clause: 'ORDER BY' }), ascending, nullsFirst };
  });
  const frame = bindFrame(spec.window_frame_clause ?? null, orderBy, ctx, at);
  const argNodes = argsOf(node);
  const shown = exprDisplayName({ ...node, over: undefined } as ExprNode);
  const display = shown === '?column?' || name !== nameOf(node) ? `${name}(${argNodes.map(exprDisplayName).join(', ')})` : shown;
  const intArg = (i: number, what: string, min: number): number => {
    const a = argNodes[i];
    const v = a && (a.type === 'number' || a.type === 'bigint') ? Number(a.value) : NaN;
    if (!Number.isSafeInteger(v) || v < min) throw ctx.error('binder', `${what} of ${name} must be an integer constant of at least ${min}${at()}`);
    return v;
  };
  const value = (i: number): LExpr => {
    const e = bindExpr(argNodes[i]!, inner);
    return isUntypedString(e) && e.kind === 'literal' ? { kind: 'literal', value: e.value, type: 'utf8' } : e;
  };
  const arity = (lo: number, hi: number) => {
    if (argNodes.length < lo || argNodes.length > hi) {
      throw ctx.error('binder', `function ${name} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? '' : 's'}, got ${argNodes.length}${at()}`);
    }
  };
  const base = { name: display, n: 0, defaultValue: null as LExpr | null, frame };

  /** An aggregate bound as GROUP BY would bind it (FILTER folded into its argument), then run over each frame. */
  const frameAggregate = (call: ExprNode, shownAs: string): LExpr => {
    const collector = new AggregateCollector(ctx);
    bindExpr({ ...call, over: undefined } as ExprNode, {
      ...env, aggregates: collector, outerAggregates: env.aggregates, windows: null, inWindow: true, clause: 'window function arguments',
    });
    const found = collector.aggregates[0]!;
    // string_agg without ORDER BY of its own takes a frame's rows in the window's order, as DuckDB does.
    const agg = found.fn === 'string_agg' && !found.orderBy && orderBy.length > 0 ? { ...found, orderBy } : found;
    const named = { ...base, name: shownAs };
    if (FAST_AGGREGATES.has(agg.fn) && !agg.distinct) return windows.add(partitionBy, orderBy, { ...named, fn: agg.fn, arg: agg.arg, type: agg.type });
    return windows.add(partitionBy, orderBy, { ...named, fn: agg.fn, arg: agg.arg, type: agg.type, aggregate: { ...agg, id: 0 } });
  };
  const wrapped = name === 'first_value' ? windowAggregateCall(argNodes[0]) : null;
  if (wrapped) return frameAggregate(wrapped, `${exprDisplayName({ ...wrapped, filter: null })} OVER (…)`);

  if (RANKING.has(name)) {
    if (name === 'ntile') {
      arity(1, 1);
      return windows.add(partitionBy, orderBy, { ...base, fn: 'ntile', arg: null, n: intArg(0, 'the bucket count', 1), type: 'int64' });
    }
    arity(0, 0);
    const type: DataType = name === 'percent_rank' || name === 'cume_dist' ? 'float64' : 'int64';
    return windows.add(partitionBy, orderBy, { ...base, fn: name as WindowFunctionName, arg: null, type });
  }
  if (name === 'lag' || name === 'lead') {
    arity(1, 3);
    let arg = value(0);
    const n = argNodes.length >= 2 ? intArg(1, 'the offset', 0) : 1;
    let defaultValue: LExpr | null = argNodes.length === 3 ? value(2) : null;
    let type = arg.type;
    if (defaultValue) {
      try {
        type = commonTypeOf([arg, defaultValue], name, '');
      } catch (e) {
        throw ctx.error('type', `${(e as Error).message}${at()}`);
      }
      if (type === 'null') type = 'int32';
      arg = castTo(arg, type);
      defaultValue = castTo(defaultValue, type);
    }
    return windows.add(partitionBy, orderBy, { ...base, fn: name, arg, n, defaultValue, type });
  }
  if (name === 'first_value' || name === 'last_value' || name === 'nth_value') {
    arity(name === 'nth_value' ? 2 : 1, name === 'nth_value' ? 2 : 1);
    const arg = value(0);
    const n = name === 'nth_value' ? intArg(1, 'n', 1) : 0;
    return windows.add(partitionBy, orderBy, { ...base, fn: name, arg, n, type: arg.type });
  }
  if (isAggregateName(name) && (!AGGREGATES.has(name) || node.filter?.where || isDistinctCall(node))) return frameAggregate(node, display);
  if (AGGREGATES.has(name)) {
    const a = (node.args ?? {}) as FuncArgs;
    // sum(DISTINCT x) arrives as a call of a function named DISTINCT (preparse.ts).
    const wrapped = a.expr?.type === 'function' && nameOf(a.expr) === 'distinct';
    if (wrapped || (typeof a.distinct === 'string' && a.distinct.toUpperCase() === 'DISTINCT')) {
      throw ctx.error('unsupported', `unsupported: DISTINCT in a window aggregate${at()}`);
    }
    if (a.expr?.type === 'star') {
      if (name !== 'count') throw ctx.error('binder', `${name}(*) is not allowed: only count(*)${at()}`);
      return windows.add(partitionBy, orderBy, { ...base, fn: 'count_star', arg: null, type: 'int64' });
    }
    arity(1, 1);
    let arg = value(0);
    let type: DataType;
    switch (name) {
      case 'count': type = 'int64'; break;
      case 'sum': case 'avg':
        if (arg.type === 'null') arg = castTo(arg, name === 'sum' ? 'int32' : 'float64');
        if (!isNumeric(arg.type)) throw ctx.error('type', `function ${name} expects a number, got ${sqlTypeName(arg.type)}${at()}`);
        // Window sums run in doubles: sum(DECIMAL(p,s)) over a window is its DECIMAL(38,s) from a double sum.
        if (isDecimal(arg.type)) {
          const dec = arg.type;
          const inner = windows.add(partitionBy, orderBy, { ...base, fn: name as AggregateFunction, arg: castTo(arg, 'float64'), type: 'float64' });
          return name === 'avg' ? inner : castTo(inner, decimalType(MAX_DECIMAL_PRECISION, decimalParams(dec).scale));
        }
        type = name === 'avg' || arg.type === 'float64' ? 'float64' : 'int64';
        break;
      default: type = arg.type;
    }
    return windows.add(partitionBy, orderBy, { ...base, fn: name as AggregateFunction, arg, type });
  }
  throw ctx.error('unsupported', `unsupported: window function ${name}${at()}`);
}

/** The frame of a window; every written frame arrives encoded by preparse.ts (decodeFrameBound). */
function bindFrame(clause: ExprNode | null, orderBy: LSortKey[], ctx: BindContext, at: () => string): WindowFrame {
  if (!clause) {
    return orderBy.length > 0
      ? { units: 'range', start: { kind: 'unbounded_preceding', offset: 0 }, end: { kind: 'current_row', offset: 0 } }
      : { units: 'rows', start: { kind: 'unbounded_preceding', offset: 0 }, end: { kind: 'unbounded_following', offset: 0 } };
  }
  let units: WindowFrame['units'] = 'rows';
  let startNode: ExprNode | undefined;
  let endNode: ExprNode | undefined;
  if (clause.type === 'binary_expr' && (clause.operator ?? '').toUpperCase() === 'BETWEEN') {
    units = String(clause.left?.value ?? 'rows').toLowerCase() as WindowFrame['units'];
    const bounds = (clause.right?.value as ExprNode[] | undefined) ?? [];
    startNode = bounds[0];
    endNode = bounds[1];
  } else {
    units = String(clause.type ?? 'rows').toLowerCase() as WindowFrame['units'];
    startNode = clause.expr;
  }
  const parse = (n: ExprNode | undefined): FrameBound => {
    const text = String(n?.value ?? 'current row').trim().toUpperCase().replace(/\s+/g, ' ');
    const coded = /^(\d+) FOLLOWING$/.exec(text);
    const decoded = coded ? decodeFrameBound(coded[1]!) : null;
    if (decoded) {
      units = decoded.units as WindowFrame['units'];
      return { kind: decoded.kind as FrameBound['kind'], offset: decoded.offset };
    }
    if (text === 'UNBOUNDED PRECEDING') return { kind: 'unbounded_preceding', offset: 0 };
    if (text === 'UNBOUNDED FOLLOWING') return { kind: 'unbounded_following', offset: 0 };
    if (text === 'CURRENT ROW') return { kind: 'current_row', offset: 0 };
    const m = /^(\d+) (?:(ROWS|RANGE|GROUPS) )?(PRECEDING|FOLLOWING)$/.exec(text);
    if (!m) throw ctx.error('unsupported', `unsupported: frame bound ${text}${at()}`);
    if (m[2]) units = m[2].toLowerCase() as WindowFrame['units'];
    return { kind: m[3] === 'PRECEDING' ? 'preceding' : 'following', offset: Number(m[1]) };
  };
  const start = parse(startNode);
  const end = endNode ? parse(endNode) : { kind: 'current_row' as const, offset: 0 };
  if (!['rows', 'range', 'groups'].includes(units)) throw ctx.error('unsupported', `unsupported: frame units ${units}${at()}`);
  if (start.kind === 'unbounded_following') throw ctx.error('binder', `frame start cannot be UNBOUNDED FOLLOWING${at()}`);
  if (end.kind === 'unbounded_preceding') throw ctx.error('binder', `frame end cannot be UNBOUNDED PRECEDING${at()}`);
  if (start.kind === 'following' && (end.kind === 'current_row' || end.kind === 'preceding')) {
    throw ctx.error('binder', `frame starting from following row cannot end with ${end.kind === 'current_row' ? 'current row' : 'preceding row'}${at()}`);
  }
  if (start.kind === 'current_row' && end.kind === 'preceding') throw ctx.error('binder', `frame starting from current row cannot have preceding rows${at()}`);
  const offsets = start.kind === 'preceding' || start.kind === 'following' || end.kind === 'preceding' || end.kind === 'following';
  if (units === 'range' && offsets && (orderBy.length !== 1 || !isNumeric(orderBy[0]!.expr.type))) {
    throw ctx.error('binder', `RANGE with offset PRECEDING/FOLLOWING needs exactly one numeric ORDER BY column${at()}`);
  }
  if (units === 'groups' && orderBy.length === 0) throw ctx.error('binder', `GROUPS mode requires an ORDER BY clause${at()}`);
  return { units, start, end };
}
