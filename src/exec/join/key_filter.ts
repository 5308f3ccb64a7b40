/**
 * Join key filters: a hash join whose build side is small hands the set of its build keys to
 * the Parquet scans under its probe side that plan/join_key_filters.ts marked, and those
 * scans drop rows whose key is not in the set before anything above them sees the rows.
 *
 *   HashJoin (after its build)  ──publishKeyFilter(ctx, scan id, partition, KeyFilter)──┐
 *   ParquetScan (each batch)    ◀──keyFilterFor(ctx, scan id, partition)────────────────┘
 *
 * Only an optimisation: a scan that finds no filter (not published yet, or the join runs in
 * another task) reads every row, and the join still matches keys itself. The join publishes
 * only to scans it reaches in its own probe subtree (findKeyFilterScans), so a filter never
 * crosses an exchange. Filters are kept per task: by the task's AbortSignal, which every
 * context derived from the task's own (`{ ...ctx, shared }`) carries along.
 *
 * Keys: one int32 or date32 column (Int32Array values); NULL keys never match. The set is
 * open addressing over an Int32Array, with the keys' min and max checked first.
 */
import type { Batch, Column } from '../../columnar/column.js';
import { takeBatch } from '../../columnar/kernels.js';
import type { HashJoinType, PhysicalPlan, ScanKeyFilter } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';

/** Build sides above this many rows publish no filter (the set would cost more than it saves). */
export const MAX_KEY_FILTER_ROWS = 1 << 18;

/** The join types where a probe row whose key is in no build row adds nothing to the output. */
export function dropsUnmatchedProbeRows(t: HashJoinType): boolean {
  return t === 'inner' || t === 'semi' || t === 'right' || t === 'right_semi' || t === 'right_anti';
}

export class KeyFilter {
  private readonly slots: Int32Array;
  /** 1 where slots[i] holds a key (0 is a valid key). */
  private readonly used: Uint8Array;
  private readonly mask: number;
  readonly min: number;
  readonly max: number;
  readonly size: number;

  /** The distinct valid values of `keys` (an int32 / date32 column). */
  constructor(keys: Column) {
    if (keys.type !== 'int32' && keys.type !== 'date32') throw new Error(`key filter over ${keys.type} keys`);
    const v = keys.values;
    const valid = keys.validity;
    let cap = 16;
    while (cap < keys.length * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    let min = 0x7fffffff, max = -0x80000000, size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const x = v[i]!;
      let h = Math.imul(x, 0x9e3779b1) >>> 0 & this.mask;
      while (this.used[h] === 1 && this.slots[h] !== x) h = (h + 1) & this.mask;
      if (this.used[h] === 1) continue;
      this.used[h] = 1;
      this.slots[h] = x;
      size++;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.min = min;
    this.max = max;
    this.size = size;
  }

  /** Positions of rows [0, n) whose key is in the set (NULL: never), into out; returns how many. */
  select(keys: Column, n: number, out: Int32Array): number {
    if (keys.type !== 'int32' && keys.type !== 'date32') return selectAll(n, out);
    const v = keys.values;
    const valid = keys.validity;
    const slots = this.slots, used = this.used, mask = this.mask, min = this.min, max = this.max;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (x < min || x > max) continue;
      if (valid !== null && valid[i] === 0) continue;
      let h = Math.imul(x, 0x9e3779b1) >>> 0 & mask;
      while (used[h] === 1) {
        if (slots[h] === x) { out[k++] = i; break; }
        h = (h + 1) & mask;
      }
    }
    return k;
  }
}

function selectAll(n: number, out: Int32Array): number {
  for (let i = 0; i < n; i++) out[i] = i;
  return n;
}

/** Published filters of each task, by "scan id:partition:join id". */
const published = new WeakMap<AbortSignal, Map<string, KeyFilter>>();

export function publishKeyFilter(ctx: TaskContext, scanId: number, partition: number, joinId: number, filter: KeyFilter): void {
  let m = published.get(ctx.signal);
  if (m === undefined) { m = new Map(); published.set(ctx.signal, m); }
  m.set(`${scanId}:${partition}:${joinId}`, filter);
}

/** Take back what join `joinId` published for these scans (it runs again, maybe without a set). */
export function withdrawKeyFilters(ctx: TaskContext, scanIds: readonly number[], partition: number, joinId: number): void {
  const m = published.get(ctx.signal);
  if (m !== undefined) for (const scanId of scanIds) m.delete(`${scanId}:${partition}:${joinId}`);
}

/** The filter join `joinId` published for this scan partition in this task, if any. */
export function keyFilterFor(ctx: TaskContext, scanId: number, partition: number, joinId: number): KeyFilter | undefined {
  return published.get(ctx.signal)?.get(`${scanId}:${partition}:${joinId}`);
}

/**
 * The ParquetScans of `probe` (a join's probe side, as this task runs it) that expect keys from
 * join `joinId`, through the node kinds that keep each row whole and in the same partition; an
 * exchange, a shared subplan or any other kind ends the walk.
 */
export function findKeyFilterScans(probe: PhysicalPlan, joinId: number): number[] {
  const out: number[] = [];
  const walk = (p: PhysicalPlan): void => {
    switch (p.kind) {
      case 'ParquetScan':
        if (p.keyFilters?.some((f) => f.join === joinId)) out.push(p.id);
        return;
      case 'Projection': case 'Filter': case 'HashAggregate':
        walk(p.input);
        return;
      case 'HashJoin':
        walk(p.left);
        walk(p.right);
        return;
      default:
        return;
    }
  };
  walk(probe);
  return out;
}

/** A scan with few rows checked keeps filtering; past this, a filter that keeps most rows is dropped. */
const ADAPT_AFTER_ROWS = 1 << 16;
/** A filter that keeps more than this share of the rows costs more (the copy) than it saves. */
const MAX_KEPT_SHARE = 0.75;

/**
 * The key filters of one scan partition: each batch keeps the rows whose keys are in every
 * published filter. Metrics: keyFilterRowsIn / keyFilterRowsOut (rows checked and kept).
 */
export class ScanKeyFilters {
  private readonly checked: number[];
  private readonly kept: number[];
  private readonly off: boolean[];
  private idx = new Int32Array(0);

  constructor(
    private readonly filters: readonly ScanKeyFilter[], private readonly scanId: number, private readonly partition: number,
    private readonly ctx: TaskContext,
  ) {
    this.checked = filters.map(() => 0);
    this.kept = filters.map(() => 0);
    this.off = filters.map(() => false);
  }

  apply(batch: Batch): Batch {
    let b = batch;
    for (let f = 0; f < this.filters.length && b.length > 0; f++) {
      if (this.off[f]) continue;
      const filter = keyFilterFor(this.ctx, this.scanId, this.partition, this.filters[f]!.join);
      if (filter === undefined) continue;
      const n = b.length;
      if (this.idx.length < n) this.idx = new Int32Array(n);
      const k = filter.select(b.columns[this.filters[f]!.column]!, n, this.idx);
      this.checked[f] += n;
      this.kept[f] += k;
      this.ctx.metrics.add(this.scanId, 'keyFilterRowsIn', n);
      this.ctx.metrics.add(this.scanId, 'keyFilterRowsOut', k);
      if (this.checked[f]! >= ADAPT_AFTER_ROWS && this.kept[f]! > MAX_KEPT_SHARE * this.checked[f]!) this.off[f] = true;
      if (k < n) b = takeBatch(b, this.idx, k);
    }
    return b;
  }
}
