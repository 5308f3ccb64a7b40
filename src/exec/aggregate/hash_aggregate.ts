/**
 * HashAggregate: GROUP BY with count/sum/avg/min/max (and their DISTINCT forms).
 *
 * Modes (state layout in state.ts):
 *   single   raw rows      → [group keys | results]          (the node's schema)
 *   partial  raw rows      → [group keys | partial states]
 *   final    keys + states → [group keys | results]
 * With no GROUP BY it outputs exactly one row, even on empty input.
 *
 * Buffers: the whole group table (keys, hash slots, accumulators) until the input ends,
 * then emits it in batch_size chunks. Memory: reservation `HashAggregate[p<partition>]`
 * (spillable), grown as the table grows; it does not spill yet, so a refused grow is a
 * resources error. Metrics: extra.groups (groups emitted), extra.peakMemory.
 */
import type { Batch, Column } from '../../columnar/column.js';
import { SpillwayError } from '../../errors.js';
import { evaluate } from '../../expr/evaluate.js';
import type { HashAggregateNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { AggregateTable } from './aggregate_table.js';
import { partialStateWidth, stateOffset } from './state.js';

export async function* hashAggregate(node: HashAggregateNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { mode, aggregates: aggs, groupBy } = node;
  if (mode !== 'single') {
    const d = aggs.find((a) => a.distinct && a.fn !== 'count_star');
    if (d) throw new SpillwayError('unsupported', `DISTINCT aggregate ${d.name} cannot run in ${mode} mode; plan it as a single aggregate`);
  }
  const table = new AggregateTable(
    groupBy.map((e) => e.type), aggs, mode, aggs.map((a) => (a.arg === null ? null : a.arg.type)),
  );
  const offsets = aggs.map((_a, i) => stateOffset(groupBy.length, aggs, i));
  const reservation = ctx.memory.register(`HashAggregate[p${partition}]`, { spillable: true });
  let peak = 0;
  try {
    reservation.grow(table.memoryBytes());
    for await (const batch of executePlan(node.input, partition, ctx)) {
      const n = batch.length;
      if (n === 0) continue;
      const keys = groupBy.map((e) => evaluate(e, batch));
      if (mode === 'final') {
        const states = aggs.map((a, i): Column[] => batch.columns.slice(offsets[i]!, offsets[i]! + partialStateWidth(a)));
        table.insertState(keys, states, n);
      } else {
        const args = aggs.map((a) => (a.arg === null ? null : evaluate(a.arg, batch)));
        table.insertRaw(keys, args, n);
      }
      const bytes = table.memoryBytes();
      if (bytes > reservation.size) reservation.grow(bytes - reservation.size);
      if (bytes > peak) peak = bytes;
    }
    ctx.metrics.add(node.id, 'groups', table.groupCount);
    ctx.metrics.add(node.id, 'peakMemory', peak);
    yield* table.emit(node.schema, ctx.config.batch_size);
  } finally {
    reservation.free();
  }
}
