/**
 * Pass: guards — decide per query whether distributing it pays. Checked in this order; the
 * first that fires keeps the whole plan as one local task, and EXPLAIN shows which:
 *
 *   no_workers      there are no workers to run tasks on
 *   no_scan         the plan reads no table (VALUES, constants): nothing to split
 *   few_scan_units  fewer scan units (files, row groups, in-memory batches) than workers
 *   small_input     estimated scan bytes under config.distribute_min_bytes
 *   small_work      the bytes the scans decode (rows × row width of the columns read) under
 *                   config.distribute_min_decoded_bytes: the whole query takes a few hundred
 *                   ms in one thread, less than its stages' start-up and hand-offs on workers
 *   exchange_heavy  (after exchanges are placed) the estimated bytes the exchanges would
 *                   move exceed config.distribute_max_exchange_ratio × the bytes the scans
 *                   decode: moving rows between workers would cost more than the scan work
 *                   the other workers take over (checkExchangeVolume)
 *   shared_work_repeated  (after exchanges are placed) distributed plans recompute a WITH
 *                   query at each use (inline_shared.ts): when the distributed plan decodes
 *                   at least 0.75 × `tasks` × what the shared local plan decodes, threads
 *                   cannot take enough work off this one (checkSharedWorkRepeated)
 *   key_filters_lost (after exchanges are placed) scans that would sit across an exchange
 *                   from the join whose key filter they take locally decode, counted twice,
 *                   more than 1/tasks of the scan bytes (checkKeyFiltersLost)
 *
 * config.force_distribution overrides the size guards (few_scan_units, small_input, small_work), so
 * tests exercise every exchange on tiny inputs; it cannot conjure workers or scans.
 * Scan bytes: Parquet and CSV file sizes (one CSV file is one unit) (whole files: a planning estimate, not the bytes read after
 * projection and pruning); in-memory tables: their batches' in-memory size.
 *
 * The two defaults are break-evens measured on TPC-H SF 1 with two worker threads on two
 * cores (ARCHITECTURE.md, "Threads must pay"): queries decoding under ~50 MiB (Q2, Q11, Q13,
 * Q16, Q22) gain nothing or lose (Q2 437 ms against 239 ms in one thread), the next ones
 * decode 134 MiB and more; Q4, whose semi join shuffles lineitem (26% of its decoded bytes),
 * ran 768 ms against 556 ms, while queries at 20% and below (Q7, Q20) gained 1.17–1.18×.
 */
import { batchBytes } from '../columnar/column.js';
import { rowWidth } from '../common/types.js';
import type { Config } from '../common/config.js';
import type { MemoryTable } from '../catalog.js';
import { formatBytes } from '../memory/pool.js';
import type { ParquetScanNode, PhysicalPlan } from '../plan/physical.js';
import { planNodes } from '../plan/physical_tree.js';
import { traitsOf } from '../plan/node_traits.js';
import { scanUnits, type MetadataSource } from './split_scans.js';

export type GuardName = 'no_workers' | 'no_scan' | 'few_scan_units' | 'small_input' | 'small_work' | 'exchange_heavy' | 'key_filters_lost' | 'shared_work_repeated';

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
    } else if (node.kind === 'CsvScan') {
      scans++;
      for (const s of node.slices.flat()) { units++; bytes += s.bytes; }
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
  } else if (config.distribute_min_decoded_bytes > 0) {
    let decoded = 0;
    for (const node of planNodes(plan)) decoded += await scanDecodedBytes(node, opts);
    if (decoded < config.distribute_min_decoded_bytes) {
      const reason = `estimated decoded scan bytes ${formatBytes(decoded)} < distribute_min_decoded_bytes ${formatBytes(config.distribute_min_decoded_bytes)}`;
      if (!config.force_distribution) return keep('small_work', `${reason}: the query runs as one local task`);
      overridden = reason;
    }
  }
  return {
    ...base, distribute: true, guard: null, forced: overridden !== null,
    reason: overridden !== null
      ? `distributed over ${workers} workers (force_distribution overrides: ${overridden})`
      : `distributed over ${workers} workers (${units} scan units, ${formatBytes(bytes)})`,
  };
}

/** What a distributed plan would move through its exchanges, against what its scans decode. */
export interface ExchangeVolume {
  /** Estimated bytes written into exchanges (a broadcast counts once per reading task). */
  exchangeBytes: number;
  /** Estimated decoded bytes of the scanned columns (rows before filters × row width). */
  scanBytes: number;
}

