/**
 * ExchangeBuffer spilling: a writer whose reservation is refused (or flagged by the pool)
 * moves its buffered partitions to spill files; readers read the spilled prefix from disk
 * and the in-memory tail from memory, each with its own cursor; release deletes the files.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { ExchangeBuffer, type ExchangeStorage, type PartitionBuffer } from '../../src/exchange/exchange_buffer.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import { ExchangeError } from '../../src/exchange/transport.js';
import { FairSpillPool } from '../../src/memory/fair_pool.js';
import { DiskSpillManager } from '../../src/spill/disk_spill_manager.js';
import { tempSpillDir } from '../spill/spill_context.js';
import { collect, LimitedPool, rowsOf, sampleBatch, SCHEMA } from './helpers.js';

const W = { queryId: 'q1', stageId: 1, task: 0 };
const key = (partition: number) => ({ ...W, partition });
const never = new AbortController().signal;
const STORAGES: ExchangeStorage[] = ['batches', 'none', 'lz4'];

let dir: string;
let spill: DiskSpillManager;
const spillFiles = () => (existsSync(spill.queryDir) ? readdirSync(spill.queryDir).filter((f) => f.endsWith('.arrow')) : []);

beforeEach(() => {
  dir = tempSpillDir();
  spill = new DiskSpillManager({ spillDir: dir, queryId: 'q1' });
});
afterEach(async () => {
  await spill.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Read a partition from the start through its own reader. */
async function readAll(part: PartitionBuffer): Promise<Batch[]> {
  const reader = part.openReader();
  const out: Batch[] = [];
  try {
    for (let i = 0; await reader.waitForEntry(i, never); i++) out.push(part.readBatch(i));
  } finally {
    await reader.close();
  }
  return out;
}

/** 30 batches of 1..30 rows over 2 partitions; returns what each partition should hold. */
async function writeMany(w: { append(p: number, b: Batch): Promise<void> }): Promise<Batch[][]> {
  const want: Batch[][] = [[], []];
  let start = 0;
  for (let i = 0; i < 30; i++) {
    const b = sampleBatch(start, i + 1);
    start += i + 1;
    await w.append(i % 3 === 0 ? 1 : 0, b);
    want[i % 3 === 0 ? 1 : 0]!.push(b);
  }
  return want;
}

