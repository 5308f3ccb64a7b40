/**
 * Any aggregate over window frames, through the GROUP BY accumulators
 * (exec/aggregate/accumulators.ts): each row's frame is a group.
 *
 *   frames  row 0: [0, 2)  row 1: [0, 3)  row 2: [1, 3)
 *   pairs   (group 0, row 0) (0, 1) (1, 0) (1, 1) (1, 2) (2, 1) (2, 2)
 *           ─▶ take the argument (and ORDER BY keys) at the pairs' rows
 *           ─▶ accumulator.update(groups, values) ─▶ result(): one value per row
 *
 * bool_and/or and the variances merge their partial states through a segment tree instead
 * (O(n log n)). For the others (string_agg, median, percentiles, approx_count_distinct,
 * DISTINCT, …): the work is
 * the total size of the frames, so running frames over a partition of n rows cost n²/2
 * pairs. The rows are taken in chunks of at most PAIRS_PER_CHUNK pairs (a chunk holds
 * whole frames; one frame larger than that is a chunk of its own), so what this holds
 * beyond the window's block is bounded by the chunk, whatever the frames.
 */
import type { Column } from '../../columnar/column.js';
import { concatColumns, take } from '../../columnar/kernels.js';
import type { AggregateExpr } from '../../expr/expr.js';
import { makeAccumulator } from '../aggregate/accumulators.js';

/** Frame rows fed to the accumulators at once. */
const PAIRS_PER_CHUNK = 1 << 16;

/** Aggregates with a small fixed partial state, evaluated through a segment tree of their states. */
const SEGMENT_TREE = new Set(['bool_and', 'bool_or', 'var_samp', 'var_pop', 'stddev_samp', 'stddev_pop']);

/**
 * `agg` over rows [start[i], end[i]) of `arg` for every row i of the block; `keys` are the
 * aggregate's ORDER BY inputs (orderInputs) evaluated over the block.
 */
export function frameAggregate(agg: AggregateExpr, arg: Column | null, keys: readonly Column[], start: Int32Array, end: Int32Array, n: number): Column {
  if (!agg.distinct && SEGMENT_TREE.has(agg.fn) && n > 1) return segmentTree(agg, arg, start, end, n);
  return framePairs(agg, arg, keys, start, end, n);
}

/**
 * Decomposable aggregates with a fixed-size state: level 0 holds one state per row, level
 * L + 1 merges pairs of level L; a frame is the merge of at most 2 log2(n) nodes:
 *
 *   level 2  [ 0‥3 ]                 frame [1, 6) = node 1 of level 0
 *   level 1  [0‥1] [2‥3] [4‥5]                    + node 1 of level 1 (rows 2‥3)
 *   level 0  [0][1][2][3][4][5]                   + node 4 of level 0 … merged into row's group
 *
 * O(n log n) state merges and 2n states, whatever the frames.
 */
function segmentTree(agg: AggregateExpr, arg: Column | null, start: Int32Array, end: Int32Array, n: number): Column {
  const argType = arg === null ? null : arg.type;
  const levels = [makeAccumulator(agg, argType)];
  const sizes = [n];
  levels[0]!.ensure(n);
  const identity = new Int32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  levels[0]!.update(identity, n, arg);
  while (sizes[sizes.length - 1]! > 1) {
    const below = levels[levels.length - 1]!;
    const m = sizes[sizes.length - 1]!;
    const up = makeAccumulator(agg, argType);
    up.ensure((m + 1) >> 1);
    const parents = new Int32Array(m);
    for (let k = 0; k < m; k++) parents[k] = k >> 1;
    up.merge(parents, m, below.state(0, m));
    levels.push(up);
    sizes.push((m + 1) >> 1);
  }
  // Per level: which rows take which node.
  const rowsAt = levels.map(() => [] as number[]);
  const nodesAt = levels.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    let s = start[i]!, e = end[i]!, level = 0;
    while (s < e) {
      if (s & 1) { rowsAt[level]!.push(i); nodesAt[level]!.push(s); s++; }
      if (e & 1) { e--; rowsAt[level]!.push(i); nodesAt[level]!.push(e); }
      s >>= 1; e >>= 1; level++;
    }
  }
  const out = makeAccumulator(agg, argType);
  out.ensure(n);
  levels.forEach((acc, level) => {
    const rows = rowsAt[level]!;
    if (rows.length === 0) return;
    const states = acc.state(0, sizes[level]!);
    const nodes = Int32Array.from(nodesAt[level]!);
    out.merge(Int32Array.from(rows), rows.length, states.map((c) => take(c, nodes)));
  });
  return out.result(0, n);
}

/** Any aggregate: every (row, frame row) pair, in chunks (see the header). */
function framePairs(agg: AggregateExpr, arg: Column | null, keys: readonly Column[], start: Int32Array, end: Int32Array, n: number): Column {
  const pieces: Column[] = [];
  let first = 0;
  while (first < n) {
    // Rows [first, last) whose frames fit one chunk.
    let pairs = 0;
    let last = first;
    while (last < n) {
      const size = Math.max(0, end[last]! - start[last]!);
      if (last > first && pairs + size > PAIRS_PER_CHUNK) break;
      pairs += size;
      last++;
    }
    const groups = new Int32Array(pairs);
    const rows = new Int32Array(pairs);
    let p = 0;
    for (let i = first; i < last; i++) {
      for (let j = start[i]!; j < end[i]!; j++) { groups[p] = i - first; rows[p] = j; p++; }
    }
    const acc = makeAccumulator(agg, arg === null ? null : arg.type);
    acc.ensure(last - first);
    if (pairs > 0) acc.update(groups, pairs, arg === null ? null : take(arg, rows), keys.map((k) => take(k, rows)));
    pieces.push(acc.result(0, last - first));
    first = last;
  }
  return pieces.length === 1 ? pieces[0]! : concatColumns(pieces[0]?.type ?? agg.type, pieces);
}
