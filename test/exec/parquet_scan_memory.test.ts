/**
 * The Parquet scan's memory: a file with one big row group (about 14 MiB of decoded columns)
 * is read a slice at a time, and what the scan holds is reserved in the pool, so the pool's
 * figures bound it: well under the row group with room to spare, and under a tight limit
 * the scan reads smaller slices rather than fail. The rows are the same in both cases.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, type Batch } from '../../src/columnar/column.js';
import type { Schema } from '../../src/common/types.js';
import { parquetScan } from '../../src/exec/parquet_scan.js';
import { FairSpillPool } from '../../src/memory/fair_pool.js';
import type { ParquetScanNode } from '../../src/plan/physical.js';
import { openParquetFile } from '../../src/storage/parquet_metadata.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { testContext } from '../helpers/context.js';

const ROWS = 300_000;
const MiB = 1 << 20;

const schema: Schema = {
  fields: [
    { name: 'i', type: 'int64', nullable: false },
    { name: 'f', type: 'float64', nullable: true },
    { name: 's', type: 'utf8', nullable: false },
  ],
};

function sValue(i: number): string {
  return `row ${i} ${'abcdefghijklmnopqrstuvwxyz'.slice(i % 20)}`;
}

function* data(): Generator<Batch> {
  const enc = new TextEncoder();
  for (let start = 0; start < ROWS; start += 50_000) {
    const n = Math.min(50_000, ROWS - start);
    const i = new BigInt64Array(n);
    const f = new Float64Array(n);
    const fv = new Uint8Array(n);
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(n + 1);
    let o = 0;
    for (let k = 0; k < n; k++) {
      const r = start + k;
      i[k] = BigInt(r) * 7919n;
      f[k] = r / 3;
      fv[k] = r % 11 === 0 ? 0 : 1;
      const b = enc.encode(sValue(r));
      parts.push(b);
      o += b.length;
      offsets[k + 1] = o;
    }
    const bytes = new Uint8Array(o);
    let p = 0;
    for (const b of parts) { bytes.set(b, p); p += b.length; }
    yield makeBatch(schema, [
      { type: 'int64', length: n, validity: null, values: i },
      { type: 'float64', length: n, validity: fv, values: f },
      { type: 'utf8', length: n, validity: null, offsets, data: bytes },
    ], n);
  }
}

let dir: string;
let path: string;
let node: ParquetScanNode;

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-scan-memory-'));
  path = nodePath.join(dir, 'big.parquet');
  await writeParquet(path, data(), schema, { rowGroupSize: ROWS, compression: 'none' });
  const { file, info } = await openParquetFile(path);
  await file.close();
  expect(info.rowGroups.length).toBe(1);
  node = {
    kind: 'ParquetScan', id: 1, table: 'big', schema, partitions: 1,
    slices: [[{ path, bytes: info.bytes }]], columns: ['i', 'f', 's'], pruning: [],
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Scan everything; check each row against the data; return the pool and the scan's figures. */
async function scan(limit: number, batchSize: number): Promise<{ pool: FairSpillPool; extra: Record<string, number>; batches: number }> {
  const pool = new FairSpillPool({ limit });
  const ctx = { ...testContext({ batch_size: batchSize }), memory: pool };
  const dec = new TextDecoder();
  let row = 0;
  let batches = 0;
  for await (const b of parquetScan(node, 0, ctx)) {
    batches++;
    expect(b.length).toBeLessThanOrEqual(batchSize);
    const [i, f, s] = b.columns;
    if (i?.type !== 'int64' || f?.type !== 'float64' || s?.type !== 'utf8') throw new Error('unexpected column types');
    for (let k = 0; k < b.length; k++, row++) {
      if (i.values[k] !== BigInt(row) * 7919n) throw new Error(`row ${row}: i = ${i.values[k]}`);
      const valid = f.validity === null || f.validity[k] === 1;
      if (valid !== (row % 11 !== 0) || (valid && f.values[k] !== row / 3)) throw new Error(`row ${row}: f`);
      if (row % 997 === 0 && dec.decode(s.data.subarray(s.offsets[k]!, s.offsets[k + 1]!)) !== sValue(row)) throw new Error(`row ${row}: s`);
    }
  }
  expect(row).toBe(ROWS);
  expect(pool.used).toBe(0); // everything given back
  return { pool, extra: ctx.metrics.forNode(1).extra, batches };
}

describe('ParquetScan memory', () => {
  it('holds a bounded part of a big row group, and reserves it in the pool', async () => {
    const { pool, extra, batches } = await scan(256 * MiB, 8192);
    const decodedRowGroup = ROWS * (8 + 8 + 1 + 4 + 30);
    expect(decodedRowGroup).toBeGreaterThan(14 * MiB);
    // a window and a page (~1 MiB) per column, plus one slice: not the row group
    expect(extra.scanHeldPeak).toBeGreaterThan(0);
    expect(extra.scanHeldPeak).toBeLessThan(4 * MiB);
    expect(pool.peak).toBeGreaterThanOrEqual(extra.scanHeldPeak!);
    expect(pool.peak).toBeLessThan(5 * MiB);
    expect(extra.scanTight ?? 0).toBe(0);
    expect(batches).toBe(Math.ceil(ROWS / 8192));
  });

  it('under a tight limit reads smaller slices instead of failing, and the pool never goes over', async () => {
    const limit = 3 * MiB;
    const { pool, extra } = await scan(limit, 65536);
    expect(extra.scanTight).toBeGreaterThan(0);
    expect(pool.peak).toBeLessThanOrEqual(limit);
  });
});
