/**
 * Small helpers to build logical plans by hand in the planner tests (the binder is not
 * needed): tables with typed columns, column refs, literals and operators.
 */
import type { BinaryOp } from '../../src/expr/expr.js';
import { IdGenerator, logicalChildren, type LAggregate, type LColumn, type LExpr, type LogicalPlan } from '../../src/plan/logical.js';
import type { JoinType } from '../../src/plan/physical.js';
import type { DataType, Scalar } from '../../src/common/types.js';

export type ScanPlan = Extract<LogicalPlan, { kind: 'Scan' }>;

export interface Table {
  plan: ScanPlan;
  /** Columns by name. */
  c: Record<string, LColumn>;
  /** Column ref by name. */
  r: (name: string) => LExpr;
}

export class Builder {
  readonly ids = new IdGenerator();

  /** A Parquet-backed table scan (no files unless given; given files must exist to be physically planned). */
  table(name: string, columns: Record<string, DataType>, rowEstimate = 1000, files: string[] = []): Table {
    const cols: LColumn[] = Object.entries(columns).map(([n, type]) => ({ id: this.ids.fresh(), name: n, qualifier: name, type, nullable: true }));
    const plan: ScanPlan = { kind: 'Scan', table: name, source: { kind: 'parquet', files }, columns: cols, filters: [], rowEstimate };
    return tableOf(plan);
  }

  memoryTable(name: string, columns: Record<string, DataType>, rowEstimate = 10): Table {
    const t = this.table(name, columns, rowEstimate);
    return tableOf({ ...t.plan, source: { kind: 'memory', name } });
  }

  column(name: string, type: DataType): LColumn {
    return { id: this.ids.fresh(), name, type, nullable: true };
  }

  project(input: LogicalPlan, items: [string, LExpr][]): Extract<LogicalPlan, { kind: 'Project' }> {
    return {
      kind: 'Project', input,
      exprs: items.map(([, e]) => e),
      columns: items.map(([n, e]) => this.column(n, e.type)),
    };
  }

  aggregate(input: LogicalPlan, groupBy: [string, LExpr][], aggs: [string, LAggregate['fn'], LExpr | null, DataType][]): Extract<LogicalPlan, { kind: 'Aggregate' }> {
    return {
      kind: 'Aggregate', input,
      groupBy: groupBy.map(([, e]) => e),
      groupColumns: groupBy.map(([n, e]) => this.column(n, e.type)),
      aggregates: aggs.map(([name, fn, arg, type]) => ({ id: this.ids.fresh(), name, fn, arg, distinct: false, type })),
    };
  }
}

export function tableOf(plan: ScanPlan): Table {
  const c = Object.fromEntries(plan.columns.map((col) => [col.name, col]));
  return { plan, c, r: (n) => ref(c[n] ?? fail(`no column ${n}`)) };
}

function fail(msg: string): never {
  throw new Error(msg);
}

export function ref(c: LColumn): LExpr {
  return { kind: 'column', id: c.id, type: c.type, name: c.name };
}

export function lit(value: Scalar, type: DataType, decimal?: string): LExpr {
  return decimal === undefined ? { kind: 'literal', value, type } : { kind: 'literal', value, type, decimal };
}

/** A numeric literal written as SQL text, e.g. num('.06') → 0.06 with exact text. */
export function num(text: string): LExpr {
  return { kind: 'literal', value: Number(text), type: 'float64', decimal: text };
}

export const int = (v: number): LExpr => lit(v, 'int32');

const BOOL_OPS = new Set<BinaryOp>(['=', '<>', '<', '<=', '>', '>=', 'and', 'or', 'is_distinct_from', 'is_not_distinct_from']);

export function bin(op: BinaryOp, left: LExpr, right: LExpr, type?: DataType): LExpr {
  return { kind: 'binary', op, left, right, type: type ?? (BOOL_OPS.has(op) ? 'bool' : left.type) };
}

export const eq = (a: LExpr, b: LExpr): LExpr => bin('=', a, b);
export const lt = (a: LExpr, b: LExpr): LExpr => bin('<', a, b);
export const gt = (a: LExpr, b: LExpr): LExpr => bin('>', a, b);
export const ne = (a: LExpr, b: LExpr): LExpr => bin('<>', a, b);
export const not = (a: LExpr): LExpr => ({ kind: 'unary', op: 'not', arg: a, type: 'bool' });
export const isNull = (a: LExpr): LExpr => ({ kind: 'unary', op: 'is_null', arg: a, type: 'bool' });

export function and(...xs: LExpr[]): LExpr {
  return xs.reduce((a, b) => bin('and', a, b));
}

export function filter(input: LogicalPlan, predicate: LExpr): LogicalPlan {
  return { kind: 'Filter', input, predicate };
}

export function join(left: LogicalPlan, right: LogicalPlan, joinType: JoinType = 'inner', condition: LExpr | null = null): Extract<LogicalPlan, { kind: 'Join' }> {
  return { kind: 'Join', left, right, joinType, condition };
}

export function cross(...plans: LogicalPlan[]): LogicalPlan {
  return plans.reduce((a, b) => join(a, b));
}

/** Every node of a plan, pre-order. */
export function nodes(p: LogicalPlan): LogicalPlan[] {
  return [p, ...logicalChildren(p).flatMap(nodes)];
}

/** The node kinds of a plan as a compact nested string, e.g. "Join(Scan,Filter(Scan))". */
export function shape(p: LogicalPlan): string {
  const kids = logicalChildren(p);
  const label = p.kind === 'Join' ? `Join[${p.joinType}]` : p.kind === 'Scan' ? `Scan:${p.table}` : p.kind;
  return kids.length === 0 ? label : `${label}(${kids.map(shape).join(',')})`;
}
