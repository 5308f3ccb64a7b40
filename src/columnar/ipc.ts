/**
 * Arrow IPC encoding of Spillway batches, for exchange messages and spill files.
 *
 * Everything written here is the standard Arrow IPC streaming format (optionally with
 * LZ4-frame body compression), so other Arrow implementations can read it:
 *
 *   stream  = message(schema) message(batch)* EOS
 *   message = ┌────────────┬────────────┬──────────────────────────┬─────────────────────┐
 *             │ FF FF FF FF│ int32 LE n │ Message flatbuffer, zero │ body: bodyLength B, │
 *             │continuation│ (n % 8 = 0)│ padded to n bytes        │ 8-aligned buffers   │
 *             └────────────┴────────────┴──────────────────────────┴─────────────────────┘
 *                                        └──────── "header" ───────┘└────── "body" ──────┘
 *   EOS     = FF FF FF FF 00 00 00 00
 *
 * `header` and `body` are exactly Arrow Flight's FlightData.data_header / data_body, so the
 * exchange can put them on the wire as they are and call decodeBatchMessage on arrival.
 * With LZ4, each body buffer is an int64 uncompressed length (-1 = stored raw) followed
 * by one LZ4 frame; Arrow's writer and readers do that through the compression registry.
 *
 * Only public apache-arrow exports are used: RecordBatchStreamWriter assembles a batch
 * message (into an AsyncByteQueue sink that keeps its chunks), Message.decode parses
 * headers, RecordBatchReader loads an LZ4 body; uncompressed bodies are read directly.
 * One exception: encodeFixedWidthBatchMessage builds the header of an uncompressed batch
 * of fixed-width columns from the metadata classes (`apache-arrow/ipc/metadata/message`,
 * in the package's exports) and copies the columns into the body itself: the stream
 * writer's per-message set-up (a schema message each time, then parsing its own output)
 * cost more than the copy, ~a tenth of a spilling GROUP BY's main thread.
 */
import * as arrow from 'apache-arrow';
import { BufferRegion, FieldNode, Message as MetadataMessage, RecordBatch as RecordBatchMetadata } from 'apache-arrow/ipc/metadata/message';
import { SpillwayError } from '../common/errors.js';
import type { DataType, Schema } from '../common/types.js';
import { isNested, nestedInfo } from '../common/nested_types.js';
import { copyNested, isNestedColumn } from './nested.js';
import { batchFromArrow, batchToArrow, fromArrowSchema, toArrowSchema, unpackBits } from './arrow.js';
import { fixedColumn, makeBatch, nullColumn, type Batch, type Column } from './column.js';
import { recordLz4EncodeSizes, registerLz4Codec } from './lz4.js';

export type IpcCompression = 'none' | 'lz4';

/** One record batch as an IPC message: the Message flatbuffer and its body. */
export interface EncodedBatchMessage {
  /** Message flatbuffer (zero padded to a multiple of 8): FlightData.data_header. */
  readonly header: Uint8Array;
  /** Body buffers, 8-byte aligned, possibly LZ4 compressed: FlightData.data_body. */
  readonly body: Uint8Array;
  readonly rows: number;
  /** Body bytes before compression; equals body.byteLength when uncompressed. */
  readonly uncompressedBytes: number;
}

/** Running byte counts for metrics (bytes before and after compression). */
export interface IpcByteCounts {
  uncompressedBytes: number;
  encodedBytes: number;
}

export function newIpcByteCounts(): IpcByteCounts {
  return { uncompressedBytes: 0, encodedBytes: 0 };
}

/** What kind of message a header holds and how many body bytes follow it. */
export interface MessageInfo {
  readonly kind: 'schema' | 'batch' | 'dictionary' | 'other';
  readonly bodyLength: number;
}

const CONTINUATION = -1;
/** End-of-stream marker: continuation + zero metadata length. */
export const IPC_END_OF_STREAM: Uint8Array = new Uint8Array(new Int32Array([CONTINUATION, 0]).buffer);

