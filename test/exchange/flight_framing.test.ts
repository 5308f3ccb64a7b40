/**
 * The batch framing of DoExchange (exchange/flight_messages.ts): stored batches are sent
 * in place (no copy on the writer), and their body arrives 8-aligned so the reader's
 * columns are views into the received message (no copy on the reader).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import type { Batch, FixedColumn } from '../../src/columnar/column.js';
import { encodeBatchMessage } from '../../src/columnar/ipc.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';
import { ipcBatchCodec, type BatchCodec, type ExchangeCompression } from '../../src/exchange/batch_codec.js';
import { ExchangeBuffer } from '../../src/exchange/exchange_buffer.js';
import { batchFlightData, decodeFlightData, FLIGHT_BATCH_ROOM, withFlightRoom } from '../../src/exchange/flight_messages.js';
import { startExchangeServer, type ExchangeServer } from '../../src/exchange/grpc_server.js';
import { GrpcTransport } from '../../src/exchange/grpc_transport.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { collect } from './helpers.js';

const ALL_TYPES: Schema = schema([
  field('n', 'null'), field('b', 'bool'), field('i', 'int32'), field('l', 'int64'), field('f', 'float64'),
  field('s', 'utf8'), field('d', 'date32'), field('t', 'timestamp'),
]);

function allTypesRows(n: number, seed = 0): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let k = 0; k < n; k++) {
    const i = k + seed;
    rows.push([
      null,
      i % 5 === 0 ? null : i % 2 === 0,
      i % 7 === 0 ? null : i * 31 - 1000,
      i % 3 === 0 ? null : BigInt(i) * 1_000_000_007n - 5n,
      i % 4 === 0 ? null : i / 8 - 3.25,
      i % 6 === 0 ? null : i % 11 === 0 ? '' : `str-${i}-é✓`.repeat((i % 3) + 1),
      i % 9 === 0 ? null : 19000 + i,
      i % 10 === 0 ? null : BigInt(i) * 86_400_000_000n + 123n,
    ]);
  }
  return rows;
}

const allTypesBatch = (n: number, seed = 0): Batch => batchFromRows(ALL_TYPES, allTypesRows(n, seed));

/**
 * What grpc-js does with one message on the way: frame it behind a 5-byte prefix on the
 * sender, and hand the reader the bytes after the prefix in a new buffer starting at
 * `base` (grpc-js allocates it 8-aligned: base 0).
 */
function overTheWire(message: Uint8Array, base = 0): Buffer {
  const framed = Buffer.alloc(base + 5 + message.byteLength);
  framed.set(message, base + 5);
  return framed.subarray(base + 5);
}

