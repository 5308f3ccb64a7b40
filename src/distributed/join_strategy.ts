/**
 * The join cost model: how a distributed hash join moves its inputs, and why.
 *
 *   B = estimated bytes of the build side (right input), P = of the probe side (left input),
 *   N = tasks the join runs on (the hash partition count). Bytes moved over the network:
 *
 *     broadcast    B·(N−1)            every task but the one holding it gets the build side
 *     partitioned  (B+P)·(N−1)/N      each row leaves its task with probability (N−1)/N
 *     colocated    0                  both inputs already hash-partitioned on the keys
 *
 *   broadcast < partitioned  ⇔  B·(N−1) < (B+P)·(N−1)/N  ⇔  B < P/(N−1)
 *
 * auto picks, in order: colocated when both inputs are already hash-partitioned on the join
 * keys (same partition count); broadcast when the join type allows it (inner, left, semi,
 * anti: the build side's unmatched rows are not kept) and B < P/(N−1) and B < the
 * broadcast_threshold cap and, with a memory_limit, B ≤ memory_limit / workers (one copy
 * per worker must fit its share); otherwise partitioned. A NOT IN (null-aware anti join)
 * always broadcasts: every task needs the whole subquery result.
 *
 * Estimates: rows from plan/estimate.ts (Parquet row counts and min/max statistics,
 * pushed-down filters) times the width of the columns left after projection: fixed-width
 * types by their in-memory size (types.ts rowWidth), utf8 columns read from Parquet by the
 * files' own figures (utf8Widths): a plain-encoded column chunk's uncompressed bytes per
 * value (4-byte length + the string ≈ offset + bytes in memory), a dictionary-encoded one's
 * min/max value lengths; other utf8 columns count 24 bytes.
 */
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { rowWidth } from '../common/types.js';
import { formatBytes } from '../memory/pool.js';
import type { HashJoinNode, HashJoinType, JoinStrategyChoice, PhysicalPlan } from '../plan/physical.js';
import { planNodes } from '../plan/physical_tree.js';
import type { MetadataSource } from './split_scans.js';

export const BROADCASTABLE: ReadonlySet<HashJoinType> = new Set<HashJoinType>(['inner', 'left', 'semi', 'anti']);

/** Bytes per value of utf8 columns by (lower-case) column name, from Parquet metadata. */
export type Utf8Widths = ReadonlyMap<string, number>;

/** Estimated bytes of a plan's output: estimatedRows × row width; Infinity when unknown. */
export function estimatedBytes(p: PhysicalPlan, utf8?: Utf8Widths): number {
  if (p.estimatedRows === undefined) return Infinity;
  let width = 0;
  for (const f of p.schema.fields) {
    const w = f.type === 'utf8' ? utf8?.get(f.name.toLowerCase()) : undefined;
    width += w ?? rowWidth([f]);
  }
  return p.estimatedRows * Math.max(1, width);
}

/**
 * In-memory bytes per value of the utf8 columns the plan's Parquet scans read (offset,
 * bytes, validity), averaged over their files' row groups; a name read from several tables
 * keeps the widest.
 */
export async function utf8Widths(plan: PhysicalPlan, metadata: MetadataSource): Promise<Map<string, number>> {
  const widths = new Map<string, number>();
  for (const scan of planNodes(plan)) {
    if (scan.kind !== 'ParquetScan') continue;
    const wanted = new Set(scan.schema.fields.filter((f) => f.type === 'utf8').map((f) => f.name.toLowerCase()));
    if (wanted.size === 0) continue;
    const sums = new Map<string, { bytes: number; values: number }>();
    for (const slice of scan.slices.flat()) {
      const info = await metadata(slice.path);
      info.metadata.row_groups.forEach((rg, r) => {
        rg.columns.forEach((chunk, i) => {
          const m = chunk.meta_data;
          const name = m?.path_in_schema.join('.').toLowerCase();
          const values = Number(m?.num_values ?? 0);
          if (m === undefined || name === undefined || !wanted.has(name) || values <= 0) return;
          let perValue: number;
          if (m.dictionary_page_offset === undefined && !m.encodings.some((e) => e.endsWith('DICTIONARY'))) {
            perValue = Number(m.total_uncompressed_size) / values; // 4-byte length + bytes, per value
          } else {
            const st = info.rowGroups[r]?.columns[i];
            const lengths = [st?.min, st?.max].filter((v): v is string => typeof v === 'string').map((v) => Buffer.byteLength(v));
            if (lengths.length === 0) return;
            perValue = 4 + lengths.reduce((a, b) => a + b, 0) / lengths.length;
          }
          const sum = sums.get(name) ?? { bytes: 0, values: 0 };
          sum.bytes += (perValue + 1) * values; // + validity byte
          sum.values += values;
          sums.set(name, sum);
        });
      });
    }
    for (const [name, s] of sums) widths.set(name, Math.max(widths.get(name) ?? 0, s.bytes / s.values));
  }
  return widths;
}

export function bytesText(n: number): string {
  return Number.isFinite(n) ? formatBytes(Math.round(n)) : 'unknown';
}

