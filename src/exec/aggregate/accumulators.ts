/**
 * Aggregate accumulators: one per aggregate, state held in typed arrays indexed by group id.
 *
 * Each accumulator folds a batch at a time: `update` takes raw input values (modes single
 * and partial), `merge` takes partial-state columns (mode final, layout in state.ts), and
 * `result` / `state` produce the columns for a range of groups.
 *
 *   count        Float64Array counts (exact to 2^53 rows)
 *   sum (float)  Float64Array sums + Float64Array non-NULL counts
 *   sum (int)    Float64Array fast sums for int32 input, flushed into a BigInt64Array before
 *                they could lose precision; int64 input adds straight into the BigInt64Array;
 *                overflowing BIGINT is an execution error, never a wrapped value
 *   avg          Float64Array sums + counts
 *   min / max    typed array per type + "seen" bytes; utf8 keeps each group's bytes in an
 *                arena (start/length per group), compacted when mostly garbage
 *   bool_and/or  Uint8Array values + "seen" bytes
 *   var, stddev  Float64Array counts, means and sums of squared deviations (Welford's
 *                update; states merge with Chan's formula)
 *   approx_count_distinct   HyperLogLog registers per group (hll.ts)
 *   string_agg, percentile_cont/disc   every (group, value[, order keys]) row (value_list.ts)
 *   DISTINCT     a GroupTable over (group id, value) pairs in front of the plain accumulator:
 *                only the first occurrence of each pair reaches it
 *
 * Without GROUP BY every row is group 0's: count, sum, avg, min and max then also fold a
 * batch with `updateOneGroup`, straight over the argument's arrays (batch_reduce.ts) instead
 * of through group ids; the state they leave is exactly the one update() leaves.
 */
import { allocValues, fixedColumn, intervalColumn, nullColumn, type Column, type TypedValues } from '../../columnar/column.js';
import { compareIntervalRows } from '../../columnar/interval.js';
import { take } from '../../columnar/kernels.js';
import { executionError } from '../../common/errors.js';
import type { AggregateExpr } from '../../expr/expr.js';
import type { DataType, DecimalType } from '../../common/types.js';
import { isDecimal } from '../../common/types.js';
import { isNested } from '../../common/nested_types.js';
import { GroupTable } from './group_table.js';
import { HllAccumulator } from './hll.js';
import { ValueListAccumulator } from './value_list.js';
import { isHolistic } from '../../expr/aggregate_state.js';
import { compareBytes } from '../../expr/compare.js';
import {
  bestBigIntRow, bestBytesRow, bestFloat64Row, bestIntRow, countValid, lessNumber, sumFloat64, sumInt32,
} from './batch_reduce.js';

export interface Accumulator {
  /** Make room for groups [0, groups). New groups start empty. */
  ensure(groups: number): void;
  /**
   * Fold raw input rows: row r belongs to group gids[r]. `arg` is null for count_star;
   * `extra` holds string_agg's ORDER BY key columns (orderInputs in aggregate_state.ts).
   */
  update(gids: Int32Array, n: number, arg: Column | null, extra?: readonly Column[]): void;
  /**
   * Fold raw input rows that all belong to group 0 (an aggregate without GROUP BY), with no
   * group ids; leaves the state update() would. Accumulators without it get update() with
   * group ids of 0.
   */
  updateOneGroup?(n: number, arg: Column | null): void;
  /** Fold partial-state columns (mode final): row r belongs to group gids[r]. */
  merge(gids: Int32Array, n: number, state: readonly Column[]): void;
  /** Final values of groups [start, end). */
  result(start: number, end: number): Column;
  /** Partial-state columns of groups [start, end) (layout in state.ts). */
  state(start: number, end: number): Column[];
  memoryBytes(): number;
  /**
   * Accumulators that hold rows rather than a state (DISTINCT sets, holistic aggregates):
   * every row held, as [group ids (int32), value, extra columns…]. A spill writes these and
   * update() folds them back.
   */
  heldRows?(): [Column, Column[]];
}

export function growF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2)); b.set(a); return b;
}
function growI64(a: BigInt64Array<ArrayBuffer>, n: number): BigInt64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new BigInt64Array(Math.max(n, a.length * 2)); b.set(a); return b;
}
export function growU8(a: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Uint8Array(Math.max(n, a.length * 2)); b.set(a); return b;
}
export function growI32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Int32Array(Math.max(n, a.length * 2)); b.set(a); return b;
}

/** Group ids 0 for n rows: the one-group folds of the argument kinds they do not loop over themselves. */
let zeros = new Int32Array(0);
function groupZero(n: number): Int32Array {
  if (zeros.length < n) zeros = new Int32Array(Math.max(n, 2 * zeros.length));
  return zeros;
}

