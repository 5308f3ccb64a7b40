/**
 * Physical plans: typed, JSON-serializable trees (never SQL strings). Each node carries its
 * output schema and a plan-unique `id` that metrics are keyed by. The operator that runs a
 * node lives in exec/<operator>.ts and is looked up by `kind` (exec/execute.ts).
 *
 * Partitions: every node produces `partitions` independent output streams; execute(p)
 * runs partition p. Operators that keep partitioning (filter, projection, partial
 * aggregate, joins against a broadcast side) have the same count as their input.
 */
import type { DataType, Scalar, Schema } from '../common/types.js';
import type { JoinStrategy, WindowFrame, WindowFunctionName } from './logical.js';
import type { CsvDialect } from '../storage/csv_sniff.js';
import type { AggregateExpr, PhysicalExpr, SortKey } from '../expr/expr.js';
import { traitsOf } from './node_traits.js';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
/**
 * A hash join may also run a semi/anti join with its inputs swapped: the build side is the
 * side whose rows are kept (the smaller one), the probe side only marks which build rows
 * matched, and the kept rows come out after the whole probe side (right_semi: matched,
 * right_anti: unmatched). Output: the build side's columns.
 */
export type HashJoinType = JoinType | 'right_semi' | 'right_anti';

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
  /** Planner's row estimate (plan/estimate.ts), for EXPLAIN and distribution choices. */
  estimatedRows?: number;
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
  /** Rows must satisfy this (over the output columns); the scan applies it (exec/scan_filter.ts). */
  filter?: PhysicalExpr;
  /**
   * Rows whose output column `column` is not among the build keys of HashJoin `join` cannot
   * reach that join's output: the scan drops them once the join has built (plan/join_key_filters.ts).
   */
  keyFilters?: ScanKeyFilter[];
}

/** A join key filter a ParquetScan applies: column `column` against HashJoin `join`'s build keys. */
export interface ScanKeyFilter {
  join: number;
  column: number;
}

/** CSV files read whole by each partition (exec/csv_scan.ts); a file is never split between tasks. */
export interface CsvScanNode extends NodeBase {
  kind: 'CsvScan';
  table: string;
  /** slices[p] are the files read by partition p (rowGroups unused). */
  slices: FileSlice[][];
  /** Field position in the files' records of each output column. */
  positions: number[];
  /** Fields per record: every record must have this many. */
  width: number;
  dialect: CsvDialect;
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
  /**
   * GROUPING SETS: the grouping ids of the empty sets (the grouping id is the last group
   * key). Each is a group (NULL keys…, id) of the output even when the input is empty; in
   * modes single and final the one partition that (NULL keys…, id) hashes to creates it.
   */
  emptyGroupingSets?: number[];
}

/**
 * GROUPING SETS: every input row once per set, as [input columns | keys, NULL where the
 * key is not in the set | the set's index (int32)]. A HashAggregate grouped by the keys and
 * the index sits above it.
 */
export interface ExpandNode extends NodeBase {
  kind: 'Expand';
  input: PhysicalPlan;
  /** Group keys over the input. */
  keys: PhysicalExpr[];
  /** Each set as indices into keys. */
  sets: number[][];
}

export interface HashJoinNode extends NodeBase {
  kind: 'HashJoin';
  /** Probe side. */
  left: PhysicalPlan;
  /** Build side (hashed in memory, spilled when it does not fit). */
  right: PhysicalPlan;
  joinType: HashJoinType;
  leftKeys: PhysicalExpr[];
  rightKeys: PhysicalExpr[];
  /** Residual condition over (left columns ++ right columns); null = none. */
  filter: PhysicalExpr | null;
  /** How the inputs are split: 'broadcast' = right is read whole by every left partition. */
  distribution: 'single' | 'partitioned' | 'broadcast';
  /** Null-aware anti join (NOT IN): a NULL key on the build side empties the result. */
  nullAware?: boolean;
  /**
   * Some ParquetScan of the probe side takes the build values of join key `keyFilter` (an
   * index into leftKeys/rightKeys) once the join has built (ScanKeyFilter, plan/join_key_filters.ts).
   */
  keyFilter?: number;
  /** A strategy forced on this join by a hint or SET join_strategy (physical_planner.ts). */
  forced?: ForcedJoinStrategy;
  /** How the distributed planner distributed it and why (insert_exchanges.ts; EXPLAIN prints it). */
  strategy?: JoinStrategyChoice;
}

