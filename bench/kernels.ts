/**
 * Kernel throughput: take (random and sorted gathers), filter (98.5% and 50% kept) and
 * concat on columns of every type, best of several runs (the least disturbed by other load
 * on a shared machine), in ms and M input rows/s.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/kernels.js [--rows 1M,8M] [--runs 5] [--only take,filter]
 *                                               [--base path/to/other/kernels.js]
 *   node --expose-gc dist/bench/kernels.js --copy      (byte loop vs set(subarray) per string length)
 *
 * --base loads a second build of src/columnar/kernels.js (e.g. one compiled from an older
 * commit) and times it on the same columns, so both appear side by side under the same load.
 * The load average (/proc/loadavg) is printed before and after.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import type { Batch, Column } from '../src/columnar/column.js';
import * as current from '../src/columnar/kernels.js';

type Kernels = Pick<typeof current, 'take' | 'filterBatch' | 'concatColumns'>;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function parseRows(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`bad row count ${s}`);
  const mult = m[2]!.toLowerCase() === 'm' ? 1_000_000 : m[2]!.toLowerCase() === 'k' ? 1000 : 1;
  return Math.round(Number(m[1]) * mult);
}

function loadavg(): string {
  try { return readFileSync('/proc/loadavg', 'utf8').trim(); } catch { return 'n/a'; }
}

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

function validityWithNulls(n: number, rand: () => number, fraction: number): Uint8Array {
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = rand() < fraction ? 0 : 1;
  return v;
}

/** A utf8 column whose values have lengths in [minLen, maxLen]; ASCII letters. */
function utf8Of(n: number, minLen: number, maxLen: number, rand: () => number, validity: Uint8Array | null): Column {
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) { total += minLen + Math.floor(rand() * (maxLen - minLen + 1)); offsets[i + 1] = total; }
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = 97 + (i % 26);
  return { type: 'utf8', length: n, validity, offsets, data };
}

function makeColumns(n: number, withNulls: boolean): { name: string; col: Column }[] {
  const r = rng(42);
  const v = () => (withNulls ? validityWithNulls(n, r, 0.1) : null);
  const i32 = new Int32Array(n), i64 = new BigInt64Array(n), f64 = new Float64Array(n), b = new Uint8Array(n);
  for (let i = 0; i < n; i++) { i32[i] = (r() * 2e9) | 0; i64[i] = BigInt(i) * 1_000_003n; f64[i] = r() * 1e6; b[i] = r() < 0.5 ? 1 : 0; }
  const cols: { name: string; col: Column }[] = [
    { name: 'int32', col: { type: 'int32', length: n, validity: v(), values: i32 } },
    { name: 'int64', col: { type: 'int64', length: n, validity: v(), values: i64 } },
    { name: 'float64', col: { type: 'float64', length: n, validity: v(), values: f64 } },
    { name: 'bool', col: { type: 'bool', length: n, validity: v(), values: b } },
    { name: 'utf8 1B', col: utf8Of(n, 1, 1, r, v()) },
    { name: 'utf8 8-24B', col: utf8Of(n, 8, 24, r, v()) },
  ];
  if (n <= 2_000_000) cols.push({ name: 'utf8 100-200B', col: utf8Of(n, 100, 200, r, v()) });
  return cols;
}

const gc = (globalThis as { gc?: () => void }).gc;

function time(runs: number, f: () => unknown): number {
  f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc?.(); // garbage of earlier runs is not charged to this one (run with --expose-gc)
    const t0 = performance.now(); f(); ts.push(performance.now() - t0);
  }
  return Math.min(...ts);
}

interface Op { name: string; run: (k: Kernels, c: Column) => unknown }

function makeOps(n: number): Op[] {
  const r = rng(7);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t; }
  const half: number[] = [];
  for (let i = 0; i < n; i++) if (r() < 0.5) half.push(i);
  const sortedHalf = Int32Array.from(half);
  const mask985 = new Uint8Array(n), mask50 = new Uint8Array(n);
  for (let i = 0; i < n; i++) { mask985[i] = r() < 0.985 ? 1 : 0; mask50[i] = r() < 0.5 ? 1 : 0; }
  const pred = (m: Uint8Array): Column => ({ type: 'bool', length: n, validity: null, values: m });
  const batchOf = (c: Column): Batch => ({ schema: { fields: [{ name: 'c', type: c.type, nullable: true }] } as never, columns: [c], length: n });
  const chunks = 8, step = Math.ceil(n / chunks);
  const sliceOf = (c: Column) => Array.from({ length: chunks }, (_, i) => current.sliceColumn(c, i * step, Math.min(n, (i + 1) * step)));
  return [
    { name: 'take random', run: (k, c) => k.take(c, perm) },
    { name: 'take sorted 50%', run: (k, c) => k.take(c, sortedHalf) },
    { name: 'filter 98.5%', run: (k, c) => k.filterBatch(batchOf(c), pred(mask985)) },
    { name: 'filter 50%', run: (k, c) => k.filterBatch(batchOf(c), pred(mask50)) },
    { name: 'concat 8', run: (k, c) => k.concatColumns(c.type, sliceOf(c)) },
  ];
}

