/**
 * ObjectStore: the one small interface every byte of table data is read through.
 *
 * Local files today (storage/local_store.ts); S3 later, which is why the shape follows what
 * an object store offers cheaply: the size of an object, a byte range of it, and a listing
 * by key prefix. Directories are only a convention of keys ("a/b/" prefixes).
 *
 * `open` hands out a ReadableObject, which is hyparquet's AsyncBuffer
 * ({ byteLength, slice(start, end) → Promise<ArrayBuffer> }) plus a byte counter and close().
 */
import { SpillwayError } from '../common/errors.js';
import { localStore } from './local_store.js';

export interface ObjectInfo {
  kind: 'file' | 'directory';
  /** Bytes; 0 for directories. */
  size: number;
}

export interface ReadableObject {
  readonly path: string;
  readonly byteLength: number;
  /** Bytes [start, end) as a fresh ArrayBuffer (end defaults to byteLength). */
  slice(start: number, end?: number): Promise<ArrayBuffer>;
  /** Bytes fetched through slice() so far (for scan metrics). */
  readonly bytesRead: number;
  close(): Promise<void>;
}

export interface ObjectStore {
  /** What the object at `path` is, or null when nothing is there. */
  stat(path: string): Promise<ObjectInfo | null>;
  /** Bytes [start, end) of one object. */
  read(path: string, start: number, end: number): Promise<Uint8Array>;
  /** Every object under a directory prefix, recursively, sorted by path. */
  list(prefix: string): Promise<string[]>;
  open(path: string): Promise<ReadableObject>;
}

/** The store that serves a path (only local files for now; s3:// comes later). */
export function storeFor(path: string): ObjectStore {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !path.startsWith('file://')) {
    throw new SpillwayError('unsupported', `unsupported storage location "${path}": only local paths are supported`);
  }
  return localStore;
}
