/**
 * RowGroupReader fetches the first window of every column before it waits for any of them
 * (and prefetch() does the same ahead of time), so the reads of a row group overlap; the rows
 * are the same as without the overlap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { readRowGroupColumns, RowGroupReader } from '../../src/storage/parquet_columns.js';
import { openParquetFile } from '../../src/storage/parquet_metadata.js';
import type { ReadableObject } from '../../src/storage/object_store.js';

/** A file whose reads are held until released, recording when each was asked for. */
class GatedObject implements ReadableObject {
  readonly asked: [number, number][] = [];
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly inner: ReadableObject) {}
  get path(): string { return this.inner.path; }
  get byteLength(): number { return this.inner.byteLength; }
  get bytesRead(): number { return this.inner.bytesRead; }
  async slice(start: number, end?: number): Promise<ArrayBuffer> {
    this.asked.push([start, end ?? this.byteLength]);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.inner.slice(start, end);
  }
  release(): void { for (const r of this.waiting.splice(0)) r(); }
  close(): Promise<void> { return this.inner.close(); }
}

describe('row group reads overlap', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-prefetch-'));
    const db = await Spillway.create({ workers: 0 });
    await db.sql('create table t(a integer, b double, s varchar)');
    await db.sql(`insert into t values ${Array.from({ length: 300 }, (_, i) => `(${i}, ${i / 4}, 's${i % 7}')`).join(', ')}`);
    await db.sql(`copy t to '${join(dir, 't.parquet')}' (format parquet, row_group_size 100)`);
    await db.close();
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('asks for every column before any read completes, and prefetch() before read()', async () => {
    const { file, metadata, info } = await openParquetFile(join(dir, 't.parquet'));
    const gated = new GatedObject(file);
    try {
      const cols = info.schema.fields.map((f) => ({ name: f.name, type: f.type }));
      const want = await readRowGroupColumns(file, metadata, 1, 100, cols);
      const reader = new RowGroupReader(gated, metadata, 1, 100, cols, false, 1 << 20);
      reader.prefetch();
      expect(gated.asked).toHaveLength(3); // nothing awaited yet: all three asked for at once
      expect(reader.heldBytes).toBeGreaterThan(0); // what is being fetched counts as held
      const rows = reader.read(100);
      await new Promise((r) => setTimeout(r, 10));
      expect(gated.asked).toHaveLength(3); // read() waits for those, asks for nothing more
      gated.release();
      const got = await rows;
      expect(got.map((c) => ('values' in c ? Array.from(c.values as ArrayLike<number>) : null)))
        .toEqual(want.map((c) => ('values' in c ? Array.from(c.values as ArrayLike<number>) : null)));
      reader.close();

      // read() alone also asks for every column before it waits for the first
      const before = gated.asked.length;
      const second = new RowGroupReader(gated, metadata, 2, 100, cols, false, 1 << 20);
      const pending = second.read(50);
      await new Promise((r) => setTimeout(r, 10));
      expect(gated.asked.length - before).toBe(3);
      gated.release();
      await pending;
      second.close();
    } finally {
      await file.close();
    }
  });
});
