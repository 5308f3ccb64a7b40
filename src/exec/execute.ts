/**
 * Runs a physical plan node: finds the operator for `node.kind` and wraps its stream with
 * the baseline metrics and cancellation checks. Operators call executePlan for their inputs.
 */
import type { Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { PhysicalPlan, RegisteredKind } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { parquetScan } from './parquet_scan.js';
import { values } from './values.js';
import { memoryScan } from './memory_scan.js';
import { filter } from './filter.js';
import { projection } from './projection.js';
import { hashAggregate } from './aggregate/hash_aggregate.js';
import { hashJoin } from './join/hash_join.js';
import { nestedLoopJoin } from './join/nested_loop_join.js';
import { sort } from './sort/sort.js';
import { topK } from './sort/top_k.js';
import { limit } from './limit.js';
import { unionAll } from './union_all.js';
import { coalesce } from './coalesce_partitions.js';

type Operator<K extends PhysicalPlan['kind']> = (
  node: Extract<PhysicalPlan, { kind: K }>, partition: number, ctx: TaskContext,
) => AsyncIterable<Batch>;

type OperatorTable = { [K in Exclude<PhysicalPlan['kind'], RegisteredKind>]: Operator<K> };

/** Extra operators registered by other layers (exchange readers/writers). */
const extra = new Map<string, (node: never, partition: number, ctx: TaskContext) => AsyncIterable<Batch>>();

export function registerOperator(kind: string, op: (node: never, partition: number, ctx: TaskContext) => AsyncIterable<Batch>): void {
  extra.set(kind, op);
}

function operatorFor(kind: string): (node: PhysicalPlan, partition: number, ctx: TaskContext) => AsyncIterable<Batch> {
  const table: OperatorTable = {
    ParquetScan: parquetScan, Values: values, MemoryScan: memoryScan, Filter: filter, Projection: projection,
    HashAggregate: hashAggregate, HashJoin: hashJoin, NestedLoopJoin: nestedLoopJoin, Sort: sort, TopK: topK,
    Limit: limit, UnionAll: unionAll, Coalesce: coalesce,
  };
  const op = (table as Record<string, unknown>)[kind] ?? extra.get(kind);
  if (!op) throw new SpillwayError('unsupported', `no operator for plan node ${kind}`);
  return op as (node: PhysicalPlan, partition: number, ctx: TaskContext) => AsyncIterable<Batch>;
}

export async function* executePlan(node: PhysicalPlan, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (partition < 0 || partition >= node.partitions) {
    throw new Error(`${node.kind}#${node.id} has ${node.partitions} partitions, asked for ${partition}`);
  }
  const m = ctx.metrics.forNode(node.id);
  const it = operatorFor(node.kind)(node, partition, ctx)[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      const t0 = performance.now();
      const r = await it.next();
      m.elapsedMs += performance.now() - t0;
      if (r.done) return;
      if (r.value.length === 0) continue;
      m.outputRows += r.value.length;
      m.outputBatches++;
      await yieldToEventLoop();
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/**
 * Async generators chained in memory resume each other through microtasks only, so a
 * CPU-bound pipeline would never let timers, Ctrl-C or a cancel request in. Every ~20 ms
 * of work, step out to the event loop once.
 */
let lastYield = performance.now();
async function yieldToEventLoop(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < 20) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastYield = performance.now();
}

export function cancelled(signal: AbortSignal): SpillwayError {
  const reason = signal.reason;
  if (reason instanceof SpillwayError) return reason;
  return new SpillwayError('cancelled', `query cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
}

/** Every batch of every partition of a plan, partitions run one after another. */
export async function* executeAll(node: PhysicalPlan, ctx: TaskContext): AsyncGenerator<Batch> {
  for (let p = 0; p < node.partitions; p++) yield* executePlan(node, p, ctx);
}

export async function collect(node: PhysicalPlan, ctx: TaskContext): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of executeAll(node, ctx)) out.push(b);
  return out;
}