describe('batch FlightData framing', () => {
  for (const compression of ['none', 'lz4'] as ExchangeCompression[]) {
    it(`round-trips every type, with NULLs and empty batches, body arriving 8-aligned (${compression})`, () => {
      for (const rows of [0, 1, 7, 300]) {
        const batch = allTypesBatch(rows, rows);
        const m = ipcBatchCodec.encodeBatch(batch, compression);
        const meta = new TextEncoder().encode(`{"raw":${rows * 41}}`);
        const bytes = batchFlightData(m.header, m.body, meta);
        const received = decodeFlightData(overTheWire(bytes));
        expect(received.dataBody.byteOffset % 8, `${rows} rows`).toBe(0);
        expect(new TextDecoder().decode(received.appMetadata)).toBe(`{"raw":${rows * 41}}`);
        const back = ipcBatchCodec.decodeBatch(ALL_TYPES, received.dataHeader, received.dataBody);
        expect(back.length).toBe(rows);
        expect(batchRows(back)).toEqual(allTypesRows(rows, rows));
      }
    });
  }

  it('sends a stored batch in place: the FlightData bytes are a view of the stored message', () => {
    const m = ipcBatchCodec.encodeBatch(allTypesBatch(50), 'none');
    const bytes = batchFlightData(m.header, m.body, new TextEncoder().encode('{"raw":1}'));
    expect(bytes.buffer).toBe(m.body.buffer);
    expect(bytes.byteOffset + bytes.byteLength).toBe(m.body.byteOffset + m.body.byteLength);
    // Sending it twice writes the same bytes, and the stored message still decodes.
    const again = batchFlightData(m.header, m.body, new TextEncoder().encode('{"raw":1}'));
    expect(Buffer.compare(again, Buffer.from(bytes))).toBe(0);
    expect(batchRows(ipcBatchCodec.decodeBatch(ALL_TYPES, m.header, m.body))).toEqual(allTypesRows(50));
  });

  it('stores the body 8-aligned, so local reads of a stored batch copy nothing either', () => {
    for (const rows of [0, 3, 1000]) {
      const m = ipcBatchCodec.encodeBatch(allTypesBatch(rows), 'none');
      expect(m.body.byteOffset % 8).toBe(0);
      expect(m.header.buffer).toBe(m.body.buffer);
    }
  });

  it('copies a message encoded without room (or not marked) into a new buffer, with the same bytes', () => {
    const plain = encodeBatchMessage(allTypesBatch(20), 'none');
    const copied = batchFlightData(plain.header, plain.body, new Uint8Array(0));
    expect(copied.buffer).not.toBe(plain.body.buffer);
    const unmarked = encodeBatchMessage(allTypesBatch(20), 'none', FLIGHT_BATCH_ROOM);
    const copiedToo = batchFlightData(unmarked.header, unmarked.body, new Uint8Array(0));
    expect(copiedToo.buffer).not.toBe(unmarked.body.buffer);
    expect(Buffer.compare(copied, copiedToo)).toBe(0);
    const marked = withFlightRoom(encodeBatchMessage(allTypesBatch(20), 'none', FLIGHT_BATCH_ROOM));
    expect(Buffer.compare(Buffer.from(batchFlightData(marked.header, marked.body, new Uint8Array(0))), copied)).toBe(0);
    const received = decodeFlightData(overTheWire(copied));
    expect(received.appMetadata.byteLength).toBe(0);
    expect(batchRows(ipcBatchCodec.decodeBatch(ALL_TYPES, received.dataHeader, received.dataBody))).toEqual(allTypesRows(20));
  });

  it('pads to offset 3 (mod 8) for every length of header, body and metadata, varint sizes included', () => {
    const bigBody = new Uint8Array(2_097_152).fill(9);
    for (const headerLength of [0, 8, 120, 128, 136]) {
      for (const bodyLength of [0, 1, 127, 128, 16_383, 16_384, 2_097_152]) {
        for (let metaLength = 0; metaLength < 10; metaLength++) {
          if (bodyLength > 16_384 && headerLength !== 128) continue;
          const header = new Uint8Array(headerLength).fill(7);
          const body = bigBody.subarray(0, bodyLength);
          const meta = new Uint8Array(metaLength).fill(65);
          const bytes = batchFlightData(header, body, meta);
          const at = bytes.byteLength - bodyLength;
          expect(at % 8, `header ${headerLength}, body ${bodyLength}, metadata ${metaLength}`).toBe(3);
          const back = decodeFlightData(bytes);
          expect(back.dataHeader.byteLength).toBe(headerLength);
          expect(back.dataBody.byteLength).toBe(bodyLength);
          expect(back.appMetadata.byteLength).toBe(metaLength);
        }
      }
    }
  });

  it('decodes a body that arrives unaligned (a foreign sender) by copying only the unaligned buffers', () => {
    const batch = allTypesBatch(100);
    const plain = encodeBatchMessage(batch, 'none');
    for (const shift of [1, 3, 4, 6]) {
      const holder = new Uint8Array(plain.body.byteLength + shift);
      holder.set(plain.body, shift);
      const body = holder.subarray(shift);
      expect(batchRows(ipcBatchCodec.decodeBatch(ALL_TYPES, plain.header, body))).toEqual(allTypesRows(100));
    }
  });

  it('reads fixed-width columns as views into the received message', () => {
    const s = schema([field('i', 'int32'), field('f', 'float64'), field('l', 'int64'), field('s', 'utf8')]);
    const batch = batchFromRows(s, [[1, 1.5, 2n, 'a'], [3, 4.5, 6n, 'bc']]);
    const m = ipcBatchCodec.encodeBatch(batch, 'none');
    const wire = overTheWire(batchFlightData(m.header, m.body, new Uint8Array(0)));
    const received = decodeFlightData(wire);
    const back = ipcBatchCodec.decodeBatch(s, received.dataHeader, received.dataBody);
    for (const c of back.columns) {
      const bytes = c.type === 'utf8' ? c.offsets : c.type === 'null' ? null : (c as FixedColumn).values;
      expect(bytes?.buffer).toBe(wire.buffer);
    }
    expect(batchRows(back)).toEqual([[1, 1.5, 2n, 'a'], [3, 4.5, 6n, 'bc']]);
  });
});

describe('batch framing over gRPC', () => {
  let server: ExchangeServer | null = null;
  let transport: GrpcTransport | null = null;
  afterEach(async () => {
    await transport?.close();
    await server?.close();
    server = null;
    transport = null;
  });

  /** ipcBatchCodec, noting where each body arrives. */
  function recordingCodec(offsets: number[]): BatchCodec {
    return { ...ipcBatchCodec, decodeBatch: (s, h, body) => { offsets.push(body.byteOffset % 8); return ipcBatchCodec.decodeBatch(s, h, body); } };
  }

  for (const storage of ['none', 'lz4', 'batches'] as const) {
    it(`moves every type, empty and multi-frame batches, bodies arriving 8-aligned (stored ${storage})`, async () => {
      const buffers = new ExchangeBuffer({ pool: new UnboundedPool(), storage });
      const key = { queryId: 'q', stageId: 1, task: 0 };
      const w = buffers.openWriter(key, ALL_TYPES, 1);
      // 0 rows (never appended), small, and one batch spread over many HTTP/2 frames.
      const sizes = [0, 1, 5, 12_000, 3];
      for (const [k, n] of sizes.entries()) await w.append(0, allTypesBatch(n, k * 1000));
      w.finish();
      server = await startExchangeServer({ port: 0, buffers, networkTimeoutMs: 5_000 });
      const offsets: number[] = [];
      transport = new GrpcTransport({ credits: 2, networkTimeoutMs: 5_000, codec: recordingCodec(offsets) });
      for (const compression of ['none', 'lz4'] as const) {
        offsets.length = 0;
        const stream = transport.open({ ...key, partition: 0, worker: server.address, compression }, new AbortController().signal);
        const got = await collect(stream);
        expect(got.flatMap((b) => batchRows(b))).toEqual(sizes.flatMap((n, k) => allTypesRows(n, k * 1000)));
        expect(offsets).toEqual(sizes.filter((n) => n > 0).map(() => 0));
      }
    });
  }
});