/** Counts as an int64 column. */
function countColumn(counts: Float64Array, start: number, end: number): Column {
  const out = new BigInt64Array(end - start);
  for (let g = start; g < end; g++) out[g - start] = BigInt(counts[g]!);
  return fixedColumn('int64', out, null);
}

/** Validity that is 1 where counts > 0, or null when every group has input. */
function validityFromCounts(counts: Float64Array, start: number, end: number): Uint8Array | null {
  let any = false;
  for (let g = start; g < end; g++) if (counts[g] === 0) { any = true; break; }
  if (!any) return null;
  const v = new Uint8Array(end - start);
  for (let g = start; g < end; g++) v[g - start] = counts[g]! > 0 ? 1 : 0;
  return v;
}

/** Read a count state column (int64) into a number. */
function countAt(c: Column, r: number): number {
  if (c.type !== 'int64' || (c.validity !== null && c.validity[r] === 0)) return 0;
  return Number(c.values[r]!);
}

class CountAccumulator implements Accumulator {
  private counts = new Float64Array(16);
  constructor(private readonly star: boolean) {}

  ensure(groups: number): void { this.counts = growF64(this.counts, groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    const counts = this.counts;
    if (this.star || arg === null) { for (let r = 0; r < n; r++) counts[gids[r]!]!++; return; }
    if (arg.type === 'null') return;
    const v = arg.validity;
    if (v === null) for (let r = 0; r < n; r++) counts[gids[r]!]!++;
    else for (let r = 0; r < n; r++) counts[gids[r]!]! += v[r]!;
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (this.star || arg === null) { this.counts[0]! += n; return; }
    if (arg.type !== 'null') this.counts[0]! += countValid(arg.validity, n);
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    const c = state[0]!;
    for (let r = 0; r < n; r++) this.counts[gids[r]!]! += countAt(c, r);
  }

  result(start: number, end: number): Column { return countColumn(this.counts, start, end); }
  state(start: number, end: number): Column[] { return [countColumn(this.counts, start, end)]; }
  memoryBytes(): number { return this.counts.byteLength; }
}

/** Calls f(group, value) for every non-NULL numeric input row, as a JS number. */
function forEachNumber(gids: Int32Array, n: number, arg: Column, f: (g: number, x: number) => void): void {
  if (arg.type === 'null') return;
  if (arg.type !== 'int32' && arg.type !== 'int64' && arg.type !== 'float64') {
    throw new Error(`numeric aggregate over ${arg.type}`);
  }
  const valid = arg.validity;
  if (arg.type === 'int64') {
    const vals = arg.values;
    for (let r = 0; r < n; r++) if (valid === null || valid[r] === 1) f(gids[r]!, Number(vals[r]!));
  } else {
    const vals = arg.values;
    for (let r = 0; r < n; r++) if (valid === null || valid[r] === 1) f(gids[r]!, vals[r]!);
  }
}

/** sum with a float64 result, and avg: sums and non-NULL counts in Float64Arrays. */
class FloatSumAccumulator implements Accumulator {
  private sums = new Float64Array(16);
  private counts = new Float64Array(16);
  constructor(private readonly avg: boolean) {}

  ensure(groups: number): void { this.sums = growF64(this.sums, groups); this.counts = growF64(this.counts, groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const sums = this.sums, counts = this.counts;
    if (arg.type === 'float64' || arg.type === 'int32') {
      // Inlined fast path for the common types.
      const vals = arg.values, valid = arg.validity;
      if (valid === null) for (let r = 0; r < n; r++) { const g = gids[r]!; sums[g]! += vals[r]!; counts[g]!++; }
      else for (let r = 0; r < n; r++) if (valid[r] === 1) { const g = gids[r]!; sums[g]! += vals[r]!; counts[g]!++; }
      return;
    }
    forEachNumber(gids, n, arg, (g, x) => { sums[g]! += x; counts[g]!++; });
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type === 'float64') this.sums[0] = sumFloat64(arg.values, arg.validity, n, this.sums[0]!);
    else if (arg.type === 'int32') this.sums[0] = sumInt32(arg.values, arg.validity, n, this.sums[0]!);
    else { this.update(groupZero(n), n, arg); return; }
    this.counts[0]! += countValid(arg.validity, n);
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    const s = state[0]!, c = state[1]!;
    if (s.type !== 'float64') throw new Error(`float sum state must be float64, got ${s.type}`);
    for (let r = 0; r < n; r++) {
      const k = countAt(c, r);
      if (k === 0) continue;
      const g = gids[r]!;
      this.sums[g]! += s.values[r]!;
      this.counts[g]! += k;
    }
  }

  result(start: number, end: number): Column {
    const out = new Float64Array(end - start);
    for (let g = start; g < end; g++) {
      out[g - start] = this.avg ? (this.counts[g]! > 0 ? this.sums[g]! / this.counts[g]! : 0) : this.sums[g]!;
    }
    return fixedColumn('float64', out, validityFromCounts(this.counts, start, end));
  }

