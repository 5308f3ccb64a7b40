/**
 * DoExchange specifics that only exist on the wire: foreign and malformed requests, the
 * deadlines on both ends, heartbeats, message sizes and cancellation.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch } from '../../src/columnar/column.js';
import { SpillwayError } from '../../src/common/errors.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import { startExchangeServer } from '../../src/exchange/grpc_server.js';
import { GrpcTransport } from '../../src/exchange/grpc_transport.js';
import { DescriptorType, encodeFlightData, flightData } from '../../src/exchange/flight_messages.js';
import { DO_EXCHANGE_PATH, EXCHANGE_SERVICE } from '../../src/exchange/services.js';
import { encodeAppMetadata, encodeTicket, ExchangeError, type ExchangeTarget } from '../../src/exchange/transport.js';
import { collect, rowsOf, sampleBatch, SCHEMA } from './helpers.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const id = (b: Buffer) => b;

interface RawResult { status: grpc.StatusObject; received: Buffer[] }

/** Send arbitrary DoExchange messages and collect what comes back until the status. */
function rawExchange(address: string, messages: readonly Uint8Array[], halfClose = true): Promise<RawResult> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(DO_EXCHANGE_PATH, id, id, new grpc.Metadata());
  const received: Buffer[] = [];
  return new Promise<RawResult>((resolve) => {
    call.on('data', (b: Buffer) => received.push(b));
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => { client.close(); resolve({ status, received }); });
    for (const m of messages) call.write(Buffer.from(m));
    if (halfClose) call.end();
  });
}

function request(cmd: Uint8Array | null, meta: Record<string, string | number | boolean> | null, type: number = DescriptorType.CMD): Buffer {
  return encodeFlightData(flightData({
    flightDescriptor: cmd === null ? null : { type, cmd, path: type === DescriptorType.PATH ? ['q1', '1'] : [] },
    appMetadata: meta === null ? undefined : encodeAppMetadata(meta),
  }));
}

const KEY = { queryId: 'q1', stageId: 1, task: 0, partition: 0 };

