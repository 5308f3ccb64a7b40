/**
 * interleaveBatches, the merge's output gather: picked (source, row) pairs become one batch
 * in pick order, for every column kind, with NULLs from some sources only, and with a
 * decimal column held as doubles in one source and as bigints in another (the fallback).
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { field, schema } from '../../../src/common/types.js';
import { interleaveBatches } from '../../../src/exec/sort/merge.js';

const S = schema([field('i', 'int32', true), field('b', 'int64'), field('f', 'float64'), field('s', 'utf8', true), field('d', 'decimal(15,2)')]);

function source(base: number, n: number, nulls: boolean, bigDecimals: boolean): Batch {
  const i = Int32Array.from({ length: n }, (_, r) => base + r);
  const b = BigInt64Array.from({ length: n }, (_, r) => BigInt(base + r) * 1_000_000_000_000n);
  const f = Float64Array.from({ length: n }, (_, r) => (base + r) / 4);
  const s = Array.from({ length: n }, (_, r) => (nulls && r % 3 === 0 ? null : `v${base + r}${'é'.repeat(r % 4)}`));
  const d = bigDecimals ? BigInt64Array.from({ length: n }, (_, r) => BigInt(base + r) * 7n) : Float64Array.from({ length: n }, (_, r) => (base + r) * 7);
  const valid = nulls ? Uint8Array.from({ length: n }, (_, r) => (r % 5 === 1 ? 0 : 1)) : null;
  return makeBatch(S, [fixedColumn('int32', i, valid), fixedColumn('int64', b), fixedColumn('float64', f), utf8Column(s), fixedColumn('decimal(15,2)', d)], n);
}

/** The expected rows: row `row[k]` of source `src[k]`, in pick order. */
function expectedRows(batches: readonly Batch[], src: Int32Array, row: Int32Array, n: number): unknown[][] {
  const rows = batches.map(batchRows);
  return Array.from({ length: n }, (_, k) => rows[src[k]!]![row[k]!]!);
}

function picks(sizes: readonly number[], n: number, seed: number): { src: Int32Array; row: Int32Array } {
  const src = new Int32Array(n), row = new Int32Array(n);
  let x = seed;
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const s = x % sizes.length;
    src[k] = s;
    row[k] = (x >>> 8) % sizes[s]!;
  }
  return { src, row };
}

describe('interleaveBatches', () => {
  it('gathers rows of three sources in pick order, NULLs from one source only', () => {
    const batches = [source(0, 40, true, false), source(100, 25, false, false), source(200, 33, true, false)];
    const { src, row } = picks([40, 25, 33], 90, 7);
    const out = interleaveBatches(S, batches, src, row, 90);
    expect(out.length).toBe(90);
    expect(batchRows(out)).toEqual(expectedRows(batches, src, row, 90));
  });

  it('a decimal column in both forms across sources gives the same rows', () => {
    const batches = [source(0, 20, false, false), source(50, 20, true, true)];
    const { src, row } = picks([20, 20], 35, 11);
    expect(batchRows(interleaveBatches(S, batches, src, row, 35))).toEqual(expectedRows(batches, src, row, 35));
  });
});
