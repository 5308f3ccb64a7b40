import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Batch, Column, FixedColumn, Utf8Column } from '../../src/columnar/column.js';
import { makeBatch } from '../../src/columnar/column.js';
import {
  columnFromScalars, concatBatches, concatColumns, filterBatch, maskToIndices, repeatScalar, scalarAt,
  sliceColumn, take, takeBatch,
} from '../../src/columnar/kernels.js';
import { field, schema, type DataType, type Scalar } from '../../src/common/types.js';

const TYPES: DataType[] = ['null', 'bool', 'int32', 'int64', 'float64', 'date32', 'timestamp', 'utf8', 'decimal(9,2)', 'decimal(38,4)'];

/** Strings around the kernel's copy thresholds, multi-byte UTF-8 included. */
const STRINGS = [
  '', 'a', 'AF', 'abc', 'abcd', 'héllo', '日本語', '🦆🦆', 'x'.repeat(27), 'y'.repeat(63), 'z'.repeat(64),
  'w'.repeat(65), 'ü'.repeat(40), 'long '.repeat(300) + '∑',
];

function valueFor(type: DataType, i: number): Scalar {
  switch (type) {
    case 'null': return null;
    case 'bool': return i % 3 === 0;
    case 'int32': return (i * 7919) % 100_003 - 50_000;
    case 'date32': return 9000 + i;
    case 'int64': return BigInt(i) * -12_345_678_901n + 9_007_199_254_740_993n;
    case 'timestamp': return BigInt(i) * 86_400_000_123n - 5n;
    case 'float64': return i % 11 === 5 ? -0 : i % 13 === 7 ? NaN : i * 1.25 - 3;
    case 'utf8': return STRINGS[i % STRINGS.length]! + (i % 4 === 0 ? '' : String(i));
    default: return i % 9 === 4 ? BigInt(i) * 1_000_000_000_007n : i * 125 - 700; // a decimal's unscaled value, both forms
  }
}

function makeColumn(type: DataType, n: number, nulls: boolean): Column {
  return columnFromScalars(type, Array.from({ length: n }, (_, i) => (nulls && i % 5 === 2 ? null : valueFor(type, i))));
}

function values(c: Column): Scalar[] {
  return Array.from({ length: c.length }, (_, i) => scalarAt(c, i));
}

/** Expected gather, one scalar at a time. */
function refTake(c: Column, idx: ArrayLike<number>, count = idx.length): Scalar[] {
  return Array.from({ length: count }, (_, i) => (idx[i]! < 0 ? null : scalarAt(c, idx[i]!)));
}

/** The contract every kernel output keeps: lengths agree and validity is null iff no NULL. */
function expectWellFormed(c: Column): void {
  if (c.type === 'null') return;
  if (c.validity !== null) {
    expect(c.validity.length).toBe(c.length);
    expect(c.validity.includes(0)).toBe(true);
  }
  if (c.type === 'utf8') {
    expect(c.offsets.length).toBe(c.length + 1);
    expect(c.offsets[0]).toBe(0);
    expect(c.offsets[c.length]).toBeLessThanOrEqual(c.data.length);
  } else {
    expect((c as FixedColumn).values.length).toBe(c.length);
  }
}

/** A utf8 column viewed inside larger buffers: offsets not starting at 0, data at a byte offset. */
function offsetUtf8(strings: string[]): Utf8Column {
  const inner = columnFromScalars('utf8', ['pad', ...strings, 'tail']) as Utf8Column;
  const buf = new Uint8Array(inner.data.length + 3);
  buf.set(inner.data, 3);
  const data = buf.subarray(3);
  return { type: 'utf8', length: strings.length, validity: null, offsets: inner.offsets.subarray(1, strings.length + 2), data };
}