  state(start: number, end: number): Column[] {
    const sums = fixedColumn('float64', this.sums.slice(start, end), validityFromCounts(this.counts, start, end));
    return [sums, countColumn(this.counts, start, end)];
  }

  memoryBytes(): number { return this.sums.byteLength + this.counts.byteLength; }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** Fast float sums stay exact below 2^53; flush before one more int32 could cross it. */
const FLUSH_AT = 2 ** 52;

/** sum with an int64 result over int32 or int64 input (or int64 partial states). */
class IntSumAccumulator implements Accumulator {
  private fast = new Float64Array(16);
  private big = new BigInt64Array(16);
  private counts = new Float64Array(16);
  constructor(private readonly name: string) {}

  ensure(groups: number): void {
    this.fast = growF64(this.fast, groups); this.big = growI64(this.big, groups); this.counts = growF64(this.counts, groups);
  }

  private addBig(g: number, x: bigint): void {
    const s = this.big[g]! + x;
    if (s > INT64_MAX || s < INT64_MIN) throw executionError(`BIGINT out of range in ${this.name}`);
    this.big[g] = s;
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const valid = arg.validity, counts = this.counts;
    if (arg.type === 'int32') {
      const vals = arg.values, fast = this.fast;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const g = gids[r]!;
        const s = fast[g]! + vals[r]!;
        counts[g]!++;
        if (s > FLUSH_AT || s < -FLUSH_AT) { this.addBig(g, BigInt(s)); fast[g] = 0; } else fast[g] = s;
      }
      return;
    }
    if (arg.type === 'int64') {
      const vals = arg.values;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const g = gids[r]!;
        this.addBig(g, vals[r]!);
        counts[g]!++;
      }
      return;
    }
    throw new Error(`integer sum over ${arg.type}`);
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const valid = arg.validity;
    if (arg.type === 'int32') {
      const vals = arg.values;
      let fast = this.fast[0]!;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const s = fast + vals[r]!;
        if (s > FLUSH_AT || s < -FLUSH_AT) { this.addBig(0, BigInt(s)); fast = 0; } else fast = s;
      }
      this.fast[0] = fast;
    } else if (arg.type === 'int64') {
      const vals = arg.values;
      let big = this.big[0]!;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        big += vals[r]!;
        if (big > INT64_MAX || big < INT64_MIN) throw executionError(`BIGINT out of range in ${this.name}`);
      }
      this.big[0] = big;
    } else {
      throw new Error(`integer sum over ${arg.type}`);
    }
    this.counts[0]! += countValid(valid, n);
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    const s = state[0]!, c = state[1]!;
    if (s.type !== 'int64') throw new Error(`integer sum state must be int64, got ${s.type}`);
    for (let r = 0; r < n; r++) {
      const k = countAt(c, r);
      if (k === 0) continue;
      const g = gids[r]!;
      this.addBig(g, s.values[r]!);
      this.counts[g]! += k;
    }
  }

  private sums(start: number, end: number): Column {
    const out = new BigInt64Array(end - start);
    for (let g = start; g < end; g++) {
      const s = this.big[g]! + BigInt(this.fast[g]!);
      if (s > INT64_MAX || s < INT64_MIN) throw executionError(`BIGINT out of range in ${this.name}`);
      out[g - start] = s;
    }
    return fixedColumn('int64', out, validityFromCounts(this.counts, start, end));
  }

  result(start: number, end: number): Column { return this.sums(start, end); }
  state(start: number, end: number): Column[] { return [this.sums(start, end), countColumn(this.counts, start, end)]; }
  memoryBytes(): number { return this.fast.byteLength + this.big.byteLength + this.counts.byteLength; }
}

/** Below this magnitude a decimal input is added to the fast double sums (see DecimalSumAccumulator). */
const DECIMAL_FAST_INPUT = 2 ** 51;

/**
 * sum over decimals (exact): unscaled values at the input's scale. Inputs below 2^51 add into
 * Float64Array sums, flushed into a BigInt64Array once past 2^52 (so every double sum stays
 * exact); larger inputs and partial states add to the BigInt64Array. Beyond int64 the sum is
 * an execution error.
 */
class DecimalSumAccumulator implements Accumulator {
  private fast = new Float64Array(16);
  private big = new BigInt64Array(16);
  private counts = new Float64Array(16);
  constructor(private readonly name: string, private readonly type: DecimalType) {}

  ensure(groups: number): void {
    this.fast = growF64(this.fast, groups); this.big = growI64(this.big, groups); this.counts = growF64(this.counts, groups);
  }

  private addBig(g: number, x: bigint): void {
    const s = this.big[g]! + x;
    if (s > INT64_MAX || s < INT64_MIN) throw executionError(`decimal out of range in ${this.name}: the sum does not fit 64 bits`);
    this.big[g] = s;
  }

