/**
 * Functions of nested values (their binders are in sql/nested_functions.ts):
 *   struct_extract(s, 'name')   the field, NULL where s is NULL (s.name, s['name'])
 *   list_extract(l, i)          element i, 1-based, negative from the end, NULL out of range (l[i])
 *   map_extract(m, k)           the value of the first entry whose key equals k, else NULL (m[k])
 *   len(l)                      the number of elements (BIGINT) of a list or map
 *   list_value(a, b, …)         a list of its arguments, one list per row (ARRAY[a, b, …])
 *   struct_pack(v, …)           a struct of its arguments, names in its type ({'a': v, …})
 *   unnest(l)                   only as a SELECT item, where the projection expands it
 * Each is a gather over the child column: positions are computed in an Int32Array, then
 * `take` copies the elements (-1 gives NULL).
 */
import type { Batch, Column, ListColumn, MapColumn, StructColumn } from '../columnar/column.js';
import { fixedColumn } from '../columnar/column.js';
import { valuesEqual } from '../columnar/hash.js';
import { concatColumns, take } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import { structFields } from '../common/nested_types.js';
import type { StructType } from '../common/types.js';
import { evaluate, evaluateConstant } from './evaluate.js';
import type { PhysicalExpr } from './expr.js';

type CallExpr = Extract<PhysicalExpr, { kind: 'call' }>;

function isNull(c: Column, i: number): boolean {
  return c.type === 'null' || (c.validity !== null && c.validity[i] === 0);
}

function structExtract(e: CallExpr, batch: Batch): Column {
  const s = evaluate(e.args[0]!, batch) as StructColumn;
  const name = evaluateConstant(e.args[1]!);
  const k = structFields(s.type as StructType).findIndex((f) => f.name === name);
  if (k < 0) throw new SpillwayError('binder', `struct ${s.type} has no field "${String(name)}"`);
  const child = s.children[k]!;
  if (s.validity === null) return child;
  // NULL where the struct is: the field's value under a NULL struct is not a value
  const idx = new Int32Array(s.length);
  for (let i = 0; i < s.length; i++) idx[i] = s.validity[i] === 0 ? -1 : i;
  return take(child, idx);
}

function listExtract(e: CallExpr, batch: Batch): Column {
  const l = evaluate(e.args[0]!, batch) as ListColumn;
  const index = evaluate(e.args[1]!, batch);
  const n = batch.length;
  const pos = new Int32Array(n);
  const o = l.offsets;
  const iv = (index as { values?: ArrayLike<number | bigint> }).values;
  for (let r = 0; r < n; r++) {
    if (isNull(l, r) || isNull(index, r) || iv === undefined) { pos[r] = -1; continue; }
    const i = Number(iv[r]!), s = o[r]!, len = o[r + 1]! - s;
    pos[r] = i >= 1 && i <= len ? s + i - 1 : i < 0 && -i <= len ? s + len + i : -1;
  }
  return take(l.child, pos);
}

function mapExtract(e: CallExpr, batch: Batch): Column {
  const m = evaluate(e.args[0]!, batch) as MapColumn;
  const key = evaluate(e.args[1]!, batch);
  const n = batch.length;
  const keys = m.child.children[0]!, values = m.child.children[1]!;
  const pos = new Int32Array(n).fill(-1);
  for (let r = 0; r < n; r++) {
    if (isNull(m, r) || isNull(key, r)) continue;
    for (let k = m.offsets[r]!, end = m.offsets[r + 1]!; k < end; k++) {
      if (!isNull(keys, k) && valuesEqual(keys, k, key, r)) { pos[r] = k; break; }
    }
  }
  return take(values, pos);
}

function len(e: CallExpr, batch: Batch): Column {
  const l = evaluate(e.args[0]!, batch) as ListColumn | MapColumn;
  const n = batch.length;
  const out = new BigInt64Array(n);
  for (let r = 0; r < n; r++) out[r] = BigInt(l.offsets[r + 1]! - l.offsets[r]!);
  return fixedColumn('int64', out, l.validity);
}

function listValue(e: CallExpr, batch: Batch): Column {
  const n = batch.length, k = e.args.length;
  const args = e.args.map((a) => evaluate(a, batch));
  const offsets = new Int32Array(n + 1);
  const idx = new Int32Array(n * k);
  for (let r = 0; r < n; r++) {
    offsets[r + 1] = (r + 1) * k;
    for (let j = 0; j < k; j++) idx[r * k + j] = j * n + r;
  }
  const elementType = (e.type as string).slice('list<'.length, -1) as Column['type'];
  const child = k === 0 ? concatColumns(elementType, []) : take(concatColumns(elementType, args), idx);
  return { type: e.type as ListColumn['type'], length: n, validity: null, offsets, child };
}

/** unnest(l) is expanded by the projection (exec/unnest_rows.ts); anywhere else it is refused. */
function unnestElsewhere(): Column {
  throw new SpillwayError('unsupported', 'unnest(list) is supported only as a whole SELECT item (select unnest(l), x from t)');
}

function structPack(e: CallExpr, batch: Batch): Column {
  return { type: e.type as StructColumn['type'], length: batch.length, validity: null, children: e.args.map((a) => evaluate(a, batch)) };
}

export const NESTED_FUNCTIONS: Record<string, (e: CallExpr, batch: Batch) => Column> = {
  struct_pack: structPack,
  unnest: unnestElsewhere,
  struct_extract: structExtract,
  list_extract: listExtract,
  map_extract: mapExtract,
  len,
  list_value: listValue,
};
