/**
 * Conform a batch to a table's schema for INSERT / CREATE TABLE AS: cast each column to the
 * target type, and with an explicit column list fill the unlisted columns with NULL.
 */
import { makeBatch, type Batch, type Column } from '../columnar/column.js';
import { repeatScalar } from '../columnar/kernels.js';
import { binderError, didYouMean, executionError } from '../common/errors.js';
import { evaluate } from '../expr/evaluate.js';
import type { Schema } from '../common/types.js';

export function castBatchTo(b: Batch, target: Schema, columnNames?: readonly string[]): Batch {
  const names = columnNames ?? target.fields.map((f) => f.name);
  if (names.length !== b.columns.length) {
    throw binderError(`INSERT has ${b.columns.length} values for ${names.length} columns`);
  }
  const sourceOf = new Map<number, number>();
  names.forEach((n, j) => {
    const i = target.fields.findIndex((f) => f.name.toLowerCase() === n.toLowerCase());
    if (i < 0) throw binderError(`column "${n}" does not exist${didYouMean(n, target.fields.map((f) => f.name))}`);
    sourceOf.set(i, j);
  });
  const cols: Column[] = target.fields.map((f, i) => {
    const j = sourceOf.get(i);
    if (j === undefined) return repeatScalar(f.type, null, b.length);
    const c = b.columns[j]!;
    const out = c.type === f.type ? c : evaluate({ kind: 'cast', arg: { kind: 'column', index: j, type: c.type }, type: f.type }, b);
    if (!f.nullable && out.validity && out.validity.includes(0)) throw executionError(`NULL value in column "${f.name}" violates NOT NULL`);
    return out;
  });
  return makeBatch(target, cols, b.length);
}