  private add(gids: Int32Array, n: number, c: Column, counts: Column | null): void {
    if (c.type === 'null') return;
    const valid = c.validity, vals = (c as { values: Float64Array | BigInt64Array }).values, cnt = this.counts;
    if (vals instanceof Float64Array) {
      const fast = this.fast;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const g = gids[r]!, x = vals[r]!;
        cnt[g]! += counts === null ? 1 : countAt(counts, r);
        if (x > DECIMAL_FAST_INPUT || x < -DECIMAL_FAST_INPUT) { this.addBig(g, BigInt(x)); continue; }
        const s = fast[g]! + x;
        if (s > FLUSH_AT || s < -FLUSH_AT) { this.addBig(g, BigInt(s)); fast[g] = 0; } else fast[g] = s;
      }
      return;
    }
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!;
      this.addBig(g, vals[r]!);
      cnt[g]! += counts === null ? 1 : countAt(counts, r);
    }
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg !== null) this.add(gids, n, arg, null);
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const valid = arg.validity, vals = (arg as { values: Float64Array | BigInt64Array }).values;
    if (vals instanceof Float64Array) {
      let fast = this.fast[0]!;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const x = vals[r]!;
        if (x > DECIMAL_FAST_INPUT || x < -DECIMAL_FAST_INPUT) { this.addBig(0, BigInt(x)); continue; }
        const s = fast + x;
        if (s > FLUSH_AT || s < -FLUSH_AT) { this.addBig(0, BigInt(s)); fast = 0; } else fast = s;
      }
      this.fast[0] = fast;
    } else {
      let big = this.big[0]!;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        big += vals[r]!;
        if (big > INT64_MAX || big < INT64_MIN) throw executionError(`decimal out of range in ${this.name}: the sum does not fit 64 bits`);
      }
      this.big[0] = big;
    }
    this.counts[0]! += countValid(valid, n);
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    this.add(gids, n, state[0]!, state[1]!);
  }

  private sums(start: number, end: number): Column {
    const out = new BigInt64Array(end - start);
    let small = true;
    for (let g = start; g < end; g++) {
      const s = this.big[g]! + BigInt(this.fast[g]!);
      if (s > INT64_MAX || s < INT64_MIN) throw executionError(`decimal out of range in ${this.name}: the sum does not fit 64 bits`);
      out[g - start] = s;
      if (s >= 9007199254740992n || s <= -9007199254740992n) small = false;
    }
    const validity = validityFromCounts(this.counts, start, end);
    if (!small) return fixedColumn(this.type, out, validity);
    const f = new Float64Array(end - start);
    for (let i = 0; i < f.length; i++) f[i] = Number(out[i]!);
    return fixedColumn(this.type, f, validity);
  }

  result(start: number, end: number): Column { return this.sums(start, end); }
  state(start: number, end: number): Column[] { return [this.sums(start, end), countColumn(this.counts, start, end)]; }
  memoryBytes(): number { return this.fast.byteLength + this.big.byteLength + this.counts.byteLength; }
}

/** min/max over decimals: doubles while every value seen is in the Float64Array form, then bigints. */
class DecimalMinMaxAccumulator implements Accumulator {
  private values = new Float64Array(16);
  private wide: BigInt64Array | null = null;
  private seen = new Uint8Array(16);
  constructor(private readonly isMax: boolean, private readonly type: DecimalType) {}

  ensure(groups: number): void {
    this.values = growF64(this.values, groups); this.seen = growU8(this.seen, groups);
    if (this.wide !== null && this.wide.length < groups) { const b = new BigInt64Array(Math.max(groups, this.wide.length * 2)); b.set(this.wide); this.wide = b; }
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const vals = (arg as { values: Float64Array | BigInt64Array }).values, valid = arg.validity, seen = this.seen, isMax = this.isMax;
    if (vals instanceof Float64Array && this.wide === null) {
      const values = this.values;
      for (let r = 0; r < n; r++) {
        if (valid !== null && valid[r] === 0) continue;
        const g = gids[r]!, x = vals[r]!;
        if (seen[g] === 0) { seen[g] = 1; values[g] = x; continue; }
        if (isMax ? values[g]! < x : x < values[g]!) values[g] = x;
      }
      return;
    }
    if (this.wide === null) {
      this.wide = new BigInt64Array(this.values.length);
      for (let g = 0; g < this.values.length; g++) if (seen[g] === 1) this.wide[g] = BigInt(this.values[g]!);
    }
    const wide = this.wide;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!, v = vals[r]!, x = typeof v === 'bigint' ? v : BigInt(v);
      if (seen[g] === 0) { seen[g] = 1; wide[g] = x; continue; }
      if (isMax ? wide[g]! < x : x < wide[g]!) wide[g] = x;
    }
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    const vals = (arg as { values: Float64Array | BigInt64Array }).values;
    if (!(vals instanceof Float64Array) || this.wide !== null) { this.update(groupZero(n), n, arg); return; }
    const r = bestFloat64Row(vals, arg.validity, n, this.isMax);
    if (r < 0) return;
    const x = vals[r]!;
    if (this.seen[0] === 0) { this.seen[0] = 1; this.values[0] = x; return; }
    if (this.isMax ? this.values[0]! < x : x < this.values[0]!) this.values[0] = x;
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    let validity: Uint8Array | null = null;
    for (let g = start; g < end; g++) if (this.seen[g] === 0) { validity = this.seen.slice(start, end); break; }
    if (this.wide === null) return fixedColumn(this.type, this.values.slice(start, end), validity);
    return fixedColumn(this.type, this.wide.slice(start, end), validity);
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return this.values.byteLength + this.seen.byteLength + (this.wide?.byteLength ?? 0); }
}

