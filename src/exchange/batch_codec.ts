/**
 * BatchCodec: how the exchange turns a Batch into an Arrow IPC message (Flight's
 * data_header = the IPC Message flatbuffer, data_body = the body) and back.
 *
 * The exchange depends only on this small interface; `ipcBatchCodec` is the real one,
 * over columnar/ipc.ts (standard Arrow IPC, optional LZ4-frame body compression through
 * Arrow's compression registry), encoding each batch into the layout DoExchange sends
 * without a copy (flight_messages.ts). Tests may pass a counting or failing codec.
 */
import type { Batch } from '../columnar/column.js';
import {
  decodeBatchMessage,
  decodeSchemaMessage,
  encodeBatchMessage,
  encodeSchemaMessage,
  type EncodedBatchMessage,
  type IpcCompression,
} from '../columnar/ipc.js';
import type { Schema } from '../common/types.js';
import { FLIGHT_BATCH_ROOM, withFlightRoom } from './flight_messages.js';

export type ExchangeCompression = IpcCompression;

export const EXCHANGE_COMPRESSIONS: readonly ExchangeCompression[] = ['none', 'lz4'];

export type { EncodedBatchMessage };

export interface BatchCodec {
  encodeSchema(schema: Schema): Uint8Array;
  encodeBatch(batch: Batch, compression: ExchangeCompression): EncodedBatchMessage;
  decodeSchema(header: Uint8Array): Schema;
  /** Columns are views into `body` where its alignment allows (see decodeBatchMessage). */
  decodeBatch(schema: Schema, header: Uint8Array, body: Uint8Array): Batch;
}

export const ipcBatchCodec: BatchCodec = {
  encodeSchema: encodeSchemaMessage,
  // Laid out for DoExchange, so the gRPC server sends a stored batch without copying it.
  encodeBatch: (batch, compression) => withFlightRoom(encodeBatchMessage(batch, compression, FLIGHT_BATCH_ROOM)),
  decodeSchema: decodeSchemaMessage,
  decodeBatch: decodeBatchMessage,
};
