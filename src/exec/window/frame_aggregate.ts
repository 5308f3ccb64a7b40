/**
 * Any aggregate over window frames, through the GROUP BY accumulators
 * (exec/aggregate/accumulators.ts): each row's frame is a group.
 *
 *   frames  row 0: [0, 2)  row 1: [0, 3)  row 2: [1, 3)
 *   pairs   (group 0, row 0) (0, 1) (1, 0) (1, 1) (1, 2) (2, 1) (2, 2)
 *           ─▶ take the argument (and ORDER BY keys) at the pairs' rows
 *           ─▶ accumulator.update(groups, values) ─▶ result(): one value per row
 *
 * For the aggregates that have no prefix-sum or deque form here (string_agg, median,
 * percentiles, bool_and/or, variances, approx_count_distinct, DISTINCT, …): the work is
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

/**
 * `agg` over rows [start[i], end[i]) of `arg` for every row i of the block; `keys` are the
 * aggregate's ORDER BY inputs (orderInputs) evaluated over the block.
 */
export function frameAggregate(agg: AggregateExpr, arg: Column | null, keys: readonly Column[], start: Int32Array, end: Int32Array, n: number): Column {
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
