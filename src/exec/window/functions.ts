/**
 * Window function evaluation over one block of whole partitions (sorted by partition and
 * order keys). Every function is one loop over typed arrays producing one output column:
 *
 *   ranking     row_number, rank, dense_rank, percent_rank, cume_dist, ntile  (peer groups)
 *   offsets     lag, lead (default when outside the partition), first/last/nth_value (frame)
 *   aggregates  count, count(*), sum, avg over the frame by prefix sums;
 *               min, max by a monotonic deque (frame ends only move forward);
 *               every other aggregate, DISTINCT, FILTER: per frame (frame_aggregate.ts)
 *
 * A block's first partition may continue one whose earlier rows were already emitted
 * (window.ts streams running frames): its first `context` rows are earlier rows kept for
 * lag and ROWS n PRECEDING, and `Carry` holds what the rest of the earlier rows add —
 * row and peer-group counts, and count/sum/min/max over frames starting UNBOUNDED PRECEDING.
 */
import { compareIntervalRows } from '../../columnar/interval.js';
import { fixedColumn, type Column } from '../../columnar/column.js';
import { take } from '../../columnar/kernels.js';
import { compareNested, isNestedColumn } from '../../columnar/nested.js';
import { SpillwayError } from '../../common/errors.js';
import { compareBytes } from '../../expr/compare.js';
import { assemble } from '../../expr/conditional.js';
import { allNull } from '../../expr/broadcast.js';
import type { WindowFunctionExpr } from '../../plan/physical.js';
import { compareRows } from '../sort/row_compare.js';
import { frameBounds, type Peers } from './frames.js';
import { frameAggregate } from './frame_aggregate.js';

/** What the emitted rows of a partition streamed in pieces contribute to its next piece. */
export interface Carry {
  /** Rows of the partition before the block's first row. */
  rowsBefore: number;
  /** Peer groups of the partition before the block's first row. */
  groupsBefore: number;
  /** Leading rows of the block that were already emitted (context for lag, ROWS n PRECEDING). */
  context: number;
  /** Per function: non-NULL count and sum of its argument (or row count for count(*)) over rows before the block. */
  counts: Float64Array;
  sums: Float64Array;
  bigSums: BigInt64Array;
  /** Per function (min/max): the best value over rows before the block, as a one-row column. */
  bests: (Column | null)[];
}

/** What a function needs of its block, computed once per block. */
export interface BlockContext {
  /** Continuation of a streamed partition in rows [0, firstEnd), or null. */
  readonly carry: Carry | null;
  readonly firstEnd: number;
  readonly n: number;
  readonly peers: Peers;
  readonly partStart: Int32Array;
  readonly partEnd: Int32Array;
  /** The single ORDER BY key column (RANGE with offsets), null when there is not exactly one. */
  readonly orderCol: Column | null;
  readonly ascending: boolean;
}

