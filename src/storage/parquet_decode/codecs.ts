/**
 * Page decompression for every codec real Parquet writers use.
 *
 *   UNCOMPRESSED  the bytes as they are
 *   SNAPPY        `snappy` (native, prebuilt binary from npm): the fastest measured here
 *   GZIP, BROTLI  node:zlib (native, built into Node)
 *   ZSTD          fzstd (plain JS; node:zlib has no zstd before Node 22.15)
 *   LZ4_RAW       lz4_raw.ts; LZ4 (the deprecated Hadoop framing) is tried as LZ4_RAW
 *                 first, then as Hadoop blocks
 *
 * The uncompressed size always comes from the page header and is checked.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import snappy from 'snappy';
import { lz4RawDecompress } from './lz4_raw.js';

export type Codec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'LZO' | 'BROTLI' | 'LZ4' | 'ZSTD' | 'LZ4_RAW';

function asBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Decompress one page (or the compressed part of a v2 page) to exactly `size` bytes. */
export function decompress(codec: Codec, input: Uint8Array, size: number): Uint8Array {
  let out: Uint8Array;
  switch (codec) {
    case 'UNCOMPRESSED':
      out = input;
      break;
    case 'SNAPPY':
      out = size === 0 ? new Uint8Array(0) : asBytes(snappy.uncompressSync(input, { asBuffer: true, copyOutputData: true }) as Buffer);
      break;
    case 'GZIP':
      out = size === 0 ? new Uint8Array(0) : asBytes(gunzipSync(input));
      break;
    case 'BROTLI':
      out = size === 0 ? new Uint8Array(0) : asBytes(brotliDecompressSync(input));
      break;
    case 'ZSTD':
      out = zstdDecompress(input, new Uint8Array(size));
      break;
    case 'LZ4_RAW':
      out = lz4RawDecompress(input, size);
      break;
    case 'LZ4':
      out = lz4Legacy(input, size);
      break;
    default:
      throw new Error(`unsupported compression codec ${codec}`);
  }
  if (out.length !== size) throw new Error(`${codec} page decompressed to ${out.length} bytes where the page header says ${size}`);
  return out;
}

/**
 * The deprecated LZ4 codec: some writers put a raw block, Hadoop's writers put
 * [uncompressed size u32 BE][compressed size u32 BE][block] records.
 */
function lz4Legacy(input: Uint8Array, size: number): Uint8Array {
  try {
    return lz4RawDecompress(input, size);
  } catch {
    const out = new Uint8Array(size);
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    let ip = 0;
    let op = 0;
    while (ip + 8 <= input.length && op < size) {
      const rawLen = view.getUint32(ip, false);
      const compLen = view.getUint32(ip + 4, false);
      ip += 8;
      out.set(lz4RawDecompress(input.subarray(ip, ip + compLen), rawLen), op);
      ip += compLen;
      op += rawLen;
    }
    if (op !== size) throw new Error(`LZ4 page decompressed to ${op} bytes where the page header says ${size}`);
    return out;
  }
}
