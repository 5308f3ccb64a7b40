/**
 * Logical expressions: building, splitting and joining conjunctions, column references,
 * substitution, and lowering to a physical expression (column ids → column positions).
 * Shared by the optimizer passes, the estimator and the physical planner.
 */
import type { DataType, Scalar } from '../common/types.js';
import type { PhysicalExpr } from '../expr/expr.js';
import { SpillwayError } from '../common/errors.js';
import { logicalChildren, outputColumns, type LColumn, type LExpr, type LogicalPlan } from './logical.js';

export function colRef(c: LColumn): LExpr {
  return { kind: 'column', id: c.id, type: c.type, name: c.name };
}

export function literal(value: Scalar, type: DataType): LExpr {
  return { kind: 'literal', value, type };
}

export const TRUE: LExpr = { kind: 'literal', value: true, type: 'bool' };
export const FALSE: LExpr = { kind: 'literal', value: false, type: 'bool' };

export function isLiteral(e: LExpr): e is Extract<LExpr, { kind: 'literal' }> {
  return e.kind === 'literal';
}

export function isTrue(e: LExpr | null): boolean {
  return e !== null && e.kind === 'literal' && e.value === true;
}

/** Literal false or NULL: a predicate that keeps no row. */
export function isFalseOrNull(e: LExpr): boolean {
  return e.kind === 'literal' && (e.value === false || e.value === null);
}

export function exprType(e: LExpr): DataType {
  return e.type;
}

/** Split `a AND b AND c` into [a, b, c] (without recursion: chains may hold thousands). */
export function conjuncts(e: LExpr | null): LExpr[] {
  if (e === null) return [];
  const out: LExpr[] = [];
  const stack: LExpr[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x.kind === 'binary' && x.op === 'and') stack.push(x.right, x.left);
    else out.push(x);
  }
  return out;
}

/** AND of a list; null for an empty list. Long lists become a balanced tree (log depth). */
export function conjoin(list: readonly LExpr[]): LExpr | null {
  if (list.length === 0) return null;
  if (list.length > 32) {
    const balanced = (lo: number, hi: number): LExpr => (hi - lo === 1 ? list[lo]!
      : { kind: 'binary', op: 'and', left: balanced(lo, (lo + hi) >>> 1), right: balanced((lo + hi) >>> 1, hi), type: 'bool' });
    return balanced(0, list.length);
  }
  let acc = list[0]!;
  for (let i = 1; i < list.length; i++) acc = { kind: 'binary', op: 'and', left: acc, right: list[i]!, type: 'bool' };
  return acc;
}

export function eq(left: LExpr, right: LExpr): LExpr {
  return { kind: 'binary', op: '=', left, right, type: 'bool' };
}

/** Direct children of an expression (not the plans of subqueries). */
export function exprChildren(e: LExpr): LExpr[] {
  switch (e.kind) {
    case 'column': case 'literal': case 'scalar_subquery': case 'exists': return [];
    case 'binary': return [e.left, e.right];
    case 'unary': case 'cast': return [e.arg];
    case 'case': {
      const out: LExpr[] = [];
      if (e.operand) out.push(e.operand);
      for (const w of e.whens) out.push(w.when, w.then);
      if (e.else) out.push(e.else);
      return out;
    }
    case 'in_list': return [e.arg, ...e.list];
    case 'like': return [e.arg, e.pattern];
    case 'call': return e.args;
    case 'in_subquery': return [e.arg];
  }
}

/** Rebuild `e` bottom-up, applying `f` to every node after its children (subquery plans untouched). */
export function mapExpr(e: LExpr, f: (e: LExpr) => LExpr): LExpr {
  let out: LExpr;
  switch (e.kind) {
    case 'column': case 'literal': case 'scalar_subquery': case 'exists': out = e; break;
    case 'binary': out = { ...e, left: mapExpr(e.left, f), right: mapExpr(e.right, f) }; break;
    case 'unary': out = { ...e, arg: mapExpr(e.arg, f) }; break;
    case 'cast': out = { ...e, arg: mapExpr(e.arg, f) }; break;
    case 'case': out = {
      ...e,
      operand: e.operand ? mapExpr(e.operand, f) : null,
      whens: e.whens.map((w) => ({ when: mapExpr(w.when, f), then: mapExpr(w.then, f) })),
      else: e.else ? mapExpr(e.else, f) : null,
    }; break;
    case 'in_list': out = { ...e, arg: mapExpr(e.arg, f), list: e.list.map((x) => mapExpr(x, f)) }; break;
    case 'like': out = { ...e, arg: mapExpr(e.arg, f), pattern: mapExpr(e.pattern, f) }; break;
    case 'call': out = { ...e, args: e.args.map((x) => mapExpr(x, f)) }; break;
    case 'in_subquery': out = { ...e, arg: mapExpr(e.arg, f) }; break;
  }
  return f(out);
}

/** True if `pred` holds for `e` or any sub-expression (subquery plans not entered). */
export function someExpr(e: LExpr, pred: (e: LExpr) => boolean): boolean {
  if (pred(e)) return true;
  return exprChildren(e).some((c) => someExpr(c, pred));
}

export function hasSubquery(e: LExpr): boolean {
  return someExpr(e, (x) => x.kind === 'scalar_subquery' || x.kind === 'exists' || x.kind === 'in_subquery');
}

