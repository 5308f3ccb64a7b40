import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { batchRows } from '../../src/columnar/kernels.js';
import { values } from '../../src/exec/values.js';
import type { ValuesNode } from '../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../src/common/types.js';
import { testContext } from '../helpers/context.js';

const S = schema([field('a', 'int32'), field('b', 'utf8'), field('c', 'int64'), field('d', 'bool')]);
const rows = (n: number): Scalar[][] => Array.from({ length: n }, (_, i) => [i, i % 3 === 0 ? null : `s${i}`, BigInt(i) * 1_000_000_000_000n, i % 2 === 0]);
const node = (r: Scalar[][], partitions = 1): ValuesNode => ({ kind: 'Values', id: 1, schema: S, partitions, rows: r });

async function run(n: ValuesNode, partition: number, batchSize = 8192): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of values(n, partition, testContext({ batch_size: batchSize }))) out.push(b);
  return out;
}

describe('Values', () => {
  it('turns rows into typed columns, NULLs included', async () => {
    const data = rows(5);
    const batches = await run(node(data), 0);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.columns.map((c) => c.type)).toEqual(['int32', 'utf8', 'int64', 'bool']);
    expect(batchRows(batches[0]!)).toEqual(data);
  });

  it('cuts batches at batch_size', async () => {
    const data = rows(10);
    const batches = await run(node(data), 0, 4);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batches.flatMap((b) => batchRows(b))).toEqual(data);
    expect((await run(node(rows(1)), 0, 1)).map((b) => b.length)).toEqual([1]);
  });

  it('produces nothing for no rows', async () => {
    expect(await run(node([]), 0)).toEqual([]);
  });

  it('splits rows evenly across partitions, each row once', async () => {
    const data = rows(10);
    const n = node(data, 3);
    const parts = [await run(n, 0, 2), await run(n, 1, 2), await run(n, 2, 2)];
    expect(parts.map((p) => p.reduce((k, b) => k + b.length, 0))).toEqual([3, 3, 4]);
    expect(parts.flat().flatMap((b) => batchRows(b))).toEqual(data);
    // more partitions than rows: some are empty
    const few = node(rows(2), 4);
    const counts = await Promise.all([0, 1, 2, 3].map(async (p) => (await run(few, p)).reduce((k, b) => k + b.length, 0)));
    expect(counts).toEqual([0, 1, 0, 1]);
  });
});
