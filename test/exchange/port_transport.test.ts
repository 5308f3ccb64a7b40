import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { batchFromRows, scalarAt, sliceBatch } from '../../src/columnar/kernels.js';
import { makeBatch, type Batch } from '../../src/columnar/column.js';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import type { ExchangeTarget } from '../../src/exchange/transport.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { field, schema } from '../../src/common/types.js';
import { PortTransport, servePortExchange } from '../../src/exchange/port_transport.js';

const SCHEMA = schema([field('k', 'int32'), field('s', 'utf8')]);

function batchOf(start: number, n: number): Batch {
  return batchFromRows(SCHEMA, Array.from({ length: n }, (_x, i) => [start + i, (start + i) % 3 === 0 ? null : `v${start + i}`]));
}

function rowsOf(batches: readonly Batch[]): unknown[][] {
  const out: unknown[][] = [];
  for (const b of batches) for (let i = 0; i < b.length; i++) out.push(b.columns.map((c) => scalarAt(c, i)));
  return out;
}

const target = (over: Partial<ExchangeTarget> = {}): ExchangeTarget => ({
  queryId: 'q', stageId: 0, task: 0, partition: 0, worker: 'w', compression: 'none', ...over,
});

const never = new AbortController().signal;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PortTransport over a MessageChannel', () => {
  const ports: MessagePort[] = [];
  afterEach(() => { for (const p of ports.splice(0)) p.close(); });

  function setup(timeoutMs = 2000, credits = 2) {
    const buffer = new ExchangeBuffer({ pool: new UnboundedPool(), storage: 'none' });
    const ch = new MessageChannel();
    ports.push(ch.port1, ch.port2);
    const server = servePortExchange(ch.port2, buffer, { networkTimeoutMs: timeoutMs });
    const transport = new PortTransport(new Map([['w', ch.port1]]), { credits, networkTimeoutMs: timeoutMs });
    return { buffer, server, transport, readerPort: ch.port1, writerPort: ch.port2 };
  }

  it('streams every batch of a partition in order, NULLs included, over many batches and an empty partition', async () => {
    const { buffer, transport } = setup();
    const w = buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 2);
    const sent = [batchOf(0, 1), batchOf(1, 5), batchOf(6, 1000), batchOf(1006, 3)];
    for (const b of sent) await w.append(0, b);
    w.finish();
    const got: Batch[] = [];
    const stream = transport.open(target(), never);
    for await (const b of stream) got.push(b);
    expect(rowsOf(got)).toEqual(rowsOf(sent));
    expect(stream.counters.batches).toBe(4);
    expect(stream.counters.rows).toBe(1009);
    const empty: Batch[] = [];
    for await (const b of transport.open(target({ partition: 1 }), never)) empty.push(b);
    expect(empty).toEqual([]);
  });

  it('gives the same rows with lz4 bodies', async () => {
    const { buffer, transport } = setup();
    const w = buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 1);
    await w.append(0, batchOf(0, 2000));
    w.finish();
    const got: Batch[] = [];
    for await (const b of transport.open(target({ compression: 'lz4' }), never)) got.push(b);
    expect(rowsOf(got)).toEqual(rowsOf([batchOf(0, 2000)]));
  });

  for (const storage of ['batches', 'none'] as const) {
    it(`delivers one column under two names intact in tiny batches (storage ${storage})`, async () => {
      // `select k as a, k as b, s as c, s as d`: both names hold the very same arrays, and
      // each 2-row batch is a view into one larger batch, as scans slice a row group.
      const twice = schema([field('a', 'int32'), field('b', 'int32'), field('c', 'utf8'), field('d', 'utf8')]);
      const whole = batchFromRows(SCHEMA, Array.from({ length: 40 }, (_x, i) => [i, `v${i}`]));
      const buffer = new ExchangeBuffer({ pool: new UnboundedPool(), storage });
      const ch = new MessageChannel();
      ports.push(ch.port1, ch.port2);
      servePortExchange(ch.port2, buffer, { networkTimeoutMs: 2000 });
      const transport = new PortTransport(new Map([['w', ch.port1]]), { credits: 4, networkTimeoutMs: 2000 });
      const w = buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, twice, 1);
      for (let i = 0; i < whole.length; i += 2) {
        const [k, s] = sliceBatch(whole, i, i + 2).columns;
        await w.append(0, makeBatch(twice, [k!, k!, s!, s!], 2));
      }
      w.finish();
      const got: Batch[] = [];
      for await (const b of transport.open(target(), never)) got.push(b);
      expect(rowsOf(got)).toEqual(Array.from({ length: 40 }, (_x, i) => [i, i, `v${i}`, `v${i}`]));
    });
  }

  it('never has more batches in flight than the credits granted', async () => {
    const { buffer, transport, readerPort } = setup(2000, 2);
    const w = buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 1);
    for (let i = 0; i < 10; i++) await w.append(0, batchOf(i * 10, 10));
    w.finish();
    let arrived = 0;
    readerPort.on('message', (m: { t?: string }) => { if (m.t === 'x-batch') arrived++; });
    const it = transport.open(target(), never)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await wait(50);
    expect(arrived).toBe(2); // the consumer holds batch 0: no credit went back yet
    await it.next();
    await wait(50);
    expect(arrived).toBe(3);
    let rest = 0;
    while (!(await it.next()).done) rest++;
    expect(rest).toBe(8);
  });

  it("passes the writer's failure to the reader", async () => {
    const { buffer, transport } = setup();
    const w = buffer.openWriter({ queryId: 'q', stageId: 1, task: 2 }, SCHEMA, 1);
    await w.append(0, batchOf(0, 3));
    w.fail(new Error('boom in the writer'));
    const read = async () => { for await (const _b of transport.open(target({ stageId: 1, task: 2 }), never)) { /* drain */ } };
    await expect(read()).rejects.toMatchObject({ failure: 'writer_failed', message: expect.stringContaining('boom in the writer') });
  });

  it('fails with a deadline error when the writer never starts', async () => {
    const { transport } = setup(100);
    const read = async () => { for await (const _b of transport.open(target({ stageId: 7 }), never)) { /* drain */ } };
    await expect(read()).rejects.toMatchObject({ failure: 'deadline_exceeded' });
  });

  it('fails every open stream at once when the other end of the port closes', async () => {
    const { buffer, transport, writerPort } = setup(5000);
    buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 1); // started, never finishes
    const read = (async () => { for await (const _b of transport.open(target(), never)) { /* drain */ } })();
    await wait(20);
    writerPort.close();
    await expect(read).rejects.toMatchObject({ failure: 'unavailable' });
    // Later streams to that worker fail at once too.
    await expect(transport.open(target(), never)[Symbol.asyncIterator]().next()).rejects.toMatchObject({ failure: 'unavailable' });
  });

  it('answers a malformed open with invalid_argument and keeps serving', async () => {
    const { buffer, transport, readerPort } = setup();
    const errors: { failure: string; message: string }[] = [];
    readerPort.on('message', (m: { t?: string; id?: number; failure: string; message: string }) => { if (m.t === 'x-error' && m.id === 999) errors.push(m); });
    readerPort.postMessage({ t: 'x-open', id: 999, key: { queryId: 7 }, credits: 1, compression: 'none' });
    readerPort.postMessage({ t: 'nonsense' });
    await wait(30);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.failure).toBe('invalid_argument');
    const w = buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 1);
    await w.append(0, batchOf(0, 4));
    w.finish();
    const got: Batch[] = [];
    for await (const b of transport.open(target(), never)) got.push(b);
    expect(rowsOf(got)).toHaveLength(4);
  });

  it('an aborted read stops with the abort reason', async () => {
    const { buffer, transport, server } = setup();
    buffer.openWriter({ queryId: 'q', stageId: 0, task: 0 }, SCHEMA, 1);
    const ac = new AbortController();
    const read = (async () => { for await (const _b of transport.open(target(), ac.signal)) { /* drain */ } })();
    await wait(20);
    expect(server.active).toBe(1);
    ac.abort(new Error('stop reading'));
    await expect(read).rejects.toThrow('stop reading');
    await wait(20);
    expect(server.active).toBe(0);
  });
});
