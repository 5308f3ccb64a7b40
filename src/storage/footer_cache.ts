/**
 * Decoded Parquet footers, reused while their file is unchanged.
 *
 * A query decodes a file's footer when it plans (the distribution guards, scan splitting)
 * and again when it scans. For a large file that is not free: lineitem at SF 1 (49 row
 * groups × 16 columns) takes ~14 ms per decode, which was a tenth of a small query's time,
 * and twice that when worker threads are on (bench/RESULTS.md). On S3 each decode is also
 * one or two GETs.
 *
 *   open(path) ─▶ object.version ── same as the cached entry's ─▶ cached footer
 *                                └─ else: decode, cache (if the object has a version)
 *   readParquetMetadata(path) (planning) ─▶ stat(path).version ─▶ the same check, without
 *                                           opening the file
 *
 * The version is what the store knows of the object's bytes: size, mtime and inode of a
 * local file (a rewrite or a rename over it changes one of them), the ETag of an S3
 * object. An object without a version is never cached. Each isolate (thread) has its own
 * cache; it holds at most MAX_ENTRIES footers and MAX_FOOTER_BYTES of encoded footer, and
 * drops the least recently used first.
 */
import type { FileMetaData } from 'hyparquet';
import type { ParquetFileInfo } from './parquet_metadata.js';

export interface CachedFooter {
  readonly metadata: FileMetaData;
  readonly info: ParquetFileInfo;
}

const MAX_ENTRIES = 256;
/** Encoded bytes; decoded, a footer takes ~10× that in heap (lineitem SF 1: 68 KB → 690 KiB). */
const MAX_FOOTER_BYTES = 4 * 1024 * 1024;

interface Entry extends CachedFooter { readonly version: string; readonly bytes: number }

/** Map order is recency: a hit moves its entry to the end. */
const entries = new Map<string, Entry>();
let footerBytes = 0;

/** The footer of `path` at `version`, or undefined. */
export function cachedFooter(path: string, version: string | undefined): CachedFooter | undefined {
  if (version === undefined) return undefined;
  const e = entries.get(path);
  if (e === undefined) return undefined;
  entries.delete(path);
  if (e.version !== version) { footerBytes -= e.bytes; return undefined; }
  entries.set(path, e);
  return e;
}

/** Whether some version of `path`'s footer is cached (worth a stat to check it). */
export function hasCachedFooter(path: string): boolean {
  return entries.has(path);
}

/** Remember the footer of `path` at `version` (nothing without a version). */
export function cacheFooter(path: string, version: string | undefined, footer: CachedFooter): void {
  if (version === undefined) return;
  const bytes = Math.max(0, footer.metadata.metadata_length);
  if (bytes > MAX_FOOTER_BYTES) return;
  const old = entries.get(path);
  if (old !== undefined) { entries.delete(path); footerBytes -= old.bytes; }
  entries.set(path, { ...footer, version, bytes });
  footerBytes += bytes;
  for (const [p, e] of entries) {
    if (entries.size <= MAX_ENTRIES && footerBytes <= MAX_FOOTER_BYTES) break;
    entries.delete(p);
    footerBytes -= e.bytes;
  }
}

/** Footers cached in this isolate (tests). */
export function cachedFooterCount(): number {
  return entries.size;
}
