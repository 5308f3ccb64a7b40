/** Logical plan trees: the expressions a node holds, rebuilding nodes, bottom-up rewrites, column sets. */
import { logicalChildren, type LAggregate, type LColumn, type LExpr, type LogicalPlan, type LWindowFunction } from './logical.js';
import { colRef } from './logical_exprs.js';

/** The same node with every held expression passed through `f` (children untouched). */
export function mapNodeExprs(p: LogicalPlan, f: (e: LExpr) => LExpr): LogicalPlan {
  switch (p.kind) {
    case 'Scan': return { ...p, filters: p.filters.map(f) };
    case 'Values': return { ...p, rows: p.rows.map((r) => r.map(f)) };
    case 'Filter': return { ...p, predicate: f(p.predicate) };
    case 'Project': return { ...p, exprs: p.exprs.map(f) };
    case 'Aggregate': return {
      ...p,
      groupBy: p.groupBy.map(f),
      aggregates: p.aggregates.map((a) => mapAggregateExprs(a, f)),
    };
    case 'Join': return { ...p, condition: p.condition ? f(p.condition) : null };
    case 'Sort': return { ...p, keys: p.keys.map((k) => ({ ...k, expr: f(k.expr) })) };
    case 'Window': return {
      ...p,
      partitionBy: p.partitionBy.map(f),
      orderBy: p.orderBy.map((k) => ({ ...k, expr: f(k.expr) })),
      functions: p.functions.map((w) => mapWindowFunctionExprs(w, f)),
    };
    case 'Limit': case 'Union': case 'Distinct': case 'SharedScan': case 'RecursiveCte': case 'WorkTable': return p;
  }
}

/** A window function with its argument, default and aggregate passed through `f`. */
export function mapWindowFunctionExprs(w: LWindowFunction, f: (e: LExpr) => LExpr): LWindowFunction {
  return {
    ...w, arg: w.arg ? f(w.arg) : null, defaultValue: w.defaultValue ? f(w.defaultValue) : null,
    ...(w.aggregate ? { aggregate: mapAggregateExprs(w.aggregate, f) } : {}),
  };
}

/** An aggregate with its argument and ORDER BY keys passed through `f`. */
export function mapAggregateExprs<A extends LAggregate>(a: A, f: (e: LExpr) => LExpr): A {
  return { ...a, arg: a.arg ? f(a.arg) : null, ...(a.orderBy ? { orderBy: a.orderBy.map((k) => ({ ...k, expr: f(k.expr) })) } : {}) };
}

/** The same node over new children (same order as logicalChildren). */
export function withChildren(p: LogicalPlan, children: LogicalPlan[]): LogicalPlan {
  switch (p.kind) {
    case 'Scan': case 'Values': case 'SharedScan': case 'WorkTable': return p;
    case 'Join': return { ...p, left: children[0]!, right: children[1]! };
    case 'Union': return { ...p, inputs: children };
    case 'RecursiveCte': return { ...p, anchor: children[0]!, recursive: children[1]! };
    default: return { ...p, input: children[0]! };
  }
}

/** Rebuild bottom-up: children first, then `f` on the node. */
export function transformUp(p: LogicalPlan, f: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const kids = logicalChildren(p);
  const next = kids.length === 0 ? p : withChildren(p, kids.map((k) => transformUp(k, f)));
  return f(next);
}

/** A Project that outputs `cols` (by id) from an input that has them all. */
export function projectColumns(input: LogicalPlan, cols: readonly LColumn[]): LogicalPlan {
  return { kind: 'Project', input, exprs: cols.map(colRef), columns: [...cols] };
}

/** Same ids in the same order. */
export function sameColumns(a: readonly LColumn[], b: readonly LColumn[]): boolean {
  return a.length === b.length && a.every((c, i) => c.id === b[i]!.id);
}
