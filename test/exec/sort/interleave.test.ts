/**
 * interleaveBatches, the gather of the merge's output and of a sorted buffer's rows: picked
 * (source, row) pairs become one batch in pick order, for every column kind (intervals and
 * nested values through the fallback), with NULLs from some sources only, runs of
 * consecutive rows of one source, NaN and -0 kept bit for bit, and a decimal column held as
 * doubles in one source and as bigints in another (the fallback).
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch, type FixedColumn } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import { field, schema, type DataType, type Scalar } from '../../../src/common/types.js';
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

const K = schema([
  field('bo', 'bool', true), field('dt', 'date32'), field('ts', 'timestamp', true), field('bl', 'blob', true),
  field('iv', 'interval', true), field('l', 'list<int32>' as DataType, true), field('t', 'time'),
]);

function kinds(base: number, n: number): Batch {
  const rows: Scalar[][] = Array.from({ length: n }, (_, r) => {
    const v = base + r;
    return [r % 4 === 0 ? null : v % 2 === 0, v, r % 5 === 0 ? null : BigInt(v) * 86_400_000_000n, r % 6 === 0 ? null : `\\x0${v % 10}AB`,
      r % 7 === 0 ? null : `${v} days`, r % 3 === 0 ? null : [v, v + 1], v * 1_000_000];
  });
  return batchFromRows(K, rows);
}

describe('interleaveBatches: other kinds', () => {
  it('bool, date, timestamp, blob, interval, list and time columns', () => {
    const batches = [kinds(0, 30), kinds(100, 17), kinds(300, 41)];
    const { src, row } = picks([30, 17, 41], 70, 3);
    expect(batchRows(interleaveBatches(K, batches, src, row, 70))).toEqual(expectedRows(batches, src, row, 70));
  });

  it('copies runs of consecutive rows of one source, and keeps NaN and -0 bits', () => {
    const F = schema([field('f', 'float64'), field('s', 'utf8')]);
    const odd = new Float64Array([NaN, -0, 1.5, -Infinity]);
    new Uint32Array(odd.buffer)[0] = 0x12345; // a NaN with payload bits
    const a = makeBatch(F, [fixedColumn('float64', odd), utf8Column(['a', 'bb', 'ccc', 'dddd'])], 4);
    const b = makeBatch(F, [fixedColumn('float64', new Float64Array([2, 3, 4])), utf8Column(['x', 'yy', 'zzz'])], 3);
    const src = Int32Array.from([0, 0, 0, 1, 1, 0, 1]), row = Int32Array.from([0, 1, 2, 0, 1, 3, 2]);
    const out = interleaveBatches(F, [a, b], src, row, 7);
    expect(batchRows(out)).toEqual(expectedRows([a, b], src, row, 7));
    const bits = new Uint32Array((out.columns[0] as FixedColumn).values.buffer);
    expect([bits[0], bits[1]]).toEqual([0x12345, new Uint32Array(odd.buffer)[1]]);
    expect(Object.is((out.columns[0] as FixedColumn).values[1], -0)).toBe(true);
  });
});
