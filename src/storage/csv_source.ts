/**
 * The bytes of a CSV file, chunk by chunk: sequential byte ranges through the object store
 * (local files and s3:// alike), gunzipped on the way when the name ends in `.gz`. Only one
 * chunk (and zlib's window) is in memory at a time; the consumer pulls the next one.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SpillwayError } from '../common/errors.js';
import { storeFor } from './object_store.js';

/** Bytes read from storage per request. */
export const CSV_CHUNK_BYTES = 1024 * 1024;

export function isGzipPath(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** A CSV file name, optionally gzipped (`t.csv`, `t.tsv`, `t.csv.gz`). */
export function isCsvPath(path: string): boolean {
  return /\.(csv|tsv)(\.gz)?$/i.test(path);
}

/** The size in bytes of a file, or an error naming it. */
export async function csvFileSize(path: string): Promise<number> {
  const info = await storeFor(path).stat(path);
  if (!info) throw new SpillwayError('io', `cannot read CSV file "${path}": no such file`);
  if (info.kind !== 'file') throw new SpillwayError('io', `cannot read CSV file "${path}": it is a directory`);
  return info.size;
}

async function* rawChunks(path: string, size: number, counter?: { bytes: number }): AsyncGenerator<Uint8Array> {
  const store = storeFor(path);
  for (let start = 0; start < size; start += CSV_CHUNK_BYTES) {
    const chunk = await store.read(path, start, Math.min(size, start + CSV_CHUNK_BYTES));
    if (counter) counter.bytes += chunk.length;
    yield chunk;
  }
}

/** The file's (decompressed) bytes in chunks. `counter.bytes` counts bytes fetched from storage. */
export async function* csvChunks(path: string, counter?: { bytes: number }): AsyncGenerator<Uint8Array> {
  const size = await csvFileSize(path);
  if (!isGzipPath(path)) { yield* rawChunks(path, size, counter); return; }
  const gunzip = Readable.from(rawChunks(path, size, counter), { objectMode: false }).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    throw new SpillwayError('io', `cannot read gzipped CSV file "${path}": ${(e as Error).message}`);
  } finally {
    gunzip.destroy();
  }
}
