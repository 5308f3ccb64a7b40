/** Row helpers shared by the operator reference tests. */
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows } from '../../src/columnar/kernels.js';
import type { Scalar, Schema } from '../../src/common/types.js';

/** A row as a comparable string (-0 as 0, bigints marked). */
export function keyOf(row: readonly Scalar[]): string {
  return row.map((v) => {
    if (v === null) return 'N';
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
    return JSON.stringify(v);
  }).join('|');
}

export function sortRows(rows: Scalar[][]): string[] {
  return rows.map(keyOf).sort();
}

/** Rows cut into batches of the given sizes (cycled), with a zero-row batch first. */
export function toBatches(s: Schema, rows: readonly Scalar[][], sizes: readonly number[]): Batch[] {
  const out: Batch[] = [batchFromRows(s, [])];
  let pos = 0, k = 0;
  while (pos < rows.length) {
    const n = sizes[k++ % sizes.length]!;
    out.push(batchFromRows(s, rows.slice(pos, pos + n)));
    pos += n;
  }
  return out;
}
