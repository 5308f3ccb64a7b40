/**
 * Runs a physical plan node: finds the operator for `node.kind` (operators.ts) and wraps its stream with
 * the baseline metrics and cancellation checks. Operators call executePlan for their inputs.
 */
import type { Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { PhysicalPlan } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { OPERATORS } from './operators.js';

type AnyOperator = (node: PhysicalPlan, partition: number, ctx: TaskContext) => AsyncIterable<Batch>;

function operatorFor(kind: string): AnyOperator {
  const op = (OPERATORS as Readonly<Record<string, AnyOperator | undefined>>)[kind];
  if (!op) throw new SpillwayError('unsupported', `no operator for plan node ${kind}`);
  return op;
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
