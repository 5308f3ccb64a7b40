/**
 * Whole-column kernels shared by operators: gather (take), filter by mask, slice, concat,
 * and the slow scalar bridge (scalarAt / columnFromScalars) for literals, VALUES and results.
 */
import type { DataType, Scalar, Schema } from '../common/types.js';
import { isDecimal } from '../common/types.js';
import { isNested } from '../common/nested_types.js';
import { concatNested, isNestedColumn, nestedColumnFromScalars, nestedScalarAt, sliceNested, takeNested } from './nested.js';
import {
  allocValues, allocValuesLike, decimalScalar, decodeUtf8, emptyColumn, encodeUtf8, fixedColumn, makeBatch, nullColumn,
  type Batch, type Column, type FixedColumn, type IntervalColumn, type TypedValues, type VarColumn,
} from './column.js';
import { concatIntervals, intervalAt, intervalsFromScalars, sliceInterval, takeInterval } from './interval.js';
import { formatBlob, parseBlobText } from '../common/blob_text.js';
import { SpillwayError } from '../common/errors.js';

/**
 * Byte ranges shorter than this are copied by a loop (4-byte words through DataViews, then
 * the tail), longer ones with set(subarray), whose fixed cost only pays off beyond it
 * (bench/kernels.ts --copy measures the crossover).
 */
const SHORT_COPY = 64;

/**
 * Gather rows by index. An index of -1 yields NULL (outer joins use it for the
 * missing side).
 */
export function take(c: Column, indices: Int32Array, count = indices.length): Column {
  if (c.type === 'null') return nullColumn(count);
  const validity = takeValidity(c.validity, indices, count);
  switch (c.type) {
    case 'utf8': case 'blob': return takeUtf8(c, indices, count, validity);
    case 'interval': return takeInterval(c, indices, count, validity);
    case 'bool': return fixedColumn(c.type, takeU8(c.values, indices, count), validity);
    case 'int32': case 'date32': return fixedColumn(c.type, takeI32(c.values, indices, count), validity);
    case 'float64': case 'time': return fixedColumn(c.type, takeF64(c.values, indices, count), validity);
    case 'int64': case 'timestamp': return fixedColumn(c.type, takeI64(c.values, indices, count), validity);
    default: {
      if (isNestedColumn(c)) return takeNested(c, indices, count, validity);
      const v = c.values;
      return fixedColumn(c.type, v instanceof Float64Array ? takeF64(v, indices, count) : takeI64(v, indices, count), validity);
    }
  }
}

/** Validity of a gather: null when no gathered row is NULL and no index is -1. */
function takeValidity(src: Uint8Array | null, indices: Int32Array, count: number): Uint8Array | null {
  // Read-only scan up to the first NULL: most gathers have none and allocate nothing.
  let i = 0;
  if (src === null) {
    while (i < count && indices[i]! >= 0) i++;
  } else {
    for (; i < count; i++) { const j = indices[i]!; if (j < 0 || src[j] === 0) break; }
  }
  if (i === count) return null;
  const out = new Uint8Array(count);
  out.fill(1, 0, i);
  if (src === null) {
    for (; i < count; i++) out[i] = indices[i]! < 0 ? 0 : 1;
  } else {
    for (; i < count; i++) { const j = indices[i]!; out[i] = j < 0 ? 0 : src[j]!; }
  }
  return out;
}

// One loop per typed-array kind keeps each loop monomorphic.

function takeU8(v: Uint8Array, indices: Int32Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) out[i] = v[j]!; }
  return out;
}

function takeI32(v: Int32Array, indices: Int32Array, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) out[i] = v[j]!; }
  return out;
}

function takeF64(v: Float64Array, indices: Int32Array, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) out[i] = v[j]!; }
  return out;
}

/** Element copy between BigInt64Arrays: optimized code moves the 64 bits, no BigInt per row. */
function takeI64(v: BigInt64Array, indices: Int32Array, count: number): BigInt64Array {
  const out = new BigInt64Array(count);
  for (let i = 0; i < count; i++) { const j = indices[i]!; if (j >= 0) out[i] = v[j]!; }
  return out;
}

