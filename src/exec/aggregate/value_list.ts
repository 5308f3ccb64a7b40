/**
 * The holistic aggregates: string_agg, percentile_cont and percentile_disc (median and
 * quantile_* bind to these). Each needs every value of its group, so the accumulator keeps
 * every (group, value[, ORDER BY keys]) row with a non-NULL value:
 *
 *   update: append the rows (copied, compact) ─▶ parts
 *   result: concat parts ─▶ sort rows by (group, order keys | value) once (stable, so
 *           string_agg without ORDER BY keeps arrival order) ─▶ walk each group's run:
 *             string_agg        values joined by the separator
 *             percentile_disc   the value at position ceil(n·f) − 1 (PostgreSQL, DuckDB)
 *             percentile_cont   linear interpolation at position (n − 1)·f
 *
 * Memory: the rows held count in memoryBytes(), so the aggregate's reservation covers them
 * and a table that outgrows its share spills them by group-key hash (heldRows(), as the
 * DISTINCT sets do) and re-aggregates part by part. One group's values must fit in memory.
 * There is no partial state: the planner runs these aggregates in mode single only.
 */
import { columnBytes, fixedColumn, type Column, type ListColumn } from '../../columnar/column.js';
import { concatColumns, take } from '../../columnar/kernels.js';
import type { DataType } from '../../common/types.js';
import type { AggregateExpr } from '../../expr/expr.js';
import { orderInputs } from '../../expr/aggregate_state.js';
import { sortIndices, type SortOrder } from '../sort/row_compare.js';
import type { Accumulator } from './accumulators.js';

export class ValueListAccumulator implements Accumulator {
  private gidParts: Int32Array[] = [];
  /** Per update: [value, extra key columns…], rows with a non-NULL value only. */
  private parts: Column[][] = [];
  private bytes = 0;
  private groups = 0;
  private readonly extraTypes: DataType[];
  /** Sorted rows, built at the first result() and dropped by the next update. */
  private sorted: { cols: Column[]; order: Int32Array; starts: Int32Array } | null = null;

  constructor(private readonly agg: AggregateExpr, private readonly valueType: DataType) {
    this.extraTypes = orderInputs(agg).map((k) => k.expr.type);
  }

  ensure(groups: number): void { if (groups > this.groups) this.groups = groups; }

  update(gids: Int32Array, n: number, arg: Column | null, extra: readonly Column[] = []): void {
    if (arg === null || n === 0) return;
    if (arg.type === 'null' && this.agg.fn !== 'list') return;
    // list() keeps NULL values as NULL elements; the others skip them
    const valid = this.agg.fn === 'list' ? null : arg.validity;
    let m = 0;
    const rows = new Int32Array(n);
    for (let r = 0; r < n; r++) if (valid === null || valid[r] === 1) rows[m++] = r;
    if (m === 0) return;
    const g = new Int32Array(m);
    for (let i = 0; i < m; i++) g[i] = gids[rows[i]!]!;
    const cols = [arg, ...extra].map((c) => take(c, rows, m));
    this.gidParts.push(g);
    this.parts.push(cols);
    this.bytes += g.byteLength + cols.reduce((s, c) => s + columnBytes(c), 0);
    this.sorted = null;
  }

  merge(): void { throw new Error(`${this.agg.fn} has no partial state (run it in mode single)`); }
  state(): Column[] { throw new Error(`${this.agg.fn} has no partial state (run it in mode single)`); }

  heldRows(): [Column, Column[]] {
    const gids = concatInt32(this.gidParts);
    const types = [this.valueType, ...this.extraTypes];
    return [fixedColumn('int32', gids, null), types.map((t, k) => concatColumns(t, this.parts.map((p) => p[k]!)))];
  }

  private sort(): { cols: Column[]; order: Int32Array; starts: Int32Array } {
    if (this.sorted !== null) return this.sorted;
    const [gidCol, cols] = this.heldRows();
    const n = gidCol.length;
    const keys = orderInputs(this.agg);
    const valueOrder: SortOrder = { ascending: this.agg.orderBy?.[0]?.ascending ?? true, nullsFirst: this.agg.orderBy?.[0]?.nullsFirst ?? false };
    const byKeys = keys.length > 0 || this.agg.orderBy?.length;
    const sortCols = [gidCol, ...(keys.length > 0 ? cols.slice(1) : byKeys ? [cols[0]!] : [])];
    const orders: SortOrder[] = [{ ascending: true, nullsFirst: false }, ...(keys.length > 0 ? keys : byKeys ? [valueOrder] : [])];
    const order = sortIndices(sortCols, orders, n);
    const starts = new Int32Array(this.groups + 1);
    const g = (gidCol as Extract<Column, { type: 'int32' }>).values;
    for (let i = 0; i < n; i++) starts[g[i]! + 1]!++;
    for (let k = 0; k < this.groups; k++) starts[k + 1]! += starts[k]!;
    this.sorted = { cols, order, starts };
    return this.sorted;
  }

