/**
 * Expand: the row multiplication under GROUPING SETS / ROLLUP / CUBE.
 *
 *   input batch ─▶ set 0: [input columns | key 0, NULL, …   | 0]
 *               ├▶ set 1: [input columns | key 0, key 1, … | 1]
 *               └▶ …      (one output batch per grouping set)
 *
 * A key not in a set is NULL in that set's rows; the last column is the set's index (the
 * grouping id), so a NULL of the data and a NULL standing for "not grouped by this key"
 * land in different groups of the HashAggregate above. Input columns and key columns are
 * shared between the output batches, not copied; only the NULL and id columns are new.
 * Streams batch by batch and buffers nothing; it works partition by partition, so it runs
 * below the partial aggregate of a distributed plan. Metrics: the baseline set only.
 */
import { fixedColumn, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { repeatScalar } from '../../columnar/kernels.js';
import { evaluate } from '../../expr/evaluate.js';
import type { ExpandNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { conformColumn } from '../projection.js';

export async function* expand(node: ExpandNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const fields = node.schema.fields;
  const width = fields.length - node.keys.length - 1;
  const inSet = node.sets.map((s) => node.keys.map((_k, i) => s.includes(i)));
  for await (const batch of executePlan(node.input, partition, ctx)) {
    const n = batch.length;
    if (n === 0) continue;
    const keys = node.keys.map((e, i) => conformColumn(evaluate(e, batch), fields[width + i]!, n, `Expand#${node.id}`));
    const nulls: (Column | undefined)[] = [];
    const nullOf = (i: number): Column => (nulls[i] ??= repeatScalar(fields[width + i]!.type, null, n));
    for (let s = 0; s < node.sets.length; s++) {
      const cols: Column[] = batch.columns.slice(0, width);
      for (let i = 0; i < keys.length; i++) cols.push(inSet[s]![i] ? keys[i]! : nullOf(i));
      cols.push(fixedColumn('int32', new Int32Array(n).fill(s), null));
      yield makeBatch(node.schema, cols, n);
    }
  }
}
