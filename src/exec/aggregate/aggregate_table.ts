/**
 * AggregateTable: a GroupTable plus one accumulator per aggregate, kept apart from the
 * operator so that a spilling aggregate can fill a table, emit it (to a spill file or
 * downstream) and start a fresh one.
 *
 *   insertRaw(keys, args, n)      modes single / partial: args[i] = aggregate i's input
 *                                 (no keys: one group, folded without group ids where the
 *                                 accumulator has updateOneGroup)
 *   insertState(keys, states, n)  mode final: states[i] = aggregate i's state columns
 *   emit(schema, batchSize[, as]) batches of [group keys | results] (single, final)
 *                                 or [group keys | state columns] (partial, or as 'states')
 *   emitSpill / insertSpilled     the spill format (spillFields), read back into a fresh table
 *
 * Spill format: [group keys | per aggregate: its partial-state columns, or for a DISTINCT
 * or holistic aggregate one column of its argument values (plus string_agg's ORDER BY key
 * columns)]. A table is written as one row per group (states, NULL values), then one row per
 * row held by each DISTINCT or holistic aggregate (its distinct (group, value) pairs, or
 * every (group, value, keys) row; neutral states elsewhere: count 0, NULL sum/min/max).
 * Folding all those rows back (insertSpilled) rebuilds exactly the same groups, states and
 * held rows; NULL values and neutral states change nothing. Without DISTINCT or holistic
 * aggregates it is the partial-state layout.
 */