describe('ExchangeBuffer spilling', () => {
  it.each(STORAGES)('spills past the limit and reads everything back in order (%s)', async (storage) => {
    const pool = new LimitedPool(8_000);
    const buffers = new ExchangeBuffer({ pool, storage, spill });
    const w = buffers.openWriter(W, SCHEMA, 2);
    const want = await writeMany(w);
    w.finish();
    const stats = buffers.writer(W)!.spillStats;
    expect(stats.files).toBeGreaterThan(1);
    expect(stats.rows).toBeGreaterThan(0);
    expect(spillFiles().length).toBe(stats.files);
    // Only the in-memory tail is accounted; spilled bytes left the reservation.
    expect(pool.used).toBe(buffers.bufferedBytes);
    expect(pool.used).toBeLessThanOrEqual(8_000);
    for (const p of [0, 1]) {
      const part = buffers.lookup(key(p))!;
      expect(part.spilledEntries).toBeGreaterThan(0);
      expect(part.length).toBe(want[p]!.length);
      expect(rowsOf(await readAll(part))).toEqual(rowsOf(want[p]!));
    }
    await buffers.releaseQuery('q1');
    expect(spillFiles()).toEqual([]);
    expect(pool.used).toBe(0);
  });

  it('re-reads from the start, and serves concurrent readers each at its own position', async () => {
    const buffers = new ExchangeBuffer({ pool: new LimitedPool(6_000), storage: 'none', spill });
    const w = buffers.openWriter(W, SCHEMA, 2);
    const want = await writeMany(w);
    w.finish();
    const part = buffers.lookup(key(0))!;
    const expected = rowsOf(want[0]!);
    expect(rowsOf(await readAll(part))).toEqual(expected);
    expect(rowsOf(await readAll(part))).toEqual(expected); // again from the start
    // Three readers interleaved step by step, started at different times.
    const readers = [part.openReader(), part.openReader(), part.openReader()];
    const got: Batch[][] = [[], [], []];
    const next = [0, 0, 0];
    for (let step = 0; step < part.length + 6; step++) {
      for (let r = 0; r < 3; r++) {
        if (step < r * 3) continue; // later starters
        const i = next[r]!;
        if (i >= part.length) continue;
        expect(await readers[r]!.waitForEntry(i, never)).toBe(true);
        got[r]!.push(part.readBatch(i));
        next[r]!++;
      }
    }
    for (const r of readers) await r.close();
    for (const g of got) expect(rowsOf(g)).toEqual(expected);
    // Through the transport (pump + credits), twice at once.
    const transport = new InProcessTransport({ buffers, credits: 2, networkTimeoutMs: 5_000 });
    const [a, b] = await Promise.all([collect(transport.open({ ...key(0), worker: null, compression: 'none' }, never)), collect(transport.open({ ...key(0), worker: null, compression: 'none' }, never))]);
    expect(rowsOf(a)).toEqual(expected);
    expect(rowsOf(b)).toEqual(expected);
    await buffers.releaseQuery('q1');
  });

  it('keeps a reader going when entries it already read, and the one it holds, are spilled under it', async () => {
    const pool = new LimitedPool(1_000_000);
    const buffers = new ExchangeBuffer({ pool, storage: 'batches', spill });
    const w = buffers.openWriter(W, SCHEMA, 1);
    const written = [sampleBatch(0, 5), sampleBatch(5, 7), sampleBatch(12, 1), sampleBatch(13, 4)];
    for (const b of written.slice(0, 3)) await w.append(0, b);
    const part = buffers.lookup(key(0))!;
    const reader = part.openReader();
    expect(await reader.waitForEntry(0, never)).toBe(true);
    expect(part.readBatch(0)).toBe(written[0]); // in memory: the very object
    expect(await reader.waitForEntry(1, never)).toBe(true);
    // Entries 0..2 go to disk while the reader holds entry 1 and has not read entry 2.
    const freed = await buffers.writer(W)!.spillToDisk();
    expect(freed).toBeGreaterThan(0);
    expect(part.spilledEntries).toBe(3);
    expect(pool.used).toBe(0);
    expect(rowsOf([part.readBatch(1)])).toEqual(rowsOf([written[1]!])); // still pinned
    await w.append(0, written[3]!); // the in-memory tail
    w.finish();
    const got = [written[0]!, written[1]!];
    for (let i = 2; await reader.waitForEntry(i, never); i++) got.push(part.readBatch(i));
    await reader.close();
    expect(rowsOf(got)).toEqual(rowsOf(written));
    expect(() => part.readBatch(0)).toThrow(/on disk; read it through a PartitionReader/);
    expect(pool.used).toBe(buffers.bufferedBytes);
    await buffers.releaseQuery('q1');
  });

  it('writes a batch larger than the whole limit straight to disk, after the rest', async () => {
    const pool = new LimitedPool(3_000);
    const buffers = new ExchangeBuffer({ pool, storage: 'lz4', spill });
    const w = buffers.openWriter(W, SCHEMA, 1);
    const written = [sampleBatch(0, 10), sampleBatch(10, 2_000), sampleBatch(2_010, 3)];
    for (const b of written) await w.append(0, b);
    w.finish();
    const part = buffers.lookup(key(0))!;
    expect(part.spilledEntries).toBe(2);
    expect(part.rows).toBe(2_013);
    expect(rowsOf(await readAll(part))).toEqual(rowsOf(written));
    expect(pool.used).toBe(buffers.bufferedBytes);
    await buffers.releaseQuery('q1');
    expect(spillFiles()).toEqual([]);
  });

  it('spills a finished writer the pool asks to spill, when someone reads from the buffer', async () => {
    const pool = new FairSpillPool({ limit: 200_000, highWatermark: 0.5, lowWatermark: 0.2 });
    const buffers = new ExchangeBuffer({ pool, storage: 'none', spill });
    const held = buffers.openWriter(W, SCHEMA, 1);
    const kept = [sampleBatch(0, 300), sampleBatch(300, 300)];
    for (const b of kept) await held.append(0, b);
    held.finish();
    const before = buffers.writer(W)!.bytes;
    expect(before).toBeGreaterThan(0);
    // An unspillable consumer takes the pool over its high watermark: the pool flags the held output.
    const table = pool.register('HashJoin[p0]');
    expect(table.tryGrow(100_000 - before + 1_000)).toBe(true);
    expect(buffers.writer(W)!.spillRequested).toBe(true);
    // A read of another writer's output serves the request.
    const other = buffers.openWriter({ ...W, task: 1 }, SCHEMA, 1);
    await other.append(0, sampleBatch(0, 3));
    other.finish();
    await readAll(buffers.lookup({ ...key(0), task: 1 })!);
    await vi.waitFor(() => expect(buffers.writer(W)!.bytes).toBe(0));
    expect(buffers.writer(W)!.spillStats.files).toBe(1);
    expect(rowsOf(await readAll(buffers.lookup(key(0))!))).toEqual(rowsOf(kept));
    table.free();
    await buffers.releaseQuery('q1');
    expect(spillFiles()).toEqual([]);
    expect(pool.used).toBe(0);
  });

  it('release deletes the files and fails readers that are still open', async () => {
    const buffers = new ExchangeBuffer({ pool: new LimitedPool(5_000), storage: 'batches', spill });
    const w = buffers.openWriter(W, SCHEMA, 2);
    await writeMany(w);
    const part = buffers.lookup(key(0))!;
    const reader = part.openReader();
    expect(await reader.waitForEntry(0, never)).toBe(true);
    expect(spillFiles().length).toBeGreaterThan(0);
    await buffers.releaseQuery('q1');
    expect(spillFiles()).toEqual([]);
    await expect(reader.waitForEntry(1, never)).rejects.toBeInstanceOf(ExchangeError);
    await reader.close();
    expect(() => buffers.lookup(key(0))).toThrow(/released/);
  });

  it('an append whose spill fails (disk quota) reports it, keeps what it had, and leaves no files', async () => {
    await spill.cleanup();
    spill = new DiskSpillManager({ spillDir: dir, queryId: 'q1', diskQuota: 6_000 });
    const pool = new LimitedPool(8_000);
    const buffers = new ExchangeBuffer({ pool, storage: 'none', spill });
    const w = buffers.openWriter(W, SCHEMA, 1);
    const appended: Batch[] = [];
    let err: unknown = null;
    for (let i = 0; i < 40 && err === null; i++) {
      const b = sampleBatch(i * 50, 50);
      err = await w.append(0, b).then(() => { appended.push(b); return null; }, (e: unknown) => e);
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/spill disk quota of .* exceeded by Exchange_qq1_s1_t0_p0/);
    w.fail(err);
    // Entries that were spilled before the failure and those still in memory are intact.
    const part = buffers.lookup(key(0))!;
    expect(part.length).toBe(appended.length);
    expect(pool.used).toBe(buffers.bufferedBytes);
    await buffers.releaseQuery('q1');
    expect(spillFiles()).toEqual([]);
    expect(pool.used).toBe(0);
  });

  it('without a spill manager a refused append still fails with a resources error', async () => {
    const buffers = new ExchangeBuffer({ pool: new LimitedPool(2_000), spill: () => undefined });
    const w = buffers.openWriter(W, SCHEMA, 1);
    await expect(w.append(0, sampleBatch(0, 500))).rejects.toThrow(/out of memory buffering exchange output of query q1 stage 1 task 0/);
    expect(spillFiles()).toEqual([]);
  });
});