/**
 * --copy: cost per string of gathering strings of one length three ways: a byte loop, 4-byte
 * words through DataViews plus a byte tail, and set(subarray); in source order and shuffled
 * over a 32 MB source. Where the loops stop winning are the thresholds of kernels.ts.
 */
function copyCrossover(runs: number): void {
  console.log(['bytes', 'order', 'loop ns/string', 'words ns/string', 'set ns/string'].join('\t'));
  const r = rng(3);
  for (const len of [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256]) {
    const n = Math.min(1 << 20, (32 << 20) / len | 0);
    const src = new Uint8Array(n * len);
    for (let i = 0; i < src.length; i++) src[i] = i & 127;
    const shuffled = new Int32Array(n), sequential = new Int32Array(n);
    for (let i = 0; i < n; i++) { shuffled[i] = i; sequential[i] = i; }
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const t = shuffled[i]!; shuffled[i] = shuffled[j]!; shuffled[j] = t; }
    const dst = new Uint8Array(n * len);
    const sv = new DataView(src.buffer), dv = new DataView(dst.buffer);
    for (const [name, order] of [['sequential', sequential], ['shuffled', shuffled]] as const) {
      const loop = () => {
        for (let i = 0; i < n; i++) { let s = order[i]! * len; const e = s + len; let d = i * len; while (s < e) dst[d++] = src[s++]!; }
      };
      const words = () => {
        for (let i = 0; i < n; i++) {
          let s = order[i]! * len; const e = s + len; let d = i * len;
          for (; s + 4 <= e; s += 4, d += 4) dv.setInt32(d, sv.getInt32(s));
          while (s < e) dst[d++] = src[s++]!;
        }
      };
      const set = () => {
        for (let i = 0; i < n; i++) { const s = order[i]! * len; dst.set(src.subarray(s, s + len), i * len); }
      };
      const ms = [time(runs, loop), time(runs, words), time(runs, set)];
      console.log([len, name, ...ms.map((m) => (m * 1e6 / n).toFixed(1))].join('\t'));
    }
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--copy')) {
    console.log(`load average before: ${loadavg()}`);
    copyCrossover(Number(arg('runs') ?? 5));
    console.log(`load average after: ${loadavg()}`);
    return;
  }
  const sizes = (arg('rows') ?? '1M,8M').split(',').map(parseRows);
  const runs = Number(arg('runs') ?? 5);
  const only = arg('only')?.split(',');
  const basePath = arg('base');
  const impls: { name: string; k: Kernels }[] = [];
  if (basePath !== undefined) impls.push({ name: 'base', k: (await import(pathToFileURL(path.resolve(basePath)).href)) as Kernels });
  impls.push({ name: 'current', k: current });
  console.log(`node ${process.version}, runs ${runs}, load average before: ${loadavg()}`);
  const header = ['rows', 'column', 'nulls', 'op', ...impls.map((i) => `${i.name} ms`), ...impls.map((i) => `${i.name} Mrows/s`)];
  console.log(header.join('\t'));
  for (const n of sizes) {
    const ops = makeOps(n).filter((o) => only === undefined || only.some((w) => o.name.startsWith(w)));
    for (const withNulls of [false, true]) {
      for (const { name, col } of makeColumns(n, withNulls)) {
        for (const op of ops) {
          const ms = impls.map((i) => time(runs, () => op.run(i.k, col)));
          console.log([`${n / 1e6}M`, name, withNulls ? '10%' : '0', op.name,
            ...ms.map((m) => m.toFixed(1)), ...ms.map((m) => (n / 1000 / m).toFixed(0))].join('\t'));
        }
      }
    }
  }
  console.log(`load average after: ${loadavg()}`);
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
