/**
 * Batch-at-a-time CSV and JSON output is the row-at-a-time text, byte for byte, and the CLI
 * writer waits for 'drain'.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch, Column, Utf8Column } from '../../src/columnar/column.js';
import { makeBatch } from '../../src/columnar/column.js';
import { columnFromScalars } from '../../src/columnar/kernels.js';
import { field, schema, type DataType, type Scalar, type Schema } from '../../src/common/types.js';
import { toCsvChunks, toCsvLines, toJsonChunks, toJsonLines } from '../../src/format.js';
import { QueryResult } from '../../src/result.js';
import { printResult } from '../../src/cli/sql_command.js';

const STRINGS = [
  'plain', '', ' lead', 'trail ', ' both ', 'in side', 'with, comma', 'say "hi"', 'line\nbreak', 'cr\rhere',
  'back\\slash', 'tab\tchar', '\u0001ctl', 'héllo', '日本語, too', '🦆', '\uFEFFbom', '\uFEFF lead', 'del\u007f',
];

function rowsFor(types: DataType[], n: number): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(types.map((t, j): Scalar => {
      if ((i + j) % 7 === 3) return null;
      switch (t) {
        case 'null': return null;
        case 'bool': return i % 2 === 0;
        case 'int32': return [i * 37 - 1000, -2147483648, 2147483647, 0, -9, 10][i % 6]!;
        case 'int64': return [0n, -5n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)][i % 7]!;
        case 'float64': return [0.1, -0, NaN, Infinity, -Infinity, 1e21, 5e-324, -2.5, 3, -7, 2147483647, 2147483648,
          -2147483648, -2147483649, 1e15, 123456789012, 10, -100][i % 18]!;
        case 'date32': return [-800_000, 0, 9131, 19_782, 2_932_896][i % 5]!;
        case 'timestamp': return [0n, -1n, 1_709_210_096_123_456n, -62_135_596_800_000_000n][i % 4]!;
        case 'utf8': return STRINGS[i % STRINGS.length]!;
        default: return [0, -5, 12345, 2n ** 62n, -1][i % 5]!; // a decimal's unscaled value
      }
    }));
  }
  return rows;
}

function batchOf(s: Schema, rows: Scalar[][]): Batch {
  return makeBatch(s, s.fields.map((f, j) => columnFromScalars(f.type, rows.map((r) => r[j]!))), rows.length);
}

/** Chunks compared as bytes: the UTF-8 of the row-at-a-time text. */
function expectSameText(s: Schema, batches: Batch[]): void {
  const bytes = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]);
  const utf8 = (lines: Iterable<string>) => Buffer.from([...lines].map((l) => l + '\n').join(''), 'utf8');
  expect(bytes(toCsvChunks(s, batches)).equals(utf8(toCsvLines(s, batches)))).toBe(true);
  expect(bytes(toJsonChunks(s, batches)).equals(utf8(toJsonLines(s, batches)))).toBe(true);
  const res = new QueryResult(s, batches);
  expect(res.toCsv()).toBe([...toCsvLines(s, batches)].map((l) => l + '\n').join(''));
  expect(res.toJsonLines()).toBe([...toJsonLines(s, batches)].map((l) => l + '\n').join(''));
}

const TYPES: DataType[] = ['null', 'bool', 'int32', 'int64', 'float64', 'date32', 'timestamp', 'utf8'];

