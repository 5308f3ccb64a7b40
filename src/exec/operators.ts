/**
 * The operator of every physical node kind, in one static table. The mapped type makes the
 * compiler refuse a node kind without an operator. executePlan (execute.ts) looks nodes up
 * here; every entry is a function declaration, so the table is complete even while the
 * import cycle operator → execute.ts → this file is still being loaded.
 */
import type { Batch } from '../columnar/column.js';
import type { ExchangeNode, PhysicalKind, PhysicalPlan } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { expand } from './aggregate/expand.js';
import { hashAggregate } from './aggregate/hash_aggregate.js';
import { coalesce } from './coalesce_partitions.js';
import { csvScan } from './csv_scan.js';
import { filter } from './filter.js';
import { hashJoin } from './join/hash_join.js';
import { nestedLoopJoin } from './join/nested_loop_join.js';
import { limit } from './limit.js';
import { memoryScan } from './memory_scan.js';
import { parquetScan } from './parquet_scan.js';
import { projection } from './projection.js';
import { recursiveCte, workTableScan } from './recursive_cte.js';
import { exchangeRead } from './shuffle/exchange_read.js';
import { mergeGather } from './shuffle/merge_gather.js';
import { sharedRead } from './shared_read.js';
import { sharedSubplans } from './shared_subplans.js';
import { sort } from './sort/sort.js';
import { topK } from './sort/top_k.js';
import { unionAll } from './union_all.js';
import { values } from './values.js';
import { window } from './window/window.js';

export type Operator<K extends PhysicalKind> = (
  node: Extract<PhysicalPlan, { kind: K }>, partition: number, ctx: TaskContext,
) => AsyncIterable<Batch>;

/**
 * An Exchange node is a planning boundary only: distributed/stage.ts cuts the plan there,
 * the stage below runs as shuffle-writer tasks and the node above becomes an ExchangeRead
 * or MergeGather. Executing one is a planner bug, reported as such.
 */
async function* uncutExchange(node: ExchangeNode): AsyncGenerator<Batch> {
  throw new Error(`Exchange#${node.id} was executed directly; distributed plans must be cut into stages first (distributed/stage.ts)`);
}

export const OPERATORS: { readonly [K in PhysicalKind]: Operator<K> } = {
  ParquetScan: parquetScan,
  CsvScan: csvScan,
  Values: values,
  MemoryScan: memoryScan,
  Filter: filter,
  Projection: projection,
  HashAggregate: hashAggregate,
  Expand: expand,
  HashJoin: hashJoin,
  NestedLoopJoin: nestedLoopJoin,
  Sort: sort,
  Window: window,
  TopK: topK,
  Limit: limit,
  UnionAll: unionAll,
  Coalesce: coalesce,
  Exchange: uncutExchange,
  ExchangeRead: exchangeRead,
  MergeGather: mergeGather,
  SharedSubplans: sharedSubplans,
  SharedRead: sharedRead,
  RecursiveCte: recursiveCte,
  WorkTableScan: workTableScan,
};
