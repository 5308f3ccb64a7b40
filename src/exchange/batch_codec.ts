/**
 * BatchCodec: how the exchange turns a Batch into an Arrow IPC message (Flight's
 * data_header = the IPC Message flatbuffer, data_body = the body) and back.
 *
 * The exchange depends only on this small interface; `ipcBatchCodec` is the real one,
 * over columnar/ipc.ts (standard Arrow IPC, optional LZ4-frame body compression through
 * Arrow's compression registry). Tests may pass a counting or failing codec.
 */
import type { Batch } from '../columnar/column.js';
import {
  alignBody,
  decodeBatchMessage,
  decodeSchemaMessage,
  encodeBatchMessage,
  encodeSchemaMessage,
  type EncodedBatchMessage,
  type IpcCompression,
} from '../columnar/ipc.js';
import type { Schema } from '../common/types.js';

export type ExchangeCompression = IpcCompression;

export const EXCHANGE_COMPRESSIONS: readonly ExchangeCompression[] = ['none', 'lz4'];

export type { EncodedBatchMessage };

export interface BatchCodec {
  encodeSchema(schema: Schema): Uint8Array;
  encodeBatch(batch: Batch, compression: ExchangeCompression): EncodedBatchMessage;
  decodeSchema(header: Uint8Array): Schema;
  /** Copies `body` to an 8-byte aligned buffer first when it is not aligned. */
  decodeBatch(schema: Schema, header: Uint8Array, body: Uint8Array): Batch;
}

export const ipcBatchCodec: BatchCodec = {
  encodeSchema: encodeSchemaMessage,
  encodeBatch: encodeBatchMessage,
  decodeSchema: decodeSchemaMessage,
  decodeBatch: (schema, header, body) => decodeBatchMessage(schema, header, alignBody(body)),
};
