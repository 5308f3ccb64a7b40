/**
 * What a running task can reach: settings, cancellation, memory, spill, metrics, and the
 * session's in-memory tables. One TaskContext per task (stage, partition) or per local query.
 */
import type { Config } from '../common/config.js';
import type { MemoryTable } from '../catalog.js';
import type { MemoryPool } from '../memory/pool.js';
import type { SpillManager } from '../spill/spill_manager.js';
import type { MetricsSet } from '../common/metrics.js';
import type { TaskExchange } from './shuffle/task_exchange.js';
import type { QueryObserver } from '../observe/progress.js';
import type { SharedSubplanRegistry } from './shared_subplans.js';
import type { Batch } from '../columnar/column.js';
import type { SpillFile } from '../spill/spill_manager.js';

/** The rows a recursive CTE's last iteration added: in memory, then spilled (exec/recursive_cte.ts). */
export interface WorkTable {
  readonly batches: readonly Batch[];
  readonly files: readonly SpillFile[];
}

export interface TaskContext {
  readonly queryId: string;
  readonly config: Config;
  readonly signal: AbortSignal;
  readonly memory: MemoryPool;
  readonly spill: SpillManager;
  readonly metrics: MetricsSet;
  /** In-memory tables by name (CREATE TABLE / INSERT). */
  readonly memoryTables: ReadonlyMap<string, MemoryTable>;
  /** Distributed tasks only: how exchange readers find the stages they read (set by the scheduler). */
  readonly exchange?: TaskExchange;
  /** The coordinator's progress tracker of the query (scheduler events); absent on workers. */
  readonly observer?: QueryObserver;
  /** Under a SharedSubplans node: the query's shared subplans (WITH queries read more than once). */
  readonly shared?: SharedSubplanRegistry;
  /** Inside a recursive CTE's recursive term: its work table by id (set by the RecursiveCte operator). */
  readonly workTables?: ReadonlyMap<number, WorkTable>;
}
