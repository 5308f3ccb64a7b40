/**
 * NestedLoopJoin: joins on an arbitrary condition (or none: a cross join) by testing every
 * (left row, right row) pair, for inner, left, right, full, semi and anti joins.
 *
 *   right: every partition of the right input, buffered and concatenated
 *   left:  streamed; partition p reads left partition p (or every left partition when the
 *          node has one partition and its left input more)
 *   per left batch L, over the L × R pairs in row-major blocks of ≤ batch_size pairs:
 *
 *     (i, j) (i, j+1) … (i, |R|-1) (i+1, 0) …   ─take both sides─▶ block batch
 *                                                ─filter─▶ matched pairs ─▶ output
 *
 * Right and full joins emit unmatched right rows at the end, so they need the whole left
 * input in one partition: the node must have a single partition for them.
 *
 * Buffers: the right input (reservation `NestedLoopJoin[p<partition>]`, not spillable: a
 * refused grow is a resources error). Metrics: extra.buildRows, extra.probeRows, extra.pairs.
 */
import { batchBytes, emptyBatch, type Batch } from '../../columnar/column.js';
import { concatBatches } from '../../columnar/kernels.js';
import type { NestedLoopJoinNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { PairJoiner, tracksBuild } from './join_output.js';

export async function* nestedLoopJoin(node: NestedLoopJoinNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { joinType } = node;
  if (tracksBuild(joinType) && node.partitions > 1) {
    throw new Error(`NestedLoopJoin#${node.id}: a ${joinType} join needs a single partition, has ${node.partitions}`);
  }
  let leftPartitions: number[];
  if (node.left.partitions === node.partitions) leftPartitions = [partition];
  else if (node.partitions === 1) leftPartitions = [...Array(node.left.partitions).keys()];
  else throw new Error(`NestedLoopJoin#${node.id}: ${node.partitions} partitions over a left input with ${node.left.partitions}`);

  const batchSize = Math.max(1, ctx.config.batch_size);
  const reservation = ctx.memory.register(`NestedLoopJoin[p${partition}]`);
  try {
    const parts: Batch[] = [];
    for (let q = 0; q < node.right.partitions; q++) {
      for await (const b of executePlan(node.right, q, ctx)) {
        if (b.length === 0) continue;
        await reservation.growWait(batchBytes(b), { signal: ctx.signal });
        parts.push(b);
      }
    }
    const right = parts.length === 0 ? emptyBatch(node.right.schema) : concatBatches(node.right.schema, parts);
    parts.length = 0;
    reservation.resize(batchBytes(right) + (tracksBuild(joinType) ? right.length : 0));
    ctx.metrics.add(node.id, 'buildRows', right.length);
    ctx.metrics.add(node.id, 'probeRows', 0);
    const nr = right.length;
    if (nr === 0 && (joinType === 'inner' || joinType === 'semi' || joinType === 'right')) return;

    const joiner = new PairJoiner(
      { joinType, filter: node.filter, schema: node.schema, leftFields: node.left.schema.fields, rightFields: node.right.schema.fields },
      right, batchSize,
    );
    // Without a filter every pair matches: semi/anti only need to know the right side is non-empty.
    const anyMatchIsEnough = (joinType === 'semi' || joinType === 'anti') && node.filter === null;
    const leftIdx = new Int32Array(batchSize);
    const rightIdx = new Int32Array(batchSize);
    for (const lp of leftPartitions) {
      for await (const probe of executePlan(node.left, lp, ctx)) {
        const n = probe.length;
        if (n === 0) continue;
        ctx.metrics.add(node.id, 'probeRows', n);
        const probeMatched = new Uint8Array(n);
        if (anyMatchIsEnough) {
          if (nr > 0) probeMatched.fill(1);
        } else if (nr > 0) {
          let i = 0, j = 0;
          while (i < n) {
            let k = 0;
            while (k < batchSize && i < n) {
              leftIdx[k] = i; rightIdx[k] = j; k++;
              if (++j === nr) { j = 0; i++; }
            }
            ctx.metrics.add(node.id, 'pairs', k);
            const out = joiner.pairs(probe, leftIdx, rightIdx, k, probeMatched);
            if (out !== null) yield out;
          }
        }
        yield* joiner.finishProbe(probe, probeMatched);
      }
    }
    yield* joiner.finishBuild();
  } finally {
    reservation.free();
  }
}