/** min/max over int32, date32, float64 and bool, values held as doubles. */
class NumberMinMaxAccumulator implements Accumulator {
  private values = new Float64Array(16);
  private seen = new Uint8Array(16);
  constructor(private readonly isMax: boolean, private readonly type: 'int32' | 'date32' | 'float64' | 'bool' | 'time') {}

  ensure(groups: number): void { this.values = growF64(this.values, groups); this.seen = growU8(this.seen, groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'int32' && arg.type !== 'date32' && arg.type !== 'float64' && arg.type !== 'bool' && arg.type !== 'time') {
      throw new Error(`min/max of ${this.type} over ${arg.type}`);
    }
    const vals = arg.values, valid = arg.validity, values = this.values, seen = this.seen;
    const isMax = this.isMax;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!, x = vals[r]!;
      if (seen[g] === 0) { seen[g] = 1; values[g] = x; continue; }
      if (isMax ? lessNumber(values[g]!, x) : lessNumber(x, values[g]!)) values[g] = x;
    }
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    let r: number;
    switch (arg.type) {
      case 'float64': case 'time': r = bestFloat64Row(arg.values, arg.validity, n, this.isMax); break;
      case 'int32': case 'date32': case 'bool': r = bestIntRow(arg.values, arg.validity, n, this.isMax); break;
      default: throw new Error(`min/max of ${this.type} over ${arg.type}`);
    }
    if (r < 0) return;
    const x = arg.values[r]!;
    if (this.seen[0] === 0) { this.seen[0] = 1; this.values[0] = x; return; }
    if (this.isMax ? lessNumber(this.values[0]!, x) : lessNumber(x, this.values[0]!)) this.values[0] = x;
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    const out = allocValues(this.type, end - start) as Exclude<TypedValues, BigInt64Array>;
    for (let g = start; g < end; g++) out[g - start] = this.values[g]!;
    let validity: Uint8Array | null = null;
    for (let g = start; g < end; g++) if (this.seen[g] === 0) { validity = this.seen.slice(start, end); break; }
    return fixedColumn(this.type, out, validity);
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return this.values.byteLength + this.seen.byteLength; }
}

/** min/max over intervals, in DuckDB's normalised order; the first of equal values is kept. */
class IntervalMinMaxAccumulator implements Accumulator {
  private best = intervalColumn(new Int32Array(16), new Int32Array(16), new Float64Array(16), new Uint8Array(16));
  constructor(private readonly isMax: boolean) {}

  ensure(groups: number): void {
    const b = this.best;
    if (groups <= b.length) return;
    const cap = Math.max(groups, 2 * b.length);
    const m = new Int32Array(cap), d = new Int32Array(cap), u = new Float64Array(cap), seen = new Uint8Array(cap);
    m.set(b.months); d.set(b.days); u.set(b.micros); seen.set(b.validity!);
    this.best = intervalColumn(m, d, u, seen);
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'interval') throw new Error(`min/max of interval over ${arg.type}`);
    const b = this.best, seen = b.validity!, valid = arg.validity;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!;
      if (seen[g] === 1) {
        const c = compareIntervalRows(arg, r, b, g);
        if (this.isMax ? c <= 0 : c >= 0) continue;
      }
      seen[g] = 1; b.months[g] = arg.months[r]!; b.days[g] = arg.days[r]!; b.micros[g] = arg.micros[r]!;
    }
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    const b = this.best;
    const seen = b.validity!.slice(start, end);
    return intervalColumn(b.months.slice(start, end), b.days.slice(start, end), b.micros.slice(start, end), seen.includes(0) ? seen : null);
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return 17 * this.best.length; }
}

/** min/max over int64 and timestamp. */
class BigIntMinMaxAccumulator implements Accumulator {
  private values = new BigInt64Array(16);
  private seen = new Uint8Array(16);
  constructor(private readonly isMax: boolean, private readonly type: 'int64' | 'timestamp') {}

