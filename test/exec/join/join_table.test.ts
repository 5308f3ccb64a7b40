import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Column } from '../../../src/columnar/column.js';
import { hashWord1 } from '../../../src/columnar/hash.js';
import { columnFromScalars } from '../../../src/columnar/kernels.js';
import { JoinHashTable, ProbeCursor } from '../../../src/exec/join/join_table.js';
import { field, schema, type DataType, type Scalar } from '../../../src/common/types.js';

type Key = Scalar[];

function columns(types: readonly DataType[], rows: readonly Key[]): Column[] {
  return types.map((t, k) => columnFromScalars(t, rows.map((r) => r[k]!)));
}

function table(types: readonly DataType[], rows: readonly Key[]): JoinHashTable {
  const cols = columns(types, rows);
  const s = schema(types.map((t, k) => field(`k${k}`, t, true)));
  return new JoinHashTable(makeBatch(s, cols, rows.length), cols);
}

/** Every (probe row, build row) pair the cursor yields, `cap` at a time. */
function probe(t: JoinHashTable, types: readonly DataType[], rows: readonly Key[], cap: number, firstOnly = false): [number, number][] {
  const c = new ProbeCursor(t, columns(types, rows), rows.length, firstOnly);
  const pi = new Int32Array(cap), bi = new Int32Array(cap);
  const out: [number, number][] = [];
  for (;;) {
    const k = c.fill(pi, bi, cap);
    if (k === 0) break;
    expect(k).toBeLessThanOrEqual(cap);
    for (let i = 0; i < k; i++) out.push([pi[i]!, bi[i]!]);
  }
  return out;
}

/** SQL equality of key tuples (NULL never matches; int32 and int64 compare by value). */
function equal(a: Key, b: Key): boolean {
  return a.every((x, k) => x !== null && b[k] !== null && BigInt(x as number | bigint) === BigInt(b[k] as number | bigint));
}

/** The pairs in the order the table promises: probe rows ascending, build rows ascending. */
function reference(build: readonly Key[], probeRows: readonly Key[], firstOnly = false): [number, number][] {
  const out: [number, number][] = [];
  probeRows.forEach((p, i) => {
    for (let j = 0; j < build.length; j++) {
      if (!equal(p, build[j]!)) continue;
      out.push([i, j]);
      if (firstOnly) break;
    }
  });
  return out;
}

const I64_EDGES = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 1n, 2n ** 32n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 53n + 1n, -(2n ** 40n) + 7n];
const I32_EDGES = [-(2 ** 31), 2 ** 31 - 1, -1, 0, 1, 7, -7];