/** The largest build side that broadcasts (exclusive), and which rule sets it. */
export interface BroadcastLimit {
  bytes: number;
  /** e.g. `P/(N−1)=40.0 MiB`, `broadcast_threshold=10.0 MiB`, `memory share=64.0 MiB`. */
  rule: string;
}

export function broadcastLimit(probeBytes: number, n: number, config: Config, workers: number): BroadcastLimit {
  const limits: BroadcastLimit[] = [
    { bytes: n <= 1 ? Infinity : probeBytes / (n - 1), rule: `P/(N−1)=${n <= 1 ? '∞ (N=1)' : bytesText(probeBytes / (n - 1))}` },
    { bytes: config.broadcast_threshold, rule: `broadcast_threshold=${bytesText(config.broadcast_threshold)}` },
  ];
  if (config.memory_limit > 0) {
    const share = config.memory_limit / Math.max(1, workers);
    limits.push({ bytes: share, rule: `memory share=${bytesText(share)} (memory_limit / ${Math.max(1, workers)} workers)` });
  }
  return limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

export interface JoinInputs {
  /** The build (right) input already hash-partitioned on the right keys? the probe (left) on the left keys? */
  leftHashed: boolean;
  rightHashed: boolean;
  /** Both hashed with the same partition count. */
  colocated: boolean;
  /** Partitions of a partitioned join (N). */
  n: number;
  workers: number;
  config: Config;
  /** utf8 widths from the scans' Parquet metadata (estimatedBytes). */
  utf8?: Utf8Widths;
}

/**
 * The strategy of one distributed hash join: forced (a hint, SET join_strategy), or the
 * cost model's. Throws one clear error when a forced strategy cannot apply.
 */
export function chooseJoinStrategy(p: HashJoinNode, left: PhysicalPlan, right: PhysicalPlan, x: JoinInputs): JoinStrategyChoice {
  const forced = p.forced;
  const what = (by: string) => (by.startsWith('hint ') ? `join hint ${by.slice(5)}` : `${by} = ${forced!.strategy}`);
  if (p.nullAware) {
    if (forced !== undefined && forced.strategy !== 'broadcast') {
      throw new SpillwayError('unsupported', `${what(forced.by)} cannot apply to NOT IN: every task needs the whole subquery result (one NULL in it empties the answer), so it is broadcast`);
    }
    return { kind: 'broadcast', reason: forced ? `forced by ${forced.by}` : 'NOT IN: every task needs the whole subquery result' };
  }
  if (forced !== undefined) {
    switch (forced.strategy) {
      case 'broadcast':
        if (!BROADCASTABLE.has(p.joinType)) {
          throw new SpillwayError('unsupported', `${what(forced.by)} cannot apply: the build side of this ${p.joinType.toUpperCase()} join is preserved (its unmatched rows would repeat in every task)`);
        }
        return { kind: 'broadcast', reason: `forced by ${forced.by}` };
      case 'colocated':
        if (!x.colocated) {
          const missing = !x.leftHashed && !x.rightHashed ? 'neither input is' : !x.leftHashed ? 'the left (probe) input is not' : !x.rightHashed ? 'the right (build) input is not' : 'the inputs are not';
          const detail = x.leftHashed && x.rightHashed ? ' with the same partition count' : ' already hash-partitioned on the join keys by an earlier exchange';
          throw new SpillwayError('unsupported', `${what(forced.by)} cannot apply: ${missing}${detail}, so the join would need a shuffle`);
        }
        return { kind: 'colocated', reason: `forced by ${forced.by}` };
      case 'partitioned':
        return x.colocated
          ? { kind: 'colocated', reason: `forced by ${forced.by}: both inputs are already hash-partitioned on the keys, no shuffle needed` }
          : { kind: 'partitioned', reason: `forced by ${forced.by}` };
    }
  }
  if (x.colocated) return { kind: 'colocated', reason: 'auto: both inputs already hash-partitioned on the join keys' };
  const B = estimatedBytes(right, x.utf8);
  const P = estimatedBytes(left, x.utf8);
  if (!BROADCASTABLE.has(p.joinType)) {
    return { kind: 'partitioned', reason: `auto: a ${p.joinType.toUpperCase()} join keeps its build side's unmatched rows, which a broadcast would repeat` };
  }
  const limit = broadcastLimit(P, x.n, x.config, x.workers);
  // Adaptive (adaptive_join.ts): decided again once the build side's stage ran and is measured.
  const open = x.config.adaptive_join && limit.bytes > 0 && Number.isFinite(limit.bytes)
    ? { limitBytes: limit.bytes, limitReason: limit.rule, partitions: x.n } : null;
  const figures = `(P=${bytesText(P)}, N=${x.n})`;
  if (B < limit.bytes) {
    return { kind: 'broadcast', reason: `auto: B=${bytesText(B)} < ${limit.rule} ${figures}`, ...(open ? { adaptive: open } : {}) };
  }
  const choice: JoinStrategyChoice = { kind: 'partitioned', reason: `auto: B=${bytesText(B)} ≥ ${limit.rule} ${figures}` };
  // Both sides must be shuffled for it: the probe side's stage is what a switch merges away.
  if (open !== null && !x.leftHashed && !x.rightHashed) choice.adaptive = open;
  return choice;
}