/** Copy src[s, e) to dst at d; sv and dv are DataViews over src and dst. */
export function copyBytes(src: Uint8Array, sv: DataView, s: number, e: number, dst: Uint8Array, dv: DataView, d: number): void {
  if (e - s < SHORT_COPY) {
    for (; s + 4 <= e; s += 4, d += 4) dv.setInt32(d, sv.getInt32(s, true), true);
    while (s < e) dst[d++] = src[s++]!;
  } else {
    dst.set(src.subarray(s, e), d);
  }
}

/**
 * The offsets of rows gathered by index (-1 = an empty range) from a column with offsets
 * `so` (strings' bytes, lists' children); the last entry is the gathered total.
 */
export function takenOffsets(so: Int32Array, indices: Int32Array, count: number): Int32Array {
  const offsets = new Int32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const j = indices[i]!;
    if (j >= 0) total += so[j + 1]! - so[j]!;
    offsets[i + 1] = total;
  }
  return offsets;
}

function takeUtf8<C extends VarColumn>(c: C, indices: Int32Array, count: number, validity: Uint8Array | null): C {
  const so = c.offsets, sd = c.data;
  const offsets = takenOffsets(so, indices, count);
  const data = new Uint8Array(offsets[count]!);
  const sv = new DataView(sd.buffer, sd.byteOffset, sd.byteLength), dv = new DataView(data.buffer);
  // Consecutive source rows (sorted gathers, filters) are copied as one run of bytes.
  let i = 0;
  while (i < count) {
    const j = indices[i]!;
    if (j < 0) { i++; continue; }
    let e = i + 1, je = j + 1;
    while (e < count && indices[e] === je) { e++; je++; }
    copyBytes(sd, sv, so[j]!, so[je]!, data, dv, offsets[i]!);
    i = e;
  }
  return { type: c.type, length: count, validity, offsets, data } as C;
}

export function takeBatch(b: Batch, indices: Int32Array, count = indices.length): Batch {
  return makeBatch(b.schema, b.columns.map((c) => take(c, indices, count)), count);
}

/** Indices of rows where mask is 1 and (if given) maskValidity is 1. */
export function maskToIndices(mask: Uint8Array, maskValidity: Uint8Array | null, length: number): Int32Array {
  // is1(x) below is ((x ^ 1) - 1) >>> 31: 1 for the byte 1, else 0, without a branch (a
  // branch mispredicts on every other row of a 50% selection).
  let n = 0;
  if (maskValidity === null) {
    for (let i = 0; i < length; i++) n += ((mask[i]! ^ 1) - 1) >>> 31;
  } else {
    for (let i = 0; i < length; i++) n += (((mask[i]! ^ 1) - 1) & ((maskValidity[i]! ^ 1) - 1)) >>> 31;
  }
  const idx = new Int32Array(n);
  // Write every row's index, advance past selected ones only; stop after the last selected
  // row so that no write falls beyond the end.
  let k = 0;
  if (maskValidity === null) {
    for (let i = 0; k < n; i++) { idx[k] = i; k += ((mask[i]! ^ 1) - 1) >>> 31; }
  } else {
    for (let i = 0; k < n; i++) { idx[k] = i; k += (((mask[i]! ^ 1) - 1) & ((maskValidity[i]! ^ 1) - 1)) >>> 31; }
  }
  return idx;
}

/**
 * A filter whose kept rows form runs at least this long on average copies each run with
 * set(subarray) (a builtin, fast even before the JIT has compiled the row loops), else it
 * gathers row by row.
 */
const MIN_AVG_RUN = 16;

/**
 * Keep the rows where a boolean column is TRUE (NULL counts as false). When every row is
 * kept the input batch itself is returned: no operator writes into a batch it received.
 */
