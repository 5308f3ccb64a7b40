/**
 * Kernels of nested columns (LIST, STRUCT, MAP; layouts in column.ts): gather, slice, concat,
 * value hashes, equality and order, the scalar bridge and the empty column. The flat kernels
 * (kernels.ts, hash.ts) hand nested columns here; each kernel recurses into the children, so
 * the work is a typed-array loop per level, never an object per row.
 *
 * Equality and order follow DuckDB: a NULL element or field equals another NULL and sorts
 * above every value (also under DESC, where it then comes first); lists compare element by
 * element, a list that is a prefix of another sorts first; structs field by field.
 */
import type { DataType, ListType, MapType, NestedScalar, NestedType, Scalar } from '../common/types.js';
import { isList, isNested, isStruct, listElement, mapEntryType, structFields } from '../common/nested_types.js';
import type { Column, ListColumn, MapColumn, NestedColumn, StructColumn } from './column.js';
import { emptyColumn } from './column.js';
import { columnValueHashes, hashFinish, hashRound, NULL_HASH, valuesEqual } from './hash.js';
import { columnFromScalars, concatColumns, scalarAt, sliceColumn, take, takenOffsets } from './kernels.js';

export function isNestedColumn(c: Column): c is NestedColumn {
  return isNested(c.type);
}

/** The element (list) or entry (map) child type of a list-like type. */
function childTypeOf(t: ListType | MapType): DataType {
  return isList(t) ? listElement(t) : mapEntryType(t);
}

export function emptyNestedColumn(type: NestedType): NestedColumn {
  if (isStruct(type)) return { type, length: 0, validity: null, children: structFields(type).map((f) => emptyColumn(f.type)) };
  const child = emptyColumn(childTypeOf(type));
  return { type, length: 0, validity: null, offsets: new Int32Array(1), child } as ListColumn | MapColumn;
}

/** Gather rows by index (-1 = NULL); `validity` is the gathered validity (kernels.ts computes it). */
export function takeNested(c: NestedColumn, indices: Int32Array, count: number, validity: Uint8Array | null): NestedColumn {
  if (c.type.startsWith('struct<')) {
    const s = c as StructColumn;
    return { type: s.type, length: count, validity, children: s.children.map((ch) => take(ch, indices, count)) };
  }
  const l = c as ListColumn | MapColumn;
  const so = l.offsets;
  const offsets = takenOffsets(so, indices, count);
  const total = offsets[count]!;
  const childIdx = new Int32Array(total);
  let p = 0;
  for (let i = 0; i < count; i++) {
    const j = indices[i]!;
    if (j < 0) continue;
    for (let k = so[j]!, e = so[j + 1]!; k < e; k++) childIdx[p++] = k;
  }
  return { type: l.type, length: count, validity, offsets, child: take(l.child, childIdx, total) } as ListColumn | MapColumn;
}

/** Rows [start, end): lists keep their child and a view of their offsets. */
export function sliceNested(c: NestedColumn, start: number, end: number): NestedColumn {
  const validity = c.validity ? c.validity.subarray(start, end) : null;
  const n = end - start;
  if (isStruct(c.type)) {
    const s = c as StructColumn;
    return { type: s.type, length: n, validity, children: s.children.map((ch) => sliceColumn(ch, start, end)) };
  }
  const l = c as ListColumn | MapColumn;
  return { type: l.type, length: n, validity, offsets: l.offsets.subarray(start, end + 1), child: l.child } as ListColumn | MapColumn;
}

/** A list's child restricted to the rows its offsets use, and offsets from 0 (what Arrow and concat want). */
export function compactList<T extends ListColumn | MapColumn>(c: T): T {
  const o = c.offsets;
  const base = o[0]!, end = o[c.length]!;
  if (base === 0 && end === c.child.length) return c;
  const offsets = new Int32Array(c.length + 1);
  for (let i = 0; i <= c.length; i++) offsets[i] = o[i]! - base;
  return { ...c, offsets, child: sliceColumn(c.child, base, end) };
}

