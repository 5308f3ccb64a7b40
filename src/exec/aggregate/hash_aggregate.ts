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
 * When the table must shrink for the first time while it holds more groups than half the
 * rows it took (or, looked at once after its first 64 Ki rows, it holds that many and the
 * planner's group estimate would not fit the memory share), the aggregation does not
 * reduce (keys nearly unique): inserting the rest
 * into a table only to write it out again is wasted work. The operator then stops
 * aggregating: the table goes to PASS_THROUGH_FANOUT state parts, and every later input
 * row is written as it is (mode single: [keys | arguments], the raw parts; mode final: its
 * states, into the state parts) by a RowPartitioner, split by the same hash. At the end
 * each part p (its state file and its raw file) is aggregated once, into a table sized up
 * front for its rows when the pool grants it. Mode partial does the same in its own way:
 * once a table emitted early did not reduce, it aggregates each batch on its own and
 * emits its states at once (the final phase does the real work).
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
import { fixedColumn, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { hashColumns } from '../../columnar/hash.js';
import { repeatScalar, take } from '../../columnar/kernels.js';
import { SpillwayError } from '../../common/errors.js';
import { evaluate } from '../../expr/evaluate.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { HashAggregateNode } from '../../plan/physical.js';
import { WHOLE_FILE_BYTES, type SpillFile } from '../../spill/spill_manager.js';
import { field, schema, type DataType, type Schema } from '../../common/types.js';
import type { TaskContext } from '../context.js';
import { cancelled, executePlan } from '../execute.js';
import { HashPartitionWriter, partitionSeed } from '../spill/hash_partitions.js';
import { SpillFiles } from '../spill/spill_files.js';
import { AggregateTable, spillFields } from './aggregate_table.js';
import { RowPartitioner } from './row_partitioner.js';
import { decomposable, orderInputs, partialStateWidth, stateOffset } from '../../expr/aggregate_state.js';

/** Files one spill level splits into. */
const FANOUT = 16;
/** Files the first level splits into when the input is partitioned as it comes (more, smaller parts: each aggregates in memory once). */
const PASS_THROUGH_FANOUT = 64;
/** A table holding more groups than this share of the rows it took does not reduce. */
const NO_REDUCTION = 0.5;
/** Rows after which the table is looked at once to tell whether it reduces (boundToSpill). */
const EARLY_CHECK_ROWS = 1 << 16;
/** Rows a RowPartitioner holds before splitting them into the part files. */
const PASS_THROUGH_BUFFER_BYTES = 4 << 20;
/** Spilled table rows split at once: large enough that each part gets a sizeable batch. */
const SPILL_CHUNK_ROWS = 1 << 16;
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
  /** Mode single's pass-through rows: [group keys | per aggregate: its argument (if any), its ORDER BY inputs]. */
  private readonly rawSchema: Schema;
  private readonly batchSize: number;
  private peak = 0;
  private groups = 0;
  private spillLevels = 0;
  private table: AggregateTable;
  /** Input rows folded into the current table (to tell whether it reduces). */
  private rowsIn = 0;
  /** Bytes per group of the first table that spilled (to size a part's table up front). */
  private bytesPerGroup = 0;
  /** The first-level spill files (state format), once the input has spilled. */
  private parts: HashPartitionWriter | null = null;
  /** Mode single, passing through: the first-level files of raw rows. */
  private rawParts: HashPartitionWriter | null = null;
  /** Set once the aggregation passes its input through to the part files (modes single and final). */
  private partitioner: RowPartitioner | null = null;
  /** Mode partial, once an early emit showed the table does not reduce: aggregate each batch alone. */
  private perBatch = false;
  /** Rows that skipped the big table (passed through to the part files, or aggregated per batch). */
  private passThroughRows = 0;
  /** The early look at whether the table reduces (boundToSpill) was taken. */
  private earlyChecked = false;
  /** Bytes of the part file being read whole (aggregatePart), held besides the table. */
  private readBuffer = 0;

  constructor(
    private readonly node: HashAggregateNode, private readonly ctx: TaskContext, private readonly reservation: MemoryReservation,
    private readonly files: SpillFiles, private readonly name: string,
  ) {
    this.keyTypes = node.groupBy.map((e) => e.type);
    this.argTypes = node.aggregates.map((a) => (a.arg === null ? null : a.arg.type));
    const keyFields = node.groupBy.map((e, i) => field(`k${i}`, e.type, true));
    this.spillSchema = schema(spillFields(keyFields, node.aggregates, this.argTypes));
    this.rawSchema = schema([...keyFields, ...node.aggregates.flatMap((a, i) => [
      ...(a.arg === null ? [] : [field(`a${i}`, a.arg.type, true)]),
      ...orderInputs(a).map((k, j) => field(`a${i}.key${j}`, k.expr.type, true)),
    ])]);
    this.batchSize = Math.max(1, ctx.config.batch_size);
    this.table = this.freshTable();
  }

  private freshTable(expectedGroups = 0): AggregateTable {
    return new AggregateTable(this.keyTypes, this.node.aggregates, this.node.mode, this.argTypes, expectedGroups);
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
      const states = (): Column[][] => aggs.map((a, i): Column[] => batch.columns.slice(offsets[i]!, offsets[i]! + partialStateWidth(a)));
      const args = (): (Column | null)[] => aggs.map((a) => (a.arg === null ? null : evaluate(a.arg, batch)));
      const extra = (): Column[][] => aggs.map((a) => orderInputs(a).map((k) => evaluate(k.expr, batch)));
      // Passing through: the rows go to the part files as they are, in the spill layout of the mode.
      const passThrough = async (): Promise<void> => {
        const a = mode === 'final' ? null : args(), x = mode === 'final' ? null : extra();
        const cols = mode === 'final'
          ? [...keys, ...states().flat()]
          : [...keys, ...aggs.flatMap((_g, i) => (a![i] === null ? x![i]! : [a![i]!, ...x![i]!]))];
        await this.partitioner!.add(makeBatch(mode === 'final' ? this.spillSchema : this.rawSchema, cols, n));
      };
      if (this.partitioner !== null) { this.passThroughRows += n; await passThrough(); continue; }
      // Called when the table must shrink: emit (partial) or spill it, then start afresh.
      const relieve = async function* (this: AggregateRun): AsyncGenerator<Batch> {
        if (mode === 'partial') {
          earlyEmits++;
          if (this.table.groupCount > NO_REDUCTION * this.rowsIn) this.perBatch = true;
          yield* this.emitTable('states');
        } else {
          if (this.parts === null) this.startSpilling();
          this.spillLevels = Math.max(this.spillLevels, 1);
          await this.spillTable(this.parts!);
        }
      }.bind(this);
      if (!this.reserveFor(keys, n)) yield* relieve();
      if (this.partitioner !== null) { this.passThroughRows += n; await passThrough(); continue; }
      if (mode === 'final') this.table.insertState(keys, states(), n);
      else this.table.insertRaw(keys, args(), n, extra());
      this.rowsIn += n;
      if (this.perBatch && this.table.groupCount > 0) { this.passThroughRows += n; yield* this.emitTable('states'); continue; }
      if (!(await this.settle()) || this.boundToSpill()) yield* relieve();
    }
    ctx.metrics.add(node.id, 'earlyEmits', earlyEmits);
    if (this.parts === null) {
      yield* this.emitTable(mode === 'partial' ? 'states' : 'results');
    } else {
      await this.spillTable(this.parts);
      await this.partitioner?.flush();
      this.partitioner = null;
      const stateFiles = await this.parts.finish();
      const rawFiles = this.rawParts === null ? [] : await this.rawParts.finish();
      for (let p = 0; p < stateFiles.length; p++) {
        const sf = stateFiles[p] ?? null, rf = rawFiles[p] ?? null;
        if (sf !== null || rf !== null) yield* this.aggregatePart(sf, rf, 1);
      }
    }
    ctx.metrics.add(node.id, 'groups', this.groups);
    ctx.metrics.add(node.id, 'peakMemory', this.peak);
    ctx.metrics.add(node.id, 'spillLevels', this.spillLevels);
    ctx.metrics.add(node.id, 'passThroughRows', this.passThroughRows);
  }

  /**
   * The first spill (modes single and final): open the first-level part files, and when
   * the table does not reduce, pass the rest of the input through to them (see the header).
   */
  private startSpilling(): void {
    const { mode, groupBy } = this.node;
    const table = this.table;
    const passThrough = groupBy.length > 0 && table.groupCount > NO_REDUCTION * this.rowsIn;
    const fanout = passThrough ? PASS_THROUGH_FANOUT : FANOUT;
    this.parts = new HashPartitionWriter(this.files, this.spillSchema, fanout, partitionSeed(0));
    if (!passThrough) return;
    // Parts then hold about one row per group: worth sizing their tables up front.
    this.bytesPerGroup = table.memoryBytes() / table.groupCount;
    if (mode === 'single') this.rawParts = new HashPartitionWriter(this.files, this.rawSchema, fanout, partitionSeed(0), 'raw');
    const budget = Math.min(PASS_THROUGH_BUFFER_BYTES, Math.max(0, this.reservation.share) / 4);
    this.partitioner = mode === 'single'
      ? new RowPartitioner(this.rawParts!, this.rawSchema, groupBy.length, this.reservation, budget)
      : new RowPartitioner(this.parts, this.spillSchema, groupBy.length, this.reservation, budget);
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

  /**
   * Whether the table, early on, already shows it will not fit and does not reduce: once,
   * after EARLY_CHECK_ROWS rows (modes single and final), when it holds more groups than
   * NO_REDUCTION of them and the planner's group estimate at its bytes per group exceeds
   * the memory share. Spilling it then (the first spill passes the rest of the input
   * through) spares growing a large table only to write it out. A wrong estimate costs
   * only larger part files.
   */
  private boundToSpill(): boolean {
    if (this.earlyChecked || this.rowsIn < EARLY_CHECK_ROWS) return false;
    this.earlyChecked = true;
    const { mode, groupBy, estimatedRows } = this.node;
    const table = this.table;
    if (mode === 'partial' || groupBy.length === 0 || this.parts !== null || estimatedRows === undefined) return false;
    if (table.groupCount <= NO_REDUCTION * this.rowsIn) return false;
    return estimatedRows * (table.memoryBytes() / table.groupCount) > this.reservation.share;
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
    // A table sized up front grows only past the groups it was sized for.
    const newGroups = Math.min(n, Math.max(0, this.table.groupCount + n - this.table.capacity));
    // Growing a table allocates its doubled arrays while the old ones are still held.
    const need = newGroups === 0 ? 0 : Math.ceil((keyBytes + GROUP_OVERHEAD_BYTES * n) * (newGroups / n)) + this.table.growthBytes(newGroups);
    const r = this.reservation;
    if (r.tryGrow(need) && !r.spillRequested) return true;
    const shrinkable = this.node.mode === 'partial' ? this.table.groupCount > 0 && this.node.groupBy.length > 0 : this.splittable;
    // Nothing to give back: insert, and let settle() take what the table really grew by.
    return !shrinkable;
  }

  /** What the reservation must cover: the table and a part file read whole. */
  private heldBytes(): number {
    return this.table.memoryBytes() + this.readBuffer;
  }

  /** Settle the reservation on the table's real size; false when it must shrink first. */
  private async settle(): Promise<boolean> {
    const bytes = this.heldBytes();
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
    this.table = this.freshTable(this.perBatch ? this.batchSize : 0);
    this.rowsIn = 0;
    this.groups += table.groupCount;
    yield* table.emit(this.node.schema, this.batchSize, as);
    this.reservation.resize(this.heldBytes());
  }

  /** Write the table into the partition files and replace it with an empty one. */
  private async spillTable(parts: HashPartitionWriter): Promise<void> {
    const table = this.table;
    this.table = this.freshTable();
    this.rowsIn = 0;
    const k = this.keyTypes.length;
    for (const b of table.emitSpill(this.spillSchema, Math.max(this.batchSize, SPILL_CHUNK_ROWS))) {
      if (this.ctx.signal.aborted) throw cancelled(this.ctx.signal);
      await parts.write(b, b.columns.slice(0, k));
    }
    this.reservation.resize(this.heldBytes());
  }

  /**
   * A table for a part of `rows` rows: sized for that many groups up front when the pool
   * grants the bytes the first spilled table took per group, else grown as it fills.
   */
  private partTable(rows: number): AggregateTable {
    const r = this.reservation;
    const want = Math.ceil(rows * this.bytesPerGroup);
    if (this.bytesPerGroup > 0 && want > r.size && r.tryGrow(want - r.size)) return this.freshTable(rows);
    return this.freshTable();
  }

  /**
   * Aggregate one spilled part: its state file and (first level, mode single, passing
   * through) its raw file; level = how many splits produced it.
   */
  private async *aggregatePart(stateFile: SpillFile | null, rawFile: SpillFile | null, level: number): AsyncGenerator<Batch> {
    const k = this.keyTypes.length;
    this.table = this.partTable((stateFile?.rows ?? 0) + (rawFile?.rows ?? 0));
    this.reservation.resize(this.heldBytes());
    let sub: HashPartitionWriter | null = null;
    const split = async (): Promise<void> => {
      if (level >= MAX_LEVELS) return;
      sub ??= new HashPartitionWriter(this.files, this.spillSchema, FANOUT, partitionSeed(level));
      this.spillLevels = Math.max(this.spillLevels, level + 1);
      await this.spillTable(sub);
    };
    for (const file of [stateFile, rawFile]) {
      if (file === null) continue;
      const raw = file === rawFile;
      // A small part file is read in one go (one wait for the disk instead of several) when the pool grants its bytes
      // and they are at most a quarter of the share: the table re-aggregating it needs the rest (a whole 100 KiB part
      // at a 128 KiB limit left a DISTINCT table of three groups no room).
      const whole = file.bytes <= WHOLE_FILE_BYTES && file.bytes <= this.reservation.share / 4 && this.reservation.tryGrow(file.bytes);
      this.readBuffer = whole ? file.bytes : 0;
      for await (const b of file.read({ whole })) {
        const n = b.length;
        if (n === 0) continue;
        const keys = b.columns.slice(0, k);
        if (!this.reserveFor(keys, n) && level < MAX_LEVELS) await split();
        if (raw) this.insertRawRows(keys, b.columns.slice(k), n);
        else this.table.insertSpilled(keys, b.columns.slice(k), n);
        if (!(await this.settle())) {
          if (level < MAX_LEVELS) await split();
          else await this.growOrFail(this.heldBytes() - this.reservation.size);
        }
      }
      this.readBuffer = 0;
      this.reservation.resize(this.heldBytes());
      await this.files.release(file);
    }
    if (sub === null) {
      yield* this.emitTable('results');
      return;
    }
    const writer: HashPartitionWriter = sub;
    await this.spillTable(writer);
    for (const p of await writer.finish()) if (p !== null) yield* this.aggregatePart(p, null, level + 1);
  }

  /** Fold rows of the raw layout (rawSchema) read back from a part file. */
  private insertRawRows(keys: readonly Column[], cols: readonly Column[], n: number): void {
    const args: (Column | null)[] = [], extra: Column[][] = [];
    let c = 0;
    for (const a of this.node.aggregates) {
      args.push(a.arg === null ? null : cols[c++]!);
      const m = orderInputs(a).length;
      extra.push(cols.slice(c, c + m));
      c += m;
    }
    this.table.insertRaw(keys, args, n, extra);
  }
}
