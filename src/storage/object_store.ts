/**
 * ObjectStore: the one small interface every byte of table data is read through.
 *
 * Local files (storage/local_store.ts) and S3 (storage/s3_store.ts, s3://bucket/key), which
 * is why the shape follows what an object store offers cheaply: the size of an object, a
 * byte range of it, and a listing by key prefix. Directories are only a convention of keys
 * ("a/b/" prefixes).
 *
 * Stores are per process: the session (from its settings) and each worker (from a task's
 * settings) call configureObjectStores before reading; storeFor then hands out the S3 store
 * for those settings (one SDK client per distinct settings, reused).
 *
 * `open` hands out a ReadableObject, which is hyparquet's AsyncBuffer
 * ({ byteLength, slice(start, end) → Promise<ArrayBuffer> }) plus a byte counter and close().
 */
import { SpillwayError } from '../common/errors.js';
import { localStore } from './local_store.js';
import { isS3Path, S3_SETTING_KEYS, S3Store, type S3Settings } from './s3_store.js';

export interface ObjectInfo {
  kind: 'file' | 'directory';
  /** Bytes; 0 for directories. */
  size: number;
  /** A file's version, as ReadableObject.version gives it (undefined when unknown). */
  version?: string;
}

export interface ReadableObject {
  readonly path: string;
  readonly byteLength: number;
  /**
   * Changes whenever the object's bytes may have (size, mtime and inode of a local file; the
   * ETag of an S3 object); undefined when the store cannot tell. Keys the footer cache.
   */
  readonly version?: string;
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

const DEFAULT_S3: S3Settings = {
  s3_region: '', s3_endpoint: '', s3_url_style: 'vhost', s3_access_key_id: '', s3_secret_access_key: '', s3_session_token: '',
  s3_use_ssl: true, network_timeout_ms: 30_000,
};

let s3Settings: S3Settings = DEFAULT_S3;
/** S3 stores by their settings: a few at most (sessions or queries with different endpoints). */
const s3Stores = new Map<string, S3Store>();
const MAX_S3_STORES = 8;

/** Use these settings (a Config or any object with the s3_* keys) for s3:// paths from now on. */
export function configureObjectStores(settings: S3Settings): void {
  const next = {} as Record<string, unknown>;
  for (const k of S3_SETTING_KEYS) next[k] = settings[k];
  s3Settings = next as unknown as S3Settings;
}

/** The S3 store for the current settings. */
export function s3Store(): S3Store {
  const key = JSON.stringify(S3_SETTING_KEYS.map((k) => s3Settings[k]));
  let store = s3Stores.get(key);
  if (!store) {
    if (s3Stores.size >= MAX_S3_STORES) {
      const [oldest, old] = s3Stores.entries().next().value as [string, S3Store];
      old.destroy();
      s3Stores.delete(oldest);
    }
    store = new S3Store(s3Settings);
    s3Stores.set(key, store);
  }
  return store;
}

/** True for paths served by a remote object store (s3://…), false for local paths and file:// URLs. */
export function isRemotePath(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !path.startsWith('file://');
}

/** The store that serves a path: s3:// URLs go to S3, plain paths and file:// URLs are local. */
export function storeFor(path: string): ObjectStore {
  if (isS3Path(path)) return s3Store();
  if (isRemotePath(path)) {
    throw new SpillwayError('unsupported', `unsupported storage location "${path}": only local paths and s3:// URLs are supported`);
  }
  return localStore;
}