describe('DoExchange server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

  async function setup(opts: { timeoutMs?: number; storage?: 'none' | 'lz4'; heartbeatMs?: number } = {}) {
    const buffers = new ExchangeBuffer({ pool: new UnboundedPool(), storage: opts.storage ?? 'none' });
    const server = await startExchangeServer({ port: 0, buffers, networkTimeoutMs: opts.timeoutMs ?? 5_000, heartbeatMs: opts.heartbeatMs });
    const transport = new GrpcTransport({ credits: 4, networkTimeoutMs: opts.timeoutMs ?? 5_000 });
    cleanups.push(() => server.close(), () => transport.close());
    const target = (extra: Partial<ExchangeTarget> = {}): ExchangeTarget => ({ ...KEY, worker: server.address, compression: 'none', ...extra });
    return { buffers, server, transport, target };
  }

  it('rejects malformed and foreign requests with INVALID_ARGUMENT / NOT_FOUND and keeps serving', async () => {
    const { buffers, server, transport, target } = await setup();
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, SCHEMA, 1);
    await w.append(0, sampleBatch(0, 10));
    w.finish();
    buffers.openWriter({ queryId: 'gone', stageId: 1, task: 0 }, SCHEMA, 1).finish();
    buffers.releaseQuery('gone');

    const cases: [string, Uint8Array[], grpc.status, RegExp][] = [
      ['garbage bytes', [new Uint8Array([0xff, 0xff, 0xff, 0x0f])], grpc.status.INVALID_ARGUMENT, /malformed FlightData/],
      ['no descriptor', [request(null, { credits: 1 })], grpc.status.INVALID_ARGUMENT, /FlightDescriptor of type CMD/],
      ['PATH descriptor', [request(utf8('x'), { credits: 1 }, DescriptorType.PATH)], grpc.status.INVALID_ARGUMENT, /type CMD/],
      ['cmd not JSON', [request(utf8('select 1'), { credits: 1 })], grpc.status.INVALID_ARGUMENT, /not UTF-8 JSON/],
      ['cmd missing fields', [request(utf8('{"query":"q1","stage":1}'), { credits: 1 })], grpc.status.INVALID_ARGUMENT, /expected \{"query"/],
      ['zero credits', [request(encodeTicket(KEY), { credits: 0 })], grpc.status.INVALID_ARGUMENT, /credits 0/],
      ['no metadata', [request(encodeTicket(KEY), null)], grpc.status.INVALID_ARGUMENT, /metadata/],
      ['unknown compression', [request(encodeTicket(KEY), { credits: 1, compression: 'zstd' })], grpc.status.INVALID_ARGUMENT, /"zstd"/],
      ['released query', [request(encodeTicket({ ...KEY, queryId: 'gone' }), { credits: 1 })], grpc.status.NOT_FOUND, /query gone stage 1 task 0 partition 0: the query was released/],
      ['bad credit grant', [request(encodeTicket({ ...KEY, task: 5 }), { credits: 1 }), encodeFlightData(flightData({ appMetadata: utf8('{"credits":-3}') }))], grpc.status.INVALID_ARGUMENT, /credits -3/],
      ['closed early', [], grpc.status.INVALID_ARGUMENT, /closed the exchange stream before sending a request/],
    ];
    for (const [name, messages, code, details] of cases) {
      const r = await rawExchange(server.address, messages);
      expect({ name, code: r.status.code }).toEqual({ name, code });
      expect(r.status.details).toMatch(details);
    }
    expect(server.stats.failedStreams).toBe(cases.length);
    // The server still serves a valid reader.
    expect(rowsOf(await collect(transport.open(target(), new AbortController().signal)))).toEqual(rowsOf([sampleBatch(0, 10)]));
  });

  it('fails a reader that half-closes while it has no credits left, after what it was granted', async () => {
    const { buffers, server } = await setup();
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, SCHEMA, 1);
    for (let i = 0; i < 3; i++) await w.append(0, sampleBatch(i, 1));
    w.finish();
    const r = await rawExchange(server.address, [request(encodeTicket(KEY), { credits: 1 })]);
    expect(r.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.status.details).toMatch(/no credits left/);
    expect(r.received).toHaveLength(2); // schema + the one granted batch
  });

  it('answers DEADLINE_EXCEEDED when a reader connects but never sends its request', async () => {
    const { server } = await setup({ timeoutMs: 200 });
    const r = await rawExchange(server.address, [], false);
    expect(r.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(r.status.details).toMatch(/no exchange request received within 200 ms/);
  });

  it('times a reader out when the worker goes silent, instead of hanging', async () => {
    const server = new grpc.Server();
    server.addService(EXCHANGE_SERVICE, { DoExchange: () => { /* never answers */ } });
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const transport = new GrpcTransport({ credits: 2, networkTimeoutMs: 200 });
    cleanups.push(() => server.forceShutdown(), () => transport.close());
    const err = await collect(transport.open({ ...KEY, worker: `127.0.0.1:${port}`, compression: 'none' }, new AbortController().signal))
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as SpillwayError).kind).toBe('timeout');
    expect((err as Error).message).toMatch(new RegExp(`query q1 stage 1 task 0 partition 0: no message from worker 127.0.0.1:${port} for 200 ms`));
  });

  it('keeps a stream alive with heartbeats while a slow writer computes', async () => {
    const { buffers, transport, target } = await setup({ timeoutMs: 300, heartbeatMs: 50 });
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, SCHEMA, 1);
    const reading = collect(transport.open(target(), new AbortController().signal));
    await new Promise((r) => setTimeout(r, 700)); // longer than the timeout, with nothing to send
    await w.append(0, sampleBatch(0, 4));
    w.finish();
    expect(rowsOf(await reading)).toEqual(rowsOf([sampleBatch(0, 4)]));
  });

  it('reports an unreachable worker with the partition and address', async () => {
    const transport = new GrpcTransport({ credits: 2, networkTimeoutMs: 2_000 });
    cleanups.push(() => transport.close());
    const err = await collect(transport.open({ ...KEY, worker: '127.0.0.1:1', compression: 'none' }, new AbortController().signal))
      .then(() => null, (e: unknown) => e);
    expect((err as ExchangeError).failure).toBe('unavailable');
    expect((err as Error).message).toMatch(/query q1 stage 1 task 0 partition 0 from worker 127\.0\.0\.1:1/);
  });

  it('sends a batch larger than gRPC\'s default 4 MiB message limit in one message', async () => {
    const { buffers, transport, target, server } = await setup();
    const n = 200_000;
    const ids = new Int32Array(n);
    const prices = new Float64Array(n);
    for (let i = 0; i < n; i++) { ids[i] = i * 7; prices[i] = i / 3; }
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + (i % 23);
    const data = new Uint8Array(offsets[n]!);
    for (let i = 0; i < data.length; i++) data[i] = text.charCodeAt(i % text.length);
    const bigSchema = { fields: [
      { name: 'id', type: 'int32' as const, nullable: false },
      { name: 'price', type: 'float64' as const, nullable: false },
      { name: 's', type: 'utf8' as const, nullable: false },
    ] };
    const big = makeBatch(bigSchema, [fixedColumn('int32', ids), fixedColumn('float64', prices), { type: 'utf8', length: n, validity: null, offsets, data }]);
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, bigSchema, 1);
    await w.append(0, big);
    w.finish();
    const got = await collect(transport.open(target(), new AbortController().signal));
    expect(server.stats.wireBytesSent).toBeGreaterThan(4 * 1024 * 1024);
    expect(got).toHaveLength(1);
    const [c0, c1, c2] = got[0]!.columns;
    expect(c0!.type === 'int32' && Buffer.compare(Buffer.from(c0.values.buffer, c0.values.byteOffset, c0.values.byteLength), Buffer.from(ids.buffer))).toBe(0);
    expect(c1!.type === 'float64' && Buffer.compare(Buffer.from(c1.values.buffer, c1.values.byteOffset, c1.values.byteLength), Buffer.from(prices.buffer))).toBe(0);
    // (the decoded data buffer may carry Arrow's padding after the last value)
    expect(c2!.type === 'utf8' && Buffer.compare(Buffer.from(c2.data.buffer, c2.data.byteOffset, offsets[n]!), Buffer.from(data.buffer))).toBe(0);
    expect(c2!.type === 'utf8' && c2.offsets[n]).toBe(offsets[n]);
  });

  it('serves LZ4-stored output to readers asking for either compression', async () => {
    const { buffers, transport, target } = await setup({ storage: 'lz4' });
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, SCHEMA, 1);
    const written = [sampleBatch(0, 300), sampleBatch(300, 1)];
    for (const b of written) await w.append(0, b);
    w.finish();
    for (const compression of ['lz4', 'none'] as const) {
      expect(rowsOf(await collect(transport.open(target({ compression }), new AbortController().signal)))).toEqual(rowsOf(written));
    }
  });

  it('stops the server side of a stream when the reader aborts', async () => {
    const { buffers, transport, target, server } = await setup();
    const w = buffers.openWriter({ queryId: 'q1', stageId: 1, task: 0 }, SCHEMA, 1);
    for (let i = 0; i < 5; i++) await w.append(0, sampleBatch(i, 2));
    const ac = new AbortController();
    const it = transport.open(target({ credits: 1 }), ac.signal)[Symbol.asyncIterator]();
    await it.next();
    expect(server.stats.activeStreams).toBe(1);
    ac.abort();
    await expect(it.next()).rejects.toThrow(/cancelled/);
    while (server.stats.activeStreams > 0) await new Promise((r) => setTimeout(r, 5));
    expect(server.stats.failedStreams).toBe(0);
  });
});
