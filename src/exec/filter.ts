/**
 * Filter: keeps the rows where the predicate is TRUE (NULL and FALSE drop the row).
 * Streams batch by batch, buffers nothing; batches left empty are not emitted.
 * Metrics: the baseline set only.
 */
import { makeBatch, type Batch } from '../columnar/column.js';
import { filterBatch } from '../columnar/kernels.js';
import { evaluate } from '../expr/evaluate.js';
import type { FilterNode } from '../plan/physical.js';
import type { TaskContext } from './context.js';
import { executePlan } from './execute.js';

export async function* filter(node: FilterNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  for await (const batch of executePlan(node.input, partition, ctx)) {
    const mask = evaluate(node.predicate, batch);
    // A NULL-typed predicate (WHERE NULL) is never TRUE.
    if (mask.type === 'null') continue;
    if (mask.type !== 'bool') throw new Error(`Filter#${node.id}: predicate evaluated to ${mask.type}, expected bool`);
    const kept = filterBatch(batch, mask);
    if (kept.length === 0) continue;
    yield makeBatch(node.schema, kept.columns, kept.length);
  }
}