describe('CSV and JSON a batch at a time', () => {
  it('render every type, NULLs, quoting and escapes as the row-at-a-time forms do', () => {
    const s = schema(TYPES.map((t) => field(t, t)));
    expectSameText(s, [batchOf(s, rowsFor(TYPES, 200)), batchOf(s, []), batchOf(s, rowsFor(TYPES, 3))]);
  });

  it('utf8 columns of plain ASCII, ASCII with spaces, quotes, and non-ASCII each render the same', () => {
    const s = schema([field('s', 'utf8')]);
    for (const values of [['a', 'bc', 'def'], ['a b', ' x', 'y '], ['q"', 'c,'], ['é', ' ü ', 'x']]) {
      expectSameText(s, [batchOf(s, values.map((v) => [v]))]);
    }
  });

  it('invalid UTF-8 and a BOM inside values render the same', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0x41, 0xff, 0x42, 0xc3, 0x20, 0x20]);
    const c: Utf8Column = { type: 'utf8', length: 3, validity: null, offsets: Int32Array.from([0, 4, 6, 9]), data: bytes };
    const s = schema([field('s', 'utf8')]);
    expectSameText(s, [makeBatch(s, [c], 3)]);
  });

  it('field names: quoting, repeats, integer-like names and __proto__ give the same keys', () => {
    const names = ['\uFEFFb', 'a,b', 'x"y', '1', '\uFEFFb', '__proto__', '0', 'constructor', 'naïve'];
    const types: DataType[] = ['int32', 'utf8', 'float64', 'bool', 'utf8', 'int32', 'date32', 'int64', 'timestamp'];
    const s = schema(names.map((n, j) => field(n, types[j]!)));
    expectSameText(s, [batchOf(s, rowsFor(types, 20))]);
  });

  it('no columns, and no batches', () => {
    const empty = schema([]);
    expectSameText(empty, [makeBatch(empty, [], 3)]);
    expectSameText(schema([field('a', 'int32')]), []);
  });

  it('a column whose type differs from its field renders as toJsonLines renders it', () => {
    const s = schema([field('d', 'date32'), field('n', 'int32')]);
    const cols: Column[] = [columnFromScalars('int32', [1, null, 3]), columnFromScalars('date32', [10, 20, null])];
    expectSameText(s, [makeBatch(s, cols, 3)]);
  });

  it('one string per batch; batches longer than the chunk size are cut', () => {
    const s = schema([field('a', 'int32'), field('s', 'utf8')]);
    const big = batchOf(s, rowsFor(['int32', 'utf8'], 40_000));
    const small = batchOf(s, rowsFor(['int32', 'utf8'], 10));
    expect([...toCsvChunks(s, [small, small])]).toHaveLength(3);
    expect([...toJsonChunks(s, [small, small])]).toHaveLength(2);
    expect([...toCsvChunks(s, [big])].length).toBeGreaterThan(2);
    expectSameText(s, [small, big, small]);
  });

  it('integers and integral floats of every digit count render as String() writes them; chunks do not share bytes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: -2147483648, max: 2147483647 }), fc.oneof(
      fc.integer({ min: -2147483649, max: 2147483648 }), fc.double(), fc.constantFrom(0, -0, 9, 10, 99, 100, 999_999_999, 1_000_000_000, -1_000_000_000),
    )), { minLength: 1, maxLength: 300 }), (pairs) => {
      const s = schema([field('i', 'int32'), field('f', 'float64')]);
      const half = Math.ceil(pairs.length / 2);
      const batches = [pairs.slice(0, half), pairs.slice(half)].filter((p) => p.length > 0).map((p) => batchOf(s, p));
      const chunks = [...toCsvChunks(s, batches, { header: false })]; // all kept before any is read
      const text = Buffer.concat(chunks).toString('utf8');
      expect(text).toBe(pairs.map(([i, f]) => `${i},${f === 0 ? 0 : Number.isNaN(f) ? 'NaN' : String(f)}\n`).join(''));
    }), { numRuns: 200 });
  });
});

describe('printResult', () => {
  it('writes CSV a batch at a time and waits for drain', async () => {
    const s = schema([field('a', 'int32'), field('s', 'utf8')]);
    const batches = Array.from({ length: 20 }, (_, k) => batchOf(s, rowsFor(['int32', 'utf8'], 50 + k)));
    const chunks: string[] = [];
    let drains = 0;
    const out = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString('latin1')); setImmediate(cb); },
    });
    out.on('drain', () => { drains++; });
    await printResult(new QueryResult(s, batches), 'csv', out);
    expect(chunks).toHaveLength(21);
    expect(drains).toBeGreaterThan(0);
    expect(Buffer.from(chunks.join(''), 'latin1').toString('utf8')).toBe([...toCsvLines(s, batches)].map((l) => l + '\n').join(''));
  });

  it('stops writing when the stream closes', async () => {
    const s = schema([field('a', 'int32')]);
    const batches = Array.from({ length: 5 }, () => batchOf(s, rowsFor(['int32'], 100)));
    let writes = 0;
    const out = new Writable({ highWaterMark: 1, write(_c, _e, _cb) { writes++; setImmediate(() => out.destroy()); } });
    await printResult(new QueryResult(s, batches), 'json', out);
    expect(writes).toBe(1);
  });
});