export function filterBatch(b: Batch, predicate: Column): Batch {
  if (predicate.type !== 'bool') throw new Error(`filter predicate must be bool, got ${predicate.type}`);
  const mask = predicate.values, mv = predicate.validity, length = b.length;
  // Kept rows and runs of kept rows (a run starts where a kept row follows a dropped one);
  // sel is 1 for a kept row, as in maskToIndices.
  let n = 0, runs = 0, prev = 0;
  if (mv === null) {
    for (let i = 0; i < length; i++) { const sel = ((mask[i]! ^ 1) - 1) >>> 31; n += sel; runs += sel & (prev ^ 1); prev = sel; }
  } else {
    for (let i = 0; i < length; i++) {
      const sel = (((mask[i]! ^ 1) - 1) & ((mv[i]! ^ 1) - 1)) >>> 31;
      n += sel; runs += sel & (prev ^ 1); prev = sel;
    }
  }
  if (n === length) return b;
  if (n === 0) return makeBatch(b.schema, b.columns.map((c) => emptyColumn(c.type)), 0);
  if (n < runs * MIN_AVG_RUN) return takeBatch(b, maskToIndices(mask, mv, length));
  // Source ranges [starts[r], ends[r]) of the kept rows.
  const starts = new Int32Array(runs), ends = new Int32Array(runs);
  let r = 0;
  prev = 0;
  for (let i = 0; r < runs; i++) {
    const sel = i === length ? 0 : mv === null ? ((mask[i]! ^ 1) - 1) >>> 31 : (((mask[i]! ^ 1) - 1) & ((mv[i]! ^ 1) - 1)) >>> 31;
    if (sel !== prev) {
      if (sel === 1) starts[r] = i; else ends[r++] = i;
      prev = sel;
    }
  }
  return makeBatch(b.schema, b.columns.map((c) => copyRuns(c, n, starts, ends)), n);
}

/** The rows of a column in the ranges [starts[r], ends[r]), n rows in all. */
function copyRuns(c: Column, n: number, starts: Int32Array, ends: Int32Array): Column {
  if (c.type === 'null') return nullColumn(n);
  let validity: Uint8Array | null = null;
  if (c.validity !== null) {
    validity = setRuns(c.validity, new Uint8Array(n), starts, ends);
    if (!validity.includes(0)) validity = null;
  }
  if (c.type === 'utf8' || c.type === 'blob') return copyUtf8Runs(c, n, starts, ends, validity);
  if (c.type === 'interval') return takeInterval(c, runIndices(n, starts, ends), n, validity);
  if (isNestedColumn(c)) return takeNested(c, runIndices(n, starts, ends), n, validity);
  return fixedColumn(c.type, setRuns(c.values, allocValuesLike(c, n), starts, ends), validity);
}

/** The row indices of the ranges [starts[r], ends[r]), n in all. */
function runIndices(n: number, starts: Int32Array, ends: Int32Array): Int32Array {
  const idx = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < starts.length; r++) for (let i = starts[r]!, e = ends[r]!; i < e; i++) idx[k++] = i;
  return idx;
}

function setRuns<T extends TypedValues>(src: T, out: T, starts: Int32Array, ends: Int32Array): T {
  const s = src as Int32Array, o = out as Int32Array;
  let pos = 0;
  for (let r = 0; r < starts.length; r++) {
    const a = starts[r]!, e = ends[r]!;
    o.set(s.subarray(a, e), pos);
    pos += e - a;
  }
  return out;
}

function copyUtf8Runs<C extends VarColumn>(c: C, n: number, starts: Int32Array, ends: Int32Array, validity: Uint8Array | null): C {
  const so = c.offsets, sd = c.data;
  let total = 0;
  for (let r = 0; r < starts.length; r++) total += so[ends[r]!]! - so[starts[r]!]!;
  const offsets = new Int32Array(n + 1);
  const data = new Uint8Array(total);
  const sv = new DataView(sd.buffer, sd.byteOffset, sd.byteLength), dv = new DataView(data.buffer);
  let k = 0, pos = 0;
  for (let r = 0; r < starts.length; r++) {
    const a = starts[r]!, e = ends[r]!;
    const base = so[a]!, delta = pos - base;
    for (let j = a + 1; j <= e; j++) offsets[++k] = so[j]! + delta;
    copyBytes(sd, sv, base, so[e]!, data, dv, pos);
    pos += so[e]! - base;
  }
  return { type: c.type, length: n, validity, offsets, data } as C;
}