const align8 = (n: number) => (n + 7) & ~7;

function compressionType(c: IpcCompression): arrow.CompressionType | null {
  if (c !== 'lz4') return null;
  registerLz4Codec();
  return arrow.CompressionType.LZ4_FRAME;
}

/** The schema Message flatbuffer (FlightData.data_header of a schema message). */
export function encodeSchemaMessage(schema: Schema): Uint8Array {
  return arrow.Message.encode(arrow.Message.from(toArrowSchema(schema)));
}

export function decodeSchemaMessage(header: Uint8Array): Schema {
  const msg = decodeHeader(header);
  if (!msg.isSchema()) throw new SpillwayError('io', `corrupt Arrow IPC data: expected a schema message, found ${kindOf(msg)}`);
  return fromArrowSchema(msg.header());
}

/** Parse a message header; bodyLength says how many body bytes belong to it. */
export function inspectMessage(header: Uint8Array): MessageInfo {
  const msg = decodeHeader(header);
  return { kind: kindOf(msg), bodyLength: msg.bodyLength };
}

function decodeHeader(header: Uint8Array): arrow.Message {
  try {
    return arrow.Message.decode(header);
  } catch (e) {
    throw new SpillwayError('io', `corrupt Arrow IPC message header (${header.byteLength} bytes): ${(e as Error).message}`, { cause: e });
  }
}

function kindOf(msg: arrow.Message): MessageInfo['kind'] {
  if (msg.isSchema()) return 'schema';
  if (msg.isRecordBatch()) return 'batch';
  if (msg.isDictionaryBatch()) return 'dictionary';
  return 'other';
}

type BodyBuffer = Int32Array | BigInt64Array | Float64Array | Uint8Array;

/**
 * `batch` with no two of its value, offset and data buffers sharing memory (validity and
 * booleans are packed into fresh buffers anyway). Arrow's stream writer joins body chunks
 * that lie in one ArrayBuffer and touch or overlap (meant for adjacent slices), so a buffer
 * repeated or overlapping the one before it (one column under two names, views into one
 * array) would lose its bytes from the body. Copies only the buffers that overlap one seen
 * before; returns `batch` itself when none does.
 */
function withDisjointBuffers(batch: Batch): Batch {
  const seen = new Map<ArrayBufferLike, { start: number; end: number }[]>();
  let copied = false;
  const disjoint = <T extends BodyBuffer>(a: T): T => {
    if (a.byteLength === 0) return a;
    const start = a.byteOffset;
    const end = start + a.byteLength;
    const ranges = seen.get(a.buffer);
    if (ranges === undefined) {
      seen.set(a.buffer, [{ start, end }]);
      return a;
    }
    if (ranges.some((r) => start < r.end && r.start < end)) {
      copied = true;
      return a.slice() as T;
    }
    ranges.push({ start, end });
    return a;
  };
  const columns = batch.columns.map((c): Column => {
    switch (c.type) {
      case 'null': case 'bool': case 'time': case 'interval': return c; // converted into fresh buffers anyway
      case 'utf8': case 'blob': {
        const offsets = disjoint(c.offsets);
        const data = disjoint(c.data);
        return offsets === c.offsets && data === c.data ? c : { ...c, offsets, data };
      }
      default: {
        if (isNestedColumn(c)) return copyNested(c);
        const values = disjoint(c.values);
        return values === c.values ? c : { ...c, values } as Column;
      }
    }
  });
  return copied ? makeBatch(batch.schema, columns, batch.length) : batch;
}

/**
 * Room a transport wants around a message's header and body, given their lengths: the
 * encoder lays the message out as [before][header][between][body] in one new buffer, so
 * the transport can write its own framing into the gaps and send the whole span without
 * copying the body again (exchange/flight_messages.ts does this for FlightData).
 */
export type MessageRoom = (headerLength: number, bodyLength: number) => { readonly before: number; readonly between: number };

