/**
 * FairSpillPool: spill requests reach consumers through onSpillRequest, and growWait
 * waits (bounded, cancellable) for memory others were asked to release.
 */
import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { FairSpillPool } from '../../src/memory/fair_pool.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';

function makePool(limit: number, opts: { high?: number; low?: number; waitTimeoutMs?: number } = {}): FairSpillPool {
  return new FairSpillPool({ limit, highWatermark: opts.high ?? 1, lowWatermark: opts.low ?? 1, waitTimeoutMs: opts.waitTimeoutMs ?? 2000 });
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('FairSpillPool spill notification', () => {
  it('calls onSpillRequest after the pool call that set the flag, not inside it', async () => {
    const pool = makePool(1000, { high: 0.9, low: 0.5 });
    const calls: boolean[] = [];
    let inside = false;
    const ex = pool.register('ExchangeBuffer[a]', { spillable: true, onSpillRequest: () => calls.push(inside) });
    const sort = pool.register('Sort[p0]', { spillable: true });
    expect(ex.tryGrow(500)).toBe(true);
    inside = true;
    expect(sort.tryGrow(450)).toBe(true); // 950 > high watermark: the largest is asked
    inside = false;
    expect(ex.spillRequested).toBe(true);
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual([false]);
  });

  it('does not call back once the consumer shrank or was freed before the microtask ran', async () => {
    const pool = makePool(1000, { high: 0.9, low: 0.5 });
    let calls = 0;
    const ex = pool.register('ExchangeBuffer[a]', { spillable: true, onSpillRequest: () => calls++ });
    const other = pool.register('Sort[p0]', { spillable: true });
    ex.tryGrow(500);
    other.tryGrow(450);
    ex.shrink(500);
    await tick();
    expect(calls).toBe(0);
  });

  it('asks consumers that spill in the background before larger ones that do not', async () => {
    const pool = makePool(1000);
    const sort = pool.register('Sort[p0]', { spillable: true });
    const ex = pool.register('ExchangeBuffer[a]', { spillable: true, onSpillRequest: () => ex.shrink(ex.size) });
    const join = pool.register('HashJoin[p0]', { spillable: true });
    expect(sort.tryGrow(450)).toBe(true);
    expect(ex.tryGrow(300)).toBe(true);
    await join.growWait(400);
    expect(ex.spillRequested).toBe(false);
    expect(ex.size).toBe(0);
    expect(sort.spillRequested).toBe(false); // not needed: the exchange buffer made room
    expect(join.size).toBe(400);
    expect(pool.used).toBe(850);
  });
});

describe('FairSpillPool.growWait', () => {
  it('takes at once what the limit allows, beyond the fair share', async () => {
    const pool = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    b.tryGrow(100);
    await a.growWait(800); // share is 500, the limit allows 800
    expect(a.size).toBe(800);
    expect(b.spillRequested).toBe(false);
  });

  it('asks the holders to spill and resolves when they release', async () => {
    const pool = makePool(1000);
    const holder = pool.register('Sort[p1]', { spillable: true });
    const waiter = pool.register('Sort[p0]', { spillable: true });
    holder.tryGrow(900);
    let done = false;
    const p = waiter.growWait(300).then(() => { done = true; });
    await tick();
    expect(holder.spillRequested).toBe(true); // asked although it is within its share
    expect(done).toBe(false);
    expect(pool.waiting).toBe(1);
    holder.shrink(100); // not enough yet: keeps waiting
    await tick();
    expect(done).toBe(false);
    holder.shrink(500);
    await p;
    expect(waiter.size).toBe(300);
    expect(pool.used).toBe(600);
    expect(pool.waiting).toBe(0);
  });

  it('gives up after its bound with a resources error naming the holders', async () => {
    const pool = makePool(1000, { waitTimeoutMs: 10_000 });
    const table = pool.register('HashJoin[p0]'); // unspillable: never released
    const sort = pool.register('Sort[p0]', { spillable: true });
    table.grow(800);
    const t0 = performance.now();
    const err = await sort.growWait(300, { timeoutMs: 60 }).then(() => null, (e: unknown) => e);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('resources');
    expect((err as Error).message).toMatch(/Sort\[p0\] wanted 300 B more; holders: HashJoin\[p0\] 800 B/);
    expect((err as Error).message).toMatch(/after waiting 60 ms/);
    expect(took).toBeGreaterThanOrEqual(50);
    expect(took).toBeLessThan(5000);
    expect(sort.size).toBe(0);
    expect(pool.waiting).toBe(0);
  });

  it('uses the pool bound by default', async () => {
    const pool = makePool(1000, { waitTimeoutMs: 30 });
    const holder = pool.register('Sort[p1]', { spillable: true }); // asked, but never spills
    const sort = pool.register('Sort[p0]', { spillable: true });
    holder.tryGrow(1000);
    await expect(sort.growWait(10)).rejects.toThrow(/after waiting 30 ms for others to spill/);
    expect(holder.spillRequested).toBe(true);
  });

  it('fails at once when the bytes exceed the whole limit', async () => {
    const pool = makePool(1000, { waitTimeoutMs: 60_000 });
    const sort = pool.register('Sort[p0]', { spillable: true });
    sort.tryGrow(300);
    await expect(sort.growWait(800)).rejects.toThrow(/memory limit of 1000 B exceeded: Sort\[p0\] wanted 800 B more/);
    expect(pool.waiting).toBe(0);
  });

  it('rejects with the abort reason when cancelled while waiting', async () => {
    const pool = makePool(1000, { waitTimeoutMs: 60_000 });
    const holder = pool.register('Sort[p1]', { spillable: true });
    const sort = pool.register('Sort[p0]', { spillable: true });
    holder.tryGrow(1000);
    const ac = new AbortController();
    const p = sort.growWait(10, { signal: ac.signal }).then(() => null, (e: unknown) => e);
    await tick();
    ac.abort(new SpillwayError('cancelled', 'query cancelled by the user'));
    const err = await p;
    expect((err as SpillwayError).kind).toBe('cancelled');
    expect((err as Error).message).toBe('query cancelled by the user');
    expect(sort.size).toBe(0);
    expect(pool.waiting).toBe(0);
  });

  it('fails when its reservation is freed while it waits', async () => {
    const pool = makePool(1000, { waitTimeoutMs: 60_000 });
    const holder = pool.register('Sort[p1]', { spillable: true });
    const sort = pool.register('Sort[p0]', { spillable: true });
    holder.tryGrow(1000);
    const p = sort.growWait(10).then(() => null, (e: unknown) => e);
    await tick();
    sort.free();
    holder.shrink(500); // wakes the waiter, which finds its reservation gone
    expect(((await p) as SpillwayError).kind).toBe('cancelled');
    expect(pool.used).toBe(500);
  });

  it('exchange-style consumers spill in the background and an operator gets its minimum', async () => {
    const pool = makePool(4000);
    const spilled: string[] = [];
    const writers = [0, 1].map((i) => {
      const r = pool.register(`ExchangeBuffer[${i}]`, {
        spillable: true,
        // Spilling takes a while (disk): release later, as the exchange buffer does.
        onSpillRequest: () => { setTimeout(() => { spilled.push(r.name); r.shrink(r.size); }, 5); },
      });
      return r;
    });
    writers[0]!.tryGrow(2000);
    writers[1]!.tryGrow(1500);
    const sort = pool.register('Sort[p0]', { spillable: true });
    expect(sort.tryGrow(2500)).toBe(false); // over its share: tryGrow only refuses
    await sort.growWait(2500);
    expect(sort.size).toBe(2500);
    expect(spilled.length).toBeGreaterThanOrEqual(1);
    expect(pool.used).toBeLessThanOrEqual(4000);
  });
});

describe('UnboundedPool', () => {
  it('growWait grants at once and share is unlimited', async () => {
    const pool = new UnboundedPool();
    const r = pool.register('Sort[p0]', { spillable: true, onSpillRequest: () => { throw new Error('never asked'); } });
    await r.growWait(123);
    expect(r.size).toBe(123);
    expect(r.share).toBe(Infinity);
  });
});

describe('MemoryReservation.share', () => {
  it('is the fair share for spillable consumers and the limit for the others', () => {
    const pool = makePool(1000);
    const a = pool.register('Sort[p0]', { spillable: true });
    const b = pool.register('Sort[p1]', { spillable: true });
    const t = pool.register('HashJoin[p0]');
    expect(a.share).toBe(1000);
    b.tryGrow(10);
    expect(a.share).toBe(500);
    t.grow(200);
    expect(a.share).toBe(400);
    expect(t.share).toBe(1000);
  });
});