  ensure(groups: number): void { this.values = growI64(this.values, groups); this.seen = growU8(this.seen, groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'int64' && arg.type !== 'timestamp') throw new Error(`min/max of ${this.type} over ${arg.type}`);
    const vals = arg.values, valid = arg.validity, values = this.values, seen = this.seen;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!, x = vals[r]!;
      if (seen[g] === 0) { seen[g] = 1; values[g] = x; continue; }
      if (this.isMax ? x > values[g]! : x < values[g]!) values[g] = x;
    }
  }

  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'int64' && arg.type !== 'timestamp') throw new Error(`min/max of ${this.type} over ${arg.type}`);
    const r = bestBigIntRow(arg.values, arg.validity, n, this.isMax);
    if (r < 0) return;
    const x = arg.values[r]!;
    if (this.seen[0] === 0) { this.seen[0] = 1; this.values[0] = x; return; }
    if (this.isMax ? x > this.values[0]! : x < this.values[0]!) this.values[0] = x;
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    let validity: Uint8Array | null = null;
    for (let g = start; g < end; g++) if (this.seen[g] === 0) { validity = this.seen.slice(start, end); break; }
    return fixedColumn(this.type, this.values.slice(start, end), validity);
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return this.values.byteLength + this.seen.byteLength; }
}

/**
 * min/max over utf8: each group's current value lives in an arena as (start, length).
 * A shorter or equal replacement overwrites in place; a longer one is appended, and the
 * arena is compacted when dead bytes outnumber live ones.
 */
class Utf8MinMaxAccumulator implements Accumulator {
  private starts = new Int32Array(16);
  private lengths = new Int32Array(16);
  private seen = new Uint8Array(16);
  private arena = new Uint8Array(1024);
  private used = 0;
  private live = 0;
  constructor(private readonly isMax: boolean, private readonly type: 'utf8' | 'blob' = 'utf8') {}

  ensure(groups: number): void {
    this.starts = growI32(this.starts, groups); this.lengths = growI32(this.lengths, groups); this.seen = growU8(this.seen, groups);
  }

  private store(g: number, data: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (this.seen[g] === 1 && n <= this.lengths[g]!) {
      this.arena.set(data.subarray(s, e), this.starts[g]!);
      this.live -= this.lengths[g]! - n;
      this.lengths[g] = n;
      return;
    }
    if (this.seen[g] === 1) this.live -= this.lengths[g]!;
    if (this.used + n > this.arena.length) this.makeRoom(n);
    this.arena.set(data.subarray(s, e), this.used);
    this.starts[g] = this.used;
    this.lengths[g] = n;
    this.seen[g] = 1;
    this.used += n;
    this.live += n;
  }

  /** Compact (when mostly dead) or grow the arena so n more bytes fit. */
  private makeRoom(n: number): void {
    const compact = this.live * 2 < this.used;
    const cap = Math.max(compact ? this.arena.length : this.arena.length * 2, (this.live + n) * 2);
    const next = new Uint8Array(cap);
    let pos = 0;
    if (compact || cap !== this.arena.length) {
      for (let g = 0; g < this.seen.length; g++) {
        if (this.seen[g] !== 1) continue;
        const s = this.starts[g]!, len = this.lengths[g]!;
        next.set(this.arena.subarray(s, s + len), pos);
        this.starts[g] = pos;
        pos += len;
      }
    }
    this.arena = next;
    this.used = pos;
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'utf8' && arg.type !== 'blob') throw new Error(`min/max of utf8 over ${arg.type}`);
    const valid = arg.validity, off = arg.offsets, data = arg.data;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!, s = off[r]!, e = off[r + 1]!;
      if (this.seen[g] === 1) {
        const st = this.starts[g]!;
        const cmp = compareBytes(data, s, e, this.arena, st, st + this.lengths[g]!);
        if (this.isMax ? cmp <= 0 : cmp >= 0) continue;
      }
      this.store(g, data, s, e);
    }
  }

  /** The batch's best row is found among its own bytes; only it is compared with the group's value and copied. */
  updateOneGroup(n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'utf8' && arg.type !== 'blob') throw new Error(`min/max of utf8 over ${arg.type}`);
    const off = arg.offsets, data = arg.data;
    const r = bestBytesRow(off, data, arg.validity, n, this.isMax);
    if (r < 0) return;
    const s = off[r]!, e = off[r + 1]!;
    if (this.seen[0] === 1) {
      const st = this.starts[0]!;
      const cmp = compareBytes(data, s, e, this.arena, st, st + this.lengths[0]!);
      if (this.isMax ? cmp <= 0 : cmp >= 0) return;
    }
    this.store(0, data, s, e);
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    const count = end - start;
    const offsets = new Int32Array(count + 1);
    let total = 0;
    for (let g = start; g < end; g++) { if (this.seen[g] === 1) total += this.lengths[g]!; offsets[g - start + 1] = total; }
    const data = new Uint8Array(total);
    let validity: Uint8Array | null = null;
    for (let g = start; g < end; g++) {
      if (this.seen[g] !== 1) { validity ??= this.seen.slice(start, end); continue; }
      const s = this.starts[g]!;
      data.set(this.arena.subarray(s, s + this.lengths[g]!), offsets[g - start]!);
    }
    return { type: this.type, length: count, validity, offsets, data };
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return this.starts.byteLength + this.lengths.byteLength + this.seen.byteLength + this.arena.byteLength; }
}