/**
 * An adaptive broadcast join goes back to partitioned only when its build side measures at
 * least this many times the broadcast limit: the switch runs the build side's stage again.
 */
export const ADAPTIVE_BACK_FACTOR = 4;

/** A strategy forced on a join, and by what: `hint BROADCAST(nation)` or `SET join_strategy`. */
export interface ForcedJoinStrategy {
  strategy: JoinStrategy;
  by: string;
}

/**
 * The strategy a distributed hash join runs with. colocated = partitioned with both inputs
 * already hash-partitioned on the keys (no exchange). `reason` is EXPLAIN's text: the rule
 * that fired with its figures, or what forced it. `adaptive` (auto choices only) lets the
 * scheduler decide again once the build side ran (distributed/adaptive_join.ts): a
 * partitioned join becomes broadcast when the measured bytes are under `limitBytes`, a
 * broadcast join becomes partitioned (over `partitions`) when they are far over it.
 */
export interface JoinStrategyChoice {
  kind: JoinStrategy;
  reason: string;
  adaptive?: { limitBytes: number; limitReason: string; partitions: number };
  /** Set by the scheduler when it switched the join: EXPLAIN ANALYZE prints it. */
  switched?: string;
}

export interface NestedLoopJoinNode extends NodeBase {
  kind: 'NestedLoopJoin';
  left: PhysicalPlan;
  right: PhysicalPlan;
  joinType: JoinType;
  filter: PhysicalExpr | null;
}

/** One function of a Window node; expressions are over the node's input. */
export interface WindowFunctionExpr {
  fn: WindowFunctionName;
  arg: PhysicalExpr | null;
  /** lag/lead: offset; ntile: buckets; nth_value: n. */
  n: number;
  defaultValue: PhysicalExpr | null;
  frame: WindowFrame;
  type: DataType;
  name: string;
  /** An aggregate evaluated over each row's frame as over a group (exec/window/frame_aggregate.ts). */
  aggregate?: AggregateExpr;
}

/**
 * Window functions over one PARTITION BY / ORDER BY. The input arrives sorted by
 * (partition keys, order keys) — the planner puts a Sort below — and hash-distributed on
 * the partition keys (one partition without any). Output: input columns ++ one per function.
 */
export interface WindowNode extends NodeBase {
  kind: 'Window';
  input: PhysicalPlan;
  partitionBy: PhysicalExpr[];
  orderBy: SortKey[];
  functions: WindowFunctionExpr[];
}

export interface SortNode extends NodeBase { kind: 'Sort'; input: PhysicalPlan; keys: SortKey[] }

/** ORDER BY … LIMIT: keeps only the best `fetch` rows (the planner adds OFFSET to it and puts a Limit above); an external sort when they do not fit. */
export interface TopKNode extends NodeBase { kind: 'TopK'; input: PhysicalPlan; keys: SortKey[]; fetch: number }

export interface LimitNode extends NodeBase { kind: 'Limit'; input: PhysicalPlan; skip: number; fetch: number | null }

export interface UnionAllNode extends NodeBase { kind: 'UnionAll'; inputs: PhysicalPlan[] }

/**
 * WITH RECURSIVE: runs `anchor`, then `recursive` again and again, each time with the rows
 * the previous run added as the work table `workTable` (read by WorkTableScan leaves in
 * `recursive`), until a run adds no row. `distinct` (UNION): a row already produced is not
 * added again. One partition; both inputs have one partition and the node's column types.
 */
export interface RecursiveCteNode extends NodeBase {
  kind: 'RecursiveCte';
  name: string;
  workTable: number;
  anchor: PhysicalPlan;
  recursive: PhysicalPlan;
  distinct: boolean;
}

/** The work table of the enclosing RecursiveCte with the same `workTable` (one partition). */
export interface WorkTableScanNode extends NodeBase { kind: 'WorkTableScan'; name: string; workTable: number }

/** Merge all input partitions into one (unordered). */
export interface CoalesceNode extends NodeBase { kind: 'Coalesce'; input: PhysicalPlan }