describe('JoinHashTable with integer keys', () => {
  it('uses the packed layout for integer keys and the chained one otherwise', () => {
    expect(table(['int32'], [[1]]).ints).not.toBeNull();
    expect(table(['int64', 'int64'], [[1n, 2n]]).ints).not.toBeNull();
    expect(table(['date32', 'timestamp'], [[1, 2n]]).ints).not.toBeNull();
    expect(table(['int64', 'int64', 'int32'], [[1n, 2n, 3]]).ints).toBeNull(); // 5 words
    const s = utf8Column(['a']);
    expect(new JoinHashTable(makeBatch(schema([field('s', 'utf8')]), [s], 1), [s]).ints).toBeNull();
  });

  it('chains duplicate keys in ascending build order, resuming across small caps', () => {
    const build: Key[] = [[5], [3], [5], [null], [5], [-3], [3], [0]];
    const probeRows: Key[] = [[5], [null], [3], [4], [-3], [0], [5]];
    const t = table(['int32'], build);
    expect(t.hasNullKey).toBe(true);
    for (const cap of [1, 2, 3, 100]) {
      expect(probe(t, ['int32'], probeRows, cap)).toEqual(reference(build, probeRows));
      expect(probe(t, ['int32'], probeRows, cap, true)).toEqual(reference(build, probeRows, true));
    }
  });

  it('ignores the values stored under NULLs on both sides', () => {
    const s = schema([field('k', 'int32', true)]);
    const b = fixedColumn('int32', Int32Array.from([5, 5, 6]), Uint8Array.from([1, 0, 1]));
    const t = new JoinHashTable(makeBatch(s, [b], 3), [b]);
    expect(t.hasNullKey).toBe(true);
    const p = fixedColumn('int32', Int32Array.from([5, 6, 5]), Uint8Array.from([1, 0, 1]));
    const c = new ProbeCursor(t, [p], 3, false);
    const pi = new Int32Array(8), bi = new Int32Array(8);
    expect(c.fill(pi, bi, 8)).toBe(2);
    expect([Array.from(pi.subarray(0, 2)), Array.from(bi.subarray(0, 2))]).toEqual([[0, 2], [0, 0]]);
    expect(Array.from(c.nullKeys!)).toEqual([0, 1, 0]);
  });

  it('finds keys whose hashes share a bucket (linear probing, wrap-around)', () => {
    // 16 build rows → 32 slots: collect keys that all land in the last slot.
    const bucket = (x: number) => hashWord1(x) >>> (32 - 5);
    const colliding: number[] = [];
    for (let x = -100_000; colliding.length < 12; x++) if (bucket(x) === 31) colliding.push(x);
    const build: Key[] = [...colliding.map((x) => [x]), [colliding[0]!], [colliding[5]!], [1], [2]];
    expect(build.length).toBe(16);
    const probeRows: Key[] = [...colliding.map((x) => [x]), [colliding[11]! + 1], [3]];
    const t = table(['int32'], build);
    expect(t.ints!.mask).toBe(31);
    expect(probe(t, ['int32'], probeRows, 4)).toEqual(reference(build, probeRows));
  });

  it('matches negative and large int64 keys exactly', () => {
    const build: Key[] = [...I64_EDGES.map((x) => [x]), [null], [I64_EDGES[2]!]];
    const probeRows: Key[] = [...I64_EDGES.map((x) => [x]), [2n ** 63n - 2n], [-(2n ** 63n) + 1n], [null], [2n ** 32n + 1n]];
    const t = table(['int64'], build);
    expect(probe(t, ['int64'], probeRows, 3)).toEqual(reference(build, probeRows));
  });

  it('joins int32 against int64 keys by value in both directions', () => {
    const i32: Key[] = I32_EDGES.map((x) => [x]);
    const i64: Key[] = [...I64_EDGES.map((x) => [x]), ...I32_EDGES.map((x) => [BigInt(x)]), [2n ** 32n + 7n], [-(2n ** 32n) - 1n]];
    const a = table(['int32'], i32);
    expect(probe(a, ['int64'], i64, 5)).toEqual(reference(i32, i64));
    const b = table(['int64'], i64);
    expect(probe(b, ['int32'], i32, 5)).toEqual(reference(i64, i32));
  });

  it('two-key combinations: each pair of columns must match, NULL in either never matches', () => {
    const combos: DataType[][] = [['int32', 'int32'], ['int32', 'int64'], ['int64', 'int64'], ['date32', 'int32'], ['int64', 'int32']];
    for (const types of combos) {
      const v = (t: DataType, i: number): Scalar => (i % 9 === 0 ? null : t === 'int64' ? BigInt(i % 4) * 3_000_000_000n - 1n : (i % 4) - 2);
      const build: Key[] = Array.from({ length: 60 }, (_, i) => [v(types[0]!, i), v(types[1]!, Math.floor(i / 3))]);
      const probeRows: Key[] = Array.from({ length: 50 }, (_, i) => [v(types[0]!, i * 7), v(types[1]!, i)]);
      const t = table(types, build);
      expect(t.ints).not.toBeNull();
      expect(probe(t, types, probeRows, 7)).toEqual(reference(build, probeRows));
    }
  });

  it('handles an empty build side and one of many rows with few keys', () => {
    const empty = table(['int32'], []);
    expect(probe(empty, ['int32'], [[1], [null]], 4)).toEqual([]);
    const build: Key[] = Array.from({ length: 5000 }, (_, i) => [i % 13 === 0 ? null : i % 37]);
    const probeRows: Key[] = Array.from({ length: 80 }, (_, i) => [i - 20]);
    const t = table(['int32'], build);
    expect(probe(t, ['int32'], probeRows, 1000)).toEqual(reference(build, probeRows));
    expect(probe(t, ['int32'], probeRows, 1000, true)).toEqual(reference(build, probeRows, true));
  });

  it('property: equals the reference on random int32 and int64 keys', () => {
    const key = fc.oneof(fc.constant(null), fc.integer({ min: -6, max: 6 }), fc.constantFrom(...I32_EDGES));
    const key64 = fc.oneof(fc.constant(null), fc.bigInt({ min: -6n, max: 6n }), fc.constantFrom(...I64_EDGES));
    fc.assert(fc.property(
      fc.array(fc.tuple(key, key64), { maxLength: 60 }), fc.array(fc.tuple(key, key64), { maxLength: 40 }), fc.integer({ min: 1, max: 9 }),
      (build, probeRows, cap) => {
        const types: DataType[] = ['int32', 'int64'];
        expect(probe(table(types, build), types, probeRows, cap)).toEqual(reference(build, probeRows));
        const one: DataType[] = ['int64'];
        const b1 = build.map((r) => [r[1]!]), p1 = probeRows.map((r) => [r[1]!]);
        expect(probe(table(one, b1), one, p1, cap, true)).toEqual(reference(b1, p1, true));
      },
    ), { numRuns: 200 });
  });
});
