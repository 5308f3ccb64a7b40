/**
 * Projection: evaluates one expression per output column over each input batch; with an
 * `unnest(list)` item, one output row per list element instead (unnest_rows.ts).
 * Streams batch by batch, buffers nothing. Metrics: the baseline set only.
 */
import { makeBatch, type Batch, type Column } from '../columnar/column.js';
import { repeatScalar } from '../columnar/kernels.js';
import { evaluate } from '../expr/evaluate.js';
import type { ProjectionNode } from '../plan/physical.js';
import type { Field } from '../common/types.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';
import { unnestItem, unnestRows } from './unnest_rows.js';

export async function* projection(node: ProjectionNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const fields = node.schema.fields;
  if (fields.length !== node.exprs.length) {
    throw new Error(`Projection#${node.id}: ${node.exprs.length} expressions for ${fields.length} output fields`);
  }
  const unnest = unnestItem(node.exprs);
  for await (const batch of executePlan(node.input, partition, ctx)) {
    if (unnest >= 0) { yield unnestRows(node, unnest, batch); continue; }
    const columns = node.exprs.map((e, i) => conformColumn(evaluate(e, batch), fields[i]!, batch.length, `Projection#${node.id}`));
    // Length is explicit: a projection with no columns still carries its row count.
    yield makeBatch(node.schema, columns, batch.length);
  }
}

/**
 * Check that a column matches its output field. An all-NULL column of type 'null' becomes a
 * typed all-NULL column; any other mismatch is a planner or evaluator bug and throws.
 */
export function conformColumn(c: Column, f: Field, length: number, where: string): Column {
  if (c.length !== length) throw new Error(`${where}: column "${f.name}" has ${c.length} rows, expected ${length}`);
  if (c.type === f.type) return c;
  if (c.type === 'null') return repeatScalar(f.type, null, length);
  throw new Error(`${where}: column "${f.name}" is ${c.type}, schema says ${f.type}`);
}
