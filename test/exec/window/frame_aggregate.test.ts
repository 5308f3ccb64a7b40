/**
 * frameAggregate against a plain recomputation of every frame: the segment tree (bool_and,
 * variances) on random frames, and the pair path (median, DISTINCT count) across its chunk
 * boundaries (running frames of 1,000 rows are 500,500 pairs, several chunks).
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, type Column } from '../../../src/columnar/column.js';
import { scalarAt } from '../../../src/columnar/kernels.js';
import type { AggregateExpr } from '../../../src/expr/expr.js';
import { frameAggregate } from '../../../src/exec/window/frame_aggregate.js';
import { rng } from '../../helpers/random.js';

const arg = { kind: 'column', index: 0, type: 'float64' } as const;
const agg = (fn: AggregateExpr['fn'], type: AggregateExpr['type'], extra: Partial<AggregateExpr> = {}): AggregateExpr => ({ fn, arg, distinct: false, type, name: fn, ...extra });

function values(n: number, r: () => number): { column: Column; data: (number | null)[] } {
  const v = new Float64Array(n);
  const valid = new Uint8Array(n);
  const data: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const isNull = r() < 0.15;
    v[i] = Math.floor(r() * 20) / 2;
    valid[i] = isNull ? 0 : 1;
    data.push(isNull ? null : v[i]!);
  }
  return { column: fixedColumn('float64', v, valid), data };
}

function randomFrames(n: number, r: () => number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(r() * (n + 1));
    const b = Math.floor(r() * (n + 1));
    start[i] = Math.min(a, b);
    end[i] = r() < 0.1 ? start[i]! : Math.max(a, b);
  }
  return { start, end };
}

function frameValues(data: (number | null)[], s: number, e: number): number[] {
  return data.slice(s, e).filter((x): x is number => x !== null);
}

function variance(xs: number[], sample: boolean): number | null {
  if (xs.length < (sample ? 2 : 1)) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - (sample ? 1 : 0));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * 0.5;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

function close(actual: unknown, expected: number | null): boolean {
  if (expected === null || actual === null) return actual === expected;
  return Math.abs((actual as number) - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe('frameAggregate', () => {
  it('variances and bool_and through the segment tree equal a recomputation of each frame', () => {
    const r = rng(5);
    for (const n of [1, 2, 7, 64, 333]) {
      const { column, data } = values(n, r);
      const { start, end } = randomFrames(n, r);
      const samp = frameAggregate(agg('var_samp', 'float64'), column, [], start, end, n);
      const pop = frameAggregate(agg('stddev_pop', 'float64'), column, [], start, end, n);
      const bools = fixedColumn('bool', Uint8Array.from(data, (x) => (x !== null && x > 3 ? 1 : 0)), (column as { validity: Uint8Array }).validity);
      const all = frameAggregate(agg('bool_and', 'bool', { arg: { kind: 'column', index: 0, type: 'bool' } }), bools, [], start, end, n);
      for (let i = 0; i < n; i++) {
        const xs = frameValues(data, start[i]!, end[i]!);
        expect(close(scalarAt(samp, i), variance(xs, true)), `var_samp row ${i} of ${n}`).toBe(true);
        const p = variance(xs, false);
        expect(close(scalarAt(pop, i), p === null ? null : Math.sqrt(p)), `stddev_pop row ${i} of ${n}`).toBe(true);
        expect(scalarAt(all, i), `bool_and row ${i} of ${n}`).toBe(xs.length === 0 ? null : xs.every((x) => x > 3));
      }
    }
  });

  it('median and count(DISTINCT) over running frames span several chunks of pairs and stay exact', () => {
    const r = rng(9);
    const n = 1000;
    const { column, data } = values(n, r);
    const start = new Int32Array(n);
    const end = Int32Array.from({ length: n }, (_v, i) => i + 1);
    const med = frameAggregate(agg('percentile_cont', 'float64', { fraction: 0.5, orderBy: [{ expr: arg, ascending: true, nullsFirst: false }] }), column, [], start, end, n);
    const distinct = frameAggregate(agg('count', 'int64', { distinct: true }), column, [], start, end, n);
    for (let i = 0; i < n; i++) {
      const xs = frameValues(data, 0, i + 1);
      expect(close(scalarAt(med, i), median(xs)), `median row ${i}`).toBe(true);
      expect(scalarAt(distinct, i), `count distinct row ${i}`).toBe(BigInt(new Set(xs).size));
    }
  });
});