export async function exchangeVolume(
  plan: PhysicalPlan, workers: number, opts: Pick<GuardOptions, 'memoryTables' | 'metadata'>, resultStaysOnWorkers = false,
): Promise<ExchangeVolume> {
  let exchangeBytes = 0, scanBytes = 0;
  // The gather to the coordinator at the root (under projections and filters): not run when the result stays on the workers.
  let rootGather: PhysicalPlan | null = null;
  if (resultStaysOnWorkers) {
    let r = plan;
    while (r.kind === 'Projection' || r.kind === 'Filter') r = childrenOf(r)[0]!;
    if (r.kind === 'Exchange' && r.partitioning.kind === 'single') rootGather = r;
  }
  const visit = async (p: PhysicalPlan, parent: PhysicalPlan | null): Promise<void> => {
    if (p.kind === 'Exchange' && p === rootGather) {
      // moves nothing
    } else if (p.kind === 'Exchange') {
      const copies = p.partitioning.kind === 'broadcast' ? Math.max(1, workers) : 1;
      exchangeBytes += copies * outputRows(p.input, parent, workers) * rowWidth(p.input.schema.fields);
    } else {
      scanBytes += await scanDecodedBytes(p, opts);
    }
    for (const c of childrenOf(p)) await visit(c, p.kind === 'Exchange' ? parent : p);
  };
  await visit(plan, null);
  return { exchangeBytes, scanBytes };
}

/** Estimated bytes a scan node decodes: its rows before filters × the row width of its columns; 0 for other nodes. */
async function scanDecodedBytes(p: PhysicalPlan, opts: Pick<GuardOptions, 'memoryTables' | 'metadata'>): Promise<number> {
  if (p.kind === 'ParquetScan') return (await scanRows(p, opts.metadata)) * rowWidth(p.schema.fields);
  if (p.kind === 'CsvScan') return (p.estimatedRows ?? 0) * rowWidth(p.schema.fields);
  if (p.kind === 'MemoryScan') {
    const table = opts.memoryTables?.get(p.table.toLowerCase()) ?? opts.memoryTables?.get(p.table);
    let rows = 0;
    for (const b of table?.batches ?? []) rows += b.length;
    return rows * rowWidth(p.schema.fields);
  }
  return 0;
}

/**
 * The exchange_heavy guard: keep the query local when its exchanges would move more than
 * distribute_max_exchange_ratio × its decoded scan bytes (0 turns the guard off). The
 * default is the break-even measured on TPC-H (header; ARCHITECTURE.md, "Threads must pay").
 */
export function checkExchangeVolume(decision: GuardDecision, volume: ExchangeVolume, config: Config): GuardDecision {
  const limit = config.distribute_max_exchange_ratio;
  const ratio = volume.scanBytes > 0 ? volume.exchangeBytes / volume.scanBytes : Infinity;
  const figures = `exchanges ≈ ${formatBytes(volume.exchangeBytes)} = ${(100 * ratio).toFixed(0)}% of ${formatBytes(volume.scanBytes)} decoded`;
  if (!decision.distribute || limit <= 0 || ratio <= limit) {
    return decision.distribute ? { ...decision, reason: `${decision.reason}; ${figures}` } : decision;
  }
  const reason = `${figures} > distribute_max_exchange_ratio ${limit}`;
  if (config.force_distribution) return { ...decision, forced: true, reason: `${decision.reason} (force_distribution overrides: ${reason})` };
  return { ...decision, distribute: false, guard: 'exchange_heavy', forced: false, reason: `${reason}: the query runs as one local task` };
}

/** Estimated output rows; a partial aggregate has at most its final's groups per task. */
function outputRows(p: PhysicalPlan, consumer: PhysicalPlan | null, workers: number): number {
  if (p.estimatedRows !== undefined) return p.estimatedRows;
  const below = childrenOf(p).map((c) => outputRows(c, p, workers));
  const input = below.length === 0 ? 0 : Math.max(...below);
  if (p.kind === 'HashAggregate' && consumer?.estimatedRows !== undefined) return Math.min(input, consumer.estimatedRows * Math.max(1, workers));
  return input;
}

async function scanRows(scan: ParquetScanNode, metadata: MetadataSource | undefined): Promise<number> {
  if (metadata === undefined) return scan.estimatedRows ?? 0;
  let rows = 0;
  for (const slice of scan.slices.flat()) {
    const info = await metadata(slice.path);
    if (slice.rowGroups === undefined) { rows += info.rows; continue; }
    const wanted = new Set(slice.rowGroups);
    for (const g of info.rowGroups) if (wanted.has(g.index)) rows += g.rows;
  }
  return rows;
}

