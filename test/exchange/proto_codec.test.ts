import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { batchFlightData, decodeFlightData, DescriptorType, encodeFlightData, flightData, type FlightData } from '../../src/exchange/flight_messages.js';
import { decodeMessage, encodeMessage, ProtoDecodeError } from '../../src/common/protobuf.js';
import { HEARTBEAT_REQUEST, RUN_TASK_REQUEST, RUN_TASK_RESPONSE, TaskState, WORKER_STATUS, type RunTaskResponse, type WorkerStatus } from '../../src/protocol/worker_messages.js';

const PROTO_PATH = fileURLToPath(new URL('../../proto/spillway.proto', import.meta.url));

interface PbType {
  fromObject(o: Record<string, unknown>): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  toObject(m: unknown, o: Record<string, unknown>): Record<string, unknown>;
}
interface PbRoot { lookupType(name: string): PbType }
interface Pb { loadSync(path: string): PbRoot }

// protobufjs is a transitive dependency (of @grpc/grpc-js); only its parser is used here.
const protobuf: Pb | null = await import('protobufjs')
  .then((m: { default?: unknown }) => (m.default ?? m) as Pb)
  .catch(() => null);

const bytes = (...b: number[]) => new Uint8Array(b);

function sampleFlightData(): FlightData {
  const body = new Uint8Array(70_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  return {
    flightDescriptor: { type: DescriptorType.CMD, cmd: new TextEncoder().encode('{"query":"q1"}'), path: ['a', 'ü', ''] },
    dataHeader: bytes(1, 2, 3, 0, 255),
    appMetadata: new TextEncoder().encode('{"credits":4}'),
    dataBody: body,
  };
}

describe('proto codec', () => {
  it('round-trips FlightData, including a body longer than one varint byte of length', () => {
    const m = sampleFlightData();
    const buf = encodeFlightData(m);
    const back = decodeFlightData(buf);
    expect(back.flightDescriptor).toEqual({ type: 2, cmd: m.flightDescriptor!.cmd, path: ['a', 'ü', ''] });
    expect([...back.dataHeader]).toEqual([...m.dataHeader]);
    expect(new TextDecoder().decode(back.appMetadata)).toBe('{"credits":4}');
    expect(Buffer.compare(Buffer.from(back.dataBody), Buffer.from(m.dataBody))).toBe(0);
    // data_body is a view into the received buffer, not a copy
    expect(back.dataBody.buffer).toBe(buf.buffer);
  });

  it('omits defaults and decodes an empty message to defaults', () => {
    expect(encodeFlightData(flightData({})).byteLength).toBe(0);
    const d = decodeFlightData(new Uint8Array(0));
    expect(d.flightDescriptor).toBeNull();
    expect(d.dataBody.byteLength).toBe(0);
  });

  it('writes field 1000 with the two-byte tag Flight uses (0xC2 0x3E)', () => {
    const buf = encodeFlightData(flightData({ dataBody: bytes(9) }));
    expect([...buf]).toEqual([0xc2, 0x3e, 1, 9]);
  });

  it('round-trips the worker messages, with packed repeated uint64 and large numbers', () => {
    const r: RunTaskResponse = {
      queryId: 'q-7', stageId: 3, partition: 12, attempt: 2, state: TaskState.FAILED,
      error: 'boom: résumé', errorKind: 'execution', metrics: bytes(1, 2), partitionRows: [0, 1, 300, 2 ** 40],
    };
    expect(decodeMessage(RUN_TASK_RESPONSE, encodeMessage(RUN_TASK_RESPONSE, r))).toEqual(r);
    const s: WorkerStatus = {
      workerId: 'w1', address: '127.0.0.1:5000', runningTasks: 4, memoryUsed: 2 ** 33 + 5,
      memoryLimit: 0, exchangeBufferedBytes: 123, uptimeMs: Number.MAX_SAFE_INTEGER, sentAtMs: 1_700_000_000_000, exchangeWireBytesSent: 2 ** 40,
    };
    expect(decodeMessage(WORKER_STATUS, encodeMessage(WORKER_STATUS, s))).toEqual(s);
  });

  it('skips unknown fields and rejects malformed input', () => {
    // unknown field 15 (varint) and 16 (length-delimited) before data_header
    const withUnknown = bytes(15 << 3, 0x96, 0x01, 0x82, 0x01, 2, 7, 7, (2 << 3) | 2, 1, 42);
    expect([...decodeFlightData(withUnknown).dataHeader]).toEqual([42]);
    expect(() => decodeFlightData(bytes((2 << 3) | 2, 10, 1))).toThrow(ProtoDecodeError); // length past end
    expect(() => decodeFlightData(bytes((2 << 3) | 0, 1))).toThrow(/wire type 0, expected 2/);
    expect(() => decodeFlightData(bytes(0x80))).toThrow(/truncated varint/);
    expect(() => decodeFlightData(bytes(0x0b))).toThrow(/wire type 3/); // group start
    expect(() => decodeMessage(HEARTBEAT_REQUEST, bytes((1 << 3) | 2, 1, 0xff))).toThrow(/invalid UTF-8/);
  });

  it('refuses to encode numbers out of range', () => {
    expect(() => encodeMessage(RUN_TASK_REQUEST, {
      queryId: 'q', stageId: -1, partition: 0, attempt: 0, plan: bytes(), config: bytes(), inputLocations: bytes(),
    })).toThrow(/stageId/);
  });
});

describe.skipIf(protobuf === null)('wire compatibility with protobufjs reading proto/spillway.proto', () => {
  const root = protobuf!.loadSync(PROTO_PATH);

  it('decodes FlightData that protobufjs encoded, and protobufjs decodes ours', () => {
    const T = root.lookupType('spillway.FlightData');
    const m = sampleFlightData();
    const theirs = T.encode(T.fromObject({ ...m, flightDescriptor: { ...m.flightDescriptor } })).finish();
    const mine = encodeFlightData(m);
    expect(Buffer.compare(Buffer.from(theirs), mine)).toBe(0);
    const back = decodeFlightData(theirs);
    expect(back.flightDescriptor?.path).toEqual(['a', 'ü', '']);
    expect(Buffer.compare(Buffer.from(back.dataBody), Buffer.from(m.dataBody))).toBe(0);
    const o = T.toObject(T.decode(mine), { bytes: Array, enums: Number });
    expect((o.flightDescriptor as Record<string, unknown>).type).toBe(DescriptorType.CMD);
    expect(o.dataHeader).toEqual([...m.dataHeader]);
  });

  it('reads a batch message written in place with its alignment padding as the same FlightData', () => {
    const T = root.lookupType('spillway.FlightData');
    for (const bodyLength of [0, 5, 200, 70_000]) {
      const body = new Uint8Array(bodyLength).map((_, i) => i & 0xff);
      const header = bytes(1, 2, 3, 4, 5, 6, 7, 8);
      const mine = batchFlightData(header, body, new TextEncoder().encode('{"raw":12}'));
      const o = T.toObject(T.decode(mine), { bytes: Array, defaults: false });
      expect(o.dataHeader).toEqual([...header]);
      expect(new TextDecoder().decode(new Uint8Array(o.appMetadata as number[]))).toBe('{"raw":12}');
      expect(Buffer.compare(Buffer.from(o.dataBody as number[] ?? []), Buffer.from(body))).toBe(0);
      expect(((o.padding as number[] | undefined) ?? []).every((b) => b === 0)).toBe(true);
    }
  });

  it('agrees on RunTaskResponse and WorkerStatus (enums, packed repeated uint64, uint64)', () => {
    const R = root.lookupType('spillway.RunTaskResponse');
    const r: RunTaskResponse = {
      queryId: 'q', stageId: 1, partition: 2, attempt: 0, state: TaskState.SUCCEEDED,
      error: '', errorKind: '', metrics: bytes(5), partitionRows: [7, 0, 2 ** 35],
    };
    const theirs = R.encode(R.fromObject({ ...r })).finish();
    expect(decodeMessage(RUN_TASK_RESPONSE, theirs)).toEqual(r);
    expect(R.toObject(R.decode(encodeMessage(RUN_TASK_RESPONSE, r)), { longs: Number, bytes: Array, enums: Number }).partitionRows).toEqual([7, 0, 2 ** 35]);

    const W = root.lookupType('spillway.WorkerStatus');
    const s: WorkerStatus = {
      workerId: 'w', address: 'h:1', runningTasks: 1, memoryUsed: 2 ** 45, memoryLimit: 1,
      exchangeBufferedBytes: 0, uptimeMs: 99, sentAtMs: 5, exchangeWireBytesSent: 77,
    };
    expect(decodeMessage(WORKER_STATUS, W.encode(W.fromObject({ ...s })).finish())).toEqual(s);
  });
});