describe('take', () => {
  for (const type of TYPES) {
    for (const nulls of [false, true]) {
      it(`${type}${nulls ? ' with NULLs' : ''}: random, repeated, -1 and empty gathers`, () => {
        const c = makeColumn(type, 200, nulls);
        const cases: number[][] = [
          [], [0], [199, 0, 199, 5, 5, 5], Array.from({ length: 200 }, (_, i) => i),
          Array.from({ length: 200 }, (_, i) => 199 - i), Array.from({ length: 150 }, (_, i) => (i * 37) % 200),
          [3, -1, 4, -1, -1, 100], Array.from({ length: 10 }, () => -1),
          [10, 11, 12, 13, 50, 51, 52, 7, 8, 199],
        ];
        for (const idx of cases) {
          const out = take(c, Int32Array.from(idx));
          expect(out.type).toBe(type);
          expect(out.length).toBe(idx.length);
          expect(values(out)).toEqual(refTake(c, idx));
          expectWellFormed(out);
        }
      });
    }
  }

  it('honours count smaller than the index array', () => {
    const c = makeColumn('utf8', 30, true);
    const idx = Int32Array.from([4, 5, 6, 7, 8, 9]);
    const out = take(c, idx, 3);
    expect(out.length).toBe(3);
    expect(values(out)).toEqual(refTake(c, idx, 3));
  });

  it('gathers no NULLs into a column without validity even when the input has some', () => {
    const c = makeColumn('int64', 20, true);
    const out = take(c, Int32Array.from([0, 1, 3, 4]));
    expect(out.validity).toBeNull();
  });

  it('keeps -0, NaN bits and 64-bit extremes', () => {
    const f = columnFromScalars('float64', [-0, NaN, Infinity, -Infinity, 5e-324]);
    const out = take(f, Int32Array.from([4, 3, 2, 1, 0]));
    expect(values(out)).toEqual([5e-324, -Infinity, Infinity, NaN, -0]);
    expect(Object.is(scalarAt(out, 4), -0)).toBe(true);
    const big = columnFromScalars('int64', [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n]);
    expect(values(take(big, Int32Array.from([3, 2, 1, 0, 1])))).toEqual([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('reads utf8 inputs whose offsets and data are views into larger buffers', () => {
    const strings = Array.from({ length: 60 }, (_, i) => STRINGS[i % STRINGS.length]! + i);
    const c = offsetUtf8(strings);
    const idx = Int32Array.from([0, 1, 2, 3, 59, 58, 20, 21, 22, -1, 13]);
    const out = take(c, idx);
    expect(values(out)).toEqual([...idx].map((j) => (j < 0 ? null : strings[j]!)));
    expectWellFormed(out);
  });

  it('copies long runs and long strings exactly (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 150 }), { nil: null }), { maxLength: 80 }),
      fc.array(fc.integer({ min: -1, max: 1000 }), { maxLength: 120 }),
      (strings, raw) => {
        const c = columnFromScalars('utf8', strings);
        const idx = Int32Array.from(raw.map((j) => (j < 0 || strings.length === 0 ? -1 : j % strings.length)));
        const out = take(c, idx);
        expect(values(out)).toEqual(refTake(c, idx));
        expectWellFormed(out);
      },
    ), { numRuns: 200 });
  });
});

describe('maskToIndices', () => {
  it('selects rows where mask and validity are both 1', () => {
    const mask = Uint8Array.from([1, 0, 1, 1, 0, 1, 1]);
    expect([...maskToIndices(mask, null, 7)]).toEqual([0, 2, 3, 5, 6]);
    expect([...maskToIndices(mask, Uint8Array.from([1, 1, 0, 1, 1, 1, 0]), 7)]).toEqual([0, 3, 5]);
    expect([...maskToIndices(mask, null, 0)]).toEqual([]);
    expect([...maskToIndices(new Uint8Array(5), null, 5)]).toEqual([]);
    expect([...maskToIndices(new Uint8Array(5).fill(1), null, 5)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('reads only the first length rows', () => {
    expect([...maskToIndices(Uint8Array.from([1, 1, 1, 1]), null, 2)]).toEqual([0, 1]);
  });

  it('matches a scalar reference (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.boolean()), { maxLength: 300 }), fc.boolean(),
      (rows, withValidity) => {
        const mask = Uint8Array.from(rows.map(([m]) => (m ? 1 : 0)));
        const valid = withValidity ? Uint8Array.from(rows.map(([, v]) => (v ? 1 : 0))) : null;
        const expected = rows.flatMap(([m, v], i) => (m && (!withValidity || v) ? [i] : []));
        expect([...maskToIndices(mask, valid, rows.length)]).toEqual(expected);
      },
    ));
  });
});

describe('filterBatch', () => {
  const s = schema(TYPES.map((t) => field(t, t)));
  const batchOf = (n: number, nulls: boolean): Batch => makeBatch(s, TYPES.map((t) => makeColumn(t, n, nulls)), n);
  const pred = (mask: number[], validity: number[] | null = null): Column =>
    ({ type: 'bool', length: mask.length, values: Uint8Array.from(mask), validity: validity && Uint8Array.from(validity) });

  it('returns the input batch itself when every row is kept', () => {
    const b = batchOf(50, true);
    expect(filterBatch(b, pred(Array(50).fill(1)))).toBe(b);
  });

  it('returns an empty batch of the same types when no row is kept (NULL counts as false)', () => {
    const b = batchOf(50, true);
    for (const p of [pred(Array(50).fill(0)), pred(Array(50).fill(1), Array(50).fill(0))]) {
      const out = filterBatch(b, p);
      expect(out.length).toBe(0);
      expect(out.schema).toBe(s);
      expect(out.columns.map((c) => [c.type, c.length])).toEqual(TYPES.map((t) => [t, 0]));
      out.columns.forEach(expectWellFormed);
    }
  });

  it('filters empty batches', () => {
    const b = batchOf(0, false);
    expect(filterBatch(b, pred([])).length).toBe(0);
  });

  for (const nulls of [false, true]) {
    it(`keeps exactly the TRUE rows of every type${nulls ? ' with NULLs' : ''}`, () => {
      const n = 300;
      const b = batchOf(n, nulls);
      const mask = Array.from({ length: n }, (_, i) => (i % 7 === 3 || (i > 100 && i < 180) ? 1 : 0));
      const validity = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : 1));
      for (const p of [pred(mask), pred(mask, validity)]) {
        const keep = mask.flatMap((m, i) => (m === 1 && (p.validity === null || validity[i] === 1) ? [i] : []));
        const out = filterBatch(b, p);
        expect(out.length).toBe(keep.length);
        out.columns.forEach((c, j) => {
          expect(values(c)).toEqual(refTake(b.columns[j]!, keep));
          expectWellFormed(c);
        });
      }
    });
  }

  for (const nulls of [false, true]) {
    it(`copies long runs of kept rows of every type${nulls ? ' with NULLs' : ''}`, () => {
      const n = 400;
      const b = batchOf(n, nulls);
      const masks = [
        Array.from({ length: n }, (_, i) => (i % 37 === 5 ? 0 : 1)),
        Array.from({ length: n }, (_, i) => (i < 150 || i >= 390 ? 1 : 0)),
        Array.from({ length: n }, (_, i) => (i >= 20 && i < 399 ? 1 : 0)),
        Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 1)),
        Array.from({ length: n }, (_, i) => (i === n - 1 ? 0 : 1)),
      ];
      const validity = Array.from({ length: n }, (_, i) => (i % 101 === 7 ? 0 : 1));
      for (const mask of masks) {
        for (const p of [pred(mask), pred(mask, validity)]) {
          const keep = mask.flatMap((m, i) => (m === 1 && (p.validity === null || validity[i] === 1) ? [i] : []));
          const out = filterBatch(b, p);
          expect(out.length).toBe(keep.length);
          out.columns.forEach((c, j) => {
            expect(values(c)).toEqual(refTake(b.columns[j]!, keep));
            expectWellFormed(c);
          });
        }
      }
    });
  }

  it('matches a gather of the kept rows for any run structure (property)', () => {
    const s2 = schema([field('s', 'utf8'), field('x', 'float64'), field('k', 'int64')]);
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.boolean(), fc.boolean()), { maxLength: 30 }),
      fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 90 }), { nil: null }), { minLength: 1, maxLength: 40 }),
      (segments, strings) => {
        const mask: number[] = [], valid: number[] = [];
        for (const [len, keep, v] of segments) for (let i = 0; i < len; i++) { mask.push(keep ? 1 : 0); valid.push(v || i % 3 !== 0 ? 1 : 0); }
        const n = mask.length;
        const rows = Array.from({ length: n }, (_, i): Scalar[] => [strings[i % strings.length]!, i % 9 === 4 ? null : i / 3, BigInt(i) - 7n]);
        const b = makeBatch(s2, s2.fields.map((f, j) => columnFromScalars(f.type, rows.map((r) => r[j]!))), n);
        for (const p of [pred(mask), pred(mask, valid)]) {
          const keep = mask.flatMap((m, i) => (m === 1 && (p.validity === null || valid[i] === 1) ? [i] : []));
          const out = filterBatch(b, p);
          expect(out.length).toBe(keep.length);
          out.columns.forEach((c, j) => { expect(values(c)).toEqual(refTake(b.columns[j]!, keep)); expectWellFormed(c); });
        }
      },
    ), { numRuns: 150 });
  });

  it('rejects a non-boolean predicate', () => {
    expect(() => filterBatch(batchOf(3, false), makeColumn('int32', 3, false))).toThrow(/must be bool/);
  });
});

