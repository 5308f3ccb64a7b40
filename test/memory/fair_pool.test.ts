import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { SpillwayError } from '../../src/common/errors.js';
import { FairSpillPool, createMemoryPool } from '../../src/memory/fair_pool.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';

const MiB = 1024 * 1024;

/** A pool with a hand-driven clock (ms). */
function makePool(limit: number, opts: { high?: number; low?: number; idleAfterMs?: number } = {}) {
  const clock = { t: 0 };
  const pool = new FairSpillPool({ limit, highWatermark: opts.high ?? 1, lowWatermark: opts.low ?? 1, idleAfterMs: opts.idleAfterMs ?? 100, now: () => clock.t });
  return { pool, clock };
}

describe('FairSpillPool fair share', () => {
  it('gives one active spillable consumer the whole limit', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    expect(a.tryGrow(1000)).toBe(true);
    expect(a.tryGrow(1)).toBe(false);
    expect(pool.used).toBe(1000);
    expect(a.size).toBe(1000);
  });

  it('splits equally between two active consumers', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    expect(a.tryGrow(100)).toBe(true);
    expect(b.tryGrow(100)).toBe(true);
    expect(pool.fairShare()).toBe(500);
    expect(a.tryGrow(400)).toBe(true);
    expect(a.tryGrow(1)).toBe(false);
    expect(b.tryGrow(401)).toBe(false);
    expect(b.tryGrow(400)).toBe(true);
    expect(pool.used).toBe(1000);
  });

  it('splits equally between three active consumers', () => {
    const { pool } = makePool(900);
    const rs = [0, 1, 2].map((i) => pool.register(`Agg[p${i}]`, { spillable: true }));
    for (const r of rs) expect(r.tryGrow(1)).toBe(true);
    expect(pool.activeSpillableCount()).toBe(3);
    expect(pool.fairShare()).toBe(300);
    expect(rs[0]!.tryGrow(299)).toBe(true);
    expect(rs[0]!.tryGrow(1)).toBe(false);
    expect(rs[1]!.tryGrow(300)).toBe(false);
    expect(rs[1]!.tryGrow(299)).toBe(true);
  });

  it('does not count a registered consumer that never asked for memory', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    pool.register('Sort[p1]', { spillable: true });
    pool.register('Sort[p2]', { spillable: true });
    expect(a.tryGrow(1000)).toBe(true);
    expect(pool.activeSpillableCount()).toBe(1);
  });

  it('gives a finished consumer\'s share back at once when it frees', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    expect(a.tryGrow(500)).toBe(true);
    expect(b.tryGrow(10)).toBe(true);
    expect(a.tryGrow(1)).toBe(false);
    b.free();
    expect(pool.activeSpillableCount()).toBe(1);
    expect(a.tryGrow(500)).toBe(true);
    expect(pool.used).toBe(1000);
  });

  it('keeps a consumer that just spilled to 0 active for the idle window, then drops it', () => {
    const { pool, clock } = makePool(1000, { idleAfterMs: 100 });
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    expect(a.tryGrow(400)).toBe(true);
    expect(b.tryGrow(400)).toBe(true);
    b.shrink(400); // b spilled everything and will refill soon
    clock.t = 50;
    expect(pool.activeSpillableCount()).toBe(2);
    expect(a.tryGrow(200)).toBe(false); // would take b's share
    clock.t = 151; // b has been idle longer than the window
    expect(pool.activeSpillableCount()).toBe(1);
    expect(a.tryGrow(600)).toBe(true);
  });

  it('refuses a spillable grow that fits the share but not the limit, and asks over-share holders to spill', () => {
    const { pool, clock } = makePool(1000, { idleAfterMs: 10 });
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    const c = pool.register('Sort[p2]', { spillable: true });
    expect(a.tryGrow(900)).toBe(true); // alone: share is the whole limit
    clock.t = 100;
    expect(b.tryGrow(50)).toBe(true); // now 2 active: share 500, used 950
    expect(c.tryGrow(200)).toBe(false); // share 333 ok, limit not: a holds too much
    expect(a.spillRequested).toBe(true);
    expect(b.spillRequested).toBe(false);
    expect(c.spillRequested).toBe(false);
    a.shrink(900);
    expect(a.spillRequested).toBe(false);
    expect(c.tryGrow(200)).toBe(true);
  });

  it('leaves free memory unused rather than over-granting a greedy consumer', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    expect(b.tryGrow(1)).toBe(true);
    expect(a.tryGrow(600)).toBe(false);
    expect(pool.used).toBe(1);
  });
});

