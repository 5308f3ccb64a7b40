/**
 * Whole-column kernels shared by operators: gather (take), filter by mask, slice, concat,
 * and the slow scalar bridge (scalarAt / columnFromScalars) for literals, VALUES and results.
 */
import type { DataType, Scalar, Schema } from '../common/types.js';
import {
  allocValues, decodeUtf8, encodeUtf8, fixedColumn, makeBatch, nullColumn,
  type Batch, type Column, type FixedColumn, type TypedValues, type Utf8Column,
} from './column.js';

/**
 * Gather rows by index. An index of -1 yields NULL (outer joins use it for the
 * missing side).
 */
export function take(c: Column, indices: Int32Array, count = indices.length): Column {
  if (c.type === 'null') return nullColumn(count);
  const src = c.validity;
  let validity: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const j = indices[i]!;
    if (j < 0 || (src !== null && src[j] === 0)) {
      validity = new Uint8Array(count);
      for (let k = 0; k < count; k++) {
        const jj = indices[k]!;
        validity[k] = jj < 0 ? 0 : src === null ? 1 : src[jj]!;
      }
      break;
    }
  }
  if (c.type === 'utf8') {
    const offsets = new Int32Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const j = indices[i]!;
      if (j >= 0) total += c.offsets[j + 1]! - c.offsets[j]!;
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < count; i++) {
      const j = indices[i]!;
      if (j < 0) continue;
      const s = c.offsets[j]!, e = c.offsets[j + 1]!;
      if (e > s) data.set(c.data.subarray(s, e), offsets[i]!);
    }
    return { type: 'utf8', length: count, validity, offsets, data };
  }
  const out = allocValues(c.type, count);
  const vals = c.values;
  if (vals instanceof BigInt64Array) {
    const o = out as BigInt64Array;
    for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) o[i] = vals[j]!; }
  } else {
    const o = out as Int32Array | Float64Array | Uint8Array;
    for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) o[i] = vals[j]!; }
  }
  return fixedColumn(c.type, out, validity);
}

export function takeBatch(b: Batch, indices: Int32Array, count = indices.length): Batch {
  return makeBatch(b.schema, b.columns.map((c) => take(c, indices, count)), count);
}

/** Indices of rows where mask is 1 and (if given) maskValidity is 1. */
export function maskToIndices(mask: Uint8Array, maskValidity: Uint8Array | null, length: number): Int32Array {
  let n = 0;
  for (let i = 0; i < length; i++) if (mask[i] === 1 && (maskValidity === null || maskValidity[i] === 1)) n++;
  const idx = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < length; i++) if (mask[i] === 1 && (maskValidity === null || maskValidity[i] === 1)) idx[k++] = i;
  return idx;
}

/** Keep the rows where a boolean column is TRUE (NULL counts as false). */
export function filterBatch(b: Batch, predicate: Column): Batch {
  if (predicate.type !== 'bool') throw new Error(`filter predicate must be bool, got ${predicate.type}`);
  const idx = maskToIndices(predicate.values, predicate.validity, b.length);
  if (idx.length === b.length) return b;
  return takeBatch(b, idx);
}

export function sliceColumn(c: Column, start: number, end: number): Column {
  const n = end - start;
  const validity = c.validity ? c.validity.subarray(start, end) : null;
  if (c.type === 'null') return nullColumn(n);
  if (c.type === 'utf8') {
    const base = c.offsets[start]!;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = c.offsets[start + i]! - base;
    return { type: 'utf8', length: n, validity, offsets, data: c.data.subarray(base, c.offsets[end]!) };
  }
  return fixedColumn(c.type, c.values.subarray(start, end) as TypedValues, validity);
}

export function sliceBatch(b: Batch, start: number, end: number): Batch {
  const e = Math.min(end, b.length);
  if (start === 0 && e === b.length) return b;
  return makeBatch(b.schema, b.columns.map((c) => sliceColumn(c, start, e)), e - start);
}

