/**
 * Logical plans: what the binder produces and the optimizer rewrites.
 *
 * Every column a node outputs has a plan-unique numeric `id` (like Spark's exprId); logical
 * expressions refer to columns by id, never by position, so rewrites (pushdown through
 * joins, pruning) need no index bookkeeping. The physical planner maps ids to positions.
 */
import type { DataType, Scalar } from '../common/types.js';
import type { BinaryOp, UnaryOp, AggregateFunction } from '../expr/expr.js';
import type { JoinType } from './physical.js';
import type { CsvDialect } from '../storage/csv_sniff.js';

/** A join strategy a query or the session can force (auto is the cost model's choice). */
export type JoinStrategy = 'broadcast' | 'partitioned' | 'colocated';

/** `/*+ BROADCAST(nation) *\/`: force `strategy` on the join whose input is table (or alias) `table`. */
export interface JoinHint {
  strategy: JoinStrategy;
  /** Table or alias named, lower case. */
  table: string;
  /** The hint as written, for messages and EXPLAIN: BROADCAST(nation). */
  text: string;
}

export interface LColumn {
  id: number;
  name: string;
  /** Table or alias the column can be qualified with (undefined for computed columns). */
  qualifier?: string;
  type: DataType;
  nullable: boolean;
  /** Estimated number of distinct non-NULL values in the table (set on Scan columns from file statistics; see estimate.ts). */
  ndv?: number;
}

export type LExpr =
  | { kind: 'column'; id: number; type: DataType; name: string }
  | { kind: 'literal'; value: Scalar; type: DataType; /** exact decimal text of a numeric literal, for exact folding */ decimal?: string }
  | { kind: 'binary'; op: BinaryOp; left: LExpr; right: LExpr; type: DataType }
  | { kind: 'unary'; op: UnaryOp; arg: LExpr; type: DataType }
  | { kind: 'cast'; arg: LExpr; type: DataType }
  | { kind: 'case'; operand: LExpr | null; whens: { when: LExpr; then: LExpr }[]; else: LExpr | null; type: DataType }
  | { kind: 'in_list'; arg: LExpr; list: LExpr[]; negated: boolean; type: 'bool' }
  | { kind: 'like'; arg: LExpr; pattern: LExpr; negated: boolean; caseInsensitive: boolean; type: 'bool' }
  | { kind: 'call'; name: string; args: LExpr[]; type: DataType }
  /** Subqueries, removed by the decorrelation passes before physical planning. */
  | { kind: 'scalar_subquery'; plan: LogicalPlan; type: DataType }
  | { kind: 'exists'; plan: LogicalPlan; negated: boolean; type: 'bool' }
  | { kind: 'in_subquery'; arg: LExpr; plan: LogicalPlan; negated: boolean; type: 'bool' };

export interface LAggregate {
  /** Output column id of this aggregate. */
  id: number;
  name: string;
  fn: AggregateFunction;
  arg: LExpr | null;
  distinct: boolean;
  type: DataType;
  /** string_agg: the separator (NULL = none). */
  separator?: string | null;
  /** string_agg: ORDER BY inside the call; percentile_cont/disc: the value and its order. */
  orderBy?: LSortKey[];
  /** percentile_cont / percentile_disc: the fraction, 0 to 1. */
  fraction?: number;
}

export interface LSortKey { expr: LExpr; ascending: boolean; nullsFirst: boolean }

/** Window functions: ranking, offsets, and the aggregates evaluated over a frame. */
export type WindowFunctionName =
  | 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' | 'ntile'
  | 'lag' | 'lead' | 'first_value' | 'last_value' | 'nth_value'
  | AggregateFunction;

/** One end of a window frame; `offset` counts rows (ROWS), peer groups (GROUPS) or order-key units (RANGE). */
export interface FrameBound {
  kind: 'unbounded_preceding' | 'preceding' | 'current_row' | 'following' | 'unbounded_following';
  offset: number;
}

export interface WindowFrame { units: 'rows' | 'range' | 'groups'; start: FrameBound; end: FrameBound }

export interface LWindowFunction {
  /** Output column id. */
  id: number;
  name: string;
  fn: WindowFunctionName;
  /** The value argument (null for ranking functions and count(*)). */
  arg: LExpr | null;
  /** lag/lead: the offset; ntile: the bucket count; nth_value: n. */
  n: number;
  /** lag/lead: the value when the offset row is outside the partition (null = NULL). */
  defaultValue: LExpr | null;
  frame: WindowFrame;
  type: DataType;
  /**
   * Aggregates evaluated over each row's frame like a group (every aggregate beyond plain
   * count/sum/avg/min/max, DISTINCT, FILTER): the aggregate as GROUP BY would run it; its
   * `arg` is the function's `arg` (FILTER already folded in), its `id` unused.
   */
  aggregate?: LAggregate;
}

/**
 * A WITH query planned once and read by several SharedScans (optimizer/cte_sharing.ts).
 * The readers hold the same object; `id` is unique in the statement and larger than the
 * id of every CTE its plan reads, so a CTE's readers are found before the CTE itself
 * when going down by id.
 */
export interface SharedCte {
  id: number;
  /** The WITH name, for EXPLAIN. */
  name: string;
  /** A closed plan (a WITH body has no outer references). */
  plan: LogicalPlan;
}