describe('FairSpillPool unspillable consumers', () => {
  it('serves unspillable reservations first and shrinks the spillable share', () => {
    const { pool } = makePool(1000);
    const join = pool.register('HashJoin[p0]');
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    expect(join.tryGrow(600)).toBe(true);
    expect(a.tryGrow(1)).toBe(true);
    expect(b.tryGrow(1)).toBe(true);
    expect(pool.fairShare()).toBe(200);
    expect(a.tryGrow(200)).toBe(false);
    expect(a.tryGrow(199)).toBe(true);
    expect(pool.unspillableUsed).toBe(600);
    expect(pool.spillableUsed).toBe(201);
  });

  it('lets an unspillable consumer take memory spillable ones do not hold, up to the limit', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const join = pool.register('HashJoin[p0]');
    expect(a.tryGrow(300)).toBe(true);
    expect(join.tryGrow(700)).toBe(true);
    expect(join.tryGrow(1)).toBe(false);
  });

  it('asks the largest spillable consumers to make room when an unspillable grow is refused', () => {
    const { pool } = makePool(1000);
    const small = pool.register('Sort[p0]', { spillable: true });
    const big = pool.register('Sort[p1]', { spillable: true });
    const join = pool.register('HashJoin[p0]');
    expect(small.tryGrow(200)).toBe(true);
    expect(big.tryGrow(450)).toBe(true);
    expect(join.tryGrow(300)).toBe(true);
    expect(join.tryGrow(100)).toBe(false); // needs 50 more than is free
    expect(big.spillRequested).toBe(true);
    expect(small.spillRequested).toBe(false);
    big.shrink(450);
    expect(join.tryGrow(100)).toBe(true);
  });
});

describe('FairSpillPool grow() and errors', () => {
  it('grow() ignores the fair share but not the limit', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    b.grow(100);
    a.grow(800); // over its share of 500, but within the limit
    expect(a.size).toBe(800);
    expect(() => b.grow(101)).toThrow(SpillwayError);
    expect(b.size).toBe(100);
  });

  it('throws a resources error naming the requester and the holders, largest first', () => {
    const pool = new FairSpillPool({ limit: 64 * MiB });
    const sort = pool.register('Sort[p1]', { spillable: true });
    const agg = pool.register('HashAggregate[p2]', { spillable: true });
    const join = pool.register('HashJoin[p0]');
    pool.register('Idle[p9]', { spillable: true });
    sort.grow(40 * MiB);
    join.grow(3 * MiB);
    agg.grow(20 * MiB);
    let err: unknown;
    try { join.grow(3 * MiB); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('resources');
    expect((err as SpillwayError).message).toBe(
      'memory limit of 64.0 MiB exceeded: HashJoin[p0] wanted 3.0 MiB more; holders: Sort[p1] 40.0 MiB, HashAggregate[p2] 20.0 MiB, HashJoin[p0] 3.0 MiB');
    expect(join.size).toBe(3 * MiB);
    expect(pool.used).toBe(63 * MiB);
  });

  it('says "none" when nobody holds memory, and resize() grows through the same check', () => {
    const { pool } = makePool(100);
    const r = pool.register('Limit[p0]');
    expect(() => r.resize(101)).toThrow('memory limit of 100 B exceeded: Limit[p0] wanted 101 B more; holders: none');
    r.resize(60);
    r.resize(20);
    expect(r.size).toBe(20);
    expect(pool.used).toBe(20);
  });

  it('summarises long holder lists', () => {
    const { pool } = makePool(10_000);
    for (let i = 0; i < 12; i++) pool.register(`Sort[p${i}]`).grow(100 + i);
    const d = pool.describe();
    expect(d.startsWith('Sort[p11] 111 B, Sort[p10] 110 B')).toBe(true);
    expect(d.endsWith('2 more 201 B')).toBe(true);
  });
});

