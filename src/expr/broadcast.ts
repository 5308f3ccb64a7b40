/**
 * Kernel inputs: broadcast masks and validity merging.
 *
 * Broadcast convention: a kernel input is either a full column (length n) or a constant
 * (length 1). Kernels index `values[i & m]` where m = maskOf(column, n) is -1 for a full
 * column and 0 for a constant, so one loop serves both shapes without copying the constant.
 */
import { allocValues, emptyColumn, fixedColumn, intervalColumn, nullColumn, type Column } from '../columnar/column.js';
import { take } from '../columnar/kernels.js';
import { isNested } from '../common/nested_types.js';
import type { DataType } from '../common/types.js';

/** -1 when the column has one value per row, 0 when it is a broadcast constant. */
export function maskOf(c: Column, n: number): number {
  return c.length === n ? -1 : 0;
}

/** Validity of a column, treating the 'null' type as all NULL (a one-byte zero for constants). */
export function validityOf(c: Column): Uint8Array | null {
  if (c.type === 'null') return new Uint8Array(c.length === 0 ? 1 : c.length);
  return c.validity;
}

/** Row-wise AND of two (possibly broadcast) validities; null when every row is valid. */
export function andValidity(a: Uint8Array | null, am: number, b: Uint8Array | null, bm: number, n: number): Uint8Array | null {
  if (a === null && b === null) return null;
  const out = new Uint8Array(n);
  if (a === null) { for (let i = 0; i < n; i++) out[i] = b![i & bm]!; return out; }
  if (b === null) { for (let i = 0; i < n; i++) out[i] = a[i & am]!; return out; }
  for (let i = 0; i < n; i++) out[i] = a[i & am]! & b[i & bm]!;
  return out;
}

/** A column of n NULLs of the given type. */
export function allNull(type: DataType, n: number): Column {
  if (type === 'null') return nullColumn(n);
  const validity = new Uint8Array(n);
  if (type === 'utf8' || type === 'blob') return { type, length: n, validity, offsets: new Int32Array(n + 1), data: new Uint8Array(0) };
  if (type === 'interval') return intervalColumn(new Int32Array(n), new Int32Array(n), new Float64Array(n), validity);
  if (isNested(type)) return take(emptyColumn(type), new Int32Array(n).fill(-1), n);
  return fixedColumn(type, allocValues(type, n), validity);
}
