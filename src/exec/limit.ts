/**
 * Limit: OFFSET skip, then at most `fetch` rows (null = no limit), within one partition
 * (a global LIMIT runs over a single-partition input: the planner puts a Coalesce below).
 * Slices batches at the boundaries and stops pulling its input as soon as `fetch` rows are
 * out, which closes the upstream generators. Buffers nothing. Metrics: the baseline set only.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import { sliceBatch } from '../columnar/kernels.js';
import type { LimitNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';

export async function* limit(node: LimitNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  let toSkip = Math.max(0, node.skip);
  let remaining = node.fetch === null ? Infinity : Math.max(0, node.fetch);
  if (remaining === 0) return;
  for await (const batch of executePlan(node.input, partition, ctx)) {
    let start = 0;
    if (toSkip > 0) {
      if (batch.length <= toSkip) { toSkip -= batch.length; continue; }
      start = toSkip;
      toSkip = 0;
    }
    const end = Math.min(batch.length, start + remaining);
    const out = sliceBatch(batch, start, end);
    remaining -= out.length;
    yield makeBatch(node.schema, out.columns, out.length);
    if (remaining === 0) break;
  }
}