/**
 * Arrow's stream writer hands its output chunks to its sink one by one (header, padding,
 * each body buffer); this sink keeps them, so the encoder joins them once, into the layout
 * it wants, instead of letting the writer join them first.
 */
class ChunkSink extends arrow.AsyncByteQueue {
  readonly chunks: Uint8Array[] = [];
  override write(chunk: ArrayBufferView | Uint8Array): void {
    this.chunks.push(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
}

/** The bytes of a writer's output as one logical stream over its chunks. */
class ChunkStream {
  private chunk = 0;
  private offset = 0;
  constructor(private readonly chunks: readonly Uint8Array[]) {}

  /** Copy the next `n` bytes to `out` at `at` (or skip them without `out`). */
  take(n: number, out?: Uint8Array, at = 0): void {
    while (n > 0) {
      const c = this.chunks[this.chunk];
      if (c === undefined) throw new Error('unexpected end of IPC writer output');
      const k = Math.min(n, c.byteLength - this.offset);
      if (out !== undefined) out.set(k === c.byteLength ? c : c.subarray(this.offset, this.offset + k), at);
      at += k;
      n -= k;
      this.offset += k;
      if (this.offset === c.byteLength) { this.chunk++; this.offset = 0; }
    }
  }

  int32(): number {
    const b = new Uint8Array(4);
    this.take(4, b);
    return new DataView(b.buffer).getInt32(0, true);
  }
}

const NO_ROOM: MessageRoom = () => ({ before: 0, between: 0 });

/**
 * Encode one batch as an IPC record batch message. Copies the batch's buffers once into
 * the body (and compresses each buffer with LZ4 when asked; a buffer LZ4 cannot shrink is
 * stored raw, as the format allows). Header and body are views into one new buffer laid
 * out as `room` asks (default: header then body, nothing around them).
 */
/** Bytes per value of the column types encodeFixedWidthBatchMessage takes (0: not taken). */
function fixedWidthOf(type: DataType): number {
  switch (type) {
    case 'int32': case 'date32': return 4;
    case 'int64': case 'timestamp': case 'float64': return 8;
    default: return 0;
  }
}

/**
 * The uncompressed batch message encodeBatchMessage writes, built directly: for batches
 * whose columns are all int32, date32, int64, timestamp or float64 (null otherwise, to take
 * the general path). Per column a validity bitmap (empty without NULLs) and the values,
 * each padded to 8 bytes, as Arrow's writer lays them out.
 */
export function encodeFixedWidthBatchMessage(batch: Batch): EncodedBatchMessage | null {
  const n = batch.length, cols = batch.columns;
  const nodes: FieldNode[] = [], regions: BufferRegion[] = [];
  let bodyLength = 0;
  for (let c = 0; c < cols.length; c++) {
    const col = cols[c]!;
    const size = fixedWidthOf(col.type);
    if (size === 0 || col.type !== batch.schema.fields[c]?.type) return null;
    let nulls = 0;
    const valid = col.validity;
    if (valid !== null) for (let i = 0; i < n; i++) nulls += valid[i]! ^ 1;
    nodes.push(new FieldNode(n, nulls));
    const bitmap = nulls > 0 ? align8((n + 7) >> 3) : 0;
    regions.push(new BufferRegion(bodyLength, bitmap));
    bodyLength += bitmap;
    regions.push(new BufferRegion(bodyLength, n * size));
    bodyLength += align8(n * size);
  }
  const flatbuffer = MetadataMessage.encode(MetadataMessage.from(new RecordBatchMetadata(n, nodes, regions, null), bodyLength));
  const headerLength = align8(flatbuffer.byteLength);
  // Every byte is written below (padding zeroed), so the buffer need not be zero-filled first.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(headerLength + bodyLength).buffer, 0, headerLength + bodyLength);
  out.set(flatbuffer);
  out.fill(0, flatbuffer.byteLength, headerLength);
  const body = out.subarray(headerLength);
  for (let c = 0; c < cols.length; c++) {
    const col = cols[c] as Extract<Column, { values: unknown }>;
    const b = regions[2 * c]!;
    if (b.length > 0) {
      const bits = body.subarray(b.offset, b.offset + b.length), valid = col.validity!;
      bits.fill(0);
      for (let i = 0; i < n; i++) if (valid[i] !== 0) bits[i >> 3] |= 1 << (i & 7);
    }
    const v = col.values, r = regions[2 * c + 1]!;
    body.set(new Uint8Array(v.buffer, v.byteOffset, r.length), r.offset);
    body.fill(0, r.offset + r.length, r.offset + align8(r.length));
  }
  return { header: out.subarray(0, headerLength), body, rows: n, uncompressedBytes: bodyLength };
}

export function encodeBatchMessage(batch: Batch, compression: IpcCompression = 'none', room: MessageRoom = NO_ROOM): EncodedBatchMessage {
  const rb = batchToArrow(withDisjointBuffers(batch));
  const writeStream = (): Uint8Array[] => {
    const sink = new ChunkSink();
    const writer = new arrow.RecordBatchStreamWriter({ compressionType: compressionType(compression) });
    writer.reset(sink);
    writer.write(rb);
    writer.finish();
    return sink.chunks;
  };
  const { result: chunks, sizes: rawSizes } = compression === 'lz4' ? recordLz4EncodeSizes(writeStream) : { result: writeStream(), sizes: [] };
  const stream = new ChunkStream(chunks);
  // Skip the schema message the writer puts first; the second message is the batch.
  if (stream.int32() !== CONTINUATION) throw new Error('unexpected IPC writer output');
  stream.take(stream.int32());
  if (stream.int32() !== CONTINUATION) throw new Error('unexpected IPC writer output');
  const headerLength = stream.int32();
  const headerCopy = new Uint8Array(headerLength);
  stream.take(headerLength, headerCopy);
  const msg = arrow.Message.decode(headerCopy);
  if (!msg.isRecordBatch()) throw new Error('unexpected IPC writer output');
  const bodyLength = msg.bodyLength;
  const { before, between } = room(headerLength, bodyLength);
  const out = new Uint8Array(before + headerLength + between + bodyLength);
  const header = out.subarray(before, before + headerLength);
  header.set(headerCopy);
  const bodyStart = before + headerLength + between;
  const body = out.subarray(bodyStart, bodyStart + bodyLength);
  stream.take(bodyLength, body);
  const uncompressedBytes = compression === 'lz4' ? fixCompressedPrefixes(msg.header().buffers, body, rawSizes) : body.byteLength;
  return { header, body, rows: batch.length, uncompressedBytes };
}

/**
 * Arrow's IPC format prefixes every compressed buffer with its *uncompressed* length
 * (int64 LE; -1 = stored raw). apache-arrow 21.2's writer puts the compressed length there
 * instead (fixed upstream in apache/arrow-js#470): its own reader ignores the prefix, but
 * Arrow C++ (pyarrow, DuckDB) sizes its output by it and rejects the buffer. We rewrite
 * each prefix with the size the codec was handed for that buffer (one encode per
 * non-empty buffer, in body order), and return the uncompressed body size. With a fixed
 * apache-arrow this rewrites each prefix with the value already there.
 */
function fixCompressedPrefixes(regions: readonly { offset: number; length: number }[], body: Uint8Array, rawSizes: readonly number[]): number {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let next = 0;
  let total = 0;
  for (const r of regions) {
    if (r.length === 0) continue;
    const raw = rawSizes[next++];
    if (raw === undefined) throw new Error('IPC writer compressed fewer buffers than its header lists');
    if (view.getBigInt64(r.offset, true) !== -1n) view.setBigInt64(r.offset, BigInt(raw), true);
    total += align8(raw);
  }
  if (next !== rawSizes.length) throw new Error('IPC writer compressed more buffers than its header lists');
  return total;
}

/** The body itself when 8-byte aligned, else an aligned copy (Arrow would copy each buffer). */
export function alignBody(body: Uint8Array): Uint8Array {
  if (body.byteOffset % 8 === 0) return body;
  const copy = new Uint8Array(body.byteLength);
  copy.set(body);
  return copy;
}

/** Framed schema messages by schema, so decoding many batches parses one schema cheaply. */
const schemaFrames = new WeakMap<Schema, Uint8Array>();

function schemaFrame(schema: Schema): Uint8Array {
  let f = schemaFrames.get(schema);
  if (f === undefined) {
    f = concatChunks(frameMessage(encodeSchemaMessage(schema)));
    schemaFrames.set(schema, f);
  }
  return f;
}

/**
 * Decode a record batch message (header + body, e.g. FlightData) against the stream's
 * schema. The returned columns are views into `body`, except booleans and validity, which
 * are unpacked, buffers at an offset their element size does not divide, which are
 * copied, and LZ4 bodies, which are decompressed into new buffers.
 */
export function decodeBatchMessage(schema: Schema, header: Uint8Array, body: Uint8Array): Batch {
  const msg = decodeHeader(header);
  if (!msg.isRecordBatch()) throw new SpillwayError('io', `corrupt Arrow IPC data: expected a record batch message, found ${kindOf(msg)}`);
  if (body.byteLength < msg.bodyLength) {
    throw new SpillwayError('io', `corrupt Arrow IPC data: record batch body has ${body.byteLength} bytes, header says ${msg.bodyLength}`);
  }
  const meta = msg.header();
  const nodes = meta.nodes.length;
  const expected = arrowFieldNodes(schema);
  if (nodes !== expected) {
    throw new SpillwayError('io', `corrupt Arrow IPC data: record batch has ${nodes} field nodes, schema has ${expected}`);
  }
  const bodyView = body.subarray(0, msg.bodyLength);
  if (meta.compression == null && nodes === schema.fields.length) {
    const direct = readUncompressedBatch(schema, meta, bodyView);
    if (direct !== null) return direct;
  }
  // The codec is registered at first use (Arrow's registry test-encodes it, loading the native library).
  if (meta.compression != null) registerLz4Codec();
  const chunks = [schemaFrame(schema), ...frameMessage(header, alignBody(bodyView))];
  let rb: arrow.RecordBatch | undefined;
  try {
    const reader = arrow.RecordBatchReader.from(chunks);
    const r = reader.next();
    rb = r.done ? undefined : r.value;
  } catch (e) {
    throw new SpillwayError('io', `corrupt Arrow IPC record batch: ${(e as Error).message}`, { cause: e });
  }
  if (rb === undefined) throw new SpillwayError('io', 'corrupt Arrow IPC data: record batch message could not be read');
  return batchFromArrow(rb, schema);
}

/** Field nodes of a record batch of this schema: one per column, plus one per nested child. */
function arrowFieldNodes(schema: Schema): number {
  const count = (t: DataType): number => {
    if (!isNested(t)) return 1;
    const info = nestedInfo(t);
    switch (info.kind) {
      case 'list': return 1 + count(info.element);
      case 'map': return 2 + count(info.key) + count(info.value);
      case 'struct': return 1 + info.fields.reduce((n, f) => n + count(f.type), 0);
    }
  };
  return schema.fields.reduce((n, f) => n + count(f.type), 0);
}

type RecordBatchHeader = ReturnType<arrow.Message<arrow.MessageHeader.RecordBatch>['header']>;

/**
 * An uncompressed record batch read straight from its body: each column's buffers as
 * typed-array views, in the layout toArrowSchema(schema) gives them (what decoding
 * through Arrow's reader with that schema yields, without building Arrow vectors first).
 * Null for a column type this path does not read, so the caller falls back to Arrow.
 */
function readUncompressedBatch(schema: Schema, meta: RecordBatchHeader, body: Uint8Array): Batch | null {
  const regions = meta.buffers;
  let next = 0;
  const region = (what: string): Uint8Array => {
    const r = regions[next++];
    if (r === undefined) throw new SpillwayError('io', `corrupt Arrow IPC data: record batch lists too few buffers (${what})`);
    if (r.offset < 0 || r.length < 0 || r.offset + r.length > body.byteLength) {
      throw new SpillwayError('io', `corrupt Arrow IPC data: buffer ${next - 1} (${r.offset}+${r.length}) lies outside the ${body.byteLength}-byte body`);
    }
    return body.subarray(r.offset, r.offset + r.length);
  };
  const rows = meta.length;
  const columns: Column[] = [];
  for (let i = 0; i < schema.fields.length; i++) {
    const f = schema.fields[i]!;
    const node = meta.nodes[i]!;
    const n = node.length;
    if (n !== rows) throw new SpillwayError('io', `corrupt Arrow IPC data: column ${f.name} has ${n} rows, the batch ${rows}`);
    if (f.type === 'null') { columns.push(nullColumn(n)); continue; }
    const bits = region(`validity of ${f.name}`);
    let validity: Uint8Array | null = null;
    if (node.nullCount > 0 && bits.byteLength > 0) validity = unpackBits(needBytes(bits, (n + 7) >> 3, f.name), 0, n);
    switch (f.type) {
      case 'bool': columns.push(fixedColumn('bool', unpackBits(needBytes(region(f.name), (n + 7) >> 3, f.name), 0, n), validity)); break;
      case 'int32': case 'date32': columns.push(fixedColumn(f.type, typedView(Int32Array, region(f.name), n, f.name), validity)); break;
      case 'float64': columns.push(fixedColumn('float64', typedView(Float64Array, region(f.name), n, f.name), validity)); break;
      case 'int64': case 'timestamp': columns.push(fixedColumn(f.type, typedView(BigInt64Array, region(f.name), n, f.name), validity)); break;
      case 'utf8': case 'blob': {
        const offsetBytes = region(`offsets of ${f.name}`);
        // An empty column may come without its single offset.
        const offsets = n === 0 && offsetBytes.byteLength < 4 ? new Int32Array(1) : typedView(Int32Array, offsetBytes, n + 1, f.name);
        columns.push({ type: f.type, length: n, validity, offsets, data: region(`data of ${f.name}`) });
        break;
      }
      case 'time': {
        const v = typedView(BigInt64Array, region(f.name), n, f.name);
        const out = new Float64Array(n);
        for (let k = 0; k < n; k++) out[k] = Number(v[k]!);
        columns.push(fixedColumn('time', out, validity));
        break;
      }
      default: return null;
    }
  }
  return makeBatch(schema, columns, rows);
}

function needBytes(bytes: Uint8Array, n: number, column: string): Uint8Array {
  if (bytes.byteLength < n) throw new SpillwayError('io', `corrupt Arrow IPC data: a buffer of column ${column} has ${bytes.byteLength} bytes, ${n} needed`);
  return bytes;
}

type TypedArrayOf<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T; readonly BYTES_PER_ELEMENT: number };

/** `n` elements over `bytes`: a view when aligned for the element type, else an aligned copy. */
function typedView<T extends Int32Array | Float64Array | BigInt64Array>(Type: TypedArrayOf<T>, bytes: Uint8Array, n: number, column: string): T {
  const size = Type.BYTES_PER_ELEMENT;
  needBytes(bytes, n * size, column);
  if (bytes.byteOffset % size === 0) return new Type(bytes.buffer, bytes.byteOffset, n);
  const copy = new Type(n);
  new Uint8Array(copy.buffer).set(bytes.subarray(0, n * size));
  return copy;
}

/**
 * The encapsulated-message framing (continuation, padded metadata length, header, padding,
 * body) as chunks ready for writev or concatenation. The body must already be a multiple
 * of 8 bytes long (bodies from encodeBatchMessage are).
 */
export function frameMessage(header: Uint8Array, body?: Uint8Array): Uint8Array[] {
  const padded = align8(header.byteLength);
  const prefix = new Int32Array([CONTINUATION, padded]);
  const chunks: Uint8Array[] = [new Uint8Array(prefix.buffer), header];
  if (padded > header.byteLength) chunks.push(new Uint8Array(padded - header.byteLength));
  if (body !== undefined && body.byteLength > 0) chunks.push(body);
  return chunks;
}

function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) { out.set(c, pos); pos += c.byteLength; }
  return out;
}