export function evaluateWindowFunction(
  f: WindowFunctionExpr, k: number, arg: Column | null, def: Column | null, b: BlockContext, keys: readonly Column[] = [],
): Column {
  const { n, peers, partStart, partEnd, carry, firstEnd } = b;
  // Row and group numbers of a continued partition start after what was emitted.
  const rowShift = carry === null ? 0 : carry.rowsBefore;
  const groupShift = carry === null ? 0 : carry.groupsBefore;
  const shiftedRows = (i: number) => (i < firstEnd ? rowShift : 0);
  switch (f.fn) {
    case 'row_number': return int64Of(n, (i) => i - partStart[i]! + 1 + shiftedRows(i));
    case 'rank': return int64Of(n, (i) => peers.groupStart[i]! - partStart[i]! + 1 + shiftedRows(i));
    case 'dense_rank': return int64Of(n, (i) => peers.group[i]! + 1 + (i < firstEnd ? groupShift : 0));
    case 'percent_rank': return float64Of(n, (i) => {
      const rows = partEnd[i]! - partStart[i]!;
      return rows > 1 ? (peers.groupStart[i]! - partStart[i]!) / (rows - 1) : 0;
    });
    case 'cume_dist': return float64Of(n, (i) => (peers.groupEnd[i]! - partStart[i]!) / (partEnd[i]! - partStart[i]!));
    case 'ntile': return int64Of(n, (i) => ntile(i - partStart[i]!, partEnd[i]! - partStart[i]!, f.n));
    case 'lag': case 'lead': return shifted(f, arg!, def, b);
    default: break;
  }
  const { start, end } = frameBounds(f.frame, peers, partStart, partEnd, b.orderCol, b.ascending, n);
  if (f.aggregate) return conform(frameAggregate(f.aggregate, arg, keys, start, end, n), f);
  switch (f.fn) {
    case 'first_value': return pick(f, arg!, n, (i) => (start[i]! < end[i]! ? start[i]! : -1));
    case 'last_value': return pick(f, arg!, n, (i) => (start[i]! < end[i]! ? end[i]! - 1 : -1));
    case 'nth_value': return pick(f, arg!, n, (i) => (start[i]! + f.n - 1 < end[i]! ? start[i]! + f.n - 1 : -1));
    case 'count_star': case 'count': {
      const prefix = f.fn === 'count' ? prefixCounts(arg!) : null;
      const unbounded = carry !== null && f.frame.start.kind === 'unbounded_preceding';
      const extra = (i: number) => (unbounded && i < firstEnd ? carry.counts[k]! : 0);
      return int64Of(n, (i) => (prefix ? prefix[end[i]!]! - prefix[start[i]!]! : end[i]! - start[i]!) + extra(i));
    }
    case 'sum': case 'avg': {
      const unbounded = carry !== null && f.frame.start.kind === 'unbounded_preceding';
      return sumOrAvg(f, arg!, start, end, n, unbounded ? { carry, k, firstEnd } : null);
    }
    case 'min': case 'max': {
      const out = minMax(f, arg!, start, end, n);
      const best = carry !== null && f.frame.start.kind === 'unbounded_preceding' ? carry.bests[k] ?? null : null;
      return best === null ? out : withCarriedBest(f, out, best, firstEnd);
    }
    default: throw new Error(`window function ${f.fn} has no evaluator`);
  }
}

/**
 * Which functions a partition may be streamed for, and how many earlier rows each needs
 * beside it: ranking by position (row_number, rank, dense_rank), lag, and aggregates and
 * first/last/nth_value whose frame ends at the current row or before it and starts either
 * UNBOUNDED PRECEDING (count, sum, avg, min, max: carried) or n ROWS PRECEDING / at the current row.
 * Returns the context rows needed, or -1 when the function needs rows after the current one.
 */
export function streamingContext(f: WindowFunctionExpr): number {
  if (f.aggregate) return -1;
  switch (f.fn) {
    case 'row_number': case 'rank': case 'dense_rank': return 0;
    case 'lag': return f.n;
    case 'lead': case 'ntile': case 'percent_rank': case 'cume_dist': return -1;
    default: break;
  }
  const { units, start, end } = f.frame;
  const endOk = end.kind === 'current_row' ? units !== 'groups' && (units === 'rows' || start.kind === 'unbounded_preceding')
    : end.kind === 'preceding' && units === 'rows';
  if (!endOk) return -1;
  if (start.kind === 'unbounded_preceding') {
    return f.fn === 'first_value' || f.fn === 'last_value' || f.fn === 'nth_value' ? -1 : 0;
  }
  if (units !== 'rows') return -1;
  if (start.kind === 'preceding') return start.offset;
  return start.kind === 'current_row' ? 0 : -1;
}

/** Add what rows [from, to) of a function's argument contribute to its carried count, sum and min/max. */
export function accumulate(f: WindowFunctionExpr, k: number, arg: Column | null, from: number, to: number, carry: Carry): void {
  if (f.fn === 'count_star') { carry.counts[k] = carry.counts[k]! + (to - from); return; }
  if ((f.fn === 'min' || f.fn === 'max') && arg !== null && arg.type !== 'null' && from < to) {
    const better = f.fn === 'min' ? -1 : 1;
    const cmp = comparator(arg);
    let j = -1;
    for (let i = from; i < to; i++) {
      if (arg.validity !== null && arg.validity[i] === 0) continue;
      if (j < 0 || cmp(i, j) * better > 0) j = i;
    }
    if (j < 0) return;
    const candidate = take(arg, Int32Array.of(j));
    const held = carry.bests[k] ?? null;
    if (held === null || compareRows([candidate], 0, [held], 0, ASCENDING) * better > 0) carry.bests[k] = candidate;
    return;
  }
  if (arg === null || arg.type === 'null' || (f.fn !== 'count' && f.fn !== 'sum' && f.fn !== 'avg')) return;
  const valid = arg.validity;
  for (let i = from; i < to; i++) {
    if (valid !== null && valid[i] === 0) continue;
    carry.counts[k] = carry.counts[k]! + 1;
    if (f.fn === 'count') continue;
    if (arg.type === 'int64') {
      carry.bigSums[k] = checkedInt64(carry.bigSums[k]! + arg.values[i]!);
      carry.sums[k] = carry.sums[k]! + Number(arg.values[i]!);
    } else if (arg.type === 'int32' || arg.type === 'float64') {
      carry.bigSums[k] = carry.bigSums[k]! + (arg.type === 'int32' ? BigInt(arg.values[i]!) : 0n);
      carry.sums[k] = carry.sums[k]! + arg.values[i]!;
    }
  }
}

