/**
 * TaskRunner: the one thing a scheduler needs from whatever runs tasks — in this process
 * (LocalTaskRunner, below), in worker threads, or on remote workers over gRPC.
 *
 *   scheduler ──TaskRequest (JSON: serialized stage plan, task, input locations)──▶ runner
 *   runner:   deserializePlan → TaskContext{exchange: inputs} → ShuffleWriter → its ExchangeBuffer
 *   scheduler ◀──TaskResult (where the output lives, metrics, figures, range sample)── runner
 *
 * Everything in a request and a result is plain data, so a remote runner ships them as
 * they are (protocol/task_codec.ts). Readers of the task's output later find it by
 * (query, stage, task, partition) on TaskResult.worker.
 */
import type { Config } from '../common/config.js';
import type { ExchangeBuffer } from '../exchange/exchange_buffer.js';
import type { ExchangeTransport } from '../exchange/transport.js';
import type { MemoryTable } from '../catalog.js';
import type { TaskContext } from './context.js';
import { runShuffleWriter } from './shuffle/shuffle_writer.js';
import { runPartFileWriter, type PartFileResult, type PartFileSpec } from './shuffle/part_file_writer.js';
import type { KeySample } from './shuffle/range_bounds.js';
import type { StageInputLocation } from './shuffle/task_exchange.js';
import { MetricsSet, type OperatorMetrics } from '../common/metrics.js';
import type { MemoryPool } from '../memory/pool.js';
import { deserializePlan, type Partitioning } from '../plan/physical.js';
import { measureTask, type TaskFigures } from './task_figures.js';
import type { SpillManager } from '../spill/spill_manager.js';

export interface TaskRequest {
  queryId: string;
  stageId: number;
  /**
   * The task's number: its output is found by (query, stage, task). Also the partition of
   * the stage plan it runs, unless `partition` says otherwise.
   */
  task: number;
  /**
   * A piece of a skewed partition (the scheduler split it across tasks): the partition of
   * the stage plan this task runs; its inputs' `only` say which writers it reads.
   */
  partition?: number;
  /** serializePlan(stage.plan): the same text for every task of the stage. */
  plan: string;
  /** How to split the output (the stage's output partitioning). */
  output: Partitioning;
  /** Node id the writer's metrics are recorded under (Stage.exchangeId). */
  writerMetricsId: number;
  /** Locations of the stages this one reads, by stage id. */
  inputs: Record<string, StageInputLocation>;
  /** Distributed COPY: write the output as this part file instead of keeping it (part_file_writer.ts). */
  copy?: PartFileSpec;
}

export interface TaskResult {
  /** Where the task's output partitions live: a worker address, or null for this process. */
  worker: string | null;
  /** MetricsSet.toJSON() of the task. */
  metrics: Record<string, OperatorMetrics>;
  /** Range-partitioned output: the sampled sort keys (the scheduler computes the bounds). */
  sample?: KeySample;
  /** The worker's memory pool peak since the query started there (query figures). */
  memoryPeak?: number;
  /** Wall and CPU time and peak memory of the task, measured where it ran. */
  figures?: TaskFigures;
  /** Distributed COPY: the part file the task wrote. */
  copied?: PartFileResult;
  /** In-memory bytes of each output partition the task wrote. */
  partitionBytes?: number[];
}

export interface TaskRunner {
  /** Run one task to completion; its output stays readable until releaseQuery. */
  runTask(request: TaskRequest, signal: AbortSignal): Promise<TaskResult>;
  /** Drop every output of the query (end of query: success, error or cancel). */
  releaseQuery(queryId: string): Promise<void>;
}

export interface LocalTaskRunnerOptions {
  /** Where this runner's writer tasks keep their output. */
  buffer: ExchangeBuffer;
  /** How its reader operators reach the outputs of input stages. */
  transport: ExchangeTransport;
  config: Config;
  memory: MemoryPool;
  spill: SpillManager;
  memoryTables: ReadonlyMap<string, MemoryTable>;
  /** Producer streams one reader partition opens at once (default 4). */
  maxStreams?: number;
  /** The address readers use to reach `buffer`; null = this process. */
  worker?: string | null;
}

/** Runs tasks in this process, writing into one ExchangeBuffer. */
export class LocalTaskRunner implements TaskRunner {
  constructor(private readonly opts: LocalTaskRunnerOptions) {}

  async runTask(req: TaskRequest, signal: AbortSignal): Promise<TaskResult> {
    const o = this.opts;
    const metrics = new MetricsSet();
    const measure = measureTask(o.memory);
    const ctx: TaskContext = {
      queryId: req.queryId, config: o.config, signal, memory: measure.memory, spill: o.spill, metrics, memoryTables: o.memoryTables,
      exchange: {
        transport: o.transport,
        inputs: new Map(Object.entries(req.inputs).map(([k, v]) => [Number(k), v])),
        compression: o.config.exchange_compression,
        maxStreams: o.maxStreams ?? 4,
      },
    };
    if (req.copy !== undefined) {
      let copied: PartFileResult;
      try {
        copied = await runPartFileWriter(req.copy, deserializePlan(req.plan), req.task, req.writerMetricsId, ctx);
      } finally {
        measure.finish();
      }
      return { worker: o.worker ?? null, metrics: metrics.toJSON(), figures: measure.finish(), copied };
    }
    let written;
    try {
      written = await runShuffleWriter({
        stageId: req.stageId, task: req.task, plan: deserializePlan(req.plan), output: req.output, metricsNodeId: req.writerMetricsId,
        ...(req.partition !== undefined ? { partition: req.partition } : {}),
      }, o.buffer, ctx);
    } finally {
      measure.finish();
    }
    const result: TaskResult = { worker: o.worker ?? null, metrics: metrics.toJSON(), figures: measure.finish(), partitionBytes: written.partitionBytes };
    if (written.sample) result.sample = written.sample;
    return result;
  }

  async releaseQuery(queryId: string): Promise<void> {
    this.opts.buffer.releaseQuery(queryId);
  }
}
