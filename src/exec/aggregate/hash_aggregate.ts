/**
 * HashAggregate: GROUP BY with count/sum/avg/min/max (and their DISTINCT forms), bool_and/or,
 * variances, approx_count_distinct and the holistic string_agg / percentiles (value_list.ts).
 *
 * Modes (state layout in state.ts):
 *   single   raw rows      → [group keys | results]          (the node's schema)
 *   partial  raw rows      → [group keys | partial states]
 *   final    keys + states → [group keys | results]
 * With no GROUP BY it outputs exactly one row, even on empty input.
 *
 * Buffers: the group table (keys, hash slots, accumulators, DISTINCT sets) under a
 * spillable reservation `HashAggregate[p<partition>]`. Before each batch it reserves the
 * table's worst-case growth (every row a new group); after the insert it settles on the
 * table's real size. When the pool refuses (or asks it to spill):
 *
 *   partial          emit the table's states downstream now and start a fresh table
 *                    (correct: the final phase merges states of the same group)
 *   single / final   spill: write the table in the spill format (aggregate_table.ts) split
 *                    by a hash of the group keys into FANOUT files, start a fresh table
 *
 *   input ─▶ table ──full──▶ hash(keys, seed 0) ─▶ part 0 … part 15   (appended per spill)
 *   end:  table ─▶ the same parts;  then for each part p (one at a time):
 *           read p ─insertSpilled─▶ fresh table ──fits──▶ emit results, delete p
 *                                               └─full──▶ split p with seed 1 (level 1), recurse
 *
 * Every group lands in exactly one part at each level, so it is emitted exactly once.
 * A part whose table is full while it holds a single group cannot be split further (one
 * group whose DISTINCT set exceeds the memory): the operator then takes what it needs with
 * grow(), and fails with a resources error naming itself if the limit does not allow it.
 * No GROUP BY: one group, nothing to split; only DISTINCT sets grow (same rule).
 *
 * DISTINCT aggregates spill their (group, value) pairs and holistic ones their (group, value,
 * keys) rows; see aggregate_table.ts. GROUPING SETS: the Expand below (expand.ts) adds the
 * grouping id as the last key; emptyGroupingSets groups exist even without input.
 *
 * Metrics: extra.groups (groups emitted), extra.peakMemory; spillCount/spillBytes/spillRows
 * (files written), extra.spillLevels (deepest recursion level used, 1 = one split),
 * extra.earlyEmits (partial mode: times the table was emitted before the input ended).
 */
import { fixedColumn, type Batch, type Column } from '../../columnar/column.js';
import { hashColumns } from '../../columnar/hash.js';
import { repeatScalar, take } from '../../columnar/kernels.js';
import { SpillwayError } from '../../common/errors.js';
import { evaluate } from '../../expr/evaluate.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { HashAggregateNode } from '../../plan/physical.js';
import type { SpillFile } from '../../spill/spill_manager.js';
import { field, schema, type DataType, type Schema } from '../../common/types.js';
import type { TaskContext } from '../context.js';
import { cancelled, executePlan } from '../execute.js';
import { HashPartitionWriter, partitionSeed } from '../spill/hash_partitions.js';
import { SpillFiles } from '../spill/spill_files.js';
import { AggregateTable, spillFields } from './aggregate_table.js';
import { decomposable, orderInputs, partialStateWidth, stateOffset } from '../../expr/aggregate_state.js';

/** Files one spill level splits into. */
const FANOUT = 16;
/** Levels of re-splitting before a part is assumed to be one group's worth. */
const MAX_LEVELS = 6;
/** Bytes assumed per new group besides its key bytes: slots, hash, accumulators, growth slack. */
const GROUP_OVERHEAD_BYTES = 48;

export async function* hashAggregate(node: HashAggregateNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { mode, aggregates: aggs } = node;
  if (mode !== 'single') {
    const d = aggs.find((a) => !decomposable(a));
    if (d) throw new SpillwayError('unsupported', `${d.distinct ? 'DISTINCT' : 'holistic'} aggregate ${d.name} cannot run in ${mode} mode; plan it as a single aggregate`);
  }
  const name = `HashAggregate[p${partition}]`;
  const reservation = ctx.memory.register(name, { spillable: true });
  const files = new SpillFiles(ctx, node.id, name);
  try {
    yield* new AggregateRun(node, ctx, reservation, files, name).run(partition);
  } finally {
    reservation.free();
    await files.close();
  }
}