  result(start: number, end: number): Column {
    const { cols, order, starts } = this.sort();
    const value = cols[0]!;
    switch (this.agg.fn) {
      case 'string_agg': return joinStrings(value, order, starts, start, end, this.agg.separator ?? null);
      case 'list': return listOf(value, order, starts, start, end, this.agg.type);
      case 'percentile_disc': return discrete(value, order, starts, start, end, this.agg.fraction ?? 0.5);
      default: return continuous(value, order, starts, start, end, this.agg.fraction ?? 0.5);
    }
  }

  memoryBytes(): number { return this.bytes; }
}

function concatInt32(parts: readonly Int32Array[]): Int32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int32Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** string_agg: each group's values in sorted order, joined by the separator; NULL without values. */
function joinStrings(value: Column, order: Int32Array, starts: Int32Array, start: number, end: number, separator: string | null): Column {
  const count = end - start;
  const validity = new Uint8Array(count);
  const offsets = new Int32Array(count + 1);
  if (value.type !== 'utf8' || separator === null) return { type: 'utf8', length: count, validity, offsets, data: new Uint8Array(0) };
  const sep = new TextEncoder().encode(separator);
  let total = 0;
  for (let g = start; g < end; g++) {
    for (let i = starts[g]!; i < starts[g + 1]!; i++) total += value.offsets[order[i]! + 1]! - value.offsets[order[i]!]!;
    const k = starts[g + 1]! - starts[g]!;
    if (k > 0) total += sep.length * (k - 1);
  }
  const data = new Uint8Array(total);
  let pos = 0;
  let allValid = true;
  for (let g = start; g < end; g++) {
    const from = starts[g]!, to = starts[g + 1]!;
    if (from === to) allValid = false;
    else validity[g - start] = 1;
    for (let i = from; i < to; i++) {
      if (i > from) { data.set(sep, pos); pos += sep.length; }
      const r = order[i]!, s = value.offsets[r]!, e = value.offsets[r + 1]!;
      data.set(value.data.subarray(s, e), pos);
      pos += e - s;
    }
    offsets[g - start + 1] = pos;
  }
  return { type: 'utf8', length: count, validity: allValid ? null : validity, offsets, data };
}

/** list: each group's values in sorted (else arrival) order as one list; NULL for a group without rows. */
function listOf(value: Column, order: Int32Array, starts: Int32Array, start: number, end: number, type: DataType): Column {
  const count = end - start;
  const offsets = new Int32Array(count + 1);
  const validity = new Uint8Array(count);
  let allValid = true;
  const base = starts[start]!;
  for (let g = start; g < end; g++) {
    offsets[g - start + 1] = starts[g + 1]! - base;
    if (starts[g + 1] === starts[g]) allValid = false; else validity[g - start] = 1;
  }
  const child = take(value, order.subarray(base, starts[end]!));
  return { type: type as ListColumn['type'], length: count, validity: allValid ? null : validity, offsets, child };
}

/** percentile_disc: the value at position ceil(n·f) − 1 of each group's sorted values. */
function discrete(value: Column, order: Int32Array, starts: Int32Array, start: number, end: number, f: number): Column {
  const count = end - start;
  const pick = new Int32Array(count);
  const validity = new Uint8Array(count);
  let allValid = true;
  for (let g = start; g < end; g++) {
    const n = starts[g + 1]! - starts[g]!;
    if (n === 0) { allValid = false; continue; }
    const at = Math.min(n - 1, Math.max(0, Math.ceil(n * f) - 1));
    pick[g - start] = order[starts[g]! + at]!;
    validity[g - start] = 1;
  }
  const out = take(value, pick, count);
  return allValid ? out : { ...out, validity } as Column;
}

/** A numeric value as a double. */
function numberAt(c: Column, r: number): number {
  switch (c.type) {
    case 'int32': case 'float64': return c.values[r]!;
    case 'int64': return Number(c.values[r]!);
    default: throw new Error(`percentile_cont over ${c.type}`);
  }
}

/** percentile_cont: linear interpolation at position (n − 1)·f of each group's sorted values. */
function continuous(value: Column, order: Int32Array, starts: Int32Array, start: number, end: number, f: number): Column {
  const count = end - start;
  const out = new Float64Array(count);
  const validity = new Uint8Array(count);
  let allValid = true;
  for (let g = start; g < end; g++) {
    const n = starts[g + 1]! - starts[g]!;
    if (n === 0) { allValid = false; continue; }
    const pos = (n - 1) * f;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    const a = numberAt(value, order[starts[g]! + lo]!);
    const b = numberAt(value, order[starts[g]! + hi]!);
    out[g - start] = lo === hi ? a : a + (b - a) * (pos - lo);
    validity[g - start] = 1;
  }
  return fixedColumn('float64', out, allValid ? null : validity);
}