function childrenOf(p: PhysicalPlan): PhysicalPlan[] {
  return traitsOf(p).children(p);
}

/**
 * The key_filters_lost guard. A join key filter (plan/join_key_filters.ts) reaches only the
 * scans of its own task: a scan that distribution puts across an exchange from its join
 * reads, and feeds to the operators above it, every row again. Such a scan is counted at
 * twice its decoded bytes (the scan and the aggregates or joins it feeds); when that exceeds
 * the share one of `tasks` tasks would save (scan bytes / tasks), the filtered local plan
 * does less work, and the query stays local. Measured at TPC-H SF 1 on 2 threads: Q20 loses
 * filters on 96 % of its scan bytes (710–1064 ms distributed, 336 ms local), Q17 on 36 %
 * (725–973 against 458 ms); Q5 on 12 % still gains from threads (728 against 915 ms).
 */
export async function checkKeyFiltersLost(decision: GuardDecision, distributed: PhysicalPlan, tasks: number, opts: Pick<GuardOptions, 'memoryTables' | 'metadata' | 'config'>): Promise<GuardDecision> {
  if (!decision.distribute || !opts.config.join_key_filters) return decision;
  let lostBytes = 0, scanBytes = 0;
  const visit = async (p: PhysicalPlan, joins: ReadonlySet<number>): Promise<void> => {
    const bytes = await scanDecodedBytes(p, opts);
    scanBytes += bytes;
    if (p.kind === 'ParquetScan' && p.keyFilters?.some((f) => !joins.has(f.join))) lostBytes += bytes;
    const below = p.kind === 'Exchange' ? new Set<number>() : p.kind === 'HashJoin' && p.keyFilter !== undefined ? new Set([...joins, p.id]) : joins;
    for (const c of childrenOf(p)) await visit(c, below);
  };
  await visit(distributed, new Set());
  if (lostBytes === 0) return decision;
  if (2 * lostBytes * tasks <= scanBytes) return { ...decision, reason: `${decision.reason}; join key filters lost on ${formatBytes(lostBytes)} of ${formatBytes(scanBytes)} decoded` };
  const reason = `join key filters would not reach scans decoding ${formatBytes(lostBytes)} of ${formatBytes(scanBytes)} across exchanges (counted twice, more than 1/${tasks} of the scans)`;
  if (opts.config.force_distribution) return { ...decision, forced: true, reason: `${decision.reason} (force_distribution overrides: ${reason})` };
  return { ...decision, distribute: false, guard: 'key_filters_lost', forced: false, reason: `${reason}: the query runs as one local task` };
}

/**
 * The shared_work_repeated guard. A local plan computes a WITH query read several times
 * once (SharedSubplans); a distributed plan recomputes it at each use. When the distributed
 * plan's scans decode at least 0.75 × `tasks` times what the local plan's do, each task has
 * three quarters of the whole local query's scan work or more, and the stages and exchanges
 * cost the rest: on two threads TPC-H Q1 (each task half the work) gained nothing, and Q15
 * (its revenue view read twice: 1.95× the local bytes) ran 727–787 ms against 403 ms in one.
 */
export async function checkSharedWorkRepeated(decision: GuardDecision, local: PhysicalPlan, distributed: PhysicalPlan, tasks: number, opts: Pick<GuardOptions, 'memoryTables' | 'metadata' | 'config'>): Promise<GuardDecision> {
  if (!decision.distribute || !planNodes(local).some((n) => n.kind === 'SharedSubplans')) return decision;
  let localBytes = 0, distributedBytes = 0;
  for (const n of planNodes(local)) localBytes += await scanDecodedBytes(n, opts);
  for (const n of planNodes(distributed)) distributedBytes += await scanDecodedBytes(n, opts);
  if (localBytes === 0 || distributedBytes < 0.75 * tasks * localBytes) return decision;
  const reason = `the distributed plan recomputes its shared WITH queries: its scans decode ${formatBytes(distributedBytes)}, ≥ 0.75 × ${tasks} × the ${formatBytes(localBytes)} of the local plan`;
  if (opts.config.force_distribution) return { ...decision, forced: true, reason: `${decision.reason} (force_distribution overrides: ${reason})` };
  return { ...decision, distribute: false, guard: 'shared_work_repeated', forced: false, reason: `${reason}: the query runs as one local task` };
}
