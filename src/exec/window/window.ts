/**
 * Window: window functions over input sorted by (PARTITION BY keys, ORDER BY keys) — the
 * planner puts the spilling Sort (exec/sort/sort.ts) below, and the distributed planner a
 * hash exchange on the PARTITION BY keys below that, so every partition meets in one task.
 *
 *   sorted input ─▶ buffer [b0 b1 …] ── partition boundaries found as batches arrive
 *                      │
 *                      └─ ≥ batch_size rows of complete partitions, or end of input
 *                           ─▶ block = the complete partitions (the open one stays buffered)
 *                           ─▶ peer groups, frames, one column per function (functions.ts)
 *                           ─▶ emit input columns ++ function columns, batch_size rows at a time
 *                      └─ running frames only: the open partition reaches 2 × batch_size rows
 *                           ─▶ evaluate it up to its last peer group, emit, keep context rows
 *                              and running counts/sums (Carry) for the rest of the partition
 *
 * Buffers: the rows of the partition being read plus complete partitions not yet
 * evaluated, under the spillable reservation `Window[p<partition>]` (it cannot spill
 * itself: growWait asks the other consumers, the Sort below among them, to make room).
 * Running frames stream: when every function of the node can be evaluated from the rows
 * before the current one (row_number, rank, dense_rank, lag, and count/sum/avg/min/max from
 * UNBOUNDED PRECEDING, or any aggregate and first/last/nth_value over ROWS n PRECEDING, up
 * to CURRENT ROW — functions.ts streamingContext), an open partition of 2 × batch_size
 * rows is evaluated up to its last complete peer group and emitted; only the last n rows
 * (lag, ROWS n PRECEDING) and running counts, sums and extremes are kept, so such partitions may be
 * larger than memory. Other frames hold the whole partition: a partition that does not fit
 * in what the pool grants fails with a resources error naming this operator (the limit).
 * Metrics: extra.partitions (partitions evaluated whole), extra.pieces (evaluations of a
 * streamed partition's prefix), extra.maxRowsHeld (most rows evaluated at once).
 */
