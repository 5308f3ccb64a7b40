import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import type { TaskContext } from '../../src/exec/context.js';
import { parquetScan } from '../../src/exec/parquet_scan.js';
import { SpillwayError } from '../../src/common/errors.js';
import { col, lit, type PhysicalExpr } from '../../src/expr/expr.js';
import type { FileSlice, ParquetScanNode } from '../../src/plan/physical.js';
import { readParquetMetadata } from '../../src/storage/parquet_metadata.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { field, schema, type Field, type Scalar, type Schema } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';

const repoRoot = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '../..');
const tpch = nodePath.resolve(repoRoot, '../shared/data/tpch/sf0.01');
const lineitem = nodePath.join(tpch, 'lineitem.parquet');

function scanNode(slices: FileSlice[][], fields: Field[], pruning: PhysicalExpr[] = []): ParquetScanNode {
  return {
    kind: 'ParquetScan', id: 7, table: 't', schema: { fields }, partitions: slices.length,
    slices, columns: fields.map((f) => f.name), pruning,
  };
}

async function run(node: ParquetScanNode, ctx: TaskContext, partition = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of parquetScan(node, partition, ctx)) out.push(b);
  return out;
}

const rowsOf = (batches: Batch[]): Scalar[][] => batches.flatMap((b) => batchRows(b));

describe.skipIf(!existsSync(tpch))('ParquetScan over the shared TPC-H files (skipped: ../shared/data/tpch/sf0.01 is absent)', () => {
  it('reads every row and column of lineitem in batches of at most batch_size', async () => {
    const info = await readParquetMetadata(lineitem);
    const ctx = testContext();
    const batches = await run(scanNode([[{ path: lineitem, bytes: info.bytes }]], [...info.schema.fields]), ctx);
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(60175);
    expect(batches.every((b) => b.length <= 8192 && b.columns.length === 16)).toBe(true);
    expect(batches.slice(0, -1).every((b) => b.length === 8192)).toBe(true);
    const m = ctx.metrics.forNode(7).extra;
    expect(m).toMatchObject({ filesRead: 1, rowGroupsRead: 1, rowGroupsPruned: 0 });
    expect(m.bytesScanned).toBeGreaterThan(info.bytes * 0.9);

    // Spot-check values against DuckDB: sums over numbers, dates and string lengths.
    const idx = (name: string) => info.schema.fields.findIndex((f) => f.name === name);
    let qty = 0;
    let days = 0;
    let commentBytes = 0;
    for (const b of batches) {
      const q = b.columns[idx('l_quantity')]!;
      const d = b.columns[idx('l_shipdate')]!;
      const c = b.columns[idx('l_comment')]!;
      if (q.type !== 'float64' || d.type !== 'date32' || c.type !== 'utf8') throw new Error('unexpected column types');
      expect(q.validity).toBeNull();
      for (let i = 0; i < b.length; i++) { qty += q.values[i]!; days += d.values[i]!; }
      commentBytes += c.offsets[b.length]! - c.offsets[0]!;
    }
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const [expected] = (await conn.runAndReadAll(
      `SELECT sum(l_quantity), sum(l_shipdate - DATE '1970-01-01'), sum(strlen(l_comment)) FROM read_parquet('${lineitem}')`,
    )).getRows();
    conn.closeSync();
    expect([qty, BigInt(days), BigInt(commentBytes)]).toEqual([expected![0], BigInt(expected![1] as bigint), BigInt(expected![2] as bigint)]);
  });

  it('reads only the projected columns, in the requested order', async () => {
    const fields = [field('l_comment', 'utf8'), field('l_orderkey', 'int32')];
    const batches = await run(scanNode([[{ path: lineitem, bytes: 0 }]], fields), testContext({ batch_size: 50_000 }));
    expect(batches.map((b) => b.length)).toEqual([50_000, 10_175]);
    expect(batches[0]!.columns.map((c) => c.type)).toEqual(['utf8', 'int32']);
    const first = batchRows(batches[0]!)[0];
    expect(first).toEqual(['egular courts above the', 1]);
  });

  it('names the file and column when a projected column is missing', async () => {
    const e = await run(scanNode([[{ path: lineitem, bytes: 0 }]], [field('l_shipdat', 'date32')]), testContext()).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as Error).message).toBe(`Parquet file "${lineitem}" has no column "l_shipdat" (did you mean "l_shipdate"?)`);
  });

  it('names the file when a column has another type than the table says', async () => {
    const e = await run(scanNode([[{ path: lineitem, bytes: 0 }]], [field('l_orderkey', 'int64')]), testContext()).catch((err: unknown) => err);
    expect((e as Error).message).toBe(`column "l_orderkey" is INTEGER in Parquet file "${lineitem}" but BIGINT in table "t"`);
  });
});

