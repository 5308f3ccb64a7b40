import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import type { MemoryTable } from '../../src/catalog.js';
import { memoryScan } from '../../src/exec/memory_scan.js';
import { SpillwayError } from '../../src/common/errors.js';
import type { MemoryScanNode } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';

const T = schema([field('id', 'int32'), field('name', 'utf8'), field('score', 'float64')]);
const row = (i: number): Scalar[] => [i, i % 4 === 0 ? null : `n${i}`, i % 5 === 0 ? null : i / 2];
const range = (a: number, b: number): Scalar[][] => Array.from({ length: b - a }, (_, k) => row(a + k));
// Batches of 3, 0, 10 and 1 rows.
const table: MemoryTable = { schema: T, batches: [batchFromRows(T, range(0, 3)), batchFromRows(T, []), batchFromRows(T, range(3, 13)), batchFromRows(T, range(13, 14))] };

function node(projection: number[], partitions = 1, name = 'People'): MemoryScanNode {
  return { kind: 'MemoryScan', id: 3, table: name, projection, partitions, schema: schema(projection.map((p) => T.fields[p]!)) };
}

async function run(n: MemoryScanNode, partition: number, batchSize = 8192): Promise<Batch[]> {
  const ctx = { ...testContext({ batch_size: batchSize }), memoryTables: new Map([['people', table]]) };
  const out: Batch[] = [];
  for await (const b of memoryScan(n, partition, ctx)) out.push(b);
  return out;
}

describe('MemoryScan', () => {
  it('reads every row, projected and reordered, NULLs included', async () => {
    const batches = await run(node([2, 0]), 0);
    expect(batches.map((b) => b.length)).toEqual([3, 10, 1]);
    expect(batches.flatMap((b) => batchRows(b))).toEqual(range(0, 14).map((r) => [r[2], r[0]]));
    expect(batches[0]!.schema.fields.map((f) => f.name)).toEqual(['score', 'id']);
  });

  it('re-slices batches larger than batch_size', async () => {
    const batches = await run(node([0, 1, 2]), 0, 4);
    expect(batches.map((b) => b.length)).toEqual([3, 4, 4, 2, 1]);
    expect(batches.flatMap((b) => batchRows(b))).toEqual(range(0, 14));
  });

  it('splits batches round-robin across partitions', async () => {
    const n = node([0], 2);
    const p0 = (await run(n, 0)).flatMap((b) => batchRows(b)).map((r) => r[0]);
    const p1 = (await run(n, 1)).flatMap((b) => batchRows(b)).map((r) => r[0]);
    expect(p0).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // batches 0 and 2
    expect(p1).toEqual([13]); // batches 1 (empty) and 3
  });

  it('reads row counts with an empty projection', async () => {
    const batches = await run(node([]), 0);
    expect(batches.reduce((k, b) => k + b.length, 0)).toBe(14);
    expect(batches.every((b) => b.columns.length === 0)).toBe(true);
  });

  it('names a table that is gone', async () => {
    const e = await run(node([0], 1, 'ghost'), 0).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as Error).message).toBe('in-memory table "ghost" no longer exists');
  });
});
