import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchFromRows, batchRows, sliceBatch } from '../../src/columnar/kernels.js';
import { emptyBatch, makeBatch, type Batch } from '../../src/columnar/column.js';
import {
  alignBody, decodeBatchMessage, decodeBatchesIpc, decodeSchemaMessage, encodeBatchMessage, encodeBatchesIpc,
  encodeFixedWidthBatchMessage, encodeSchemaMessage, frameMessage, inspectMessage, newIpcByteCounts, type IpcCompression,
} from '../../src/columnar/ipc.js';
import { lz4CompressFrame, lz4DecompressFrame } from '../../src/columnar/lz4.js';
import { SpillwayError } from '../../src/common/errors.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';

const ALL_TYPES: Schema = schema([
  field('n', 'null'), field('b', 'bool'), field('i', 'int32'), field('l', 'int64'), field('f', 'float64'),
  field('s', 'utf8'), field('d', 'date32'), field('t', 'timestamp'),
]);

function allTypesRows(n: number, seed = 0): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let k = 0; k < n; k++) {
    const i = k + seed;
    const isNull = (m: number) => i % m === 0;
    rows.push([
      null,
      isNull(5) ? null : i % 2 === 0,
      isNull(7) ? null : i * 31 - 1000,
      isNull(3) ? null : BigInt(i) * 1_000_000_007n - 5n,
      isNull(4) ? null : i / 8 - 3.25,
      isNull(6) ? null : i % 11 === 0 ? '' : `str-${i}-é✓`.repeat((i % 3) + 1),
      isNull(9) ? null : 19000 + i,
      isNull(10) ? null : BigInt(i) * 86_400_000_000n + 123n,
    ]);
  }
  return rows;
}

const allTypesBatch = (n: number, seed = 0): Batch => batchFromRows(ALL_TYPES, allTypesRows(n, seed));

const MODES: IpcCompression[] = ['none', 'lz4'];

describe('LZ4 frame codec', () => {
  it('round-trips and writes standard LZ4 frame magic', () => {
    const data = new Uint8Array(10_000).map((_, i) => i % 13);
    const frame = lz4CompressFrame(data);
    expect([...frame.subarray(0, 4)]).toEqual([0x04, 0x22, 0x4d, 0x18]);
    expect(frame.byteLength).toBeLessThan(data.byteLength);
    expect(lz4DecompressFrame(frame)).toEqual(Buffer.from(data));
  });

  it('compresses a view at an offset without touching bytes outside it', () => {
    const backing = new Uint8Array(100).map((_, i) => i);
    const view = backing.subarray(3, 50);
    expect([...lz4DecompressFrame(lz4CompressFrame(view))]).toEqual([...view]);
  });
});

