import { describe, expect, it } from 'vitest';
import { mix32, RandomStreams, RowRandom, streamKey } from '../../src/datagen/random.js';

function draws(r: RowRandom, row: number, n: number): number[] {
  r.seek(row);
  return Array.from({ length: n }, () => r.next());
}

describe('mix32', () => {
  it('is a 32-bit unsigned permutation-like hash', () => {
    const seen = new Set<number>();
    let outOfRange = 0;
    for (let i = 0; i < 10_000; i++) {
      const h = mix32(i);
      if (!(Number.isInteger(h) && h >= 0 && h < 2 ** 32)) outOfRange++;
      seen.add(h);
    }
    expect(outOfRange).toBe(0);
    expect(seen.size).toBe(10_000);
  });
});

describe('streamKey', () => {
  it('differs by name and by seed, and is stable', () => {
    expect(streamKey(1, 'orders.o_custkey')).toBe(streamKey(1, 'orders.o_custkey'));
    expect(streamKey(1, 'orders.o_custkey')).not.toBe(streamKey(1, 'orders.o_orderdate'));
    expect(streamKey(1, 'orders.o_custkey')).not.toBe(streamKey(2, 'orders.o_custkey'));
    // Seeds above 2^32 still matter.
    expect(streamKey(2 ** 32 + 1, 'x')).not.toBe(streamKey(1, 'x'));
  });
});

describe('RowRandom', () => {
  it('depends only on (key, row): seeking back replays the same values', () => {
    const r = new RowRandom(streamKey(1, 'a'));
    const first = draws(r, 12345, 5);
    draws(r, 7, 3);
    expect(draws(r, 12345, 5)).toEqual(first);
    expect(draws(new RowRandom(streamKey(1, 'a')), 12345, 5)).toEqual(first);
  });

  it('gives different values to neighbouring rows and to rows beyond 2^32', () => {
    const r = new RowRandom(streamKey(1, 'a'));
    expect(draws(r, 0, 2)).not.toEqual(draws(r, 1, 2));
    expect(draws(r, 5, 2)).not.toEqual(draws(r, 5 + 2 ** 32, 2));
  });

  it('int(lo, hi) covers exactly [lo, hi], near-uniformly', () => {
    const r = new RowRandom(streamKey(3, 'int'));
    const counts = new Map<number, number>();
    for (let row = 0; row < 70_000; row++) {
      const v = r.seek(row).int(-3, 3);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    const one = r.seek(0).int(5, 5);
    expect(one).toBe(5);
  });

  it('below(n) stays in [0, n) for large n and hits both ends of small n', () => {
    const r = new RowRandom(streamKey(3, 'below'));
    let min = Infinity, max = -Infinity, fractions = 0;
    for (let row = 0; row < 20_000; row++) {
      const v = r.seek(row).below(300_000_000);
      if (!Number.isInteger(v)) fractions++;
      min = Math.min(min, v); max = Math.max(max, v);
    }
    expect(fractions).toBe(0);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(300_000_000);
    expect(max - min).toBeGreaterThan(290_000_000);
    const small = new Set<number>();
    for (let row = 0; row < 100; row++) small.add(r.seek(row).below(2));
    expect([...small].sort()).toEqual([0, 1]);
  });
});

describe('RandomStreams', () => {
  it('returns one stream per name', () => {
    const s = new RandomStreams(9);
    expect(s.get('a')).toBe(s.get('a'));
    expect(s.get('a').key).not.toBe(s.get('b').key);
    expect(new RandomStreams(9).get('a').key).toBe(s.get('a').key);
  });
});
