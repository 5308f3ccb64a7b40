/**
 * ShuffleWriter: runs one task of a stage — pulls partition `task` of the stage plan and
 * appends every batch to this process's ExchangeBuffer under (query, stage, task, output
 * partition), split by the stage's output partitioning:
 *
 *   hash(keys, n)       row → hashColumns(keys) % n; one take() per non-empty output partition;
 *                       the pieces of one output partition are gathered up to batch_size rows
 *                       before they are appended (few large messages instead of many tiny ones)
 *   round_robin(n)      whole batch i → output partition (task + i) % n
 *   single, broadcast   everything → output partition 0 (broadcast: every reader reads it whole)
 *   range(keys, n)      everything → output partition 0, plus a reservoir sample of the keys
 *                       returned to the scheduler, which computes the bounds; the writer's
 *                       side splits the output by them once, on the first read (range_bounds.ts)
 *
 *           stage plan, partition t
 *                  │ batches
 *                  ▼
 *      ┌── split by output partitioning ──┐
 *      ▼              ▼                   ▼
 *   out p0         out p1      …       out p(n-1)      ExchangeBuffer (q, stage, t, ·)
 *
 * Buffers: the hash pieces being gathered, under a reservation `ShuffleWriter[…]`; when the
 * pool refuses it, pieces are appended as they are. The ExchangeBuffer keeps the output
 * until the query is released (its reservation, its spill hook). On error the writer is failed, so readers
 * receive the error instead of waiting. Metrics (under the stage's Exchange node id):
 * batchesSent, rowsSent, bytesSent (recordStreamMetrics 'sent'), plus the stage plan's own.
 */
import { batchBytes, type Batch } from '../../columnar/column.js';
import { hashColumns } from '../../columnar/hash.js';
import { concatBatches } from '../../columnar/kernels.js';
import { scatterBatch } from '../../columnar/scatter.js';
import type { ExchangeBuffer } from '../../exchange/exchange_buffer.js';
import { newStreamCounters, recordStreamMetrics, type StreamCounters } from '../../exchange/transport.js';
import { evaluate } from '../../expr/evaluate.js';
import type { PhysicalExpr } from '../../expr/expr.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { Schema } from '../../common/types.js';
import type { Partitioning, PhysicalPlan } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { KeySampler, SAMPLE_CAPACITY, type KeySample } from './range_bounds.js';

export interface ShuffleWriteTask {
  stageId: number;
  task: number;
  /** The partition of the plan the task runs, when it differs from `task` (a piece of a skewed partition). */
  partition?: number;
  plan: PhysicalPlan;
  output: Partitioning;
  /** Node id the writer's metrics are recorded under (the Exchange the stage was cut at). */
  metricsNodeId: number;
  /** Range output: sample rows kept (default SAMPLE_CAPACITY). */
  sampleCapacity?: number;
}

export interface ShuffleWriteResult {
  /** Range output only. */
  sample?: KeySample;
  counters: StreamCounters;
  /** In-memory bytes appended to each output partition (the scheduler's skew check reads them). */
  partitionBytes: number[];
}

/** Output partitions a writer with this partitioning produces. */
export function writerPartitionCount(p: Partitioning): number {
  return p.kind === 'hash' || p.kind === 'round_robin' ? Math.max(1, p.partitions) : 1;
}