/** 1-based bucket of row r of a partition of `rows` rows in `buckets` buckets (the first rows % buckets are one larger). */
function ntile(r: number, rows: number, buckets: number): number {
  const q = Math.floor(rows / buckets);
  const big = rows % buckets;
  const cut = big * (q + 1);
  return r < cut ? Math.floor(r / (q + 1)) + 1 : big + Math.floor((r - cut) / q) + 1;
}

function int64Of(n: number, f: (i: number) => number): Column {
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) out[i] = BigInt(f(i));
  return fixedColumn('int64', out);
}

function float64Of(n: number, f: (i: number) => number): Column {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return fixedColumn('float64', out);
}

/** Row `at(i)` of `arg` for every row, NULL where at(i) is -1. */
function pick(f: WindowFunctionExpr, arg: Column, n: number, at: (i: number) => number): Column {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = at(i);
  return conform(take(arg, idx), f);
}

function conform(c: Column, f: WindowFunctionExpr): Column {
  return c.type === f.type ? c : c.type === 'null' ? allNull(f.type, c.length) : c;
}

/** lag/lead: the row n before/after in the partition, else the default (row i of `def`) or NULL. */
function shifted(f: WindowFunctionExpr, arg: Column, def: Column | null, b: BlockContext): Column {
  const { n, partStart, partEnd } = b;
  const step = f.fn === 'lag' ? -f.n : f.n;
  const pieceOfRow = new Int32Array(n);
  const rowInPiece = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = i + step;
    if (j >= partStart[i]! && j < partEnd[i]!) { pieceOfRow[i] = 0; rowInPiece[i] = j; }
    else if (def !== null) { pieceOfRow[i] = 1; rowInPiece[i] = i; }
    else pieceOfRow[i] = -1;
  }
  const pieces = def !== null ? [arg, def] : [arg];
  return conform(assemble(f.type, pieces, pieceOfRow, rowInPiece, n), f);
}

/** prefix[i] = non-NULL values among rows [0, i). */
function prefixCounts(c: Column): Int32Array {
  const prefix = new Int32Array(c.length + 1);
  const v = c.type === 'null' ? null : c.validity;
  for (let i = 0; i < c.length; i++) prefix[i + 1] = prefix[i]! + (c.type === 'null' ? 0 : v === null ? 1 : v[i]!);
  return prefix;
}

/** sum/avg over [start, end) by prefix sums; NULL when the frame holds no non-NULL value. */
function sumOrAvg(
  f: WindowFunctionExpr, arg: Column, start: Int32Array, end: Int32Array, n: number,
  carried: { carry: Carry; k: number; firstEnd: number } | null,
): Column {
  const counts = prefixCounts(arg);
  // Frames of a continued partition start at its first row: add what the emitted rows held.
  const from = (i: number) => carried !== null && i < carried.firstEnd;
  const extraCount = (i: number) => (from(i) ? carried!.carry.counts[carried!.k]! : 0);
  const validity = new Uint8Array(n);
  let anyNull = false;
  for (let i = 0; i < n; i++) {
    const ok = counts[end[i]!]! - counts[start[i]!]! + extraCount(i) > 0;
    validity[i] = ok ? 1 : 0;
    if (!ok) anyNull = true;
  }
  const valid = arg.type === 'null' ? null : arg.validity;
  if (f.type === 'int64' && f.fn === 'sum' && (arg.type === 'int64' || arg.type === 'int32')) {
    // Unbounded bigints: a prefix may leave BIGINT's range where no frame's sum does.
    const prefix: bigint[] = new Array<bigint>(n + 1);
    prefix[0] = 0n;
    const vals = arg.values;
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + (valid === null || valid[i] === 1 ? BigInt(vals[i]!) : 0n);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const sum = prefix[end[i]!]! - prefix[start[i]!]! + (from(i) ? carried!.carry.bigSums[carried!.k]! : 0n);
      out[i] = validity[i] === 1 ? checkedInt64(sum) : 0n;
    }
    return fixedColumn('int64', out, anyNull ? validity : null);
  }
  const prefix = new Float64Array(n + 1);
  if (arg.type === 'int32' || arg.type === 'float64') {
    const vals = arg.values;
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + (valid === null || valid[i] === 1 ? vals[i]! : 0);
  } else if (arg.type === 'int64') {
    const vals = arg.values;
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + (valid === null || valid[i] === 1 ? Number(vals[i]!) : 0);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (validity[i] === 0) continue;
    const s = prefix[end[i]!]! - prefix[start[i]!]! + (from(i) ? carried!.carry.sums[carried!.k]! : 0);
    out[i] = f.fn === 'avg' ? s / (counts[end[i]!]! - counts[start[i]!]! + extraCount(i)) : s;
  }
  return fixedColumn('float64', out, anyNull ? validity : null);
}