class AggregateRun {
  private readonly keyTypes: DataType[];
  private readonly argTypes: (DataType | null)[];
  private readonly spillSchema: Schema;
  private readonly batchSize: number;
  private peak = 0;
  private groups = 0;
  private spillLevels = 0;
  private table: AggregateTable;
  /** The first-level spill files, once the input has spilled. */
  private parts: HashPartitionWriter | null = null;

  constructor(
    private readonly node: HashAggregateNode, private readonly ctx: TaskContext, private readonly reservation: MemoryReservation,
    private readonly files: SpillFiles, private readonly name: string,
  ) {
    this.keyTypes = node.groupBy.map((e) => e.type);
    this.argTypes = node.aggregates.map((a) => (a.arg === null ? null : a.arg.type));
    this.spillSchema = schema(spillFields(node.groupBy.map((e, i) => field(`k${i}`, e.type, true)), node.aggregates, this.argTypes));
    this.batchSize = Math.max(1, ctx.config.batch_size);
    this.table = this.freshTable();
  }

  private freshTable(): AggregateTable {
    return new AggregateTable(this.keyTypes, this.node.aggregates, this.node.mode, this.argTypes);
  }

  async *run(partition: number): AsyncGenerator<Batch> {
    const { node, ctx } = this;
    const { mode, aggregates: aggs, groupBy } = node;
    const offsets = aggs.map((_a, i) => stateOffset(groupBy.length, aggs, i));
    this.reservation.grow(this.table.memoryBytes());
    this.seedEmptyGroupingSets(partition);
    let earlyEmits = 0;
    for await (const batch of executePlan(node.input, partition, ctx)) {
      const n = batch.length;
      if (n === 0) continue;
      const keys = groupBy.map((e) => evaluate(e, batch));
      const insert = (): void => {
        if (mode === 'final') {
          this.table.insertState(keys, aggs.map((a, i): Column[] => batch.columns.slice(offsets[i]!, offsets[i]! + partialStateWidth(a))), n);
        } else {
          this.table.insertRaw(keys, aggs.map((a) => (a.arg === null ? null : evaluate(a.arg, batch))), n,
            aggs.map((a) => orderInputs(a).map((k) => evaluate(k.expr, batch))));
        }
      };
      // Called when the table must shrink: emit (partial) or spill it, then start afresh.
      const relieve = async function* (this: AggregateRun): AsyncGenerator<Batch> {
        if (mode === 'partial') {
          earlyEmits++;
          yield* this.emitTable('states');
        } else {
          this.parts ??= new HashPartitionWriter(this.files, this.spillSchema, FANOUT, partitionSeed(0));
          this.spillLevels = Math.max(this.spillLevels, 1);
          await this.spillTable(this.parts);
        }
      }.bind(this);
      if (!this.reserveFor(keys, n)) yield* relieve();
      insert();
      if (!(await this.settle())) yield* relieve();
    }
    ctx.metrics.add(node.id, 'earlyEmits', earlyEmits);
    if (this.parts === null) {
      yield* this.emitTable(mode === 'partial' ? 'states' : 'results');
    } else {
      await this.spillTable(this.parts);
      yield* this.drain(await this.parts.finish(), 1);
    }
    ctx.metrics.add(node.id, 'groups', this.groups);
    ctx.metrics.add(node.id, 'peakMemory', this.peak);
    ctx.metrics.add(node.id, 'spillLevels', this.spillLevels);
  }

  /**
   * GROUPING SETS: an empty set's group (NULL keys…, id) exists even when the input is
   * empty. Modes single and final create it in the one partition its keys hash to (the
   * exchange below routes its rows there too); partial states add nothing to it.
   */
  private seedEmptyGroupingSets(partition: number): void {
    const ids = this.node.emptyGroupingSets;
    if (ids === undefined || ids.length === 0 || this.node.mode === 'partial') return;
    const k = this.keyTypes.length;
    const keys: Column[] = this.keyTypes.map((t, i) => (i === k - 1
      ? fixedColumn('int32', Int32Array.from(ids), null)
      : repeatScalar(t, null, ids.length)));
    const parts = this.node.partitions;
    const hashes = hashColumns(keys, ids.length);
    const rows = Int32Array.from(ids.keys()).filter((r) => parts <= 1 || hashes[r]! % parts === partition);
    if (rows.length > 0) this.table.addGroups(keys.map((c) => take(c, rows, rows.length)), rows.length);
  }

  /** Whether splitting the table by group key can make it smaller. */
  private get splittable(): boolean {
    return this.node.groupBy.length > 0 && this.table.groupCount > 1;
  }