describe('IPC batch messages', () => {
  for (const mode of MODES) {
    it(`round-trips every type with NULLs (${mode})`, () => {
      const batch = allTypesBatch(200);
      const m = encodeBatchMessage(batch, mode);
      expect(m.rows).toBe(200);
      expect(m.body.byteLength % 8).toBe(0);
      expect(m.header.byteLength % 8).toBe(0);
      expect(inspectMessage(m.header)).toEqual({ kind: 'batch', bodyLength: m.body.byteLength });
      const back = decodeBatchMessage(ALL_TYPES, m.header, m.body);
      expect(back.length).toBe(200);
      expect(back.schema).toBe(ALL_TYPES);
      expect(batchRows(back)).toEqual(allTypesRows(200));
    });

    it(`round-trips a zero-row batch (${mode})`, () => {
      const m = encodeBatchMessage(emptyBatch(ALL_TYPES), mode);
      const back = decodeBatchMessage(ALL_TYPES, m.header, m.body);
      expect(back.length).toBe(0);
      expect(back.columns.map((c) => c.type)).toEqual(ALL_TYPES.fields.map((f) => f.type));
    });

    it(`round-trips a one-row all-NULL batch and a sliced batch (${mode})`, () => {
      const oneNull = batchFromRows(ALL_TYPES, [ALL_TYPES.fields.map(() => null)]);
      const m1 = encodeBatchMessage(oneNull, mode);
      expect(batchRows(decodeBatchMessage(ALL_TYPES, m1.header, m1.body))).toEqual([ALL_TYPES.fields.map(() => null)]);
      // A slice is a view at an offset into bigger buffers (utf8 data starts mid-buffer).
      const sliced = sliceBatch(allTypesBatch(100), 37, 61);
      const m2 = encodeBatchMessage(sliced, mode);
      expect(batchRows(decodeBatchMessage(ALL_TYPES, m2.header, m2.body))).toEqual(allTypesRows(100).slice(37, 61));
    });
  }

  it('reports bytes before and after LZ4 compression', () => {
    // Repetitive data compresses well: the body must shrink and the raw size must match
    // the uncompressed encoding's body exactly.
    const s = schema([field('x', 'int32', false), field('s', 'utf8', false)]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 5000; i++) rows.push([i % 10, 'abcabcabc']);
    const b = batchFromRows(s, rows);
    const raw = encodeBatchMessage(b, 'none');
    const lz = encodeBatchMessage(b, 'lz4');
    expect(raw.uncompressedBytes).toBe(raw.body.byteLength);
    expect(lz.uncompressedBytes).toBe(raw.body.byteLength);
    expect(lz.body.byteLength).toBeLessThan(raw.body.byteLength / 4);
  });

  it('prefixes every LZ4 buffer with its uncompressed length, as the IPC format requires', () => {
    const m = encodeBatchMessage(allTypesBatch(3000), 'lz4');
    const msg = arrow.Message.decode(m.header);
    if (!msg.isRecordBatch()) throw new Error('not a record batch');
    const h = msg.header();
    expect(h.compression?.type).toBe(arrow.CompressionType.LZ4_FRAME);
    const view = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
    let compressed = 0;
    for (const r of h.buffers) {
      if (r.length === 0) continue;
      expect(r.offset % 8).toBe(0);
      const prefix = view.getBigInt64(r.offset, true);
      const payload = m.body.subarray(r.offset + 8, r.offset + r.length);
      if (prefix === -1n) continue;
      compressed++;
      expect([...payload.subarray(0, 4)]).toEqual([0x04, 0x22, 0x4d, 0x18]);
      expect(Number(prefix)).toBe(lz4DecompressFrame(payload).byteLength);
    }
    expect(compressed).toBeGreaterThan(3);
  });

  it('stores incompressible buffers raw inside an LZ4 message and still decodes them', () => {
    const s = schema([field('f', 'float64', false)]);
    const rows: Scalar[][] = [];
    let x = 12345;
    for (let i = 0; i < 2000; i++) { x = (x * 1103515245 + 12345) % 2147483648; rows.push([x / 7919.123]); }
    const m = encodeBatchMessage(batchFromRows(s, rows), 'lz4');
    expect(m.uncompressedBytes).toBe(16000);
    expect(batchRows(decodeBatchMessage(s, m.header, m.body))).toEqual(rows);
  });

  describe('columns that share memory', () => {
    // No NULLs: no validity bitmap separates one column's buffers from the next in the body.
    const DENSE: Schema = schema([
      field('i', 'int32', false), field('l', 'int64', false), field('f', 'float64', false),
      field('s', 'utf8', false), field('d', 'date32', false), field('t', 'timestamp', false),
    ]);
    const denseRows = (n: number, from = 0): Scalar[][] => Array.from({ length: n }, (_x, j) => {
      const k = j + from;
      return [k * 3 - 7, BigInt(k) * 1_000_003n, k / 4, `s${k}`, 19000 + k, BigInt(k) * 1_000_000n];
    });
    /** Each column twice in a row, as `select a as x, a as y` produces. */
    const twice = (b: Batch): Batch => makeBatch(
      schema(b.schema.fields.flatMap((f) => [f, { ...f, name: `${f.name}2` }])),
      b.columns.flatMap((c) => [c, c]),
      b.length,
    );
    const rowsTwice = (rows: Scalar[][]): Scalar[][] => rows.map((r) => r.flatMap((v) => [v, v]));
    const roundTrip = (b: Batch, mode: IpcCompression): Scalar[][] => {
      const m = encodeBatchMessage(b, mode);
      return batchRows(decodeBatchMessage(b.schema, m.header, m.body));
    };

    for (const mode of MODES) {
      it(`round-trips one column under two names (${mode})`, () => {
        for (const n of [1, 2, 3, 4, 8, 50]) {
          expect(roundTrip(twice(batchFromRows(DENSE, denseRows(n))), mode), `${n} rows`).toEqual(rowsTwice(denseRows(n)));
        }
        // Views into larger arrays, as a small batch sliced from a decoded row group is.
        expect(roundTrip(twice(sliceBatch(batchFromRows(DENSE, denseRows(50)), 10, 12)), mode)).toEqual(rowsTwice(denseRows(2, 10)));
        // With NULLs in some columns of the slice and not in others.
        expect(roundTrip(twice(sliceBatch(allTypesBatch(100), 37, 39)), mode)).toEqual(rowsTwice(allTypesRows(100).slice(37, 39)));
      });

      it(`round-trips overlapping views and repeated columns of a decoded batch (${mode})`, () => {
        const ints = Int32Array.from({ length: 8 }, (_x, k) => k * 10);
        const s3 = schema([field('a', 'int32', false), field('b', 'int32', false), field('c', 'int32', false)]);
        const overlapping = makeBatch(s3, [
          { type: 'int32', length: 4, validity: null, values: ints.subarray(0, 4) },
          { type: 'int32', length: 4, validity: null, values: ints.subarray(2, 6) },
          { type: 'int32', length: 4, validity: null, values: ints.subarray(4, 8) },
        ], 4);
        expect(roundTrip(overlapping, mode)).toEqual([[0, 20, 40], [10, 30, 50], [20, 40, 60], [30, 50, 70]]);
        // A decoded batch's columns are views into one body; re-encode them repeated and reordered.
        const m = encodeBatchMessage(batchFromRows(DENSE, denseRows(4)), 'none');
        const decoded = decodeBatchMessage(DENSE, m.header, m.body);
        const pick = [0, 1, 0, 3, 3, 2, 1];
        const mixed = makeBatch(
          schema(pick.map((p, j) => ({ ...DENSE.fields[p]!, name: `c${j}` }))),
          pick.map((p) => decoded.columns[p]!),
          decoded.length,
        );
        expect(roundTrip(mixed, mode)).toEqual(denseRows(4).map((r) => pick.map((p) => r[p]!)));
      });
    }
  });

  for (const mode of MODES) {
    it(`decodes a body that arrives at a misaligned offset (${mode})`, () => {
      const batch = allTypesBatch(300, 7);
      const m = encodeBatchMessage(batch, mode);
      // Like a gRPC payload: the body sits at byte offset 3 of a larger buffer.
      const wire = new Uint8Array(m.body.byteLength + 3);
      wire.set(m.body, 3);
      const body = wire.subarray(3);
      expect(body.byteOffset % 8).toBe(3);
      const back = decodeBatchMessage(ALL_TYPES, m.header.slice(), body);
      expect(batchRows(back)).toEqual(allTypesRows(300, 7));
      for (const c of back.columns) {
        if (c.type === 'int32' || c.type === 'float64' || c.type === 'int64') expect(c.values.byteOffset % c.values.BYTES_PER_ELEMENT).toBe(0);
      }
    });
  }

  it('decodes fixed-width columns as views into an aligned body (no copy)', () => {
    const s = schema([field('i', 'int32', false), field('f', 'float64', false)]);
    const m = encodeBatchMessage(batchFromRows(s, [[1, 1.5], [2, 2.5], [3, 3.5]]), 'none');
    const body = alignBody(m.body.slice());
    const back = decodeBatchMessage(s, m.header, body);
    const c0 = back.columns[0]!;
    expect(c0.type === 'int32' && c0.values.buffer === body.buffer).toBe(true);
  });

  describe('fixed-width batches encoded directly', () => {
    const FIXED = schema([field('i', 'int32'), field('l', 'int64'), field('f', 'float64'), field('d', 'date32'), field('t', 'timestamp')]);
    const rowsOf = (n: number, seed: number): Scalar[][] => allTypesRows(n, seed).map((r) => [r[2]!, r[3]!, r[4]!, r[6]!, r[7]!]);

    it('decode as the stream writer\'s message does, with and without NULLs, zero rows, and a sliced batch', () => {
      const cases = [
        batchFromRows(FIXED, rowsOf(1000, 1)),
        batchFromRows(FIXED, rowsOf(1000, 1).filter((r) => r.every((v) => v !== null))),
        emptyBatch(FIXED),
        sliceBatch(batchFromRows(FIXED, rowsOf(300, 7)), 13, 200),
      ];
      for (const b of cases) {
        const direct = encodeFixedWidthBatchMessage(b)!;
        expect(direct).not.toBeNull();
        const general = encodeBatchMessage(b);
        expect(direct.body.byteLength).toBe(general.body.byteLength);
        expect(direct.header.byteLength % 8).toBe(0);
        expect(batchRows(decodeBatchMessage(FIXED, direct.header, direct.body))).toEqual(batchRows(b));
        // Arrow's own reader agrees.
        const table = arrow.tableFromIPC([...frameMessage(encodeSchemaMessage(FIXED)), ...frameMessage(direct.header, direct.body), new Uint8Array(8).fill(0xff, 0, 4)]);
        expect(table.numRows).toBe(b.length);
        const want = batchRows(b);
        for (const [j, name] of ['i', 'l', 'f'].entries()) { // (Arrow JS reads timestamps as milliseconds)
          const col = table.getChild(name)!;
          for (let k = 0; k < b.length; k++) expect(col.get(k)).toEqual(want[k]![j]);
        }
      }
    });

    it('zero every padding byte (the buffer is not zero-filled first)', () => {
      const b = batchFromRows(FIXED, rowsOf(13, 3)); // 13 int32 values: 52 bytes padded to 56
      for (let k = 0; k < 20; k++) {
        const m = encodeFixedWidthBatchMessage(b)!;
        const general = encodeBatchMessage(b);
        expect(Buffer.from(m.body).equals(Buffer.from(general.body))).toBe(true); // the writer zero-pads too
        const meta = arrow.Message.decode(m.header);
        expect(meta.bodyLength).toBe(m.body.byteLength);
        let end = m.header.byteLength;
        while (end > 0 && m.header[end - 1] === 0) end--;
        expect(m.header.byteLength - end).toBeLessThan(8 + 8); // only padding (and flatbuffer zeros) at the end
      }
    });

    it('leave other column types, and a column not of its field\'s type, to the general path', () => {
      expect(encodeFixedWidthBatchMessage(batchFromRows(ALL_TYPES, allTypesRows(10)))).toBeNull();
      const b = batchFromRows(FIXED, rowsOf(10, 0));
      expect(encodeFixedWidthBatchMessage(makeBatch(schema([field('i', 'int64'), ...FIXED.fields.slice(1)]), b.columns, 10))).toBeNull();
    });
  });

  it('alignBody copies only misaligned views', () => {
    const buf = new Uint8Array(32);
    expect(alignBody(buf.subarray(8))).toEqual(buf.subarray(8));
    expect(alignBody(buf.subarray(8)).buffer).toBe(buf.buffer);
    const mis = alignBody(buf.subarray(5));
    expect(mis.buffer).not.toBe(buf.buffer);
    expect(mis.byteOffset).toBe(0);
    expect(mis.byteLength).toBe(27);
  });

  it('rejects a header that is not a record batch, or one for another schema', () => {
    const m = encodeBatchMessage(allTypesBatch(3), 'none');
    expect(() => decodeBatchMessage(ALL_TYPES, encodeSchemaMessage(ALL_TYPES), m.body)).toThrow(/expected a record batch message, found schema/);
    const other = schema([field('x', 'int32')]);
    expect(() => decodeBatchMessage(other, m.header, m.body)).toThrow(SpillwayError);
    expect(() => decodeBatchMessage(ALL_TYPES, m.header, m.body.subarray(0, 8))).toThrow(/body has 8 bytes/);
  });

  it('round-trips the schema message', () => {
    const s = schema([field('a', 'int64', false), field('b', 'utf8', true), field('c', 'timestamp')]);
    const h = encodeSchemaMessage(s);
    expect(inspectMessage(h)).toEqual({ kind: 'schema', bodyLength: 0 });
    expect(decodeSchemaMessage(h)).toEqual(s);
  });

  it('frames a message with a padded metadata length', () => {
    const chunks = frameMessage(new Uint8Array(13), new Uint8Array(16));
    const prefix = new DataView(chunks[0]!.buffer);
    expect(prefix.getInt32(0, true)).toBe(-1);
    expect(prefix.getInt32(4, true)).toBe(16);
    expect(chunks.map((c) => c.byteLength)).toEqual([8, 13, 3, 16]);
  });
});

