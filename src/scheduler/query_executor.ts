/**
 * How a session runs an optimized physical plan: LocalExecutor runs it in this thread;
 * the coordinator's DistributedExecutor cuts it into a stage DAG and runs the tasks on
 * worker threads or worker processes.
 */
import type { Batch } from '../columnar/column.js';
import type { Config } from '../common/config.js';
import type { StageRunStats } from './stage_scheduler.js';
import type { QueryFigures } from '../common/figures.js';
import type { StageDag } from '../distributed/stage.js';
import type { TaskContext } from '../exec/context.js';
import { collect, executeAll } from '../exec/execute.js';
import type { PhysicalPlan } from '../plan/physical.js';
import type { PartFileSpec } from '../exec/shuffle/part_file_writer.js';

export interface QueryExecutor {
  execute(plan: PhysicalPlan, ctx: TaskContext): Promise<Batch[]>;
  /** The result's batches as they are produced, paused while the caller does not pull. */
  stream(plan: PhysicalPlan, ctx: TaskContext): AsyncIterable<Batch>;
  close(): Promise<void>;
  /**
   * Start whatever runs distributed queries now, in the background, so the first query that
   * needs it does not wait for it (worker threads, which otherwise start at that query).
   */
  warmUp?(): void;
  /** The stage DAG `plan` would run as, with the guard decision (EXPLAIN); absent when plans run as they are. */
  planDag?(plan: PhysicalPlan, config: Config, memoryTables: TaskContext['memoryTables']): Promise<StageDag>;
  /**
   * Distributed COPY (PER_THREAD_OUTPUT): run `plan` so that each task of its last stage
   * writes the part file `part(task)` names, on its worker; resolves with the rows and files
   * written, or null when the query does not run distributed (the caller writes it here).
   */
  copyParts?(plan: PhysicalPlan, ctx: TaskContext, part: (task: number) => PartFileSpec): Promise<{ rows: number; files: number } | null>;
  /** What the last query ran as, with per-stage figures (EXPLAIN ANALYZE). */
  readonly lastRun?: {
    queryId: string; dag: StageDag | null; localReason?: string | null; stages: StageRunStats[]; workerMemoryPeak?: number; figures?: QueryFigures;
  } | null;
}

export class LocalExecutor implements QueryExecutor {
  async execute(plan: PhysicalPlan, ctx: TaskContext): Promise<Batch[]> {
    return collect(plan, ctx);
  }
  stream(plan: PhysicalPlan, ctx: TaskContext): AsyncIterable<Batch> {
    return executeAll(plan, ctx);
  }
  async close(): Promise<void> {}
}
