/**
 * LZ4 frame codec for Arrow IPC body compression (exchange and spill files).
 *
 * Arrow's IPC format compresses each body buffer separately as a standard LZ4 *frame*
 * (magic 04 22 4D 18), so any Arrow reader (C++, Rust, Java, pyarrow, DuckDB) can read
 * what we write. `lz4-napi`'s frame functions produce exactly that; the block format of
 * lz4-wasm(-nodejs) would not be accepted (see LIBRARIES.md).
 */
import { createRequire } from 'node:module';
import { CompressionType, compressionRegistry } from 'apache-arrow';

type Lz4Napi = typeof import('lz4-napi');
let codec: Lz4Napi | null = null;
/** The native codec, loaded at first use: a session that never compresses never maps it (~3 MiB). */
function lz4(): Lz4Napi {
  codec ??= createRequire(import.meta.url)('lz4-napi') as Lz4Napi;
  return codec;
}

/** A Buffer view over the same bytes (lz4-napi's types ask for Buffer; no copy). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Compress `data` into one standard LZ4 frame. */
export function lz4CompressFrame(data: Uint8Array): Uint8Array {
  return lz4().compressFrameSync(asBuffer(data));
}

/** Decompress one LZ4 frame (as written by lz4CompressFrame, the `lz4` CLI or Arrow C++). */
export function lz4DecompressFrame(frame: Uint8Array): Uint8Array {
  return lz4().decompressFrameSync(asBuffer(frame));
}

let registered = false;
/** Input sizes of registry encodes while a recorder is active (see recordLz4EncodeSizes). */
let recordedSizes: number[] | null = null;

function registryEncode(data: Uint8Array): Uint8Array {
  recordedSizes?.push(data.byteLength);
  return lz4CompressFrame(data);
}

/**
 * Run `fn` (synchronous) and return the byte length of every buffer Arrow's IPC writer
 * handed to the LZ4 codec meanwhile, in call order. ipc.ts needs them to write the
 * uncompressed-length prefixes (see encodeBatchMessage).
 */
export function recordLz4EncodeSizes<T>(fn: () => T): { result: T; sizes: number[] } {
  const outer = recordedSizes;
  const sizes: number[] = [];
  recordedSizes = sizes;
  try {
    return { result: fn(), sizes };
  } finally {
    recordedSizes = outer;
  }
}

/**
 * Make Arrow's IPC writer and readers use LZ4 frames for CompressionType.LZ4_FRAME.
 * Idempotent; ipc.ts calls it before it writes or reads a compressed batch.
 */
export function registerLz4Codec(): void {
  if (registered) return;
  // Arrow test-encodes a codec as it is set: that encode is not a buffer of a message.
  const recording = recordedSizes;
  recordedSizes = null;
  try {
    compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: registryEncode, decode: lz4DecompressFrame });
  } finally {
    recordedSizes = recording;
  }
  registered = true;
}