describe('FairSpillPool watermarks', () => {
  it('asks the largest spillable consumers to spill down to the low watermark when used crosses the high one', () => {
    const { pool } = makePool(1000, { high: 0.9, low: 0.5 });
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Agg[p1]', { spillable: true });
    const c = pool.register('Sort[p2]', { spillable: true });
    const u = pool.register('HashJoin[p3]');
    a.grow(400);
    b.grow(250);
    c.grow(150);
    u.grow(100);
    expect(pool.used).toBe(900);
    expect([a, b, c].map((r) => r.spillRequested)).toEqual([false, false, false]); // not above 900 yet
    u.grow(10); // 910 > 900: need to release 410 to reach 500
    expect([a, b, c].map((r) => r.spillRequested)).toEqual([true, true, false]);
    expect(u.spillRequested).toBe(false);
    a.shrink(10); // any shrink clears the flag
    expect(a.spillRequested).toBe(false);
    b.shrink(250);
    expect(b.spillRequested).toBe(false);
  });

  it('does not request spills while under the high watermark', () => {
    const { pool } = makePool(1000, { high: 0.9, low: 0.7 });
    const a = pool.register('Sort[p0]', { spillable: true });
    expect(a.tryGrow(900)).toBe(true);
    expect(a.spillRequested).toBe(false);
    expect(a.tryGrow(1)).toBe(true);
    expect(a.spillRequested).toBe(true);
  });

  it('counts already-requested consumers towards the expected release', () => {
    const { pool } = makePool(1000, { high: 0.8, low: 0.6 });
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    a.grow(500);
    b.grow(310); // 810: a alone (500) brings it to 310 ≤ 600
    expect(a.spillRequested).toBe(true);
    expect(b.spillRequested).toBe(false);
    b.grow(50); // still above high; a's pending release is enough
    expect(b.spillRequested).toBe(false);
  });
});

describe('FairSpillPool accounting', () => {
  it('tracks peak and resets it to the current use', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    a.grow(700);
    a.shrink(500);
    expect(pool.peak).toBe(700);
    pool.resetPeak();
    expect(pool.peak).toBe(200);
    a.free();
    expect(pool.used).toBe(0);
    a.free(); // idempotent
    expect(pool.used).toBe(0);
    expect(() => a.tryGrow(1)).toThrow(/used after free/);
  });

  it('clamps shrink to the held size and accepts zero-byte grows', () => {
    const { pool } = makePool(1000);
    const a = pool.register('Sort[p0]');
    a.grow(10);
    a.shrink(50);
    expect(a.size).toBe(0);
    expect(pool.used).toBe(0);
    expect(a.tryGrow(0)).toBe(true);
    expect(() => a.grow(-1)).toThrow(/invalid byte count/);
  });

  it('treats limit 0 as unlimited', () => {
    const pool = new FairSpillPool({ limit: 0 });
    const a = pool.register('Sort[p0]', { spillable: true });
    expect(a.tryGrow(1e12)).toBe(true);
    expect(a.spillRequested).toBe(false);
    expect(pool.used).toBe(1e12);
  });

  it('is chosen by createMemoryPool when a limit is configured, and validates watermarks', () => {
    expect(createMemoryPool(makeConfig({}, {}))).toBeInstanceOf(UnboundedPool);
    const p = createMemoryPool(makeConfig({ memory_limit: '64MB', memory_high_watermark: 0.8, memory_low_watermark: 0.5 }, {}));
    expect(p).toBeInstanceOf(FairSpillPool);
    expect(p.limit).toBe(64 * MiB);
    expect((p as FairSpillPool).highWatermark).toBe(0.8);
    expect(() => createMemoryPool(makeConfig({ memory_limit: '64MB', memory_high_watermark: 0.5, memory_low_watermark: 0.8 }, {}))).toThrow(/memory_low_watermark/);
  });
});