/** bool_and / bool_or: the running AND / OR of the non-NULL inputs (NULL without any). */
class BoolAccumulator implements Accumulator {
  private values = new Uint8Array(16);
  private seen = new Uint8Array(16);
  constructor(private readonly isAnd: boolean) {}

  ensure(groups: number): void { this.values = growU8(this.values, groups); this.seen = growU8(this.seen, groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null') return;
    if (arg.type !== 'bool') throw new Error(`bool_and/bool_or over ${arg.type}`);
    const vals = arg.values, valid = arg.validity, values = this.values, seen = this.seen;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      const g = gids[r]!, x = vals[r]!;
      if (seen[g] === 0) { seen[g] = 1; values[g] = x; continue; }
      values[g] = this.isAnd ? values[g]! & x : values[g]! | x;
    }
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void { this.update(gids, n, state[0]!); }

  result(start: number, end: number): Column {
    let validity: Uint8Array | null = null;
    for (let g = start; g < end; g++) if (this.seen[g] === 0) { validity = this.seen.slice(start, end); break; }
    return fixedColumn('bool', this.values.slice(start, end), validity);
  }

  state(start: number, end: number): Column[] { return [this.result(start, end)]; }
  memoryBytes(): number { return this.values.byteLength + this.seen.byteLength; }
}

/**
 * var_samp, var_pop, stddev_samp, stddev_pop: count, mean and m2 (the sum of squared
 * deviations from the mean) per group, updated one value at a time (Welford) and merged
 * with Chan's parallel formula, which stay accurate where sum-of-squares formulas cancel.
 */
class VarianceAccumulator implements Accumulator {
  private counts = new Float64Array(16);
  private means = new Float64Array(16);
  private m2s = new Float64Array(16);
  constructor(private readonly fn: 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop') {}

  ensure(groups: number): void {
    this.counts = growF64(this.counts, groups); this.means = growF64(this.means, groups); this.m2s = growF64(this.m2s, groups);
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null) return;
    const counts = this.counts, means = this.means, m2s = this.m2s;
    forEachNumber(gids, n, arg, (g, x) => {
      const c = ++counts[g]!;
      const d = x - means[g]!;
      means[g]! += d / c;
      m2s[g]! += d * (x - means[g]!);
    });
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    const c = state[0]!, mean = state[1]!, m2 = state[2]!;
    if (mean.type !== 'float64' || m2.type !== 'float64') throw new Error('variance state must be float64');
    const counts = this.counts, means = this.means, m2s = this.m2s;
    for (let r = 0; r < n; r++) {
      const k = countAt(c, r);
      if (k === 0) continue;
      const g = gids[r]!, na = counts[g]!, total = na + k;
      const d = mean.values[r]! - means[g]!;
      means[g]! += d * k / total;
      m2s[g]! += m2.values[r]! + d * d * na * k / total;
      counts[g] = total;
    }
  }

  result(start: number, end: number): Column {
    const out = new Float64Array(end - start);
    const validity = new Uint8Array(end - start);
    const samp = this.fn === 'var_samp' || this.fn === 'stddev_samp';
    const root = this.fn === 'stddev_samp' || this.fn === 'stddev_pop';
    let allValid = true;
    for (let g = start; g < end; g++) {
      const c = this.counts[g]!;
      const d = samp ? c - 1 : c;
      if (d <= 0) { allValid = false; continue; }
      const v = Math.max(0, this.m2s[g]! / d);
      out[g - start] = root ? Math.sqrt(v) : v;
      validity[g - start] = 1;
    }
    return fixedColumn('float64', out, allValid ? null : validity);
  }

  state(start: number, end: number): Column[] {
    const valid = validityFromCounts(this.counts, start, end);
    return [
      countColumn(this.counts, start, end),
      fixedColumn('float64', this.means.slice(start, end), valid),
      fixedColumn('float64', this.m2s.slice(start, end), valid),
    ];
  }