import { batchBytes, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { concatBatches, sliceBatch, takeBatch } from '../../columnar/kernels.js';
import { SpillwayError } from '../../common/errors.js';
import { evaluate } from '../../expr/evaluate.js';
import type { WindowNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { orderInputs } from '../../expr/aggregate_state.js';
import { compareRows } from '../sort/row_compare.js';
import { peerGroups, partitionBounds, type Peers } from './frames.js';
import { accumulate, evaluateWindowFunction, streamingContext, type BlockContext, type Carry } from './functions.js';

/** Bytes per row evaluation needs beyond the rows: peer groups and partition bounds (7 × Int32). */
const BLOCK_BYTES_PER_ROW = 28;
/** Bytes per row and function: its frame (2 × Int32), argument, prefix sums and output (8 each). */
const FUNCTION_BYTES_PER_ROW = 32;

export async function* window(node: WindowNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const name = `Window[p${partition}]`;
  const reservation = ctx.memory.register(name, { spillable: true });
  const batchSize = Math.max(1, ctx.config.batch_size);
  const keyOrders = node.partitionBy.map(() => ({ ascending: true, nullsFirst: false }));
  const contexts = node.functions.map(streamingContext);
  const streamable = node.orderBy.length > 0 && contexts.every((c) => c >= 0);
  const contextRows = Math.max(0, ...contexts);
  try {
    let buffered: Batch[] = [];
    let rows = 0;
    /** Buffer positions where a partition starts (0 included when rows > 0). */
    let starts: number[] = [];
    let lastKeys: Column[] | null = null;
    let lastRow = 0;
    /** The partition at buffer row 0 continues one already partly emitted (streaming). */
    let carry: Carry | null = null;
    let maxRowsHeld = 0;

    const reserve = async (bytes: number): Promise<void> => {
      try {
        await reservation.growWait(bytes);
      } catch (e) {
        if (e instanceof SpillwayError && e.kind === 'resources') {
          const open = rows - (starts.at(-1) ?? 0);
          throw new SpillwayError('resources', `${name}#${node.id}: a window partition of at least ${open} rows does not fit in memory (its frames need the whole partition): ${e.message}`);
        }
        throw e;
      }
    };

    const contextNow = (): number => carry?.context ?? 0;
    const concatenated = (): Batch => (buffered.length === 1 ? buffered[0]! : concatBatches(node.input.schema, buffered));
    /** Keep buffered rows [from, rows) of `all`, copied so that the evaluated block can be freed. */
    const keepFrom = (all: Batch, from: number): void => {
      const kept = new Int32Array(all.length - from);
      for (let i = 0; i < kept.length; i++) kept[i] = from + i;
      buffered = from === all.length ? [] : [from === 0 ? all : takeBatch(all, kept)];
      starts = starts.filter((s) => s >= from).map((s) => s - from);
      rows -= from;
      // The kept rows may continue a partition that started before `from`.
      if (rows > 0 && starts[0] !== 0) starts.unshift(0);
      reservation.resize(buffered.length === 0 ? 0 : batchBytes(buffered[0]!));
    };
    const emit = function* (out: Batch, from: number, to: number): Generator<Batch> {
      for (let s = from; s < to; s += batchSize) yield sliceBatch(out, s, Math.min(to, s + batchSize));
    };

    /** Evaluate the complete partitions in buffered rows [0, upTo) and keep the rest buffered. */
    const flush = function* (upTo: number): Generator<Batch> {
      if (upTo === 0) return;
      const all = concatenated();
      const block = upTo === all.length ? all : sliceBatch(all, 0, upTo);
      const partStarts = Int32Array.from(starts.filter((s) => s < upTo));
      maxRowsHeld = Math.max(maxRowsHeld, upTo);
      ctx.metrics.add(node.id, 'partitions', partStarts.length);
      const { batch } = evaluateBlock(node, block, partStarts, carry);
      yield* emit(batch, carry?.context ?? 0, upTo);
      carry = null;
      keepFrom(all, upTo);
    };

    /** The buffer holds only an open, streamable partition: emit it up to its last peer group. */
    const flushPiece = function* (): Generator<Batch> {
      const all = concatenated();
      const context = carry?.context ?? 0;
      const { batch, peers, args } = evaluateBlock(node, all, Int32Array.of(0), carry);
      const cut = peers.starts[peers.starts.length - 2]!;
      if (cut <= context) return; // one peer group so far: keep reading
      maxRowsHeld = Math.max(maxRowsHeld, all.length);
      ctx.metrics.add(node.id, 'pieces', 1);
      yield* emit(batch, context, cut);
      const advance = Math.max(0, cut - contextRows);
      const next: Carry = carry ?? {
        rowsBefore: 0, groupsBefore: 0, context: 0,
        counts: new Float64Array(node.functions.length), sums: new Float64Array(node.functions.length),
        bigSums: new BigInt64Array(node.functions.length), bests: node.functions.map(() => null),
      };
      node.functions.forEach((f, k) => accumulate(f, k, args[k]!, 0, advance, next));
      next.rowsBefore += advance;
      next.groupsBefore += peers.group[advance]!;
      next.context = cut - advance;
      carry = next;
      keepFrom(all, advance);
    };

    /** Bytes evaluating the buffer needs on top of it: the concatenated copy, frames, outputs. */
    const evaluationCost = (): number => {
      let bytes = 0;
      for (const b of buffered) bytes += batchBytes(b);
      const perRow = BLOCK_BYTES_PER_ROW + FUNCTION_BYTES_PER_ROW * node.functions.length;
      return (buffered.length > 1 ? bytes : 0) + rows * perRow;
    };

    for await (const batch of executePlan(node.input, partition, ctx)) {
      if (batch.length === 0) continue;
      await reserve(batchBytes(batch));
      const keys = node.partitionBy.map((e) => evaluate(e, batch));
      for (let r = 0; r < batch.length; r++) {
        const boundary = r === 0
          ? lastKeys === null || compareRows(lastKeys, lastRow, keys, 0, keyOrders) !== 0
          : keys.length > 0 && compareRows(keys, r - 1, keys, r, keyOrders) !== 0;
        if (boundary) starts.push(rows + r);
      }
      lastKeys = keys;
      lastRow = batch.length - 1;
      buffered.push(batch);
      rows += batch.length;
      // Rows before the open partition are complete; evaluate them once there are enough.
      const open = starts.at(-1) ?? 0;
      if (open >= batchSize) {
        await reserve(evaluationCost());
        yield* flush(open);
      }
      if (streamable && starts.length === 1 && rows - contextNow() >= 2 * batchSize) {
        await reserve(evaluationCost());
        yield* flushPiece();
      }
    }
    await reserve(evaluationCost());
    yield* flush(rows);
    ctx.metrics.add(node.id, 'maxRowsHeld', maxRowsHeld);
  } finally {
    reservation.free();
  }
}

/** Input columns of a block of whole partitions ++ one column per window function. */
function evaluateBlock(
  node: WindowNode, block: Batch, partStarts: Int32Array, carry: Carry | null,
): { batch: Batch; peers: Peers; args: (Column | null)[] } {
  const n = block.length;
  const orderCols = node.orderBy.map((k) => evaluate(k.expr, block));
  const peers = peerGroups(orderCols, node.orderBy, partStarts, n);
  const { partStart, partEnd } = partitionBounds(partStarts, n);
  const ctx: BlockContext = {
    carry, firstEnd: partStarts.length > 1 ? partStarts[1]! : n,
    n, peers, partStart, partEnd,
    orderCol: orderCols.length === 1 ? orderCols[0]! : null,
    ascending: node.orderBy.length === 1 ? node.orderBy[0]!.ascending : true,
  };
  const args = node.functions.map((f) => (f.arg ? evaluate(f.arg, block) : null));
  const columns = node.functions.map((f, k) => evaluateWindowFunction(
    f, k, args[k]!, f.defaultValue ? evaluate(f.defaultValue, block) : null, ctx,
    f.aggregate ? orderInputs(f.aggregate).map((key) => evaluate(key.expr, block)) : [],
  ));
  return { batch: makeBatch(node.schema, [...block.columns, ...columns], n), peers, args };
}