/** One WITH query planned once (a SharedSubplans entry): `readers` SharedRead nodes read it. */
export interface SharedSubplan {
  /** The SharedCte's id, which the SharedRead nodes name. */
  id: number;
  /** The WITH name, for EXPLAIN and memory reservations. */
  name: string;
  /** One partition. */
  plan: PhysicalPlan;
  /** SharedRead nodes of this id in the whole plan (input and the other subplans): the output is freed after the last. */
  readers: number;
}

/**
 * The root of a single-node plan whose WITH queries are shared (read more than once):
 * runs `input`, each entry of `shared` computed once on its first read into a spillable
 * buffer (exec/shared_subplans.ts). Distributed plans inline them instead
 * (distributed/inline_shared.ts).
 */
export interface SharedSubplansNode extends NodeBase {
  kind: 'SharedSubplans';
  input: PhysicalPlan;
  shared: SharedSubplan[];
}

/** Leaf reading the buffered output of shared subplan `shareId` from the start (every column, one partition). */
export interface SharedReadNode extends NodeBase {
  kind: 'SharedRead';
  shareId: number;
  name: string;
}

export type PhysicalPlan =
  | ParquetScanNode | CsvScanNode | ValuesNode | MemoryScanNode | FilterNode | ProjectionNode | HashAggregateNode | ExpandNode
  | HashJoinNode | NestedLoopJoinNode | SortNode | WindowNode | TopKNode | LimitNode | UnionAllNode | CoalesceNode
  | ExchangeNode | ExchangeReadNode | MergeGatherNode | SharedSubplansNode | SharedReadNode | RecursiveCteNode | WorkTableScanNode;

export type PhysicalKind = PhysicalPlan['kind'];

/** The node's inputs, in order (node_traits.ts). */
export function childrenOf(p: PhysicalPlan): PhysicalPlan[] {
  return traitsOf(p).children(p);
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

// ---------------------------------------------------------------------------------------
// Distributed plans (src/distributed/): exchanges and the leaves that read them.
// ---------------------------------------------------------------------------------------

/**
 * How an exchange spreads rows over its output partitions:
 *   hash         partition = hashColumns(keys) % partitions (columnar/hash.ts)
 *   range        by sort keys, against bounds sampled at run time (exec/shuffle/range_bounds.ts)
 *   broadcast    every consumer task reads every row
 *   single       all rows to one partition
 *   round_robin  whole batches dealt in turn
 */
export type Partitioning =
  | { kind: 'hash'; keys: PhysicalExpr[]; partitions: number }
  | { kind: 'range'; keys: SortKey[]; partitions: number }
  | { kind: 'broadcast' }
  | { kind: 'single' }
  | { kind: 'round_robin'; partitions: number };

/**
 * A network boundary in a distributed plan, before it is cut into stages (distributed/stage.ts):
 * `input` becomes a stage whose output is split by `partitioning`. Never executed itself.
 * `partitions` = the partitions consumers see (hash/range/round_robin: n; single and broadcast: 1).
 */
export interface ExchangeNode extends NodeBase {
  kind: 'Exchange';
  input: PhysicalPlan;
  partitioning: Partitioning;
  /** single only: the input partitions are sorted runs in order (range-partitioned sort); keep that order. */
  preserveOrder?: boolean;
}

/**
 * Leaf that reads the output of stage `stageId`: partition p reads, from each of the
 * `producerTasks` writer tasks, output partition p (hash, round_robin), or partition 0
 * filtered to range p (range), or partition 0 whole (single, broadcast). Where the writer
 * tasks ran and the range bounds come at run time from TaskContext.exchange.
 */
export interface ExchangeReadNode extends NodeBase {
  kind: 'ExchangeRead';
  stageId: number;
  partitioning: Partitioning;
  producerTasks: number;
}

/**
 * Order-preserving gather (one partition): reads the writer tasks of stage `stageId` one
 * after another in task order. Correct because that stage is range-partitioned on `keys`
 * and sorted within each partition, so task order is key order.
 */
export interface MergeGatherNode extends NodeBase {
  kind: 'MergeGather';
  stageId: number;
  keys: SortKey[];
  producerTasks: number;
}
