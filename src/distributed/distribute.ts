/**
 * The distributed planner, as a list of small passes over a single-node physical plan:
 *
 *   guards ──(a guard fired)──────────────────────────────▶ cutStages: one local task
 *      └──(distribute)──▶ inline_shared ──▶ split_scans ──▶ insert_exchanges ──▶ exchange_heavy guard
 *              ──(fired)──▶ cutStages: one local task; ──(else)──▶ cutStages: the stage DAG
 *
 * Hash and range exchanges get config.target_partitions partitions (0 = one per worker);
 * scans are split over the workers.
 */
import { maxNodeId, planNodes } from '../plan/physical_tree.js';
import type { Config } from '../common/config.js';
import type { MemoryTable } from '../catalog.js';
import type { PhysicalPlan } from '../plan/physical.js';
import { readParquetMetadata, type ParquetFileInfo } from '../storage/parquet_metadata.js';
import { checkExchangeVolume, checkKeyFiltersLost, checkSharedWorkRepeated, decideDistribution, exchangeVolume } from './guards.js';
import { inlineSharedSubplans } from './inline_shared.js';
import { insertExchanges } from './insert_exchanges.js';
import { utf8Widths } from './join_strategy.js';
import { splitScans, type MetadataSource } from './split_scans.js';
import { cutStages, type StageDag } from './stage.js';

export interface DistributeOptions {
  config: Config;
  /** Workers (task slots) available to the query; 0 = none. */
  workers: number;
  memoryTables?: ReadonlyMap<string, MemoryTable>;
  /** Footer reader (default readParquetMetadata); memoized per call. */
  metadata?: MetadataSource;
  /**
   * The result stays on the workers (a COPY whose tasks write the part files): the final
   * gather to the coordinator never runs, so the exchange_heavy guard does not count it.
   */
  resultStaysOnWorkers?: boolean;
}

export async function planStageDag(plan: PhysicalPlan, opts: DistributeOptions): Promise<StageDag> {
  const metadata = memoize(opts.metadata ?? readParquetMetadata);
  const decision = await decideDistribution(plan, { ...opts, metadata });
  if (!decision.distribute) return cutStages(gathered(plan), decision);
  const tasks = Math.max(1, opts.workers);
  const partitions = opts.config.target_partitions > 0 ? opts.config.target_partitions : tasks;
  const split = await splitScans(inlineSharedSubplans(plan), { tasks, metadata });
  const widths = await utf8Widths(split, metadata);
  const distributed = insertExchanges(split, { config: opts.config, partitions, workers: tasks, utf8Widths: widths });
  // A join strategy forced by a hint or SET asks for distribution: exchange_heavy does not overrule it.
  const forced = planNodes(plan).some((p) => p.kind === 'HashJoin' && p.forced !== undefined);
  const byVolume = forced ? decision : checkExchangeVolume(decision, await exchangeVolume(distributed, tasks, { ...opts, metadata }, opts.resultStaysOnWorkers === true), opts.config);
  const bySharing = forced ? byVolume : await checkSharedWorkRepeated(byVolume, plan, distributed, tasks, { ...opts, metadata });
  const checked = forced ? bySharing : await checkKeyFiltersLost(bySharing, distributed, tasks, { ...opts, metadata });
  if (!checked.distribute) return cutStages(gathered(plan), checked);
  return cutStages(distributed, checked);
}

/** A plan whose output has several partitions (a UNION ALL at the root) read as one. */
function gathered(plan: PhysicalPlan): PhysicalPlan {
  if (plan.partitions === 1) return plan;
  return { kind: 'Coalesce', id: maxNodeId(plan) + 1, schema: plan.schema, partitions: 1, input: plan, estimatedRows: plan.estimatedRows };
}

function memoize(source: MetadataSource): MetadataSource {
  const cache = new Map<string, Promise<ParquetFileInfo>>();
  return (path) => {
    let p = cache.get(path);
    if (p === undefined) { p = source(path); cache.set(path, p); }
    return p;
  };
}
