/** Arrow Flight's FlightData and FlightDescriptor (proto/spillway.proto), as DoExchange carries them. */
import type { MessageRoom } from '../columnar/ipc.js';
import { decodeMessage, encodeMessage, varintSize, writeVarint, type Spec } from '../common/protobuf.js';

const EMPTY = new Uint8Array(0);

export const DescriptorType = { UNKNOWN: 0, PATH: 1, CMD: 2 } as const;

export interface FlightDescriptor {
  type: number;
  cmd: Uint8Array;
  path: string[];
}

export interface FlightData {
  flightDescriptor: FlightDescriptor | null;
  dataHeader: Uint8Array;
  appMetadata: Uint8Array;
  dataBody: Uint8Array;
}

export const FLIGHT_DESCRIPTOR: Spec<FlightDescriptor> = {
  type: { no: 1, kind: 'enum' },
  cmd: { no: 2, kind: 'bytes' },
  path: { no: 4, kind: 'string', repeated: true },
};

export const FLIGHT_DATA: Spec<FlightData> = {
  flightDescriptor: { no: 1, kind: 'message', spec: FLIGHT_DESCRIPTOR },
  dataHeader: { no: 2, kind: 'bytes' },
  appMetadata: { no: 3, kind: 'bytes' },
  dataBody: { no: 1000, kind: 'bytes' },
};

export function flightData(parts: Partial<FlightData>): FlightData {
  return {
    flightDescriptor: parts.flightDescriptor ?? null,
    dataHeader: parts.dataHeader ?? EMPTY,
    appMetadata: parts.appMetadata ?? EMPTY,
    dataBody: parts.dataBody ?? EMPTY,
  };
}

export const encodeFlightData = (m: FlightData): Buffer => encodeMessage(FLIGHT_DATA, m);
export const decodeFlightData = (b: Uint8Array): FlightData => decodeMessage(FLIGHT_DATA, b);

// ---------------------------------------------------------------------------------------
// Batch messages: one copy on each side
// ---------------------------------------------------------------------------------------
//
// A batch message is written as
//
//   [app_metadata (3)] [padding (15): k zero bytes] [data_header (2)] header [data_body (1000) tag, length] body
//
// (protobuf fields may come in any order; field 15 is unknown to Flight and skipped by
// every protobuf reader). grpc-js copies each message once into its frame on the sender
// and joins each received message into one new buffer, handing it on at offset 5 (after
// the gRPC frame prefix) of an 8-aligned allocation. The padding puts the body at offset
// 3 (mod 8) of the FlightData bytes, so it arrives 8-aligned and Arrow reads its columns
// in place instead of copying the body to align it.
//
// The exchange stores batches encoded with FLIGHT_BATCH_ROOM: room before the header and
// exactly the data_body tag and length between header and body, all in one buffer with
// the body 8-aligned. batchFlightData then writes the framing into that room and sends the
// span as it is, so the only copy on the sender is grpc-js's own.

/** Field number of the alignment padding (zero bytes, ignored by readers). */
export const PADDING_FIELD = 15;
/** Where data_body must start in the FlightData bytes for it to arrive 8-aligned. */
const BODY_OFFSET_MOD_8 = 3;
/** Longest app_metadata batchFlightData writes in place (the writer's {"raw": n}); longer ones are copied. */
const MAX_ROOM_METADATA = 96;
/** Room before the header: app_metadata field, padding (≤ 9 bytes), data_header tag and length. */
const MAX_PREFIX = 2 + MAX_ROOM_METADATA + 9 + 6;

const TAG_HEADER = (2 << 3) | 2;
const TAG_METADATA = (3 << 3) | 2;
const TAG_PADDING = (PADDING_FIELD << 3) | 2;
const TAG_BODY = [0xc2, 0x3e]; // (1000 << 3) | 2 as a varint

/** Bytes between header and body: the data_body tag and length. */
const bodyFieldSize = (bodyLength: number) => TAG_BODY.length + varintSize(bodyLength);

/**
 * How ExchangeBuffer entries are laid out (see above): room for the prefix before the
 * header, the data_body tag and length between header and body, the body 8-aligned.
 */
export const FLIGHT_BATCH_ROOM: MessageRoom = (headerLength, bodyLength) => {
  const between = bodyFieldSize(bodyLength);
  const before = MAX_PREFIX + ((8 - ((MAX_PREFIX + headerLength + between) % 8)) % 8);
  return { before, between };
};

/** Buffers encoded with FLIGHT_BATCH_ROOM, whose room batchFlightData may write. */
const roomyBuffers = new WeakSet<ArrayBufferLike>();

/** Mark a message just encoded with FLIGHT_BATCH_ROOM, so batchFlightData sends it in place. */
export function withFlightRoom<M extends { readonly header: Uint8Array }>(m: M): M {
  roomyBuffers.add(m.header.buffer);
  return m;
}

/**
 * The FlightData bytes of one batch message (header, body, app_metadata), its body at
 * offset 3 (mod 8). Written in place, without copying, when header and body lie in one
 * buffer encoded with FLIGHT_BATCH_ROOM (withFlightRoom); else into a new buffer. In place, the
 * room's bytes depend only on the arguments: send one message with one app_metadata.
 */
export function batchFlightData(header: Uint8Array, body: Uint8Array, appMetadata: Uint8Array): Buffer {
  const H = header.byteLength;
  const B = body.byteLength;
  const mid = bodyFieldSize(B);
  const metadataField = appMetadata.byteLength > 0 ? 1 + varintSize(appMetadata.byteLength) + appMetadata.byteLength : 0;
  const unpadded = metadataField + 1 + varintSize(H);
  let pad = (BODY_OFFSET_MOD_8 - ((unpadded + H + mid) % 8) + 16) % 8;
  if (pad === 1) pad = 9; // a padding field takes at least its tag and length byte
  const prefix = unpadded + pad;
  const size = prefix + H + mid + B;
  const inPlace = roomyBuffers.has(header.buffer) && header.buffer === body.buffer && header.byteOffset >= prefix && body.byteOffset === header.byteOffset + H + mid;
  const out = inPlace
    ? Buffer.from(header.buffer as ArrayBuffer, header.byteOffset - prefix, size)
    : Buffer.allocUnsafe(size);
  let pos = 0;
  if (metadataField > 0) {
    out[pos++] = TAG_METADATA;
    pos = writeVarint(out, pos, appMetadata.byteLength);
    out.set(appMetadata, pos);
    pos += appMetadata.byteLength;
  }
  if (pad > 0) {
    out[pos++] = TAG_PADDING;
    out[pos++] = pad - 2;
    out.fill(0, pos, pos + pad - 2);
    pos += pad - 2;
  }
  out[pos++] = TAG_HEADER;
  pos = writeVarint(out, pos, H);
  if (!inPlace) out.set(header, pos);
  pos += H;
  out[pos++] = TAG_BODY[0]!;
  out[pos++] = TAG_BODY[1]!;
  pos = writeVarint(out, pos, B);
  if (!inPlace) out.set(body, pos);
  return out;
}