/** Concatenate nested columns of one type (validity already joined by the caller). */
export function concatNested(type: NestedType, cols: readonly Column[], length: number, validity: Uint8Array | null): NestedColumn {
  if (isStruct(type)) {
    const fields = structFields(type);
    const children = fields.map((f, k) => concatColumns(f.type, cols.map((c) => (c as StructColumn).children[k]!)));
    return { type, length, validity, children };
  }
  const parts = cols.map((c) => compactList(c as ListColumn | MapColumn));
  const offsets = new Int32Array(length + 1);
  let pos = 0, base = 0;
  for (const p of parts) {
    for (let i = 1; i <= p.length; i++) offsets[pos + i] = base + p.offsets[i]!;
    pos += p.length;
    base += p.child.length;
  }
  const child = concatColumns(childTypeOf(type), parts.map((p) => p.child));
  return { type, length, validity, offsets, child } as ListColumn | MapColumn;
}

const LIST_SEED = 0x2f1a7c35 | 0;
const STRUCT_SEED = 0x6d2b79f5 | 0;

/** One hash per row of a nested column (NULL rows: NULL_HASH); equal values hash alike. */
export function nestedValueHashes(c: NestedColumn, length: number): Int32Array {
  const out = new Int32Array(length);
  const valid = c.validity;
  if (isStruct(c.type)) {
    const s = c as StructColumn;
    out.fill(STRUCT_SEED);
    for (const ch of s.children) {
      const h = columnValueHashes(ch, length);
      for (let i = 0; i < length; i++) out[i] = hashRound(out[i]!, h[i]!);
    }
    for (let i = 0; i < length; i++) out[i] = valid !== null && valid[i] === 0 ? NULL_HASH : hashFinish(out[i]!);
    return out;
  }
  const l = c as ListColumn | MapColumn;
  const o = l.offsets;
  const base = o[0]!, end = o[length]!;
  const child = sliceColumn(l.child, base, end);
  const h = columnValueHashes(child, end - base);
  for (let i = 0; i < length; i++) {
    if (valid !== null && valid[i] === 0) { out[i] = NULL_HASH; continue; }
    let x = LIST_SEED;
    const s = o[i]! - base, e = o[i + 1]! - base;
    for (let k = s; k < e; k++) x = hashRound(x, h[k]!);
    out[i] = hashFinish(x ^ (e - s));
  }
  return out;
}

function isNull(c: Column, i: number): boolean {
  return c.type === 'null' || (c.validity !== null && c.validity[i] === 0);
}

/** Value i of a equals value j of b (both non-NULL, same type); NULL elements equal each other. */
export function nestedEqual(a: NestedColumn, i: number, b: NestedColumn, j: number): boolean {
  if (isStruct(a.type)) {
    const ca = (a as StructColumn).children, cb = (b as StructColumn).children;
    for (let k = 0; k < ca.length; k++) if (!elementsEqual(ca[k]!, i, cb[k]!, j)) return false;
    return true;
  }
  const la = a as ListColumn | MapColumn, lb = b as ListColumn | MapColumn;
  const sa = la.offsets[i]!, ea = la.offsets[i + 1]!, sb = lb.offsets[j]!, eb = lb.offsets[j + 1]!;
  if (ea - sa !== eb - sb) return false;
  for (let k = 0; k < ea - sa; k++) if (!elementsEqual(la.child, sa + k, lb.child, sb + k)) return false;
  return true;
}

function elementsEqual(a: Column, i: number, b: Column, j: number): boolean {
  const na = isNull(a, i), nb = isNull(b, j);
  if (na || nb) return na === nb;
  return valuesEqual(a, i, b, j);
}

/** DuckDB's order of value i of a and value j of b (both non-NULL, same nested type). */
export function compareNested(a: NestedColumn, i: number, b: NestedColumn, j: number): number {
  if (isStruct(a.type)) {
    const ca = (a as StructColumn).children, cb = (b as StructColumn).children;
    for (let k = 0; k < ca.length; k++) {
      const r = compareElements(ca[k]!, i, cb[k]!, j);
      if (r !== 0) return r;
    }
    return 0;
  }
  const la = a as ListColumn | MapColumn, lb = b as ListColumn | MapColumn;
  const sa = la.offsets[i]!, ea = la.offsets[i + 1]!, sb = lb.offsets[j]!, eb = lb.offsets[j + 1]!;
  const n = Math.min(ea - sa, eb - sb);
  for (let k = 0; k < n; k++) {
    const r = compareElements(la.child, sa + k, lb.child, sb + k);
    if (r !== 0) return r;
  }
  return (ea - sa) - (eb - sb);
}

