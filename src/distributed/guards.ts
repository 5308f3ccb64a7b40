/**
 * Pass: guards — decide per query whether distributing it pays. Checked in this order; the
 * first that fires keeps the whole plan as one local task, and EXPLAIN shows which:
 *
 *   no_workers      there are no workers to run tasks on
 *   no_scan         the plan reads no table (VALUES, constants): nothing to split
 *   few_scan_units  fewer scan units (files, row groups, in-memory batches) than workers
 *   small_input     estimated scan bytes under config.distribute_min_bytes
 *
 * config.force_distribution overrides the two size guards (few_scan_units, small_input), so
 * tests exercise every exchange on tiny inputs; it cannot conjure workers or scans.
 * Scan bytes: Parquet file sizes (whole files: a planning estimate, not the bytes read after
 * projection and pruning); in-memory tables: their batches' in-memory size.
 */
import { batchBytes } from '../columnar/column.js';
import type { Config } from '../common/config.js';
import type { MemoryTable } from '../catalog.js';
import { formatBytes } from '../memory/pool.js';
import type { PhysicalPlan } from '../plan/physical.js';
import { planNodes } from '../plan/physical_tree.js';
import { scanUnits, type MetadataSource } from './split_scans.js';

export type GuardName = 'no_workers' | 'no_scan' | 'few_scan_units' | 'small_input';

export interface GuardDecision {
  distribute: boolean;
  /** The guard that fired; null when the query is distributed. */
  guard: GuardName | null;
  /** One line for EXPLAIN: why. */
  reason: string;
  workers: number;
  scanUnits: number;
  scanBytes: number;
  /** force_distribution overrode a size guard. */
  forced: boolean;
}

export interface GuardOptions {
  config: Config;
  /** Workers (task slots) available; 0 = none. */
  workers: number;
  memoryTables?: ReadonlyMap<string, MemoryTable>;
  metadata?: MetadataSource;
}

export async function decideDistribution(plan: PhysicalPlan, opts: GuardOptions): Promise<GuardDecision> {
  const { config, workers } = opts;
  let units = 0, bytes = 0, scans = 0;
  for (const node of planNodes(plan)) {
    if (node.kind === 'ParquetScan') {
      scans++;
      for (const u of await scanUnits(node, workers, opts.metadata)) { units++; bytes += u.bytes; }
    } else if (node.kind === 'MemoryScan') {
      scans++;
      const table = opts.memoryTables?.get(node.table.toLowerCase()) ?? opts.memoryTables?.get(node.table);
      if (table) {
        units += table.batches.length;
        for (const b of table.batches) bytes += batchBytes(b);
      }
    }
  }
  const base = { workers, scanUnits: units, scanBytes: bytes };
  const keep = (guard: GuardName, reason: string): GuardDecision => ({ ...base, distribute: false, guard, reason, forced: false });
  if (workers <= 0) return keep('no_workers', 'no workers: the query runs as one local task');
  if (scans === 0) return keep('no_scan', 'the query reads no table: it runs as one local task');

  let overridden: string | null = null;
  if (units < workers) {
    const reason = `${units} scan units (files, row groups, batches) < ${workers} workers`;
    if (!config.force_distribution) return keep('few_scan_units', `${reason}: the query runs as one local task`);
    overridden = reason;
  } else if (bytes < config.distribute_min_bytes) {
    const reason = `estimated scan bytes ${formatBytes(bytes)} < distribute_min_bytes ${formatBytes(config.distribute_min_bytes)}`;
    if (!config.force_distribution) return keep('small_input', `${reason}: the query runs as one local task`);
    overridden = reason;
  }
  return {
    ...base, distribute: true, guard: null, forced: overridden !== null,
    reason: overridden !== null
      ? `distributed over ${workers} workers (force_distribution overrides: ${overridden})`
      : `distributed over ${workers} workers (${units} scan units, ${formatBytes(bytes)})`,
  };
}