import { fixedColumn, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { repeatScalar, sliceColumn, take } from '../../columnar/kernels.js';
import type { AggregateExpr } from '../../expr/expr.js';
import { field, type DataType, type Field, type Schema } from '../../common/types.js';
import { makeAccumulator, type Accumulator } from './accumulators.js';
import { GroupTable } from './group_table.js';
import { isHolistic, orderInputs, partialStateFields, partialStateWidth } from '../../expr/aggregate_state.js';

export type AggregateMode = 'single' | 'partial' | 'final';

export class AggregateTable {
  readonly groups: GroupTable;
  private readonly accs: Accumulator[];
  private gids = new Int32Array(0);
  /** Groups the accumulator arrays have room for (they double as growF64 does). */
  private accGroups = 16;
  /** Groups the table was sized for up front (0: grown as it fills). */
  readonly capacity: number;

  /**
   * argTypes[i]: input type of aggregate i (null for count_star; ignored in mode final).
   * expectedGroups: size the hash table and the accumulators for this many groups up front.
   */
  constructor(
    keyTypes: readonly DataType[], readonly aggs: readonly AggregateExpr[],
    readonly mode: AggregateMode, private readonly argTypes: readonly (DataType | null)[], expectedGroups = 0,
  ) {
    this.groups = new GroupTable(keyTypes, expectedGroups);
    this.capacity = expectedGroups;
    this.accs = aggs.map((a, i) => makeAccumulator(a, mode === 'final' ? a.type : argTypes[i] ?? null));
    // Holistic accumulators count their groups from ensure(): only the others are sized ahead.
    this.accs.forEach((acc, i) => acc.ensure(Math.max(this.groups.groupCount, isHolistic(aggs[i]!) ? 0 : expectedGroups)));
    this.accGroups = Math.max(16, expectedGroups);
  }

  get groupCount(): number { return this.groups.groupCount; }

  private groupIds(keys: readonly Column[], n: number): Int32Array {
    if (this.gids.length < n) this.gids = new Int32Array(n);
    const gids = this.groups.insert(keys, n, this.gids);
    const g = this.groups.groupCount;
    for (const acc of this.accs) acc.ensure(g);
    if (g > this.accGroups) this.accGroups = Math.max(g, 2 * this.accGroups);
    return gids;
  }

  /**
   * Bytes the table would allocate anew to take n more groups: hash slots, key arrays and
   * accumulator arrays double (the old ones stay allocated until the copy is done).
   */
  growthBytes(n: number): number {
    let bytes = this.groups.growthBytes(n);
    if (this.groups.groupCount + n > this.accGroups) {
      for (const acc of this.accs) bytes += 2 * acc.memoryBytes();
    }
    return bytes;
  }

  /** Create these groups (if new) without folding any value into them. */
  addGroups(keys: readonly Column[], n: number): void {
    if (n > 0) this.groupIds(keys, n);
  }

  /** Fold n raw input rows (modes single and partial); extra[i]: aggregate i's ORDER BY key columns. */
  insertRaw(keys: readonly Column[], args: readonly (Column | null)[], n: number, extra?: readonly (readonly Column[])[]): void {
    if (n === 0) return;
    if (this.groups.keyTypes.length === 0) { this.insertOneGroup(args, n, extra); return; }
    const gids = this.groupIds(keys, n);
    for (let i = 0; i < this.accs.length; i++) this.accs[i]!.update(gids, n, args[i] ?? null, extra?.[i]);
  }

  /** No GROUP BY: every row is the one group's, folded without group ids where the accumulator can. */
  private insertOneGroup(args: readonly (Column | null)[], n: number, extra?: readonly (readonly Column[])[]): void {
    let gids: Int32Array | null = null;
    for (let i = 0; i < this.accs.length; i++) {
      const acc = this.accs[i]!;
      if (acc.updateOneGroup !== undefined) acc.updateOneGroup(n, args[i] ?? null);
      else acc.update(gids ??= this.groupIds([], n), n, args[i] ?? null, extra?.[i]);
    }
  }

  /** Fold n rows of partial states (mode final). */
  insertState(keys: readonly Column[], states: readonly (readonly Column[])[], n: number): void {
    if (n === 0) return;
    const gids = this.groupIds(keys, n);
    for (let i = 0; i < this.accs.length; i++) this.accs[i]!.merge(gids, n, states[i]!);
  }

  /**
   * All groups as batches of at most batchSize rows, in group-id order. `as` defaults to
   * states in mode partial and results otherwise; any mode can emit states (a spilling
   * aggregate writes them and merges them back with insertState), except with DISTINCT.
   */
  *emit(outSchema: Schema, batchSize: number, as: 'results' | 'states' = this.mode === 'partial' ? 'states' : 'results'): Generator<Batch> {
    const total = this.groups.groupCount;
    const step = Math.max(1, batchSize);
    for (let start = 0; start < total; start += step) {
      const end = Math.min(total, start + step);
      const cols: Column[] = this.groups.keyColumns(start, end);
      for (const acc of this.accs) {
        if (as === 'states') cols.push(...acc.state(start, end));
        else cols.push(acc.result(start, end));
      }
      yield makeBatch(outSchema, cols, end - start);
    }
  }

  /** Approximate bytes held: hash slots, keys and accumulator arrays. */
  memoryBytes(): number {
    let n = this.groups.memoryBytes() + this.gids.byteLength;
    for (const acc of this.accs) n += acc.memoryBytes();
    return n;
  }

  /** Fold rows of the spill format (see the header), as written by emitSpill. */
  insertSpilled(keys: readonly Column[], cols: readonly Column[], n: number): void {
    if (n === 0) return;
    const gids = this.groupIds(keys, n);
    let c = 0;
    for (let i = 0; i < this.accs.length; i++) {
      const a = this.aggs[i]!;
      if (holdsRows(a)) {
        const w = heldWidth(a);
        this.accs[i]!.update(gids, n, cols[c]!, cols.slice(c + 1, c + w));
        c += w;
        continue;
      }
      const w = partialStateWidth(a);
      this.accs[i]!.merge(gids, n, cols.slice(c, c + w));
      c += w;
    }
  }

  /** The table in the spill format, batchSize rows at a time (see the header). */
  *emitSpill(spillSchema: Schema, batchSize: number): Generator<Batch> {
    const total = this.groups.groupCount;
    const step = Math.max(1, batchSize);
    for (let start = 0; start < total; start += step) {
      const end = Math.min(total, start + step);
      const cols: Column[] = this.groups.keyColumns(start, end);
      this.accs.forEach((acc, i) => {
        if (holdsRows(this.aggs[i]!)) cols.push(...this.noRows(i, end - start));
        else cols.push(...acc.state(start, end));
      });
      yield makeBatch(spillSchema, cols, end - start);
    }
    let allKeys: Column[] | null = null;
    for (let d = 0; d < this.accs.length; d++) {
      const acc = this.accs[d]!;
      if (!holdsRows(this.aggs[d]!) || acc.heldRows === undefined) continue;
      allKeys ??= this.groups.keyColumns(0, total);
      const [heldGids, held] = acc.heldRows();
      const gidValues = (heldGids as Extract<Column, { type: 'int32' }>).values;
      for (let start = 0; start < gidValues.length; start += step) {
        const end = Math.min(gidValues.length, start + step), m = end - start;
        const gids = gidValues.subarray(start, end);
        const cols: Column[] = allKeys.map((k) => take(k, gids, m));
        this.aggs.forEach((a, i) => {
          if (i === d) cols.push(...held.map((c) => sliceColumn(c, start, end)));
          else if (holdsRows(a)) cols.push(...this.noRows(i, m));
          else cols.push(...neutralState(a, m));
        });
        yield makeBatch(spillSchema, cols, m);
      }
    }
  }

  /** Spill columns of a row-holding aggregate for rows that hold none of its values: NULLs. */
  private noRows(i: number, m: number): Column[] {
    const a = this.aggs[i]!;
    return [repeatScalar(this.argTypes[i] ?? 'null', null, m), ...orderInputs(a).map((k) => repeatScalar(k.expr.type, null, m))];
  }
}

/** Whether an aggregate holds rows (a DISTINCT set or a holistic aggregate's values) rather than a state. */
function holdsRows(a: AggregateExpr): boolean {
  return isDistinct(a) || isHolistic(a);
}

/** Spill columns of a row-holding aggregate: its value and string_agg's ORDER BY keys. */
function heldWidth(a: AggregateExpr): number {
  return 1 + (isDistinct(a) ? 0 : orderInputs(a).length);
}

/** Whether an aggregate keeps a distinct set (count_star ignores DISTINCT). */
export function isDistinct(a: AggregateExpr): boolean {
  return a.distinct && a.fn !== 'count_star';
}

/**
 * Fields of the spill format: group fields, then per aggregate its state fields, or for a
 * DISTINCT aggregate one field of its argument type (argTypes[i]).
 */
export function spillFields(groupFields: readonly Field[], aggs: readonly AggregateExpr[], argTypes: readonly (DataType | null)[]): Field[] {
  const out: Field[] = [...groupFields];
  aggs.forEach((a, i) => {
    if (holdsRows(a)) {
      out.push(field(`${a.name}.value`, argTypes[i] ?? 'null', true));
      if (!isDistinct(a)) orderInputs(a).forEach((k, j) => out.push(field(`${a.name}.key${j}`, k.expr.type, true)));
    } else {
      out.push(...partialStateFields(a));
    }
  });
  return out;
}

/** State columns that merge as "no input": count 0, NULL sum / min / max. */
function neutralState(a: AggregateExpr, n: number): Column[] {
  return partialStateFields(a).map((f) => (f.name.endsWith('.count')
    ? fixedColumn('int64', new BigInt64Array(n), null)
    : repeatScalar(f.type, null, n)));
}
