/**
 * unnest(list) as a SELECT item: the projection outputs one row per element of the list,
 * the other items repeated (evaluated once per input row, then gathered); a NULL or empty
 * list gives no row, a NULL element a NULL. One unnest per SELECT list.
 *
 *   input rows ──evaluate items──▶ list offsets ──▶ parent[k] (input row of output row k),
 *                                                   element[k] (child row)
 *              ──▶ take(item, parent) for the other items, take(child, element) for unnest
 */
import { makeBatch, type Batch, type Column, type ListColumn } from '../columnar/column.js';
import { take } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import { evaluate } from '../expr/evaluate.js';
import type { PhysicalExpr } from '../expr/expr.js';
import type { ProjectionNode } from '../plan/physical.js';
import { conformColumn } from './projection.js';

function isUnnest(e: PhysicalExpr): e is Extract<PhysicalExpr, { kind: 'call' }> {
  return e.kind === 'call' && e.name === 'unnest';
}

/** Position of the projection's unnest item, or -1; more than one is refused. */
export function unnestItem(exprs: readonly PhysicalExpr[]): number {
  const at = exprs.flatMap((e, i) => (isUnnest(e) ? [i] : []));
  if (at.length > 1) throw new SpillwayError('unsupported', 'only one unnest(…) per SELECT list is supported');
  return at.length === 1 ? at[0]! : -1;
}

export function unnestRows(node: ProjectionNode, unnest: number, batch: Batch): Batch {
  const fields = node.schema.fields;
  const where = `Projection#${node.id}`;
  const arg = evaluate((node.exprs[unnest] as Extract<PhysicalExpr, { kind: 'call' }>).args[0]!, batch);
  const n = batch.length;
  let total = 0;
  const list = arg.type === 'null' ? null : arg as ListColumn;
  if (list !== null) {
    for (let r = 0; r < n; r++) if (list.validity === null || list.validity[r] === 1) total += list.offsets[r + 1]! - list.offsets[r]!;
  }
  const parent = new Int32Array(total), element = new Int32Array(total);
  if (list !== null) {
    let k = 0;
    for (let r = 0; r < n; r++) {
      if (list.validity !== null && list.validity[r] === 0) continue;
      for (let j = list.offsets[r]!, e = list.offsets[r + 1]!; j < e; j++) { parent[k] = r; element[k++] = j; }
    }
  }
  const columns: Column[] = node.exprs.map((e, i) => {
    if (i === unnest) return conformColumn(list === null ? evaluate(e, batch) : take(list.child, element), fields[i]!, list === null ? n : total, where);
    return conformColumn(evaluate(e, batch), fields[i]!, n, where);
  });
  const out = columns.map((c, i) => (i === unnest ? c : take(c, parent)));
  return makeBatch(node.schema, list === null ? out.map((c) => take(c, new Int32Array(0))) : out, total);
}