export function sliceColumn(c: Column, start: number, end: number): Column {
  const n = end - start;
  const validity = c.validity ? c.validity.subarray(start, end) : null;
  if (c.type === 'null') return nullColumn(n);
  if (c.type === 'utf8' || c.type === 'blob') {
    const base = c.offsets[start]!;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = c.offsets[start + i]! - base;
    return { type: c.type, length: n, validity, offsets, data: c.data.subarray(base, c.offsets[end]!) };
  }
  if (c.type === 'interval') return sliceInterval(c, start, end, validity);
  if (isNestedColumn(c)) return sliceNested(c, start, end);
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
  if (type === 'interval') return concatIntervals(cols as readonly IntervalColumn[], length, validity);
  if (type === 'utf8' || type === 'blob') {
    let total = 0;
    for (const c0 of cols) { const c = c0 as VarColumn; total += c.offsets[c.length]! - c.offsets[0]!; }
    const data = new Uint8Array(total);
    const offsets = new Int32Array(length + 1);
    let pos = 0, dpos = 0;
    for (const c0 of cols) {
      const c = c0 as VarColumn;
      const base = c.offsets[0]!;
      for (let i = 1; i <= c.length; i++) offsets[pos + i] = dpos + c.offsets[i]! - base;
      data.set(c.data.subarray(base, c.offsets[c.length]!), dpos);
      dpos += c.offsets[c.length]! - base;
      pos += c.length;
    }
    return { type, length, validity, offsets, data };
  }
  if (isNested(type)) return concatNested(type, cols, length, validity);
  if (isDecimal(type) && cols.some((c) => (c as FixedColumn).values instanceof BigInt64Array)) {
    // Mixed decimal forms: the BigInt64Array form holds them all.
    const out = new BigInt64Array(length);
    let pos = 0;
    for (const c of cols) {
      const v = (c as FixedColumn).values;
      if (v instanceof BigInt64Array) out.set(v, pos);
      else for (let i = 0; i < c.length; i++) out[pos + i] = BigInt(v[i]!);
      pos += c.length;
    }
    return fixedColumn(type, out, validity);
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
    case 'blob': return formatBlob(c.data, c.offsets[i]!, c.offsets[i + 1]!);
    case 'interval': return intervalAt(c, i);
    default:
      if (isNestedColumn(c)) return nestedScalarAt(c, i);
      return isDecimal(c.type) ? decimalScalar(c.values[i]!) : c.values[i]!;
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
  if (type === 'interval') return intervalsFromScalars(values, validity);
  if (isNested(type)) return nestedColumnFromScalars(type, values);
  if (type === 'utf8' || type === 'blob') {
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) { const b = type === 'blob' ? blobBytes(String(v)) : encodeUtf8(String(v)); parts.push(b); total += b.length; }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    let p = 0;
    for (const b of parts) { data.set(b, p); p += b.length; }
    return { type, length: n, validity, offsets, data };
  }
  const out = isDecimal(type) && values.some((v) => typeof v === 'bigint' && decimalScalar(v) === v) ? new BigInt64Array(n) : allocValues(type, n);
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
  if (type === 'interval') return take(intervalsFromScalars([value], null), new Int32Array(n), n);
  if (isNested(type)) return take(nestedColumnFromScalars(type, [value]), new Int32Array(n), n);
  if (type === 'utf8' || type === 'blob') {
    const b = type === 'blob' ? blobBytes(String(value)) : encodeUtf8(String(value));
    const len = b.length, total = len * n;
    const data = new Uint8Array(total);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = (i + 1) * len;
    // One copy of the value, then double the filled prefix until the buffer is full.
    if (total > 0) {
      data.set(b, 0);
      for (let filled = len; filled < total; filled *= 2) data.copyWithin(filled, 0, Math.min(filled, total - filled));
    }
    return { type, length: n, validity: null, offsets, data };
  }
  const out = isDecimal(type) && typeof value === 'bigint' && decimalScalar(value) === value ? new BigInt64Array(n) : allocValues(type, n);
  if (out instanceof BigInt64Array) out.fill(typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))));
  else if (type === 'bool') (out as Uint8Array).fill(value ? 1 : 0);
  else (out as Int32Array | Float64Array).fill(Number(value));
  return fixedColumn(type, out, null);
}

/** The bytes of a blob Scalar (its printed text). */
function blobBytes(text: string): Uint8Array {
  const b = parseBlobText(text);
  if (typeof b === 'string') throw new SpillwayError('execution', b);
  return b;
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