/** Column ids an expression reads, including the outer references of its subqueries. */
export function columnRefs(e: LExpr, into: Set<number> = new Set()): Set<number> {
  switch (e.kind) {
    case 'column': into.add(e.id); break;
    case 'scalar_subquery': case 'exists': for (const id of freeRefs(e.plan)) into.add(id); break;
    case 'in_subquery':
      columnRefs(e.arg, into);
      for (const id of freeRefs(e.plan)) into.add(id);
      break;
    default: for (const c of exprChildren(e)) columnRefs(c, into);
  }
  return into;
}

export function refsSubsetOf(e: LExpr, ids: ReadonlySet<number>): boolean {
  for (const id of columnRefs(e)) if (!ids.has(id)) return false;
  return true;
}

export function idSet(cols: readonly LColumn[]): Set<number> {
  return new Set(cols.map((c) => c.id));
}

/** Replace column refs whose id is in `map`. */
export function substitute(e: LExpr, map: ReadonlyMap<number, LExpr>): LExpr {
  return mapExpr(e, (x) => (x.kind === 'column' && map.has(x.id) ? map.get(x.id)! : x));
}

/** Structural equality (used to dedupe conjuncts). */
export function exprKey(e: LExpr): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Where a column id lives in a node's input: position and display name. */
export type ColumnResolver = (id: number) => { index: number; name: string } | undefined;

export function resolverFor(cols: readonly LColumn[]): ColumnResolver {
  const m = new Map<number, { index: number; name: string }>();
  cols.forEach((c, i) => { if (!m.has(c.id)) m.set(c.id, { index: i, name: c.name }); });
  return (id) => m.get(id);
}

/** Logical → physical expression; column ids become positions via `resolve`. */
export function toPhysicalExpr(e: LExpr, resolve: ColumnResolver): PhysicalExpr {
  const go = (x: LExpr): PhysicalExpr => toPhysicalExpr(x, resolve);
  switch (e.kind) {
    case 'column': {
      const r = resolve(e.id);
      if (!r) throw new Error(`internal: column ${e.name}#${e.id} is not in the input of the node that reads it`);
      return { kind: 'column', index: r.index, type: e.type, name: e.name };
    }
    case 'literal': return { kind: 'literal', value: e.value, type: e.type };
    case 'binary': return { kind: 'binary', op: e.op, left: go(e.left), right: go(e.right), type: e.type };
    case 'unary': return { kind: 'unary', op: e.op, arg: go(e.arg), type: e.type };
    case 'cast': return { kind: 'cast', arg: go(e.arg), type: e.type };
    case 'case': return {
      kind: 'case',
      operand: e.operand ? go(e.operand) : null,
      whens: e.whens.map((w) => ({ when: go(w.when), then: go(w.then) })),
      else: e.else ? go(e.else) : null,
      type: e.type,
    };
    case 'in_list': return { kind: 'in_list', arg: go(e.arg), list: e.list.map(go), negated: e.negated, type: 'bool' };
    case 'like': return { kind: 'like', arg: go(e.arg), pattern: go(e.pattern), negated: e.negated, caseInsensitive: e.caseInsensitive, type: 'bool' };
    case 'call': return { kind: 'call', name: e.name, args: e.args.map(go), type: e.type };
    case 'scalar_subquery': case 'exists': case 'in_subquery':
      throw new SpillwayError('unsupported', `unsupported subquery: a ${e.kind.replace('_', ' ')} was left after decorrelation`);
  }
}

/** Ids of every column any node of the subtree outputs. */
export function definedIds(p: LogicalPlan, into: Set<number> = new Set()): Set<number> {
  for (const c of outputColumns(p)) into.add(c.id);
  for (const k of logicalChildren(p)) definedIds(k, into);
  return into;
}

/** Column ids read inside the subtree but defined outside it (correlated references). */
export function freeRefs(p: LogicalPlan): Set<number> {
  const defined = definedIds(p);
  const free = new Set<number>();
  const visit = (n: LogicalPlan): void => {
    for (const e of nodeExprs(n)) for (const id of columnRefs(e)) if (!defined.has(id)) free.add(id);
    for (const k of logicalChildren(n)) visit(k);
  };
  visit(p);
  return free;
}

/** Every expression a node holds (not its children's). */
export function nodeExprs(p: LogicalPlan): LExpr[] {
  switch (p.kind) {
    case 'Scan': return p.filters;
    case 'Values': return p.rows.flat();
    case 'Filter': return [p.predicate];
    case 'Project': return p.exprs;
    case 'Aggregate': return [
      ...p.groupBy,
      ...p.aggregates.flatMap((a) => [...(a.arg ? [a.arg] : []), ...(a.orderBy ?? []).map((k) => k.expr)]),
    ];
    case 'Join': return p.condition ? [p.condition] : [];
    case 'Sort': return p.keys.map((k) => k.expr);
    case 'Window': return [
      ...p.partitionBy, ...p.orderBy.map((k) => k.expr),
      ...p.functions.flatMap((w) => [
        ...(w.arg ? [w.arg] : []), ...(w.defaultValue ? [w.defaultValue] : []), ...(w.aggregate?.orderBy ?? []).map((k) => k.expr),
      ]),
    ];
    case 'Limit': case 'Union': case 'Distinct': case 'SharedScan': case 'RecursiveCte': case 'WorkTable': return [];
  }
}
