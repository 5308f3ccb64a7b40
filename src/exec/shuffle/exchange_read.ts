/**
 * ExchangeRead: partition p of a consumer stage reads the output of one producer stage,
 * one stream per producer task (at most TaskExchange.maxStreams open at once), batches in
 * arrival order, relabelled with the node's schema.
 *
 *   hash / round_robin   N writer tasks ──output partition p──▶ reader p        (N → M shuffle)
 *   range                N writer tasks ──range partition p (split once by the bounds)──▶ reader p
 *   single               N writer tasks ──partition 0──▶ the one reader          (N → 1 gather)
 *   broadcast            N writer tasks ──partition 0──▶ every consumer task     (N → all)
 *
 * (single and broadcast nodes have one partition: every consumer task reads it whole.)
 * Buffers at most 2 batches per open stream; the writers' output stays in their exchange
 * buffers. Metrics: batchesReceived, rowsReceived, bytesReceived, bytesReceivedWire,
 * writerCreditWaitMs (recordStreamMetrics 'received'), readWaitMs (time this reader waited
 * for data); range readers add rowsKept and bytesKept (their range: all they received).
 */
import { batchBytes, makeBatch, type Batch } from '../../columnar/column.js';
import type { MetricsSet } from '../../common/metrics.js';
import { recordStreamMetrics, type ExchangeTarget, type RangeSplit } from '../../exchange/transport.js';
import type { ExchangeReadNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { readStreams, timedReads } from './read_streams.js';
import { inputLocation, writerOutputs } from './task_exchange.js';

export async function* exchangeRead(node: ExchangeReadNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { exchange, location } = inputLocation(ctx, node.stageId, node.id);
  const kind = node.partitioning.kind;
  if (location.workers.length !== node.producerTasks) {
    throw new Error(`ExchangeRead#${node.id}: stage ${node.stageId} ran ${location.workers.length} tasks, the plan expects ${node.producerTasks}`);
  }
  const outputPartition = kind === 'hash' || kind === 'round_robin' || kind === 'range' ? partition : 0;
  // Range: the writer's side splits its whole output by the bounds once; we fetch our range.
  const range: RangeSplit | undefined = node.partitioning.kind === 'range'
    ? { keys: node.partitioning.keys, bounds: location.bounds ?? [], partitions: Math.max(1, node.partitioning.partitions) }
    : undefined;
  const targets: ExchangeTarget[] = writerOutputs(location).map(({ worker, task }) => ({
    queryId: ctx.queryId, stageId: node.stageId, task, partition: outputPartition, worker,
    compression: exchange.compression, credits: ctx.config.exchange_credits,
    ...(range !== undefined ? { range } : {}),
  }));
  const streams = readStreams(exchange.transport, targets, exchange.maxStreams, ctx.signal,
    (s) => recordStreamMetrics(ctx.metrics, node.id, s.counters, 'received'));
  const wait = { ms: 0 };
  try {
    yield* relabelled(timedReads(streams, wait), node, range !== undefined, ctx.metrics);
  } finally {
    ctx.metrics.add(node.id, 'readWaitMs', wait.ms);
  }
}

async function* relabelled(streams: AsyncIterable<Batch>, node: ExchangeReadNode, countKept: boolean, metrics: MetricsSet): AsyncGenerator<Batch> {
  for await (const b of streams) {
    if (countKept) {
      metrics.add(node.id, 'rowsKept', b.length);
      metrics.add(node.id, 'bytesKept', batchBytes(b));
    }
    yield makeBatch(node.schema, b.columns, b.length);
  }
}