/** Element order: NULL above every value. */
function compareElements(a: Column, i: number, b: Column, j: number): number {
  const na = isNull(a, i), nb = isNull(b, j);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return compareLeaves(a, i, b, j);
}

/** Order of two non-NULL values of one type, any type. */
export function compareLeaves(a: Column, i: number, b: Column, j: number): number {
  switch (a.type) {
    case 'null': return 0;
    case 'utf8': {
      const bb = b as typeof a;
      const da = a.data, db = bb.data;
      let sa = a.offsets[i]!, sb = bb.offsets[j]!;
      const ea = a.offsets[i + 1]!, eb = bb.offsets[j + 1]!;
      for (; sa < ea && sb < eb; sa++, sb++) if (da[sa] !== db[sb]) return da[sa]! - db[sb]!;
      return (ea - sa) - (eb - sb);
    }
    case 'float64': {
      const x = a.values[i]!, y = (b as typeof a).values[j]!;
      if (x < y) return -1;
      if (x > y) return 1;
      if (x === y) return 0;
      return x !== x ? (y !== y ? 0 : 1) : -1;
    }
    default: {
      if (isNestedColumn(a)) return compareNested(a, i, b as NestedColumn, j);
      const x = (a as { values: ArrayLike<number | bigint> }).values[i]!, y = (b as { values: ArrayLike<number | bigint> }).values[j]!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** Value i as a JS value: list → array, struct → object, map → array of { key, value }. */
export function nestedScalarAt(c: NestedColumn, i: number): NestedScalar {
  if (isStruct(c.type)) {
    const s = c as StructColumn;
    const fields = structFields(s.type);
    const out: Record<string, Scalar> = {};
    for (let k = 0; k < fields.length; k++) out[fields[k]!.name] = scalarAt(s.children[k]!, i);
    return out;
  }
  const l = c as ListColumn | MapColumn;
  const out: Scalar[] = [];
  for (let k = l.offsets[i]!, e = l.offsets[i + 1]!; k < e; k++) out.push(scalarAt(l.child, k));
  return out;
}

/** A nested column from JS values (slow path; see nestedScalarAt for the shapes). */
export function nestedColumnFromScalars(type: NestedType, values: readonly Scalar[]): NestedColumn {
  const n = values.length;
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; }
  }
  if (isStruct(type)) {
    const fields = structFields(type);
    const children = fields.map((f) => columnFromScalars(f.type, values.map((v) => (v === null || v === undefined ? null : (v as Record<string, Scalar>)[f.name] ?? null))));
    return { type, length: n, validity, children };
  }
  const offsets = new Int32Array(n + 1);
  const elements: Scalar[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      if (!Array.isArray(v)) throw new Error(`a value of type ${type} must be an array, got ${typeof v}`);
      for (const e of v as readonly Scalar[]) elements.push(e);
    }
    offsets[i + 1] = elements.length;
  }
  const child = columnFromScalars(childTypeOf(type as ListType | MapType), elements);
  return { type, length: n, validity, offsets, child } as ListColumn | MapColumn;
}

/** Bytes held by a nested column's buffers. */
export function nestedColumnBytes(c: NestedColumn, bytesOf: (c: Column) => number): number {
  let n = c.validity ? c.validity.byteLength : 0;
  if (isStruct(c.type)) for (const ch of (c as StructColumn).children) n += bytesOf(ch);
  else n += (c as ListColumn).offsets.byteLength + bytesOf((c as ListColumn).child);
  return n;
}

/** A deep copy of a nested column's buffers (IPC needs buffers no other column shares). */
export function copyNested(c: NestedColumn): NestedColumn {
  const n = c.length;
  return concatNested(c.type, [c], n, c.validity ? c.validity.slice() : null);
}
