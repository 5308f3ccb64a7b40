/**
 * What each transport counts per stream, for the query figures: the reader's wire bytes
 * equal what the serving side counted (gRPC server, MessagePort server, through the
 * buffer's `served` counters), the writer's credit wait reaches the reader at end of
 * stream, and a reader that is slower than its writer makes the writer wait.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import { startExchangeServer, type ExchangeServer } from '../../src/exchange/grpc_server.js';
import { GrpcTransport } from '../../src/exchange/grpc_transport.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import { PortTransport, servePortExchange } from '../../src/exchange/port_transport.js';
import type { ExchangeStream, ExchangeTarget, ExchangeTransport } from '../../src/exchange/transport.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { sampleBatch, SCHEMA } from './helpers.js';

const BATCHES = 6;
const never = new AbortController().signal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A finished writer with BATCHES batches in partition 0. */
async function filledBuffer(storage: 'none' | 'batches'): Promise<ExchangeBuffer> {
  const buffer = new ExchangeBuffer({ pool: new UnboundedPool(), storage });
  const w = buffer.openWriter({ queryId: 'q', stageId: 1, task: 0 }, SCHEMA, 1);
  for (let i = 0; i < BATCHES; i++) await w.append(0, sampleBatch(i * 50, 50));
  w.finish();
  return buffer;
}

const target = (worker: string | null, compression: 'none' | 'lz4' = 'none'): ExchangeTarget => ({
  queryId: 'q', stageId: 1, task: 0, partition: 0, worker, compression, credits: 1,
});

/** Read the stream, pausing `pauseMs` after each batch (a consumer slower than the writer). */
async function readSlowly(stream: ExchangeStream, pauseMs: number): Promise<number> {
  let n = 0;
  for await (const b of stream) {
    n += b.length;
    await sleep(pauseMs);
  }
  return n;
}

describe('stream figures', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of closers.splice(0)) await c(); });

  for (const compression of ['none', 'lz4'] as const) {
    it(`gRPC (${compression}): the reader's wire bytes are the server's, and the writer's credit wait reaches the reader`, async () => {
      const buffer = await filledBuffer('none');
      const server: ExchangeServer = await startExchangeServer({ buffers: buffer, networkTimeoutMs: 5000 });
      const transport: ExchangeTransport = new GrpcTransport({ credits: 1, networkTimeoutMs: 5000 });
      closers.push(() => transport.close(), () => server.close());
      const stream = transport.open(target(server.address, compression), never);
      expect(await readSlowly(stream, 15)).toBe(BATCHES * 50);
      expect(stream.counters.batches).toBe(BATCHES);
      expect(stream.counters.wireBytes).toBeGreaterThan(0);
      // Every message, schema and end of stream included: the server's and the buffer's count.
      expect(stream.counters.wireBytes).toBe(server.stats.wireBytesSent);
      expect(buffer.served.wireBytes).toBe(server.stats.wireBytesSent);
      expect(buffer.served.streams).toBe(1);
      // One credit and a slow consumer: the writer waited for every batch after the first.
      expect(stream.counters.writerCreditWaitMs).toBeGreaterThan(0);
    });
  }

  it('MessagePorts: the reader counts the schema and batch payloads the writer counted', async () => {
    const buffer = await filledBuffer('none');
    const ch = new MessageChannel();
    const server = servePortExchange(ch.port2, buffer, { networkTimeoutMs: 5000 });
    const transport = new PortTransport(new Map([['w', ch.port1]]), { credits: 1, networkTimeoutMs: 5000 });
    closers.push(() => { server.close(); ch.port1.close(); ch.port2.close(); });
    const stream = transport.open(target('w'), never);
    expect(await readSlowly(stream, 15)).toBe(BATCHES * 50);
    expect(stream.counters.wireBytes).toBeGreaterThan(0);
    expect(stream.counters.wireBytes).toBe(buffer.served.wireBytes);
    expect(buffer.served.streams).toBe(1);
    expect(stream.counters.writerCreditWaitMs).toBeGreaterThan(0);
  });

  it('in one process: nothing on the wire, the credit wait still counted, and a fast reader makes no writer wait', async () => {
    const buffer = await filledBuffer('batches');
    const transport = new InProcessTransport({ buffers: buffer, credits: 1, networkTimeoutMs: 5000 });
    const slow = transport.open(target(null), never);
    expect(await readSlowly(slow, 15)).toBe(BATCHES * 50);
    expect(slow.counters.wireBytes).toBe(0);
    expect(slow.counters.rawBytes).toBeGreaterThan(0);
    expect(slow.counters.writerCreditWaitMs).toBeGreaterThan(0);
    expect(buffer.served.wireBytes).toBe(0);

    const fast = transport.open({ ...target(null), credits: BATCHES + 1 }, never);
    expect(await readSlowly(fast, 0)).toBe(BATCHES * 50);
    expect(fast.counters.writerCreditWaitMs).toBe(0);
    expect(fast.counters.rawBytes).toBe(slow.counters.rawBytes);
  });
});
