import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import { collect, executePlan } from '../../../src/exec/execute.js';
import type { TaskContext } from '../../../src/exec/context.js';
import { col, lit } from '../../../src/expr/expr.js';
import type { MemoryPool } from '../../../src/memory/pool.js';
import type { PhysicalPlan, SortNode } from '../../../src/plan/physical.js';
import { field, schema, type Scalar, type Schema } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode, sourceStats } from '../../helpers/source.js';
import { RecordingPool } from '../recording_pool.js';
import { referenceSort, sortKeys, toBatches, valueArb, type RefKey } from './reference.js';

const S = schema([
  field('i', 'int32'), field('l', 'int64'), field('f', 'float64'), field('s', 'utf8'), field('d', 'date32'), field('b', 'bool'),
]);

function sortPlan(input: PhysicalPlan, keys: readonly RefKey[], s: Schema = S): SortNode {
  return { kind: 'Sort', id: 1, schema: s, partitions: input.partitions, input, keys: sortKeys(s, keys) };
}

const rowsOf = (bs: readonly Batch[]): Scalar[][] => bs.flatMap(batchRows);

function ctxWith(pool: MemoryPool, batchSize = 8192): TaskContext {
  return { ...testContext({ batch_size: batchSize }), memory: pool };
}

describe('Sort', () => {
  const rows: Scalar[][] = [
    [3, 30n, 1.5, 'abc', 10, true],
    [null, 10n, NaN, 'ab', null, false],
    [1, null, -0, 'é', 12, null],
    [3, 5n, 0, null, 10, true],
    [2, 30n, null, 'abcd', -5, false],
    [1, -(2n ** 62n), -Infinity, '', 0, true],
  ];

  it('sorts many batches on multiple keys with mixed directions and NULL placement', async () => {
    const keys: RefKey[] = [{ index: 0, ascending: false, nullsFirst: true }, { index: 3, ascending: true, nullsFirst: false }];
    const src = sourceNode(toBatches(S, rows, [2, 1]), S);
    const out = await collect(sortPlan(src, keys), testContext());
    expect(rowsOf(out)).toEqual([
      [null, 10n, NaN, 'ab', null, false],
      [3, 30n, 1.5, 'abc', 10, true],
      [3, 5n, 0, null, 10, true],
      [2, 30n, null, 'abcd', -5, false],
      [1, -(2n ** 62n), -Infinity, '', 0, true],
      [1, null, -0, 'é', 12, null],
    ]);
  });

  it('emits batch_size chunks and records sortedRows', async () => {
    const many = Array.from({ length: 25 }, (_, i): Scalar[] => [(i * 7) % 25, BigInt(i), i / 2, `r${i}`, i, i % 2 === 0]);
    const node = sortPlan(sourceNode(toBatches(S, many, [4, 9]), S), [{ index: 0, ascending: true, nullsFirst: false }]);
    const ctx = testContext({ batch_size: 10 });
    const out = await collect(node, ctx);
    expect(out.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(rowsOf(out).map((r) => r[0])).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(ctx.metrics.forNode(node.id).extra.sortedRows).toBe(25);
  });

  it('yields nothing for zero batches and for only empty batches', async () => {
    const key: RefKey[] = [{ index: 0, ascending: true, nullsFirst: false }];
    expect(await collect(sortPlan(sourceNode([], S), key), testContext())).toEqual([]);
    const empties = [batchFromRows(S, []), batchFromRows(S, [])];
    expect(await collect(sortPlan(sourceNode(empties, S), key), testContext())).toEqual([]);
  });

  it('sorts a single row', async () => {
    const out = await collect(sortPlan(sourceNode([batchFromRows(S, [rows[0]!])], S), [{ index: 3, ascending: false, nullsFirst: true }]), testContext());
    expect(rowsOf(out)).toEqual([rows[0]]);
  });

  it('sorts by computed key expressions', async () => {
    const s = schema([field('x', 'int32'), field('y', 'int32')]);
    const data: Scalar[][] = [[1, 5], [4, 0], [2, 2], [null, 1]];
    // ORDER BY x + y DESC NULLS LAST, then by a constant (a literal key orders nothing).
    const node: SortNode = {
      kind: 'Sort', id: 1, schema: s, partitions: 1, input: sourceNode([batchFromRows(s, data)], s),
      keys: [
        { expr: { kind: 'binary', op: '+', left: col(0, 'int32'), right: col(1, 'int32'), type: 'int32' }, ascending: false, nullsFirst: false },
        { expr: lit(1, 'int32'), ascending: true, nullsFirst: false },
      ],
    };
    expect(rowsOf(await collect(node, testContext()))).toEqual([[1, 5], [4, 0], [2, 2], [null, 1]]);
  });

  it('holds a spillable Sort[p0] reservation while buffering and frees it afterwards', async () => {
    const pool = new RecordingPool();
    const node = sortPlan(sourceNode(toBatches(S, rows, [2]), S), [{ index: 0, ascending: true, nullsFirst: false }]);
    const it = executePlan(node, 0, ctxWith(pool));
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(pool.registered.map((r) => [r.name, r.spillable])).toEqual([['Sort[p0]', true]]);
    expect(pool.used).toBeGreaterThan(0);
    await it.return(undefined);
    expect(pool.used).toBe(0);
  });

  it('fails with a resources error when the pool refuses, and releases its memory', async () => {
    const pool = new RecordingPool(16);
    const node = sortPlan(sourceNode(toBatches(S, rows, [1]), S), [{ index: 0, ascending: true, nullsFirst: false }]);
    await expect(collect(node, ctxWith(pool))).rejects.toMatchObject({ kind: 'resources' });
    expect(pool.used).toBe(0);
    expect(sourceStats(node.input).closed).toBe(1);
  });

  it('matches a reference sort on random multi-type data, batch boundaries and keys', async () => {
    const rowArb = fc.tuple(valueArb('int32'), valueArb('int64'), valueArb('float64'), valueArb('utf8'), valueArb('date32'), valueArb('bool'));
    const keyArb = fc.record({ index: fc.integer({ min: 0, max: 5 }), ascending: fc.boolean(), nullsFirst: fc.boolean() });
    await fc.assert(fc.asyncProperty(
      fc.array(rowArb, { maxLength: 80 }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 }),
      fc.array(keyArb, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 40 }),
      async (data, sizes, keys, batchSize) => {
        const out = await collect(sortPlan(sourceNode(toBatches(S, data, sizes), S), keys), testContext({ batch_size: batchSize }));
        expect(out.every((b) => b.length <= batchSize)).toBe(true);
        expect(rowsOf(out)).toEqual(referenceSort(data, keys));
      },
    ), { numRuns: 120 });
  });
});
