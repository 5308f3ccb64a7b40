/**
 * Physical plans: typed, JSON-serializable trees (never SQL strings). Each node carries its
 * output schema and a plan-unique `id` that metrics are keyed by. The operator that runs a
 * node lives in exec/<operator>.ts and is looked up by `kind` (exec/execute.ts).
 *
 * Partitions: every node produces `partitions` independent output streams; execute(p)
 * runs partition p. Operators that keep partitioning (filter, projection, partial
 * aggregate, joins against a broadcast side) have the same count as their input.
 */
import type { Scalar, Schema } from '../types.js';
import type { AggregateExpr, PhysicalExpr, SortKey } from '../expr/expr.js';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

/** One Parquet file (or a row-group range of it) read by one scan partition. */
export interface FileSlice {
  path: string;
  /** Row groups to read; undefined = all (after pruning). */
  rowGroups?: number[];
  /** Byte size, from metadata (for scheduling largest first). */
  bytes: number;
}

interface NodeBase {
  id: number;
  schema: Schema;
  partitions: number;
}

export interface ParquetScanNode extends NodeBase {
  kind: 'ParquetScan';
  table: string;
  /** slices[p] are the files read by partition p. */
  slices: FileSlice[][];
  /** Column names read from the files, in output order (the schema's names). */
  columns: string[];
  /** Conjuncts over the output columns, used only to prune row groups from statistics. */
  pruning: PhysicalExpr[];
}

/** Rows held in the plan itself (VALUES, in-memory tables shipped to workers). */
export interface ValuesNode extends NodeBase {
  kind: 'Values';
  rows: Scalar[][];
}

/** An in-memory table of the session (CREATE TABLE / INSERT), read by name. */
export interface MemoryScanNode extends NodeBase {
  kind: 'MemoryScan';
  table: string;
  /** Column positions of the stored table, in output order. */
  projection: number[];
}

export interface FilterNode extends NodeBase { kind: 'Filter'; input: PhysicalPlan; predicate: PhysicalExpr }

export interface ProjectionNode extends NodeBase { kind: 'Projection'; input: PhysicalPlan; exprs: PhysicalExpr[] }

export interface HashAggregateNode extends NodeBase {
  kind: 'HashAggregate';
  input: PhysicalPlan;
  /** single: raw input → results; partial: raw input → keys + state; final: keys + state → results. */
  mode: 'single' | 'partial' | 'final';
  groupBy: PhysicalExpr[];
  aggregates: AggregateExpr[];
}

export interface HashJoinNode extends NodeBase {
  kind: 'HashJoin';
  /** Probe side. */
  left: PhysicalPlan;
  /** Build side (hashed in memory, spilled when it does not fit). */
  right: PhysicalPlan;
  joinType: JoinType;
  leftKeys: PhysicalExpr[];
  rightKeys: PhysicalExpr[];
  /** Residual condition over (left columns ++ right columns); null = none. */
  filter: PhysicalExpr | null;
  /** How the inputs are split: 'broadcast' = right is read whole by every left partition. */
  distribution: 'single' | 'partitioned' | 'broadcast';
  /** Null-aware anti join (NOT IN): a NULL key on the build side empties the result. */
  nullAware?: boolean;
}

export interface NestedLoopJoinNode extends NodeBase {
  kind: 'NestedLoopJoin';
  left: PhysicalPlan;
  right: PhysicalPlan;
  joinType: JoinType;
  filter: PhysicalExpr | null;
}

export interface SortNode extends NodeBase { kind: 'Sort'; input: PhysicalPlan; keys: SortKey[] }

/** ORDER BY … LIMIT: keeps only the best `fetch + skip` rows, never spills. */
export interface TopKNode extends NodeBase { kind: 'TopK'; input: PhysicalPlan; keys: SortKey[]; fetch: number }

export interface LimitNode extends NodeBase { kind: 'Limit'; input: PhysicalPlan; skip: number; fetch: number | null }

export interface UnionAllNode extends NodeBase { kind: 'UnionAll'; inputs: PhysicalPlan[] }

/** Merge all input partitions into one (unordered). */
export interface CoalesceNode extends NodeBase { kind: 'Coalesce'; input: PhysicalPlan }

export type PhysicalPlan =
  | ParquetScanNode | ValuesNode | MemoryScanNode | FilterNode | ProjectionNode | HashAggregateNode
  | HashJoinNode | NestedLoopJoinNode | SortNode | TopKNode | LimitNode | UnionAllNode | CoalesceNode;

export type PhysicalKind = PhysicalPlan['kind'];

export function childrenOf(p: PhysicalPlan): PhysicalPlan[] {
  switch (p.kind) {
    case 'ParquetScan': case 'Values': case 'MemoryScan': return [];
    case 'HashJoin': case 'NestedLoopJoin': return [p.left, p.right];
    case 'UnionAll': return p.inputs;
    default: return [p.input];
  }
}

/** JSON that keeps bigints ({"$bigint":"123"}) and non-finite doubles ({"$num":"NaN"}). Ships plans to workers. */
export function serializePlan(p: PhysicalPlan): string {
  return JSON.stringify(p, (_k, v) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
}

export function deserializePlan(s: string): PhysicalPlan {
  return JSON.parse(s, (_k, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && typeof v.$bigint === 'string') return BigInt(v.$bigint);
      if (keys.length === 1 && typeof v.$num === 'string') return Number(v.$num);
    }
    return v;
  }) as PhysicalPlan;
}
