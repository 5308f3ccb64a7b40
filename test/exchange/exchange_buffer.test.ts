import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { ExchangeBuffer, type StageOutput } from '../../src/exchange/exchange_buffer.js';
import { ExchangeError } from '../../src/exchange/transport.js';
import { LimitedPool, rowsOf, sampleBatch, SCHEMA } from './helpers.js';

const W = { queryId: 'q1', stageId: 2, task: 3 };
const key = (partition: number) => ({ ...W, partition });
const never = new AbortController().signal;

describe('ExchangeBuffer', () => {
  it('keeps batches per partition, readable any number of times, and drops empty batches', async () => {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool() });
    const w = buffers.openWriter(W, SCHEMA, 2);
    const b0 = sampleBatch(0, 3);
    await w.append(1, b0);
    await w.append(1, sampleBatch(0, 0));
    await w.append(0, sampleBatch(3, 2));
    w.finish();
    const p1 = buffers.lookup(key(1))!;
    expect(p1.length).toBe(1);
    expect(p1.rows).toBe(3);
    expect(p1.readBatch(0)).toBe(b0); // embedded storage hands over the very object
    expect(p1.readBatch(0)).toBe(b0);
    expect(await p1.waitForEntry(0, never)).toBe(true);
    expect(await p1.waitForEntry(1, never)).toBe(false); // end of stream
    expect(() => buffers.lookup(key(2))).toThrow(/only 2 output partitions/);
    expect(buffers.lookup({ ...key(0), task: 9 })).toBeUndefined();
  });

  it.each(['none', 'lz4'] as const)('stores encoded IPC (%s) and decodes it back exactly', async (storage) => {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool(), storage });
    const w = buffers.openWriter(W, SCHEMA, 1);
    const written = [sampleBatch(0, 1), sampleBatch(1, 999)];
    for (const b of written) await w.append(0, b);
    w.finish();
    const p = buffers.lookup(key(0))!;
    expect(rowsOf([p.readBatch(0), p.readBatch(1)])).toEqual(rowsOf(written));
    const asStored = p.readEncoded(1, storage);
    const other = p.readEncoded(1, storage === 'lz4' ? 'none' : 'lz4');
    expect(asStored.rows).toBe(999);
    expect(other.rawBytes).toBe(asStored.rawBytes);
    expect(buffers.bufferedBytes).toBeGreaterThan(0);
  });

  it('accounts buffered bytes in the pool under a named spillable reservation and frees them on release', async () => {
    const pool = new UnboundedPool();
    const buffers = new ExchangeBuffer({ pool });
    const w = buffers.openWriter(W, SCHEMA, 1);
    await w.append(0, sampleBatch(0, 100));
    expect(pool.used).toBe(buffers.bufferedBytes);
    expect(pool.used).toBeGreaterThan(100 * 12);
    expect(pool.describe()).toMatch(/ExchangeBuffer\[q q1 stage 2 task 3\]/);
    buffers.releaseQuery('q1');
    expect(pool.used).toBe(0);
    expect(buffers.bufferedBytes).toBe(0);
    expect(() => buffers.openWriter(W, SCHEMA, 1)).toThrow(/already released/);
  });

  it('fails an append with a resources error when the pool refuses and nothing can be spilled', async () => {
    const pool = new LimitedPool(20_000);
    const buffers = new ExchangeBuffer({ pool });
    const w = buffers.openWriter(W, SCHEMA, 1);
    await w.append(0, sampleBatch(0, 10));
    const err = await w.append(0, sampleBatch(0, 5_000)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('resources');
    expect((err as Error).message).toMatch(/exchange output of query q1 stage 2 task 3.*ExchangeBuffer\[q q1 stage 2 task 3\]/);
    expect(buffers.lookup(key(0))!.length).toBe(1);
  });

  it('asks the memory-pressure hook (the spill hook) for room before failing', async () => {
    const pool = new LimitedPool(20_000);
    const asked: number[] = [];
    let ballast = pool.register('ballast');
    ballast.grow(15_000);
    const buffers = new ExchangeBuffer({
      pool,
      onMemoryPressure: async (_w: StageOutput, needed: number) => {
        asked.push(needed);
        ballast.free(); // stands in for spilling
        ballast = pool.register('ballast');
        return true;
      },
    });
    const w = buffers.openWriter(W, SCHEMA, 1);
    await w.append(0, sampleBatch(0, 200));
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThan(5_000);
    expect(buffers.lookup(key(0))!.length).toBe(1);
  });

  it('rejects a second writer for a running task, but replaces a failed attempt', async () => {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool() });
    const w1 = buffers.openWriter(W, SCHEMA, 1);
    expect(() => buffers.openWriter(W, SCHEMA, 1)).toThrow(/being written/);
    await w1.append(0, sampleBatch(0, 4));
    w1.fail(new Error('worker lost its disk'));
    await expect(buffers.lookup(key(0))!.waitForEntry(1, never)).rejects.toThrow(/partition 0: writer task failed: worker lost its disk/);
    const w2 = buffers.openWriter(W, SCHEMA, 1);
    await w2.append(0, sampleBatch(10, 2));
    w2.finish();
    expect(() => buffers.openWriter(W, SCHEMA, 1)).toThrow(/already complete/);
    const p = buffers.lookup(key(0))!;
    expect(rowsOf([p.readBatch(0)])).toEqual(rowsOf([sampleBatch(10, 2)]));
    await expect(w2.append(0, sampleBatch(0, 1))).rejects.toThrow(/append after done/);
    await expect(w2.append(7, sampleBatch(0, 1))).rejects.toThrow();
  });

  it('wakes waiting readers when the query is released, and fails new ones at once', async () => {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool() });
    buffers.openWriter(W, SCHEMA, 1);
    const p = buffers.lookup(key(0))!;
    const waiting = p.waitForEntry(0, never);
    const opening = buffers.waitForPartition({ ...key(0), task: 8 }, { signal: never, timeoutMs: 60_000 });
    buffers.releaseQuery('q1');
    await expect(waiting).rejects.toBeInstanceOf(ExchangeError);
    await expect(opening).rejects.toThrow(/task 8 partition 0: the query was released/);
    await expect(buffers.waitForPartition(key(0), { signal: never, timeoutMs: 60_000 })).rejects.toThrow(/released/);
  });

  it('stops waiting for a writer when the signal aborts, and times out otherwise', async () => {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool() });
    const ac = new AbortController();
    const waiting = buffers.waitForPartition(key(0), { signal: ac.signal, timeoutMs: 60_000 });
    ac.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    const err = await buffers.waitForPartition(key(0), { signal: never, timeoutMs: 30 }).then(() => null, (e: unknown) => e);
    expect((err as ExchangeError).failure).toBe('deadline_exceeded');
    expect((err as SpillwayError).kind).toBe('timeout');
  });
});
