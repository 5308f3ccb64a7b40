/**
 * AggregateTable: a GroupTable plus one accumulator per aggregate, kept apart from the
 * operator so that a spilling aggregate can fill a table, emit it (to a spill file or
 * downstream) and start a fresh one.
 *
 *   insertRaw(keys, args, n)      modes single / partial: args[i] = aggregate i's input
 *   insertState(keys, states, n)  mode final: states[i] = aggregate i's state columns
 *   emit(schema, batchSize[, as]) batches of [group keys | results] (single, final)
 *                                 or [group keys | state columns] (partial, or as 'states')
 */
import { makeBatch, type Batch, type Column } from '../../columnar/column.js';
import type { AggregateExpr } from '../../expr/expr.js';
import type { DataType, Schema } from '../../types.js';
import { makeAccumulator, type Accumulator } from './accumulators.js';
import { GroupTable } from './group_table.js';

export type AggregateMode = 'single' | 'partial' | 'final';

export class AggregateTable {
  readonly groups: GroupTable;
  private readonly accs: Accumulator[];
  private gids = new Int32Array(0);

  /** argTypes[i]: input type of aggregate i (null for count_star; ignored in mode final). */
  constructor(
    keyTypes: readonly DataType[], readonly aggs: readonly AggregateExpr[],
    readonly mode: AggregateMode, argTypes: readonly (DataType | null)[],
  ) {
    this.groups = new GroupTable(keyTypes);
    this.accs = aggs.map((a, i) => makeAccumulator(a, mode === 'final' ? a.type : argTypes[i] ?? null));
    for (const acc of this.accs) acc.ensure(this.groups.groupCount);
  }

  get groupCount(): number { return this.groups.groupCount; }

  private groupIds(keys: readonly Column[], n: number): Int32Array {
    if (this.gids.length < n) this.gids = new Int32Array(n);
    const gids = this.groups.insert(keys, n, this.gids);
    for (const acc of this.accs) acc.ensure(this.groups.groupCount);
    return gids;
  }

  /** Fold n raw input rows (modes single and partial). */
  insertRaw(keys: readonly Column[], args: readonly (Column | null)[], n: number): void {
    if (n === 0) return;
    const gids = this.groupIds(keys, n);
    for (let i = 0; i < this.accs.length; i++) this.accs[i]!.update(gids, n, args[i] ?? null);
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
}