describe('concat and slice', () => {
  for (const type of TYPES) {
    it(`${type}: concatenates slices, empty parts and parts with and without NULLs`, () => {
      const a = makeColumn(type, 40, true), b = makeColumn(type, 25, false);
      const parts = [sliceColumn(a, 3, 17), sliceColumn(b, 0, 0), b, sliceColumn(a, 30, 40), sliceColumn(b, 24, 25)];
      const out = concatColumns(type, parts);
      expect(out.length).toBe(14 + 0 + 25 + 10 + 1);
      expect(values(out)).toEqual(parts.flatMap(values));
      expectWellFormed(out);
      expect(concatColumns(type, []).length).toBe(0);
    });
  }

  it('concatBatches of one batch is that batch', () => {
    const s = schema([field('a', 'int32')]);
    const b = makeBatch(s, [makeColumn('int32', 5, false)]);
    expect(concatBatches(s, [b])).toBe(b);
  });

  it('takeBatch gathers every column', () => {
    const s = schema([field('a', 'int32'), field('s', 'utf8')]);
    const b = makeBatch(s, [makeColumn('int32', 10, true), makeColumn('utf8', 10, true)]);
    const out = takeBatch(b, Int32Array.from([9, 0, -1, 4]));
    expect(out.length).toBe(4);
    expect(out.columns.map(values)).toEqual(b.columns.map((c) => refTake(c, [9, 0, -1, 4])));
  });
});

describe('repeatScalar', () => {
  it('repeats values of every type, NULL, and zero times', () => {
    for (const type of TYPES) {
      for (const v of [valueFor(type, 1), valueFor(type, 6), null]) {
        for (const n of [0, 1, 2, 3, 7, 64, 1000]) {
          const c = repeatScalar(type, v, n);
          expect(c.type).toBe(type);
          expect(values(c)).toEqual(Array(n).fill(v));
          expectWellFormed(c);
        }
      }
    }
  });

  it('repeats an empty string', () => {
    expect(values(repeatScalar('utf8', '', 5))).toEqual(Array(5).fill(''));
  });
});