describe('IPC streams', () => {
  for (const mode of MODES) {
    it(`round-trips many batches, including empty ones, through our reader and Arrow's (${mode})`, () => {
      const batches = [allTypesBatch(50, 0), emptyBatch(ALL_TYPES), allTypesBatch(1, 50), allTypesBatch(120, 51)];
      const counts = newIpcByteCounts();
      const bytes = encodeBatchesIpc(ALL_TYPES, batches, { compression: mode, counts });
      const plain = newIpcByteCounts();
      encodeBatchesIpc(ALL_TYPES, batches, { compression: 'none', counts: plain });
      expect(plain.encodedBytes).toBe(plain.uncompressedBytes);
      expect(counts.uncompressedBytes).toBe(plain.uncompressedBytes);
      if (mode === 'none') expect(counts.encodedBytes).toBe(plain.encodedBytes);

      const ours = decodeBatchesIpc(bytes);
      expect(ours.schema).toEqual(ALL_TYPES);
      expect(ours.batches.map((b) => b.length)).toEqual([50, 0, 1, 120]);
      expect(ours.batches.flatMap(batchRows)).toEqual(allTypesRows(171));

      // Arrow's own reader must accept the stream as standard IPC.
      const table = arrow.tableFromIPC(bytes);
      expect(table.numRows).toBe(171);
      expect(table.batches.length).toBe(4);
      expect(table.getChild('s')!.get(1)).toBe('str-1-é✓str-1-é✓');
      expect(table.getChild('i')!.get(7)).toBeNull();
      expect(table.getChild('l')!.get(4)).toBe(4n * 1_000_000_007n - 5n);
    });
  }

  it('reads a stream written by Arrow\'s own writer with LZ4', () => {
    const s = schema([field('x', 'int32', false), field('s', 'utf8')]);
    const strings = arrow.vectorFromArray(Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? null : `v${i % 5}`)), new arrow.Utf8());
    const table = new arrow.Table({ x: arrow.makeVector(Int32Array.from({ length: 1000 }, (_, i) => i % 10)), s: strings });
    const bytes = arrow.tableToIPC(table, 'stream');
    const lzBytes = arrow.RecordBatchStreamWriter.writeAll(table, { compressionType: arrow.CompressionType.LZ4_FRAME }).toUint8Array(true);
    for (const b of [bytes, lzBytes]) {
      const { batches } = decodeBatchesIpc(b, s);
      const rows = batches.flatMap(batchRows);
      expect(rows.length).toBe(1000);
      expect(rows[5]).toEqual([5, 'v0']);
      expect(rows[8]).toEqual([8, null]);
    }
  });

  it('round-trips a stream with no batches and a schema with no columns', () => {
    const empty = decodeBatchesIpc(encodeBatchesIpc(ALL_TYPES, []));
    expect(empty.batches).toEqual([]);
    expect(empty.schema).toEqual(ALL_TYPES);
    const noCols = schema([]);
    const bytes = encodeBatchesIpc(noCols, [makeBatch(noCols, [], 5)]);
    const back = decodeBatchesIpc(bytes, noCols);
    expect(back.batches.map((b) => b.length)).toEqual([5]);
  });

  it('reports truncated or corrupt streams as io errors', () => {
    const bytes = encodeBatchesIpc(ALL_TYPES, [allTypesBatch(40)]);
    expect(() => decodeBatchesIpc(bytes.subarray(0, bytes.byteLength - 20))).toThrow(/truncated/);
    const garbage = new Uint8Array(64).fill(7);
    expect(() => decodeBatchesIpc(garbage)).toThrow(SpillwayError);
  });
});