  /**
   * Reserve the worst-case growth of inserting n rows (every row a new group). False when
   * the pool refuses or asks for a spill and the table could shrink (settle() accounts
   * what a table that cannot shrink really grows by).
   */
  private reserveFor(keys: readonly Column[], n: number): boolean {
    let keyBytes = 0;
    for (const k of keys) keyBytes += k.type === 'utf8' ? k.data.byteLength + 4 * n : 9 * n;
    const need = keyBytes + GROUP_OVERHEAD_BYTES * n;
    const r = this.reservation;
    if (r.tryGrow(need) && !r.spillRequested) return true;
    const shrinkable = this.node.mode === 'partial' ? this.table.groupCount > 0 && this.node.groupBy.length > 0 : this.splittable;
    // Nothing to give back: insert, and let settle() take what the table really grew by.
    return !shrinkable;
  }

  /** Settle the reservation on the table's real size; false when it must shrink first. */
  private async settle(): Promise<boolean> {
    const bytes = this.table.memoryBytes();
    if (bytes > this.peak) this.peak = bytes;
    const r = this.reservation;
    if (bytes <= r.size) { r.shrink(r.size - bytes); return true; }
    if (r.tryGrow(bytes - r.size)) return true;
    const shrinkable = this.node.mode === 'partial' ? this.node.groupBy.length > 0 : this.splittable;
    if (shrinkable) return false;
    await this.growOrFail(bytes - r.size);
    return true;
  }

  /** Take memory the table cannot do without: others are asked to spill (bounded wait). */
  private async growOrFail(bytes: number): Promise<void> {
    try {
      await this.reservation.growWait(bytes, { signal: this.ctx.signal });
    } catch (e) {
      if (!(e instanceof SpillwayError) || e.kind !== 'resources') throw e;
      const what = this.node.groupBy.length === 0 ? 'the single group of an aggregate without GROUP BY' : 'a single group';
      throw new SpillwayError('resources', `${this.name}: ${what} needs more memory than the limit allows (the DISTINCT or holistic values of one group cannot be split to disk): ${e.message}`);
    }
  }

  /** Emit the table (results or states) and replace it with an empty one. */
  private *emitTable(as: 'results' | 'states'): Generator<Batch> {
    const table = this.table;
    this.table = this.freshTable();
    this.groups += table.groupCount;
    yield* table.emit(this.node.schema, this.batchSize, as);
    this.reservation.resize(this.table.memoryBytes());
  }

  /** Write the table into the partition files and replace it with an empty one. */
  private async spillTable(parts: HashPartitionWriter): Promise<void> {
    const table = this.table;
    this.table = this.freshTable();
    const k = this.keyTypes.length;
    for (const b of table.emitSpill(this.spillSchema, this.batchSize)) {
      if (this.ctx.signal.aborted) throw cancelled(this.ctx.signal);
      await parts.write(b, b.columns.slice(0, k));
    }
    this.reservation.resize(this.table.memoryBytes());
  }

  /** Aggregate each spilled part in turn (level = how many splits produced them). */
  private async *drain(parts: readonly (SpillFile | null)[], level: number): AsyncGenerator<Batch> {
    for (const p of parts) if (p !== null) yield* this.aggregatePart(p, level);
  }

  private async *aggregatePart(file: SpillFile, level: number): AsyncGenerator<Batch> {
    const k = this.keyTypes.length;
    this.table = this.freshTable();
    this.reservation.resize(this.table.memoryBytes());
    let sub: HashPartitionWriter | null = null;
    const split = async (): Promise<void> => {
      if (level >= MAX_LEVELS) return;
      sub ??= new HashPartitionWriter(this.files, this.spillSchema, FANOUT, partitionSeed(level));
      this.spillLevels = Math.max(this.spillLevels, level + 1);
      await this.spillTable(sub);
    };
    for await (const b of file.read()) {
      const n = b.length;
      if (n === 0) continue;
      const keys = b.columns.slice(0, k);
      if (!this.reserveFor(keys, n) && level < MAX_LEVELS) await split();
      this.table.insertSpilled(keys, b.columns.slice(k), n);
      if (!(await this.settle())) {
        if (level < MAX_LEVELS) await split();
        else await this.growOrFail(this.table.memoryBytes() - this.reservation.size);
      }
    }
    await this.files.release(file);
    if (sub === null) {
      yield* this.emitTable('results');
      return;
    }
    const writer: HashPartitionWriter = sub;
    await this.spillTable(writer);
    yield* this.drain(await writer.finish(), level + 1);
  }
}