describe('ParquetScan over written files', () => {
  let dir: string;
  let grouped: string; // k = 0..99 in row groups of 10; v = NULL when k % 7 == 0; n all NULL in the last group
  const S: Schema = schema([field('k', 'int32', false), field('v', 'utf8'), field('n', 'int64')]);
  const K = [S.fields[0]!];

  beforeAll(async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-scan-'));
    grouped = nodePath.join(dir, 'grouped.parquet');
    const rows: Scalar[][] = Array.from({ length: 100 }, (_, k) => [k, k % 7 === 0 ? null : `v${k}`, k >= 90 ? null : BigInt(k * 10)]);
    await writeParquet(grouped, [batchFromRows(S, rows.slice(0, 33)), batchFromRows(S, rows.slice(33))], S, { rowGroupSize: 10 });
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  const slice = (): FileSlice[][] => [[{ path: grouped, bytes: 0 }]];
  const cmp = (op: '<' | '>=' | '=', value: number): PhysicalExpr => ({ kind: 'binary', op, left: col(0, 'int32'), right: lit(value, 'int32'), type: 'bool' });

  it('prunes row groups from statistics and reads the rest whole', async () => {
    const ctx = testContext();
    // BETWEEN 35 AND 51 arrives as two conjuncts: groups 3, 4, 5 survive
    const batches = await run(scanNode(slice(), K, [cmp('>=', 35), cmp('<', 52)]), ctx);
    expect(rowsOf(batches).map((r) => r[0])).toEqual(Array.from({ length: 30 }, (_, i) => 30 + i));
    expect(ctx.metrics.forNode(7).extra).toMatchObject({ rowGroupsRead: 3, rowGroupsPruned: 7, filesRead: 1 });
  });

  it('prunes on IS NOT NULL of an all-NULL group and on equality', async () => {
    const ctx = testContext();
    const notNull: PhysicalExpr = { kind: 'unary', op: 'is_not_null', arg: col(1, 'int64'), type: 'bool' };
    const fields = [S.fields[0]!, S.fields[2]!];
    const batches = await run(scanNode(slice(), fields, [notNull]), ctx);
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(90);
    expect(ctx.metrics.forNode(7).extra.rowGroupsPruned).toBe(1);

    const ctx2 = testContext();
    const one = await run(scanNode(slice(), K, [cmp('=', 42)]), ctx2);
    expect(rowsOf(one).map((r) => r[0])).toEqual(Array.from({ length: 10 }, (_, i) => 40 + i));
    expect(ctx2.metrics.forNode(7).extra).toMatchObject({ rowGroupsRead: 1, rowGroupsPruned: 9 });
  });

  it('keeps every row group when nothing can be proven', async () => {
    const ctx = testContext();
    const opaque: PhysicalExpr = { kind: 'call', name: 'abs', args: [col(0, 'int32')], type: 'int32' };
    const batches = await run(scanNode(slice(), K, [opaque]), ctx);
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(100);
    expect(ctx.metrics.forNode(7).extra).toMatchObject({ rowGroupsRead: 10, rowGroupsPruned: 0 });
  });

  it('cuts batches at batch_size within each row group', async () => {
    for (const [size, expected] of [[7, [7, 3]], [1, Array(10).fill(1)], [10, [10]], [64, [10]]] as const) {
      const batches = await run(scanNode(slice(), S.fields.slice()), testContext({ batch_size: size }));
      expect(batches.map((b) => b.length)).toEqual(Array.from({ length: 10 }, () => expected).flat());
      const rows = rowsOf(batches);
      expect(rows).toHaveLength(100);
      expect(rows[14]).toEqual([14, null, 140n]);
      expect(rows[95]).toEqual([95, 'v95', null]);
    }
  });

  it('reads only the row groups a slice names, and splits files across partitions', async () => {
    const node = scanNode([[{ path: grouped, bytes: 0, rowGroups: [0, 9] }], [{ path: grouped, bytes: 0, rowGroups: [5] }]], K);
    expect(rowsOf(await run(node, testContext(), 0)).map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(rowsOf(await run(node, testContext(), 1)).map((r) => r[0])).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    const none = scanNode([[], [{ path: grouped, bytes: 0 }]], K);
    expect(await run(none, testContext(), 0)).toEqual([]);
  });

  it('yields row counts with no columns (count(*))', async () => {
    const batches = await run(scanNode(slice(), []), testContext({ batch_size: 32 }));
    expect(batches.map((b) => b.length)).toEqual(Array(10).fill(10));
    expect(batches.every((b) => b.columns.length === 0)).toBe(true);
  });

  it('reads several files one after another and counts them', async () => {
    const ctx = testContext();
    const node = scanNode([[{ path: grouped, bytes: 0 }, { path: grouped, bytes: 0, rowGroups: [1] }]], K);
    expect((await run(node, ctx)).reduce((n, b) => n + b.length, 0)).toBe(110);
    expect(ctx.metrics.forNode(7).extra).toMatchObject({ filesRead: 2, rowGroupsRead: 11 });
  });

  it('fails with an io error naming a missing or corrupt file', async () => {
    const missing = nodePath.join(dir, 'missing.parquet');
    const e1 = await run(scanNode([[{ path: missing, bytes: 0 }]], K), testContext()).catch((err: unknown) => err);
    expect(e1).toBeInstanceOf(SpillwayError);
    expect((e1 as SpillwayError).kind).toBe('io');
    expect((e1 as Error).message).toBe(`cannot read Parquet file "${missing}": no such file`);

    const corrupt = nodePath.join(dir, 'corrupt.parquet');
    await writeFile(corrupt, 'a,b\n1,2\n'.repeat(10));
    const e2 = await run(scanNode([[{ path: corrupt, bytes: 0 }]], K), testContext()).catch((err: unknown) => err);
    expect((e2 as Error).message).toBe(`cannot read Parquet file "${corrupt}": not a Parquet file (no PAR1 footer)`);
  });

  it('stops with a cancelled error once the signal is aborted', async () => {
    const controller = new AbortController();
    const ctx: TaskContext = { ...testContext({ batch_size: 10 }), signal: controller.signal };
    const seen: number[] = [];
    const e = await (async () => {
      for await (const b of parquetScan(scanNode(slice(), K), 0, ctx)) {
        seen.push(b.length);
        controller.abort();
      }
    })().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe('cancelled');
    expect(seen).toEqual([10]);
  });
});