/** Concatenate columns of one type into one column. */
export function concatColumns(type: DataType, cols: readonly Column[]): Column {
  let length = 0;
  let anyNull = false;
  for (const c of cols) { length += c.length; if (c.validity) anyNull = true; }
  if (type === 'null') return nullColumn(length);
  let validity: Uint8Array | null = null;
  if (anyNull) {
    validity = new Uint8Array(length);
    let pos = 0;
    for (const c of cols) {
      if (c.validity) validity.set(c.validity, pos); else validity.fill(1, pos, pos + c.length);
      pos += c.length;
    }
  }
  if (type === 'utf8') {
    let total = 0;
    for (const c of cols) total += (c as Utf8Column).data.length;
    const data = new Uint8Array(total);
    const offsets = new Int32Array(length + 1);
    let pos = 0, dpos = 0;
    for (const c0 of cols) {
      const c = c0 as Utf8Column;
      const base = c.offsets[0]!;
      for (let i = 1; i <= c.length; i++) offsets[pos + i] = dpos + c.offsets[i]! - base;
      data.set(c.data.subarray(base, c.offsets[c.length]!), dpos);
      dpos += c.offsets[c.length]! - base;
      pos += c.length;
    }
    return { type: 'utf8', length, validity, offsets, data };
  }
  const out = allocValues(type, length);
  let pos = 0;
  for (const c of cols) {
    (out as Int32Array).set((c as FixedColumn).values as Int32Array, pos);
    pos += c.length;
  }
  return fixedColumn(type, out, validity);
}

export function concatBatches(schema: Schema, batches: readonly Batch[]): Batch {
  if (batches.length === 1) return batches[0]!;
  const cols = schema.fields.map((f, i) => concatColumns(f.type, batches.map((b) => b.columns[i]!)));
  let n = 0;
  for (const b of batches) n += b.length;
  return makeBatch(schema, cols, n);
}

/** Value i as a JS scalar (slow path: results, literals, tests). */
export function scalarAt(c: Column, i: number): Scalar {
  if (c.type === 'null' || (c.validity !== null && c.validity[i] === 0)) return null;
  switch (c.type) {
    case 'bool': return c.values[i] === 1;
    case 'utf8': return decodeUtf8(c.data.subarray(c.offsets[i]!, c.offsets[i + 1]!));
    default: return c.values[i]!;
  }
}

/** Build a column from JS scalars (slow path). Values must already be of the column's type. */
export function columnFromScalars(type: DataType, values: readonly Scalar[]): Column {
  const n = values.length;
  if (type === 'null') return nullColumn(n);
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    }
  }
  if (type === 'utf8') {
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) { const b = encodeUtf8(String(v)); parts.push(b); total += b.length; }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    let p = 0;
    for (const b of parts) { data.set(b, p); p += b.length; }
    return { type, length: n, validity, offsets, data };
  }
  const out = allocValues(type, n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (out instanceof BigInt64Array) out[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    else if (type === 'bool') (out as Uint8Array)[i] = v ? 1 : 0;
    else (out as Int32Array | Float64Array)[i] = Number(v);
  }
  return fixedColumn(type, out, validity);
}

/** A column of n copies of one scalar. */
export function repeatScalar(type: DataType, value: Scalar, n: number): Column {
  if (type === 'null' || value === null) {
    if (type === 'null') return nullColumn(n);
    const c = columnFromScalars(type, [null]);
    return take(c, new Int32Array(n), n);
  }
  if (type === 'utf8') {
    const b = encodeUtf8(String(value));
    const data = new Uint8Array(b.length * n);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) { data.set(b, i * b.length); offsets[i + 1] = (i + 1) * b.length; }
    return { type, length: n, validity: null, offsets, data };
  }
  const out = allocValues(type, n);
  if (out instanceof BigInt64Array) out.fill(typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))));
  else if (type === 'bool') (out as Uint8Array).fill(value ? 1 : 0);
  else (out as Int32Array | Float64Array).fill(Number(value));
  return fixedColumn(type, out, null);
}

/** Rows of a batch as arrays of scalars (tests and result printing only). */
export function batchRows(b: Batch): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = 0; i < b.length; i++) rows.push(b.columns.map((c) => scalarAt(c, i)));
  return rows;
}

export function batchFromRows(schema: Schema, rows: readonly (readonly Scalar[])[]): Batch {
  const cols = schema.fields.map((f, j) => columnFromScalars(f.type, rows.map((r) => r[j] ?? null)));
  return makeBatch(schema, cols, rows.length);
}
