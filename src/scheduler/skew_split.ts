/**
 * Splitting skewed partitions across tasks. Once the stages a stage reads have run, the
 * scheduler knows how many bytes each of their writers put in each hash partition. A
 * partition of one input that holds more than `skew_split_factor` × the median partition
 * (and more than `skew_split_min_bytes`) is run as several tasks instead of one: each
 * piece reads that input's partition from a share of its writers, and every other input's
 * partition whole.
 *
 *   partition p of input A: writers w0 w1 w2 w3 ─┬─ piece 0 reads A.p from w0 w1, B.p whole
 *                                                └─ piece 1 reads A.p from w2 w3, B.p whole
 *
 * That is the same answer only when every output row depends on one row of the split
 * input: the path from the stage's root down to the split input's reader may pass through
 * projections, filters, grouping-set expansion, partial aggregates and hash joins on the
 * side whose rows they keep independently (inner, and the preserved side of left/right,
 * semi and anti joins), and nothing else. The root stage is never split (its one output is
 * the result), nor is a stage whose input is read twice.
 */
import { childrenOf, type HashJoinType, type PhysicalPlan } from '../plan/physical.js';

/** A piece of a skewed partition: the plan partition it runs and the writers of `input` it reads. */
export interface SkewPiece {
  partition: number;
  input: number;
  only: number[];
}

/** One skewed partition, as EXPLAIN ANALYZE reports it. */
export interface SkewSplit {
  input: number;
  partition: number;
  bytes: number;
  medianBytes: number;
  pieces: number;
}

export interface SkewSettings {
  factor: number;
  minBytes: number;
  /** At most this many pieces per partition. */
  maxPieces: number;
}

const LEFT_SPLITTABLE = new Set<HashJoinType>(['inner', 'left', 'semi', 'anti']);
const RIGHT_SPLITTABLE = new Set<HashJoinType>(['inner', 'right', 'right_semi', 'right_anti']);

/** Stage ids whose hash-partitioned reader may be split in `plan` (see the header). */
export function splittableInputs(plan: PhysicalPlan): number[] {
  const readers = new Map<number, number>();
  const count = (n: PhysicalPlan): void => {
    if (n.kind === 'ExchangeRead' || n.kind === 'MergeGather') readers.set(n.stageId, (readers.get(n.stageId) ?? 0) + 1);
    for (const c of childrenOf(n)) count(c);
  };
  count(plan);
  const out: number[] = [];
  const walk = (n: PhysicalPlan): void => {
    switch (n.kind) {
      case 'ExchangeRead':
        if (n.partitioning.kind === 'hash' && readers.get(n.stageId) === 1) out.push(n.stageId);
        return;
      case 'Projection': case 'Filter': case 'Expand':
        walk(n.input);
        return;
      case 'HashAggregate':
        if (n.mode === 'partial') walk(n.input);
        return;
      case 'HashJoin':
        if (LEFT_SPLITTABLE.has(n.joinType)) walk(n.left);
        if (RIGHT_SPLITTABLE.has(n.joinType)) walk(n.right);
        return;
      default:
        return;
    }
  };
  walk(plan);
  return out;
}

/**
 * The skewed partitions of a stage with `partitions` partitions and their pieces.
 * `writerBytes` gives, per splittable input, each writer's bytes per output partition.
 * Returns the pieces by task number: the partition's own task keeps its number, extra
 * pieces get `partitions`, `partitions + 1`, … in order.
 */
export function planSkewSplits(
  partitions: number, writerBytes: ReadonlyMap<number, readonly (readonly number[] | undefined)[]>, s: SkewSettings,
): { splits: SkewSplit[]; pieces: Map<number, SkewPiece> } {
  const splits: SkewSplit[] = [];
  const pieces = new Map<number, SkewPiece>();
  if (!(s.factor > 0) || partitions < 2) return { splits, pieces };
  // The best candidate per partition: the input with the largest share over its median.
  const best = new Map<number, { input: number; bytes: number; median: number; perWriter: number[] }>();
  for (const [input, writers] of writerBytes) {
    if (writers.length < 2 || writers.some((w) => w === undefined || w.length !== partitions)) continue;
    const totals = new Array<number>(partitions).fill(0);
    for (const w of writers) for (let p = 0; p < partitions; p++) totals[p]! += w![p]!;
    const median = medianOf(totals);
    for (let p = 0; p < partitions; p++) {
      const bytes = totals[p]!;
      if (bytes <= s.minBytes || bytes <= s.factor * median) continue;
      const prev = best.get(p);
      if (prev === undefined || bytes / Math.max(1, median) > prev.bytes / Math.max(1, prev.median)) {
        best.set(p, { input, bytes, median, perWriter: writers.map((w) => w![p]!) });
      }
    }
  }
  let next = partitions;
  for (const p of [...best.keys()].sort((a, b) => a - b)) {
    const c = best.get(p)!;
    const want = Math.ceil(c.bytes / Math.max(c.median, s.minBytes / 2, 1));
    const groups = balance(c.perWriter, Math.min(s.maxPieces, c.perWriter.filter((b) => b > 0).length, Math.max(2, want)));
    if (groups.length < 2) continue;
    splits.push({ input: c.input, partition: p, bytes: c.bytes, medianBytes: c.median, pieces: groups.length });
    pieces.set(p, { partition: p, input: c.input, only: groups[0]! });
    for (let g = 1; g < groups.length; g++) pieces.set(next++, { partition: p, input: c.input, only: groups[g]! });
  }
  return { splits, pieces };
}

function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Writers (with bytes > 0) in `k` groups of similar total bytes, largest first; writers with none go to the first group. */
function balance(perWriter: readonly number[], k: number): number[][] {
  if (k < 2) return [];
  const order = perWriter.map((b, i) => i).sort((a, b) => perWriter[b]! - perWriter[a]! || a - b);
  const groups: number[][] = Array.from({ length: k }, () => []);
  const load = new Array<number>(k).fill(0);
  for (const w of order) {
    if (perWriter[w]! === 0) { groups[0]!.push(w); continue; }
    let g = 0;
    for (let i = 1; i < k; i++) if (load[i]! < load[g]!) g = i;
    groups[g]!.push(w);
    load[g]! += perWriter[w]!;
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups.filter((g) => g.length > 0);
}
