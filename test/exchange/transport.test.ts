/**
 * One suite, two transports: everything here must hold for the in-process transport and
 * for DoExchange over real gRPC on loopback alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../src/columnar/column.js';
import { sliceBatch } from '../../src/columnar/kernels.js';
import { SpillwayError } from '../../src/common/errors.js';
import type { Schema } from '../../src/common/types.js';
import { MetricsSet } from '../../src/common/metrics.js';
import type { ExchangeWriter } from '../../src/exchange/exchange_buffer.js';
import { ExchangeError, recordStreamMetrics, type ExchangeTarget } from '../../src/exchange/transport.js';
import { collect, HARNESSES, rowsOf, sampleBatch, SCHEMA, type Harness, type HarnessOptions } from './helpers.js';

const QUERY = 'q1';

/** Let pending I/O and timers run, so a sender that ignored credits would have sent more. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe.each(HARNESSES)('%s transport', (_name, makeHarness) => {
  let h: Harness | null = null;
  const open = async (o?: HarnessOptions) => (h = await makeHarness(o));
  afterEach(async () => { await h?.close(); h = null; });

  const target = (partition = 0, extra: Partial<ExchangeTarget> = {}): ExchangeTarget => ({
    worker: h!.worker, queryId: QUERY, stageId: 1, task: 0, partition, compression: 'none', ...extra,
  });

  /** A writer for stage 1 task 0 with `parts` output partitions. */
  const writer = (parts = 1): ExchangeWriter => h!.buffers.openWriter({ queryId: QUERY, stageId: 1, task: 0 }, SCHEMA, parts);

  async function writeBatches(w: ExchangeWriter, sizes: readonly number[], partition = 0): Promise<Batch[]> {
    const out: Batch[] = [];
    let start = 0;
    for (const n of sizes) {
      const b = sampleBatch(start, n);
      start += n;
      await w.append(partition, b);
      if (n > 0) out.push(b);
    }
    return out;
  }

  it.each(['none', 'lz4'] as const)('round-trips batches of odd sizes with NULLs (compression %s), counting bytes', async (compression) => {
    await open();
    const w = writer(2);
    const written = await writeBatches(w, [1, 1000, 0, 4097, 3]);
    w.finish();
    const stream = h!.transport.open(target(0, { compression }), new AbortController().signal);
    const got = await collect(stream);
    expect(got.map((b) => b.length)).toEqual([1, 1000, 4097, 3]);
    expect(rowsOf(got)).toEqual(rowsOf(written));
    expect(stream.schema?.fields.map((f) => f.name)).toEqual(SCHEMA.fields.map((f) => f.name));
    expect(stream.counters.batches).toBe(4);
    expect(stream.counters.rows).toBe(5101);
    expect(stream.counters.rawBytes).toBeGreaterThan(5101 * 12);
    if (h!.name === 'gRPC') {
      expect(stream.counters.wireBytes).toBeGreaterThan(0);
      if (compression === 'lz4') {
        // The same partition read uncompressed costs more bytes on the wire.
        const plain = h!.transport.open(target(0, { compression: 'none' }), new AbortController().signal);
        await collect(plain);
        expect(plain.counters.rawBytes).toBe(stream.counters.rawBytes);
        expect(stream.counters.wireBytes).toBeLessThan(plain.counters.wireBytes * 0.9);
      }
      expect(h!.server!.stats.rawBytesSent).toBe(stream.counters.rawBytes * (compression === 'lz4' ? 2 : 1));
    } else {
      expect(stream.counters.wireBytes).toBe(0);
    }
    const metrics = new MetricsSet();
    recordStreamMetrics(metrics, 7, stream.counters, 'received');
    expect(metrics.forNode(7).extra.rowsReceived).toBe(5101);
    expect(metrics.forNode(7).extra.bytesReceivedWire).toBe(stream.counters.wireBytes);
  });

  it('delivers every column under two names intact in tiny batches', async () => {
    // `select id as a, id as b, …`: both names hold the very same arrays, and each 2-row
    // batch is a view into one larger batch.
    await open();
    const twice: Schema = { fields: SCHEMA.fields.flatMap((f) => [f, { ...f, name: `${f.name}2` }]) };
    const whole = sampleBatch(0, 40);
    const w = h!.buffers.openWriter({ queryId: QUERY, stageId: 1, task: 0 }, twice, 1);
    for (let i = 0; i < whole.length; i += 2) {
      const part = sliceBatch(whole, i, i + 2);
      await w.append(0, makeBatch(twice, part.columns.flatMap((c) => [c, c]), part.length));
    }
    w.finish();
    const got = await collect(h!.transport.open(target(), new AbortController().signal));
    expect(rowsOf(got)).toEqual(rowsOf([whole]).map((r) => r.flatMap((v) => [v, v])));
  });

  it('never sends more than the credits granted to a reader that does not consume', async () => {
    await open({ credits: 2 });
    const w = writer();
    await writeBatches(w, [10, 10, 10, 10, 10, 10]);
    w.finish();
    const it = h!.transport.open(target(), new AbortController().signal)[Symbol.asyncIterator]();
    const first = await it.next(); // the consumer now holds batch 0 and asks for nothing more
    expect(first.value?.length).toBe(10);
    const blocked = await h!.waitForEvent((e) => e.type === 'blocked' || e.type === 'eos');
    expect(blocked).toMatchObject({ type: 'blocked', sent: 2 });
    await settle();
    expect(h!.events.filter((e) => e.type === 'sent')).toHaveLength(2);
    // Asking for the next batch returns batch 0's credit: exactly one more is sent.
    await it.next();
    const blocked2 = await h!.waitForEvent((e) => (e.type === 'blocked' && e.sent > 2) || e.type === 'eos');
    expect(blocked2).toMatchObject({ type: 'blocked', sent: 3 });
    await settle();
    expect(h!.events.filter((e) => e.type === 'sent')).toHaveLength(3);
    let rest = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) rest++;
    expect(rest).toBe(4);
    await h!.waitForEvent((e) => e.type === 'eos');
    expect(h!.events.filter((e) => e.type === 'sent')).toHaveLength(6);
  });

  it('keeps a slow reader within its credits while the writer is still producing', async () => {
    await open({ credits: 2 });
    const w = writer();
    let consumed = 0;
    let worstLead = 0;
    h!.onEvent((e) => { if (e.type === 'sent') worstLead = Math.max(worstLead, e.sent - consumed); });
    const producing = (async () => {
      for (let i = 0; i < 12; i++) {
        await w.append(0, sampleBatch(i * 5, 5));
        await new Promise((r) => setTimeout(r, 1));
      }
      w.finish();
    })();
    const rows: number[] = [];
    for await (const b of h!.transport.open(target(), new AbortController().signal)) {
      rows.push(b.length);
      await new Promise((r) => setTimeout(r, 3));
      consumed++;
    }
    await producing;
    expect(rows).toHaveLength(12);
    expect(worstLead).toBeGreaterThan(0);
    expect(worstLead).toBeLessThanOrEqual(2);
  });

  it('ends an empty partition with end of stream and still knows the schema', async () => {
    await open();
    const w = writer(3);
    await writeBatches(w, [5], 0);
    w.finish();
    const stream = h!.transport.open(target(2), new AbortController().signal);
    expect(await collect(stream)).toEqual([]);
    expect(stream.schema?.fields.length).toBe(SCHEMA.fields.length);
    expect(stream.counters.batches).toBe(0);
  });

  it('waits for a writer that starts after the reader opened', async () => {
    await open();
    const reading = collect(h!.transport.open(target(), new AbortController().signal));
    await new Promise((r) => setTimeout(r, 20));
    const w = writer();
    const written = await writeBatches(w, [3, 4]);
    w.finish();
    expect(rowsOf(await reading)).toEqual(rowsOf(written));
  });

  it('delivers a writer error, with its message and kind, after the batches written before it', async () => {
    await open();
    const w = writer();
    await writeBatches(w, [3, 4]);
    const got: Batch[] = [];
    const reading = (async () => {
      for await (const b of h!.transport.open(target(), new AbortController().signal)) got.push(b);
    })();
    await h!.waitForEvent((e) => e.type === 'sent' && e.sent === 2);
    w.fail(new SpillwayError('resources', 'disk quota of 1 MiB exceeded'));
    const err = await reading.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).message).toMatch(/query q1 stage 1 task 0 partition 0.*writer task failed: disk quota of 1 MiB exceeded/);
    expect((err as ExchangeError).kind).toBe('resources');
    expect(got.map((b) => b.length)).toEqual([3, 4]);
  });

  it('lets a second reader re-read a completed partition from the start, also concurrently', async () => {
    await open({ credits: 1 });
    const w = writer(2);
    const written = await writeBatches(w, [7, 8, 9], 1);
    w.finish();
    const first = await collect(h!.transport.open(target(1), new AbortController().signal));
    const [second, third] = await Promise.all([
      collect(h!.transport.open(target(1), new AbortController().signal)),
      collect(h!.transport.open(target(1, { compression: 'lz4' }), new AbortController().signal)),
    ]);
    expect(rowsOf(first)).toEqual(rowsOf(written));
    expect(rowsOf(second)).toEqual(rowsOf(written));
    expect(rowsOf(third)).toEqual(rowsOf(written));
  });

  it('fails with a clear timeout when the writer never starts', async () => {
    await open({ networkTimeoutMs: 250 });
    const err = await collect(h!.transport.open(target(), new AbortController().signal)).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('timeout');
    expect((err as Error).message).toMatch(/query q1 stage 1 task 0 partition 0.*timed out after 250 ms waiting for the writer task to start/);
  });

  it('fails with not-found once the query is released, and for a partition the writer does not have', async () => {
    await open();
    const w = writer(2);
    w.finish();
    const err1 = await collect(h!.transport.open(target(5), new AbortController().signal)).then(() => null, (e: unknown) => e);
    expect((err1 as ExchangeError).failure).toBe('not_found');
    expect((err1 as Error).message).toMatch(/only 2 output partitions/);
    h!.buffers.releaseQuery(QUERY);
    const err2 = await collect(h!.transport.open(target(0), new AbortController().signal)).then(() => null, (e: unknown) => e);
    expect((err2 as ExchangeError).failure).toBe('not_found');
    expect((err2 as Error).message).toMatch(/query q1 stage 1 task 0 partition 0: the query was released/);
  });

  it('stops a read when its signal aborts', async () => {
    await open();
    const w = writer();
    await writeBatches(w, [2]);
    const ac = new AbortController();
    const reading = collect(h!.transport.open(target(), ac.signal));
    await h!.waitForEvent((e) => e.type === 'sent');
    ac.abort(new SpillwayError('cancelled', 'query q1 cancelled by the user'));
    const err = await reading.then(() => null, (e: unknown) => e);
    expect((err as SpillwayError).kind).toBe('cancelled');
    w.finish();
  });
});