/**
 * Read the 8-byte prefix of an encapsulated message: the metadata length that follows,
 * or 0 at end of stream. Rejects the pre-0.15 format (no continuation marker), which
 * Spillway never writes.
 */
export function readFramePrefix(prefix: Uint8Array, where: string): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (prefix.byteLength < 8 || view.getInt32(0, true) !== CONTINUATION) {
    throw new SpillwayError('io', `corrupt Arrow IPC stream in ${where}: missing message continuation marker`);
  }
  const n = view.getInt32(4, true);
  if (n < 0) throw new SpillwayError('io', `corrupt Arrow IPC stream in ${where}: negative metadata length`);
  return n;
}

export interface EncodeIpcOptions {
  compression?: IpcCompression;
  /** Incremented with the bytes before/after compression of every batch body. */
  counts?: IpcByteCounts;
}

/** A whole IPC stream (schema, batches, EOS) in one buffer. */
export function encodeBatchesIpc(schema: Schema, batches: Iterable<Batch>, opts: EncodeIpcOptions = {}): Uint8Array {
  const compression = opts.compression ?? 'none';
  const chunks: Uint8Array[] = frameMessage(encodeSchemaMessage(schema));
  for (const b of batches) {
    const m = encodeBatchMessage(b, compression);
    if (opts.counts) {
      opts.counts.uncompressedBytes += m.uncompressedBytes;
      opts.counts.encodedBytes += m.body.byteLength;
    }
    chunks.push(...frameMessage(m.header, m.body));
  }
  chunks.push(IPC_END_OF_STREAM);
  return concatChunks(chunks);
}