  memoryBytes(): number { return this.counts.byteLength + this.means.byteLength + this.m2s.byteLength; }
}

/** An aggregate whose result type is NULL (min/max/sum of a NULL literal): always NULL. */
class NullAccumulator implements Accumulator {
  constructor(private readonly withCount: boolean) {}
  ensure(): void {}
  update(): void {}
  updateOneGroup(): void {}
  merge(): void {}
  result(start: number, end: number): Column { return nullColumn(end - start); }
  state(start: number, end: number): Column[] {
    const n = end - start;
    return this.withCount ? [nullColumn(n), fixedColumn('int64', new BigInt64Array(n), null)] : [nullColumn(n)];
  }
  memoryBytes(): number { return 0; }
}

/**
 * DISTINCT in front of another accumulator: a GroupTable over (group id, value) pairs.
 * Pair ids are handed out in row order, so a row carries a new pair exactly when its id
 * is the next unseen one; only those rows reach the inner accumulator.
 */
export class DistinctAccumulator implements Accumulator {
  private readonly pairs: GroupTable;
  private pairIds = new Int32Array(0);
  constructor(private readonly inner: Accumulator, argType: DataType) {
    this.pairs = new GroupTable(['int32', argType]);
  }

  ensure(groups: number): void { this.inner.ensure(groups); }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null) throw new Error('DISTINCT aggregate without an argument');
    if (this.pairIds.length < n) this.pairIds = new Int32Array(n);
    const before = this.pairs.groupCount;
    const gidColumn = fixedColumn('int32', gids.subarray(0, n), null);
    const ids = this.pairs.insert([gidColumn, arg], n, this.pairIds);
    const fresh = this.pairs.groupCount - before;
    if (fresh === 0) return;
    const rows = new Int32Array(fresh);
    let next = before, k = 0;
    for (let r = 0; r < n && k < fresh; r++) if (ids[r] === next) { rows[k++] = r; next++; }
    const freshGids = new Int32Array(fresh);
    for (let i = 0; i < fresh; i++) freshGids[i] = gids[rows[i]!]!;
    this.inner.update(freshGids, fresh, take(arg, rows));
  }

  merge(): void { throw new Error('DISTINCT aggregates have no partial state (run them in mode single)'); }

  /** Every distinct (group id, value) pair seen: [group ids (int32), [values]]. A spill writes these. */
  heldRows(): [Column, Column[]] {
    const cols = this.pairs.keyColumns(0, this.pairs.groupCount);
    return [cols[0]!, [cols[1]!]];
  }

  result(start: number, end: number): Column { return this.inner.result(start, end); }
  state(): Column[] { throw new Error('DISTINCT aggregates have no partial state (run them in mode single)'); }
  memoryBytes(): number { return this.inner.memoryBytes() + this.pairs.memoryBytes() + this.pairIds.byteLength; }
}

/** The accumulator for one aggregate. `argType` is the type of its input (unused for count_star). */
export function makeAccumulator(agg: AggregateExpr, argType: DataType | null): Accumulator {
  const inner = isHolistic(agg) ? new ValueListAccumulator(agg, argType ?? 'null') : makePlain(agg, argType);
  if (!agg.distinct || agg.fn === 'count_star') return inner;
  return new DistinctAccumulator(inner, argType ?? 'null');
}

function makePlain(agg: AggregateExpr, argType: DataType | null): Accumulator {
  switch (agg.fn) {
    case 'bool_and': case 'bool_or': return new BoolAccumulator(agg.fn === 'bool_and');
    case 'var_samp': case 'var_pop': case 'stddev_samp': case 'stddev_pop': return new VarianceAccumulator(agg.fn);
    case 'approx_count_distinct': return new HllAccumulator();
    case 'string_agg': case 'percentile_cont': case 'percentile_disc': case 'list': return new ValueListAccumulator(agg, argType ?? 'null');
    case 'count_star': return new CountAccumulator(true);
    case 'count': return new CountAccumulator(false);
    case 'avg': return new FloatSumAccumulator(true);
    case 'sum':
      if (isDecimal(agg.type)) return new DecimalSumAccumulator(agg.name, agg.type);
      if (agg.type === 'int64') return new IntSumAccumulator(agg.name);
      if (agg.type === 'float64') return new FloatSumAccumulator(false);
      if (agg.type === 'null') return new NullAccumulator(true);
      throw new Error(`sum with result type ${agg.type}`);
    case 'min': case 'max': {
      const isMax = agg.fn === 'max';
      const t = argType === 'null' ? 'null' : agg.type;
      switch (t) {
        case 'null': return new NullAccumulator(false);
        case 'utf8': case 'blob': return new Utf8MinMaxAccumulator(isMax, t);
        case 'int64': case 'timestamp': return new BigIntMinMaxAccumulator(isMax, t);
        case 'interval': return new IntervalMinMaxAccumulator(isMax);
        default:
          if (isDecimal(t)) return new DecimalMinMaxAccumulator(isMax, t);
          if (isNested(t)) throw executionError(`${agg.fn}() of a ${t} value is not supported`);
          return new NumberMinMaxAccumulator(isMax, t);
      }
    }
  }
}