/**
 * min/max over [start, end): a deque of candidate rows, best first. Frames of successive
 * rows never move backwards, so each row enters and leaves the deque at most once.
 */
function minMax(f: WindowFunctionExpr, arg: Column, start: Int32Array, end: Int32Array, n: number): Column {
  if (arg.type === 'null') return allNull(f.type, n);
  const better = f.fn === 'min' ? -1 : 1;
  const cmp = comparator(arg);
  const valid = arg.validity;
  const deque = new Int32Array(n);
  let head = 0, tail = 0;
  let next = 0; // next row to enter the deque
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = start[i]!, e = end[i]!;
    if (s >= e) { idx[i] = -1; continue; }
    if (next < s) next = s;
    while (next < e) {
      if (valid === null || valid[next] === 1) {
        while (tail > head && cmp(deque[tail - 1]!, next) * better < 0) tail--;
        deque[tail++] = next;
      }
      next++;
    }
    while (tail > head && deque[head]! < s) head++;
    idx[i] = tail > head ? deque[head]! : -1;
  }
  return conform(take(arg, idx), f);
}

const ASCENDING = [{ ascending: true, nullsFirst: false }];

/** min/max of a continued partition: the better of the block's value and the carried one (rows before firstEnd). */
function withCarriedBest(f: WindowFunctionExpr, out: Column, best: Column, firstEnd: number): Column {
  const better = f.fn === 'min' ? -1 : 1;
  const n = out.length;
  const pieceOfRow = new Int32Array(n);
  const rowInPiece = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    rowInPiece[i] = i;
    if (i >= firstEnd) continue;
    const missing = out.type === 'null' || (out.validity !== null && out.validity[i] === 0);
    if (missing || compareRows([best], 0, [out], i, ASCENDING) * better > 0) { pieceOfRow[i] = 1; rowInPiece[i] = 0; }
  }
  return conform(assemble(f.type, [out, best], pieceOfRow, rowInPiece, n), f);
}

/** Compare rows i and j of a non-NULL column: negative when i < j. */
function comparator(c: Exclude<Column, { type: 'null' }>): (i: number, j: number) => number {
  switch (c.type) {
    case 'bool': case 'int32': case 'date32': { const v = c.values; return (i, j) => v[i]! - v[j]!; }
    case 'float64': { const v = c.values; return (i, j) => (v[i]! < v[j]! ? -1 : v[i]! > v[j]! ? 1 : 0); }
    case 'int64': case 'timestamp': { const v = c.values; return (i, j) => (v[i]! < v[j]! ? -1 : v[i]! > v[j]! ? 1 : 0); }
    case 'utf8': case 'blob': {
      const u = c;
      return (i, j) => compareBytes(u.data, u.offsets[i]!, u.offsets[i + 1]!, u.data, u.offsets[j]!, u.offsets[j + 1]!);
    }
    case 'interval': return (i, j) => compareIntervalRows(c, i, c, j);
    default: {
      if (isNestedColumn(c)) return (i, j) => compareNested(c, i, c, j);
      const v = c.values; return (i, j) => (v[i]! < v[j]! ? -1 : v[i]! > v[j]! ? 1 : 0);
    }
  }
}

/** A BIGINT sum, or PostgreSQL's error when it does not fit. */
function checkedInt64(v: bigint): bigint {
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw new SpillwayError('execution', 'bigint out of range');
  return v;
}
