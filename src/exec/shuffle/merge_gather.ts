/**
 * MergeGather: the order-preserving gather of a distributed ORDER BY. Reads output
 * partition 0 of the producer stage's tasks one after another, task 0 first:
 *
 *   task 0 (keys ≤ b0, sorted) ─┐
 *   task 1 (b0 < keys ≤ b1)     ├──▶ concatenated in task order ──▶ one sorted stream
 *   task 2 (keys > b1)         ─┘
 *
 * Correct because the producer stage is range-partitioned on `keys` with bounds in key
 * order and sorts each partition; no row comparisons are needed. Streams one producer at
 * a time (the writers' output waits in their exchange buffers). Buffers nothing.
 * Metrics: batchesReceived, rowsReceived, bytesReceived, bytesReceivedWire,
 * writerCreditWaitMs, readWaitMs (time this reader waited for data).
 */
import { makeBatch, type Batch } from '../../columnar/column.js';
import { recordStreamMetrics } from '../../exchange/transport.js';
import type { MergeGatherNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { asFetchFailure } from './fetch_failure.js';
import { timedReads } from './read_streams.js';
import { inputLocation, type TaskExchange } from './task_exchange.js';

export async function* mergeGather(node: MergeGatherNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (partition !== 0) throw new Error(`MergeGather#${node.id} has one partition, asked for ${partition}`);
  const { exchange, location } = inputLocation(ctx, node.stageId, node.id);
  if (location.workers.length !== node.producerTasks) {
    throw new Error(`MergeGather#${node.id}: stage ${node.stageId} ran ${location.workers.length} tasks, the plan expects ${node.producerTasks}`);
  }
  const wait = { ms: 0 };
  try {
    yield* gatherInOrder(node, ctx, exchange, location.workers, wait);
  } finally {
    ctx.metrics.add(node.id, 'readWaitMs', wait.ms);
  }
}

async function* gatherInOrder(
  node: MergeGatherNode, ctx: TaskContext, exchange: TaskExchange, workers: readonly (string | null)[], wait: { ms: number },
): AsyncGenerator<Batch> {
  for (let task = 0; task < workers.length; task++) {
    const target = {
      queryId: ctx.queryId, stageId: node.stageId, task, partition: 0, worker: workers[task]!,
      compression: exchange.compression, credits: ctx.config.exchange_credits,
    };
    try {
      const stream = exchange.transport.open(target, ctx.signal);
      for await (const b of timedReads(stream, wait)) yield makeBatch(node.schema, b.columns, b.length);
      recordStreamMetrics(ctx.metrics, node.id, stream.counters, 'received');
    } catch (e) {
      throw asFetchFailure(target, e);
    }
  }
}
