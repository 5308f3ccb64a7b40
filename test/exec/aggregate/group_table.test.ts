import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn, type Column } from '../../../src/columnar/column.js';
import { hashWord1 } from '../../../src/columnar/hash.js';
import { columnFromScalars, scalarAt } from '../../../src/columnar/kernels.js';
import { GroupTable, IntGroupTable } from '../../../src/exec/aggregate/group_table.js';
import type { DataType, Scalar } from '../../../src/common/types.js';

type Key = Scalar[];

function columns(types: readonly DataType[], rows: readonly Key[]): Column[] {
  return types.map((t, k) => columnFromScalars(t, rows.map((r) => r[k]!)));
}

const text = (r: Key): string => r.map((v) => (v === null ? 'N' : String(v))).join('|');

/**
 * Insert the rows batch by batch; check the ids against first-appearance numbering with NULL
 * equal to NULL, and the emitted keys against the first row of each group.
 */
function check(types: readonly DataType[], rows: readonly Key[], batch: number): GroupTable {
  const t = new GroupTable(types);
  const ids = new Map<string, number>();
  const firsts: Key[] = [];
  for (let s = 0; s < rows.length; s += batch) {
    const part = rows.slice(s, s + batch);
    const got = t.insert(columns(types, part), part.length);
    const want = part.map((r) => {
      let id = ids.get(text(r));
      if (id === undefined) { id = ids.size; ids.set(text(r), id); firsts.push(r); }
      return id;
    });
    expect(Array.from(got.subarray(0, part.length))).toEqual(want);
  }
  expect(t.groupCount).toBe(ids.size);
  for (let start = 0; start < firsts.length; start += 1000) {
    const end = Math.min(firsts.length, start + 1000);
    const cols = t.keyColumns(start, end);
    cols.forEach((c, k) => expect(c.type).toBe(types[k]));
    const emitted: Key[] = [];
    for (let g = start; g < end; g++) emitted.push(cols.map((c) => scalarAt(c, g - start)));
    expect(emitted).toEqual(firsts.slice(start, end));
  }
  return t;
}

const I64_EDGES = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 1n, 2n ** 32n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 53n + 1n, 2n ** 53n];

describe('GroupTable with integer keys', () => {
  it('uses the packed layout for up to 4 words of integer keys', () => {
    expect(IntGroupTable.fits(['int32'])).toBe(true);
    expect(IntGroupTable.fits(['int64', 'timestamp'])).toBe(true);
    expect(IntGroupTable.fits(['int32', 'date32', 'int32'])).toBe(true);
    expect(IntGroupTable.fits(['int64', 'int64', 'int32'])).toBe(false);
    expect(IntGroupTable.fits(['int32', 'utf8'])).toBe(false);
    expect(IntGroupTable.fits([])).toBe(false);
  });

  it('keeps NULL apart from 0 and equal to NULL', () => {
    check(['int32'], [[0], [null], [0], [null], [-1], [null]], 4);
    check(['int64', 'int32'], [[0n, 0], [null, 0], [0n, null], [null, null], [null, 0], [0n, null], [null, null], [0n, 0]], 3);
  });

  it('ignores the values stored under NULLs', () => {
    const t = new GroupTable(['int32', 'int64']);
    const a = fixedColumn('int32', Int32Array.from([5, 5, 7, 5]), Uint8Array.from([1, 0, 0, 1]));
    const b = fixedColumn('int64', BigInt64Array.from([1n, 1n, 9n, 2n]), Uint8Array.from([1, 1, 1, 0]));
    expect(Array.from(t.insert([a, b], 4))).toEqual([0, 1, 2, 3]);
    const c = fixedColumn('int64', BigInt64Array.from([1n, 1n, 1n, 3n]), Uint8Array.from([1, 1, 1, 0]));
    expect(Array.from(t.insert([a, c], 4))).toEqual([0, 1, 1, 3]);
    expect(t.keyColumns(0, 4).map((col) => [0, 1, 2, 3].map((g) => scalarAt(col, g)))).toEqual([[5, null, null, 5], [1n, 1n, 9n, null]]);
  });

  it('negative and large int64 keys, alone and with an int32 key', () => {
    const rows: Key[] = [...I64_EDGES, ...I64_EDGES.slice().reverse()].map((x) => [x]);
    check(['int64'], rows, 5);
    check(['int64', 'int32'], I64_EDGES.flatMap((x, i) => [[x, -i - 1], [x, i], [x, -i - 1]]), 7);
    check(['timestamp', 'int64'], I64_EDGES.flatMap((x) => I64_EDGES.map((y) => [x, y])), 33);
  });

  it('grows through many distinct keys and keeps first-appearance ids', () => {
    const rows: Key[] = Array.from({ length: 60_000 }, (_, i) => [((i * 7919) % 45_000) - 20_000]);
    const t = check(['int32'], rows, 4096);
    expect(t.groupCount).toBe(45_000);
    const two: Key[] = Array.from({ length: 30_000 }, (_, i) => [i % 300, BigInt(i % 211) * 10_000_000_000n]);
    check(['date32', 'int64'], two, 1000);
  });

  it('finds keys whose hashes share a slot (linear probing, wrap-around)', () => {
    // The table starts with 64 slots: keys that all land in the last one.
    const colliding: number[] = [];
    for (let x = 0; colliding.length < 20; x++) if (hashWord1(x) >>> 26 === 63) colliding.push(x);
    check(['int32'], [...colliding, ...colliding.slice().reverse(), null].map((x) => [x]), 8);
  });

  it('many NULL combinations over three keys', () => {
    const rows: Key[] = [];
    for (let i = 0; i < 500; i++) rows.push([i % 3 === 0 ? null : i % 4, i % 5 === 0 ? null : i % 3, i % 7 === 0 ? null : (i % 2) * 5]);
    check(['int32', 'int32', 'date32'], rows, 64);
  });

  it('reports more memory as it grows', () => {
    const t = new GroupTable(['int32']);
    const before = t.memoryBytes();
    t.insert(columns(['int32'], Array.from({ length: 10_000 }, (_, i) => [i])), 10_000);
    expect(t.memoryBytes()).toBeGreaterThan(before + 10_000 * 8);
  });

  it('property: first-appearance ids on random int32 / int64 keys with NULLs', () => {
    const k32 = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 5 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1));
    const k64 = fc.oneof(fc.constant(null), fc.bigInt({ min: -5n, max: 5n }), fc.constantFrom(...I64_EDGES));
    fc.assert(fc.property(fc.array(fc.tuple(k32, k64), { maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (rows, batch) => {
      check(['int32', 'int64'], rows, batch);
      check(['int64'], rows.map((r) => [r[1]]), batch);
    }), { numRuns: 150 });
  });
});
