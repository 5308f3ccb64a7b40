/**
 * ExchangeRead: partition p of a consumer stage reads the output of one producer stage,
 * one stream per producer task (at most TaskExchange.maxStreams open at once), batches in
 * arrival order, relabelled with the node's schema.
 *
 *   hash / round_robin   N writer tasks ──output partition p──▶ reader p        (N → M shuffle)
 *   range                N writer tasks ──partition 0, rows routed to p──▶ reader p
 *   single               N writer tasks ──partition 0──▶ the one reader          (N → 1 gather)
 *   broadcast            N writer tasks ──partition 0──▶ every consumer task     (N → all)
 *
 * (single and broadcast nodes have one partition: every consumer task reads it whole.)
 * Buffers at most 2 batches per open stream; the writers' output stays in their exchange
 * buffers. Metrics: batchesReceived, rowsReceived, bytesReceived, bytesReceivedWire,
 * writerCreditWaitMs (recordStreamMetrics 'received'; range readers count what crossed,
 * before routing), readWaitMs (time this reader waited for data); range readers add
 * rowsKept and bytesKept (what they kept of it).
 */
import { batchBytes, makeBatch, type Batch } from '../../columnar/column.js';
import type { MetricsSet } from '../../common/metrics.js';
import { takeBatch } from '../../columnar/kernels.js';
import { recordStreamMetrics, type ExchangeTarget } from '../../exchange/transport.js';
import type { ExchangeReadNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { RangeRouter } from './range_bounds.js';
import { readStreams, timedReads } from './read_streams.js';
import { inputLocation } from './task_exchange.js';

export async function* exchangeRead(node: ExchangeReadNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { exchange, location } = inputLocation(ctx, node.stageId, node.id);
  const kind = node.partitioning.kind;
  if (location.workers.length !== node.producerTasks) {
    throw new Error(`ExchangeRead#${node.id}: stage ${node.stageId} ran ${location.workers.length} tasks, the plan expects ${node.producerTasks}`);
  }
  const outputPartition = kind === 'hash' || kind === 'round_robin' ? partition : 0;
  const targets: ExchangeTarget[] = location.workers.map((worker, task) => ({
    queryId: ctx.queryId, stageId: node.stageId, task, partition: outputPartition, worker,
    compression: exchange.compression, credits: ctx.config.exchange_credits,
  }));
  const router = node.partitioning.kind === 'range' ? new RangeRouter(node.partitioning.keys, location.bounds ?? []) : null;
  const rows = router ? new Int32Array(Math.max(1, ctx.config.batch_size)) : null;
  const streams = readStreams(exchange.transport, targets, exchange.maxStreams, ctx.signal,
    (s) => recordStreamMetrics(ctx.metrics, node.id, s.counters, 'received'));
  const wait = { ms: 0 };
  try {
    yield* routed(timedReads(streams, wait), node, partition, router, rows, ctx.metrics);
  } finally {
    ctx.metrics.add(node.id, 'readWaitMs', wait.ms);
  }
}

async function* routed(
  streams: AsyncIterable<Batch>, node: ExchangeReadNode, partition: number, router: RangeRouter | null, rows: Int32Array | null,
  metrics: MetricsSet,
): AsyncGenerator<Batch> {
  for await (const b of streams) {
    if (router === null) {
      yield makeBatch(node.schema, b.columns, b.length);
      continue;
    }
    const ranges = router.route(b);
    const keep = rows!.length >= b.length ? rows! : new Int32Array(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) if (ranges[i] === partition) keep[n++] = i;
    if (n === 0) continue;
    const out = n === b.length ? b : takeBatch(b, keep, n);
    metrics.add(node.id, 'rowsKept', n);
    metrics.add(node.id, 'bytesKept', batchBytes(out));
    yield makeBatch(node.schema, out.columns, out.length);
  }
}