/** Where a scanned table's rows come from. */
export type TableSource =
  | { kind: 'parquet'; files: string[] }
  /** CSV files read with one dialect; `fields` are every column of the files, in file order. */
  | { kind: 'csv'; files: string[]; dialect: CsvDialect; fields: string[] }
  | { kind: 'memory'; name: string };

export type LogicalPlan =
  /** `columns`: the columns read, in table order (projection pruning removes unused ones); `filters`: conjuncts pushed into the scan. */
  | { kind: 'Scan'; table: string; source: TableSource; columns: LColumn[]; filters: LExpr[]; rowEstimate: number;
      /** A join hint naming this table (sql/join_hints.ts): the strategy of the join it is an input of. */
      joinHint?: JoinHint }
  | { kind: 'Values'; columns: LColumn[]; rows: LExpr[][] }
  | { kind: 'Filter'; input: LogicalPlan; predicate: LExpr }
  /** exprs[i] computes columns[i]. */
  | { kind: 'Project'; input: LogicalPlan; exprs: LExpr[]; columns: LColumn[] }
  /**
   * Output: group columns [, grouping id] then aggregate columns. groupBy[i] computes groupColumns[i].
   * GROUPING SETS / ROLLUP / CUBE: `groupingSets` lists each set as indices into groupBy (a
   * key not in a set is NULL in that set's rows) and `groupingId` (int32, the set's index in
   * groupingSets) follows the group columns: it keeps the sets' groups apart.
   */
  | { kind: 'Aggregate'; input: LogicalPlan; groupBy: LExpr[]; groupColumns: LColumn[]; aggregates: LAggregate[];
      groupingSets?: number[][]; groupingId?: LColumn }
  /** Output: left columns then right columns (only left for semi/anti). condition null = cross join. */
  | { kind: 'Join'; left: LogicalPlan; right: LogicalPlan; joinType: JoinType; condition: LExpr | null;
      /** Anti join for NOT IN (HashJoin nullAware): a NULL right key empties the result; a NULL left key survives only an empty right. */
      nullAware?: boolean }
  | { kind: 'Sort'; input: LogicalPlan; keys: LSortKey[] }
  /** Output: input columns then one column per function, all over one PARTITION BY / ORDER BY. */
  | { kind: 'Window'; input: LogicalPlan; partitionBy: LExpr[]; orderBy: LSortKey[]; functions: LWindowFunction[] }
  | { kind: 'Limit'; input: LogicalPlan; skip: number; fetch: number | null }
  /** UNION ALL: the inputs' i-th columns feed columns[i]. */
  | { kind: 'Union'; inputs: LogicalPlan[]; columns: LColumn[] }
  | { kind: 'Distinct'; input: LogicalPlan }
  /**
   * A reference to a WITH query: columns[i] is the CTE's output column with id sources[i].
   * The binder makes one per reference; the first optimizer pass inlines those of CTEs
   * not worth sharing (optimizer/cte_sharing.ts), the rest read the CTE's buffered output.
   */
  | { kind: 'SharedScan'; cte: SharedCte; columns: LColumn[]; sources: number[] }
  /**
   * WITH RECURSIVE: the anchor runs once, then `recursive` runs against the rows the last
   * iteration added (read by the WorkTable leaves with the same `workTable`) until it adds
   * none. The inputs' i-th columns feed columns[i]; `distinct` (UNION) drops every row seen
   * before.
   */
  | { kind: 'RecursiveCte'; name: string; workTable: number; anchor: LogicalPlan; recursive: LogicalPlan; columns: LColumn[]; distinct: boolean }
  /** Inside a RecursiveCte's recursive term: the rows its previous iteration added. */
  | { kind: 'WorkTable'; name: string; workTable: number; columns: LColumn[] };

/** The output columns of a node, in order. */
export function outputColumns(p: LogicalPlan): LColumn[] {
  switch (p.kind) {
    case 'Scan': case 'Values': case 'Project': case 'Union': case 'SharedScan': case 'RecursiveCte': case 'WorkTable': return p.columns;
    case 'Filter': case 'Sort': case 'Limit': case 'Distinct': return outputColumns(p.input);
    case 'Aggregate': return [
      ...p.groupColumns,
      ...(p.groupingId ? [p.groupingId] : []),
      ...p.aggregates.map((a): LColumn => ({ id: a.id, name: a.name, type: a.type, nullable: true })),
    ];
    case 'Window': return [
      ...outputColumns(p.input),
      ...p.functions.map((f): LColumn => ({ id: f.id, name: f.name, type: f.type, nullable: true })),
    ];
    case 'Join': return p.joinType === 'semi' || p.joinType === 'anti'
      ? outputColumns(p.left)
      : [...outputColumns(p.left), ...outputColumns(p.right)];
  }
}

export function logicalChildren(p: LogicalPlan): LogicalPlan[] {
  switch (p.kind) {
    case 'Scan': case 'Values': case 'SharedScan': case 'WorkTable': return [];
    case 'Join': return [p.left, p.right];
    case 'Union': return p.inputs;
    case 'RecursiveCte': return [p.anchor, p.recursive];
    default: return [p.input];
  }
}

/** Allocates column ids; one per planning session so ids are unique within a query. */
export class IdGenerator {
  private next = 1;
  fresh(): number { return this.next++; }
}
