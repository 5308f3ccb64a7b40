/**
 * The footer cache (storage/footer_cache.ts): a file's footer is decoded once while the
 * file is unchanged, and decoded again as soon as it changes: rewritten in place, replaced
 * by a rename, or rewritten by COPY … (OVERWRITE) between two queries of one session.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { openParquetFile, readParquetMetadata, type ParquetFileInfo } from '../../src/storage/parquet_metadata.js';
import { cachedFooter, cachedFooterCount, cacheFooter } from '../../src/storage/footer_cache.js';
import type { FileMetaData } from 'hyparquet';

describe('footer cache', () => {
  let dir: string;
  let db: Spillway;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-footers-'));
    db = await Spillway.create({ workers: 0 });
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = async (path: string, rows: number): Promise<void> => {
    await db.sql(`copy (select x, x * 2 as y from (values ${Array.from({ length: rows }, (_, i) => `(${i})`).join(',')}) t(x)) to '${path}' (overwrite)`);
  };

  it('reuses a decoded footer while the file is unchanged', async () => {
    const path = join(dir, 'same.parquet');
    await write(path, 5);
    const a = await readParquetMetadata(path);
    const b = await openParquetFile(path);
    await b.file.close();
    expect(b.info).toBe(a);
    expect(a.rows).toBe(5);
  });

  it('decodes again after the file is rewritten in place or replaced by a rename', async () => {
    const path = join(dir, 'changing.parquet');
    await write(path, 3);
    expect((await readParquetMetadata(path)).rows).toBe(3);
    // in place: same inode, new size and mtime
    const other = join(dir, 'other.parquet');
    await write(other, 7);
    writeFileSync(path, readFileSync(other));
    expect((await readParquetMetadata(path)).rows).toBe(7);
    // replaced by a rename: a new inode
    await write(other, 11);
    renameSync(other, path);
    expect((await readParquetMetadata(path)).rows).toBe(11);
  });

  it('a session sees a table rewritten by COPY between two of its queries', async () => {
    const path = join(dir, 'table.parquet');
    await write(path, 4);
    const count = async (): Promise<unknown> => (await db.sql(`select count(*) as n, sum(y) as s from '${path}'`)).rows()[0];
    expect(await count()).toEqual([4n, 12n]);
    await write(path, 6);
    expect(await count()).toEqual([6n, 30n]);
  });

  it('keeps at most 256 footers and 4 MiB of encoded footer, dropping the least recently used', () => {
    const footer = (bytes: number) => ({ metadata: { metadata_length: bytes } as FileMetaData, info: {} as ParquetFileInfo });
    for (let i = 0; i < 300; i++) cacheFooter(`/lru/${i}`, 'v', footer(100));
    // the last 256 stay, whatever was cached before
    expect(cachedFooterCount()).toBe(256);
    expect(cachedFooter('/lru/43', 'v')).toBeUndefined();
    expect(cachedFooter('/lru/44', 'v')).toBeDefined(); // now the most recently used
    // one more entry: the least recently used goes for the count (45), then for the bytes (46, 47)
    cacheFooter('/lru/big', 'v', footer(4 * 1024 * 1024 - 256 * 100 + 250));
    for (const gone of [45, 46, 47]) expect(cachedFooter(`/lru/${gone}`, 'v'), `/lru/${gone}`).toBeUndefined();
    for (const kept of ['44', '48', 'big']) expect(cachedFooter(`/lru/${kept}`, 'v'), `/lru/${kept}`).toBeDefined();
    // another version of a file is a miss, and drops the old entry
    expect(cachedFooter('/lru/big', 'w')).toBeUndefined();
    expect(cachedFooter('/lru/big', 'v')).toBeUndefined();
    // no version: never cached
    cacheFooter('/lru/none', undefined, footer(10));
    expect(cachedFooter('/lru/none', undefined)).toBeUndefined();
  });
});
