/**
 * Window frames of one block of sorted rows: peer groups (rows equal on every ORDER BY key)
 * and, per row, the frame [start, end) as row positions in the block. Pure functions over
 * typed arrays; the block holds whole partitions, `partStarts` marks where each begins.
 *
 *   ROWS    offsets count rows                      (clamped to the partition)
 *   GROUPS  offsets count peer groups
 *   RANGE   CURRENT ROW = the row's peer group; n PRECEDING/FOLLOWING = rows whose single
 *           numeric order key lies within n of the row's (a NULL key: its peer group)
 */
import type { Column, DecimalColumn } from '../../columnar/column.js';
import type { SortKey } from '../../expr/expr.js';
import type { FrameBound, WindowFrame } from '../../plan/logical.js';
import { compareRows } from '../sort/row_compare.js';
import { decimalParams, isDecimal } from '../../common/types.js';

/** Peer groups of a block: group[i] is row i's group number within its partition; starts of groups in block positions. */
export interface Peers {
  /** Group number of each row, counted from 0 in every partition. */
  readonly group: Int32Array;
  /** First row of each row's peer group. */
  readonly groupStart: Int32Array;
  /** One past the last row of each row's peer group. */
  readonly groupEnd: Int32Array;
  /** Block positions where each peer group starts, all partitions, plus the block length. */
  readonly starts: Int32Array;
  /** Index into `starts` of each row's group. */
  readonly groupIndex: Int32Array;
}

export function peerGroups(orderCols: readonly Column[], orders: readonly SortKey[], partStarts: Int32Array, n: number): Peers {
  const group = new Int32Array(n);
  const groupIndex = new Int32Array(n);
  const startsList: number[] = [];
  let p = 0;
  for (let i = 0; i < n; i++) {
    const newPartition = p < partStarts.length && partStarts[p] === i;
    if (newPartition) p++;
    if (newPartition || i === 0) {
      startsList.push(i);
      group[i] = 0;
    } else if (orderCols.length > 0 && compareRows(orderCols, i - 1, orderCols, i, orders) !== 0) {
      startsList.push(i);
      group[i] = group[i - 1]! + 1;
    } else {
      group[i] = group[i - 1]!;
    }
    groupIndex[i] = startsList.length - 1;
  }
  startsList.push(n);
  const starts = Int32Array.from(startsList);
  const groupStart = new Int32Array(n);
  const groupEnd = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    groupStart[i] = starts[groupIndex[i]!]!;
    groupEnd[i] = starts[groupIndex[i]! + 1]!;
  }
  return { group, groupStart, groupEnd, starts, groupIndex };
}

/** Partition bounds of every row: [partStart[i], partEnd[i]). */
export function partitionBounds(partStarts: Int32Array, n: number): { partStart: Int32Array; partEnd: Int32Array } {
  const partStart = new Int32Array(n);
  const partEnd = new Int32Array(n);
  for (let p = 0; p < partStarts.length; p++) {
    const s = partStarts[p]!;
    const e = p + 1 < partStarts.length ? partStarts[p + 1]! : n;
    partStart.fill(s, s, e);
    partEnd.fill(e, s, e);
  }
  return { partStart, partEnd };
}

/** Frame [start, end) of every row. */
export function frameBounds(
  frame: WindowFrame, peers: Peers, partStart: Int32Array, partEnd: Int32Array, orderCol: Column | null, ascending: boolean, n: number,
): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const values = frame.units === 'range' && orderCol !== null && needsValues(frame) ? numericValues(orderCol) : null;
  for (let i = 0; i < n; i++) {
    start[i] = boundPosition(frame, frame.start, false, i, peers, partStart[i]!, partEnd[i]!, orderCol, values, ascending);
    end[i] = boundPosition(frame, frame.end, true, i, peers, partStart[i]!, partEnd[i]!, orderCol, values, ascending);
    if (end[i]! < start[i]!) end[i] = start[i]!;
  }
  return { start, end };
}

function needsValues(frame: WindowFrame): boolean {
  const offset = (b: FrameBound) => b.kind === 'preceding' || b.kind === 'following';
  return offset(frame.start) || offset(frame.end);
}

function numericValues(c: Column): Float64Array {
  const out = new Float64Array(c.length);
  switch (c.type) {
    case 'int32': case 'date32': case 'float64': for (let i = 0; i < c.length; i++) out[i] = c.values[i]!; break;
    case 'int64': case 'timestamp': for (let i = 0; i < c.length; i++) out[i] = Number(c.values[i]!); break;
    default:
      // Decimals: the value (unscaled ÷ 10^scale) as a double, so RANGE offsets are in the key's units.
      if (isDecimal(c.type)) { const f = 10 ** decimalParams(c.type).scale; for (let i = 0; i < c.length; i++) out[i] = Number((c as DecimalColumn).values[i]!) / f; }
      break;
  }
  return out;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Position of one frame bound for row i: the first row of the frame (start) or one past its last (end). */
function boundPosition(
  frame: WindowFrame, b: FrameBound, isEnd: boolean, i: number, peers: Peers, ps: number, pe: number,
  orderCol: Column | null, values: Float64Array | null, ascending: boolean,
): number {
  if (b.kind === 'unbounded_preceding') return ps;
  if (b.kind === 'unbounded_following') return pe;
  const k = b.kind === 'current_row' ? 0 : b.kind === 'preceding' ? -b.offset : b.offset;
  switch (frame.units) {
    case 'rows': return clamp(i + k + (isEnd ? 1 : 0), ps, pe);
    case 'groups': {
      const g = peers.groupIndex[i]! + k + (isEnd ? 1 : 0);
      // Peer groups of this partition occupy starts[first .. last]; starts[last + 1] = pe.
      const first = peers.groupIndex[i]! - peers.group[i]!;
      if (g <= first) return ps;
      const lastPlusOne = peers.groupIndex[pe - 1]! + 1;
      if (g >= lastPlusOne) return pe;
      return peers.starts[g]!;
    }
    case 'range': {
      if (k === 0 || values === null || orderCol === null) return isEnd ? peers.groupEnd[i]! : peers.groupStart[i]!;
      const nullAt = (j: number) => orderCol.validity !== null && orderCol.validity[j] === 0;
      if (nullAt(i)) return isEnd ? peers.groupEnd[i]! : peers.groupStart[i]!;
      // Non-NULL rows of the partition: [lo, hi); NULLs sort at one end.
      let lo = ps, hi = pe;
      while (lo < hi && nullAt(lo)) lo++;
      while (hi > lo && nullAt(hi - 1)) hi--;
      // Rows sort by value ascending or descending; the target is value + k in the order's direction.
      const target = ascending ? values[i]! + k : values[i]! - k;
      // start: first row not before target; end: first row after target.
      let a = lo, z = hi;
      while (a < z) {
        const m = (a + z) >>> 1;
        const v = values[m]!;
        const before = ascending ? (isEnd ? v <= target : v < target) : (isEnd ? v >= target : v > target);
        if (before) a = m + 1; else z = m;
      }
      return a;
    }
  }
}
