/**
 * UnionAll: the inputs' partitions side by side, rows unchanged.
 *
 * Partition layout: the node has sum(inputs[i].partitions) partitions; they are the
 * inputs' partitions in order, so partition p reads input i, partition p - (partitions of
 * inputs 0..i-1). E.g. inputs with 2 and 1 partitions give a 3-partition union:
 *
 *   union p0 = inputs[0] p0,  union p1 = inputs[0] p1,  union p2 = inputs[1] p0
 *
 * A Coalesce above gathers them into one stream. Batches are relabelled with the node's
 * schema (input column names may differ); column types must already agree (an all-NULL
 * 'null' column is widened to the field's type). Buffers nothing. Metrics: baseline only.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import type { PhysicalPlan, UnionAllNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';
import { conformColumn } from './projection.js';

/** Partitions of a UnionAll over these inputs. */
export function unionPartitions(inputs: readonly PhysicalPlan[]): number {
  let n = 0;
  for (const i of inputs) n += i.partitions;
  return n;
}

/** Which input, and which of its partitions, union partition p reads. */
export function unionInputPartition(inputs: readonly PhysicalPlan[], p: number): { input: number; partition: number } {
  let rest = p;
  for (let i = 0; i < inputs.length; i++) {
    if (rest < inputs[i]!.partitions) return { input: i, partition: rest };
    rest -= inputs[i]!.partitions;
  }
  throw new Error(`UnionAll: partition ${p} is out of range (inputs have ${unionPartitions(inputs)} partitions)`);
}

export async function* unionAll(node: UnionAllNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { input, partition: inputPartition } = unionInputPartition(node.inputs, partition);
  const fields = node.schema.fields;
  const where = `UnionAll#${node.id} input ${input}`;
  for await (const batch of executePlan(node.inputs[input]!, inputPartition, ctx)) {
    if (batch.columns.length !== fields.length) {
      throw new Error(`${where}: ${batch.columns.length} columns, expected ${fields.length}`);
    }
    const columns = batch.columns.map((c, i) => conformColumn(c, fields[i]!, batch.length, where));
    yield makeBatch(node.schema, columns, batch.length);
  }
}