export async function runShuffleWriter(t: ShuffleWriteTask, buffer: ExchangeBuffer, ctx: TaskContext): Promise<ShuffleWriteResult> {
  const writer = buffer.openWriter({ queryId: ctx.queryId, stageId: t.stageId, task: t.task }, t.plan.schema, writerPartitionCount(t.output));
  const counters = newStreamCounters();
  const partitionBytes = new Array<number>(writerPartitionCount(t.output)).fill(0);
  const sampler = t.output.kind === 'range'
    ? new KeySampler(t.output.keys, t.sampleCapacity ?? SAMPLE_CAPACITY, (t.stageId * 7919 + t.task + 1) | 0)
    : null;
  const append = async (p: number, b: Batch): Promise<void> => {
    if (b.length === 0) return;
    await writer.append(p, b);
    counters.batches++;
    counters.rows += b.length;
    const bytes = batchBytes(b);
    counters.rawBytes += bytes;
    partitionBytes[p]! += bytes;
  };
  const gather = t.output.kind === 'hash' && t.output.partitions > 1
    ? new PieceGatherer(t.plan.schema, t.output.partitions, Math.max(1, ctx.config.batch_size),
      ctx.memory.register(`ShuffleWriter[q ${ctx.queryId} stage ${t.stageId} task ${t.task}]`), append)
    : null;
  try {
    let batchIndex = 0;
    for await (const batch of executePlan(t.plan, t.partition ?? t.task, ctx)) {
      switch (t.output.kind) {
        case 'hash': await splitByHash(batch, t.output.keys, t.output.partitions, gather ? (p, b) => gather.add(p, b) : append); break;
        case 'round_robin': await append((t.task + batchIndex) % t.output.partitions, batch); break;
        case 'range': sampler!.add(batch); await append(0, batch); break;
        case 'single': case 'broadcast': await append(0, batch); break;
      }
      batchIndex++;
    }
    await gather?.flushAll();
    writer.finish();
  } catch (e) {
    writer.fail(e);
    throw e;
  } finally {
    gather?.free();
    recordStreamMetrics(ctx.metrics, t.metricsNodeId, counters, 'sent');
  }
  return sampler ? { sample: sampler.result(), counters, partitionBytes } : { counters, partitionBytes };
}

/** Each row to partition hash(keys) % parts, one batch per non-empty partition. */
async function splitByHash(
  batch: Batch, keys: readonly PhysicalExpr[], parts: number,
  append: (p: number, b: Batch) => Promise<void>,
): Promise<void> {
  const n = batch.length;
  if (parts <= 1) { await append(0, batch); return; }
  const hashes = hashColumns(keys.map((k) => evaluate(k, batch)), n);
  const target = new Int32Array(n);
  for (let i = 0; i < n; i++) target[i] = hashes[i]! % parts;
  const split = scatterBatch(batch, target, parts);
  for (let p = 0; p < parts; p++) {
    const part = split[p];
    if (part) await append(p, part);
  }
}

/** Pieces of each output partition gathered up to `target` rows, reserved while held. */
class PieceGatherer {
  private readonly pending: Batch[][];
  private readonly rows: number[];

  constructor(
    private readonly schema: Schema, partitions: number, private readonly target: number,
    private readonly reservation: MemoryReservation, private readonly append: (p: number, b: Batch) => Promise<void>,
  ) {
    this.pending = Array.from({ length: partitions }, () => []);
    this.rows = new Array<number>(partitions).fill(0);
  }

  async add(p: number, b: Batch): Promise<void> {
    if (b.length >= this.target && this.rows[p] === 0) { await this.append(p, b); return; }
    if (!this.reservation.tryGrow(batchBytes(b))) {
      // No memory to hold it: send what is gathered and this piece as they are.
      await this.flush(p);
      await this.append(p, b);
      return;
    }
    this.pending[p]!.push(b);
    this.rows[p]! += b.length;
    if (this.rows[p]! >= this.target) await this.flush(p);
  }

  async flushAll(): Promise<void> {
    for (let p = 0; p < this.pending.length; p++) await this.flush(p);
  }

  free(): void {
    this.reservation.free();
  }

  private async flush(p: number): Promise<void> {
    const pieces = this.pending[p]!;
    if (pieces.length === 0) return;
    this.pending[p] = [];
    this.rows[p] = 0;
    let bytes = 0;
    for (const piece of pieces) bytes += batchBytes(piece);
    await this.append(p, pieces.length === 1 ? pieces[0]! : concatBatches(this.schema, pieces));
    this.reservation.shrink(bytes);
  }
}