/**
 * Read a whole IPC stream held in memory (what encodeBatchesIpc or any Arrow stream writer
 * produces, compressed or not). With `schema`, columns are read as those types; otherwise
 * the stream's schema is mapped to Spillway types. Zero-row batches are kept.
 */
export function decodeBatchesIpc(bytes: Uint8Array, schema?: Schema): { schema: Schema; batches: Batch[] } {
  const where = 'in-memory stream';
  let s = schema;
  let sawSchema = false;
  const batches: Batch[] = [];
  let pos = 0;
  while (pos + 8 <= bytes.byteLength) {
    const n = readFramePrefix(bytes.subarray(pos, pos + 8), where);
    if (n === 0) break;
    const header = bytes.subarray(pos + 8, pos + 8 + n);
    const info = inspectMessage(header);
    const bodyStart = pos + 8 + n;
    if (bodyStart + info.bodyLength > bytes.byteLength) throw new SpillwayError('io', `corrupt Arrow IPC stream in ${where}: truncated message`);
    const body = bytes.subarray(bodyStart, bodyStart + info.bodyLength);
    pos = bodyStart + info.bodyLength;
    if (!sawSchema) {
      if (info.kind !== 'schema') throw new SpillwayError('io', `corrupt Arrow IPC stream in ${where}: expected a schema message first, found ${info.kind}`);
      s ??= decodeSchemaMessage(header);
      sawSchema = true;
    } else if (info.kind === 'batch') {
      batches.push(decodeBatchMessage(s!, header, body));
    } else {
      throw new SpillwayError('unsupported', `Arrow IPC ${info.kind} messages are not supported (${where})`);
    }
  }
  if (!sawSchema) throw new SpillwayError('io', `corrupt Arrow IPC stream in ${where}: no schema message`);
  return { schema: s!, batches };
}
