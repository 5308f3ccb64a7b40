import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/columnar/column.js';
import { hashColumns } from '../../../src/columnar/hash.js';
import { batchFromRows, batchRows } from '../../../src/columnar/kernels.js';
import { collect } from '../../../src/exec/execute.js';
import type { PhysicalExpr } from '../../../src/expr/expr.js';
import type { HashJoinType, JoinType } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import {
  and, cmp, HASH_JOIN_TYPES, hashJoinNode, JOIN_TYPES, nestedLoopJoinNode, referenceJoin, sortRows, sqlCmp, toBatches, type RowPredicate,
} from './reference.js';

const L = schema([field('k1', 'int32'), field('k2', 'utf8'), field('lv', 'int64'), field('lf', 'float64')]);
const R = schema([field('k1', 'int32'), field('k2', 'utf8'), field('rv', 'int64'), field('rs', 'utf8')]);

const leftRows: Scalar[][] = Array.from({ length: 40 }, (_, i) => [
  i % 7 === 0 ? null : i % 5, i % 11 === 0 ? null : ['a', 'b', 'é'][i % 3]!, BigInt(i), i * 0.5,
]);
const rightRows: Scalar[][] = Array.from({ length: 30 }, (_, i) => [
  i % 8 === 0 ? null : i % 6, i % 13 === 0 ? null : ['a', 'b', 'c'][i % 3]!, BigInt(i * 3), `r${i}`,
]);

function keyPredicate(lk: number[], rk: number[]): RowPredicate {
  return (l, r) => lk.every((k, i) => sqlCmp('=', l[k]!, r[rk[i]!]!));
}

async function run(
  t: HashJoinType, left: Batch[] | Batch[][], right: Batch[] | Batch[][], lk: number[], rk: number[],
  filter: PhysicalExpr | null, batchSize: number, opts: { leftParts?: number; rightParts?: number; distribution?: 'single' | 'partitioned' | 'broadcast'; nullAware?: boolean } = {},
) {
  const ls = sourceNode(left, L, opts.leftParts ?? 1);
  const rs = sourceNode(right, R, opts.rightParts ?? 1);
  const node = hashJoinNode(ls, rs, t, lk, rk, filter, {
    distribution: opts.distribution ?? 'single', ...(opts.nullAware ? { nullAware: true } : {}),
  });
  const ctx = testContext({ batch_size: batchSize });
  const out = await collect(node, ctx);
  for (const b of out) {
    expect(b.length).toBeLessThanOrEqual(batchSize);
    expect(b.columns.length).toBe(node.schema.fields.length);
  }
  expect(ctx.memory.used).toBe(0);
  return { rows: out.flatMap(batchRows), ctx, node };
}

const KEY_SETS: { name: string; lk: number[]; rk: number[] }[] = [
  { name: 'int32 key', lk: [0], rk: [0] },
  { name: 'utf8 key', lk: [1], rk: [1] },
  { name: 'int32 + utf8 keys', lk: [0, 1], rk: [0, 1] },
];

describe.each(HASH_JOIN_TYPES)('HashJoin %s', (t) => {
  for (const { name, lk, rk } of KEY_SETS) {
    for (const withFilter of [false, true]) {
      it(`${name}${withFilter ? ' with a residual filter' : ''}: NULL and duplicate keys, batch boundaries`, async () => {
        const filter = withFilter ? cmp('<', L, 2, R, 2) : null;
        const on: RowPredicate = (l, r) => keyPredicate(lk, rk)(l, r) && (!withFilter || sqlCmp('<', l[2]!, r[2]!));
        const want = sortRows(referenceJoin(leftRows, rightRows, 4, 4, t, on));
        for (const batchSize of [3, 8192]) {
          const { rows } = await run(t, toBatches(L, leftRows, [1, 3, 7]), toBatches(R, rightRows, [4, 10]), lk, rk, filter, batchSize);
          expect(sortRows(rows)).toEqual(want);
        }
      });
    }
  }

  it('empty build side', async () => {
    const want = sortRows(referenceJoin(leftRows, [], 4, 4, t, () => true));
    const { rows } = await run(t, toBatches(L, leftRows, [9]), [], [0], [0], cmp('<', L, 2, R, 2), 5);
    expect(sortRows(rows)).toEqual(want);
    if (t === 'left' || t === 'full') expect(rows[0]!.slice(4)).toEqual([null, null, null, null]);
  });

  it('empty probe side', async () => {
    const want = sortRows(referenceJoin([], rightRows, 4, 4, t, () => true));
    const { rows } = await run(t, [batchFromRows(L, [])], toBatches(R, rightRows, [7]), [0], [0], null, 4);
    expect(sortRows(rows)).toEqual(want);
  });

  it('a probe batch with far more than batch_size matches is emitted in chunks', async () => {
    const left = Array.from({ length: 12 }, (_, i): Scalar[] => [i % 3 === 0 ? 2 : 1, 'x', BigInt(i), 0]);
    const right = Array.from({ length: 300 }, (_, i): Scalar[] => [i % 10 === 0 ? 3 : 1, 'y', BigInt(i), 's']);
    const filter = cmp('>=', L, 2, R, 2);
    for (const f of [null, filter]) {
      const on: RowPredicate = (l, r) => sqlCmp('=', l[0]!, r[0]!) && (f === null || sqlCmp('>=', l[2]!, r[2]!));
      const { rows, ctx, node } = await run(t, [batchFromRows(L, left)], toBatches(R, right, [100]), [0], [0], f, 64);
      expect(sortRows(rows)).toEqual(sortRows(referenceJoin(left, right, 4, 4, t, on)));
      expect(ctx.metrics.forNode(node.id).extra).toMatchObject({ buildRows: 300, probeRows: 12 });
    }
  });
});

describe('HashJoin specifics', () => {
  it('emits a left row with NULLs when its key matches but the residual fails', async () => {
    const left = [[1, 'a', 5n, 0]];
    const right = [[1, 'a', 1n, 'r']];
    const { rows } = await run('left', [batchFromRows(L, left)], [batchFromRows(R, right)], [0], [0], cmp('<', L, 2, R, 2), 10);
    expect(rows).toEqual([[1, 'a', 5n, 0, null, null, null, null]]);
    const semi = await run('semi', [batchFromRows(L, left)], [batchFromRows(R, right)], [0], [0], cmp('<', L, 2, R, 2), 10);
    expect(semi.rows).toEqual([]);
    const anti = await run('anti', [batchFromRows(L, left)], [batchFromRows(R, right)], [0], [0], cmp('<', L, 2, R, 2), 10);
    expect(anti.rows).toEqual([[1, 'a', 5n, 0]]);
  });

  it('semi join emits each probe row once however many build rows match', async () => {
    const left = [[1, 'a', 1n, 0], [2, 'a', 2n, 0]];
    const right = [[1, 'a', 1n, 'r'], [1, 'b', 2n, 'r'], [1, 'c', 3n, 'r']];
    for (const f of [null, cmp('<', L, 2, R, 2)]) {
      const { rows } = await run('semi', [batchFromRows(L, left)], [batchFromRows(R, right)], [0], [0], f, 10);
      expect(rows).toEqual([[1, 'a', 1n, 0]]);
    }
  });

  it('null-aware anti join follows NOT IN semantics', async () => {
    const left = [[1, 'a', 1n, 0], [2, 'a', 2n, 0], [null, 'a', 3n, 0]];
    const rightNoNull = [[1, 'a', 0n, 'r'], [5, 'a', 0n, 'r']];
    const rightWithNull = [...rightNoNull, [null, 'b', 0n, 'r']];
    const na = { nullAware: true };
    // x NOT IN (1, 5): 2 qualifies; NULL NOT IN (…) is unknown.
    expect((await run('anti', [batchFromRows(L, left)], [batchFromRows(R, rightNoNull)], [0], [0], null, 10, na)).rows)
      .toEqual([[2, 'a', 2n, 0]]);
    // x NOT IN (1, 5, NULL): never true.
    expect((await run('anti', [batchFromRows(L, left)], [batchFromRows(R, rightWithNull)], [0], [0], null, 10, na)).rows).toEqual([]);
    // x NOT IN (empty): always true, NULL included.
    expect(sortRows((await run('anti', [batchFromRows(L, left)], [], [0], [0], null, 10, na)).rows)).toEqual(sortRows(left));
    // A plain anti join (NOT EXISTS) keeps the NULL-key row.
    expect(sortRows((await run('anti', [batchFromRows(L, left)], [batchFromRows(R, rightWithNull)], [0], [0], null, 10)).rows))
      .toEqual(sortRows([[2, 'a', 2n, 0], [null, 'a', 3n, 0]]));
  });

  it('broadcast: every left partition probes the whole build side', async () => {
    const leftParts = [toBatches(L, leftRows.slice(0, 15), [4]), toBatches(L, leftRows.slice(15), [6])];
    const rightParts = [toBatches(R, rightRows.slice(0, 10), [3]), [], toBatches(R, rightRows.slice(10), [5])];
    for (const t of ['inner', 'left', 'semi', 'anti'] as JoinType[]) {
      const { rows } = await run(t, leftParts, rightParts, [0], [0], null, 7, { leftParts: 2, rightParts: 3, distribution: 'broadcast' });
      expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 4, 4, t, keyPredicate([0], [0]))));
    }
    await expect(run('full', leftParts, rightParts, [0], [0], null, 7, { leftParts: 2, rightParts: 3, distribution: 'broadcast' }))
      .rejects.toThrow(/cannot broadcast/);
  });

  it('partitioned: sides split by hash % n join partition by partition', async () => {
    const n = 3;
    const split = (s: typeof L, rows: Scalar[][], keyCols: number[]): Batch[][] => {
      const b = batchFromRows(s, rows);
      const h = hashColumns(keyCols.map((k) => b.columns[k]!), b.length);
      const parts: Scalar[][][] = Array.from({ length: n }, () => []);
      rows.forEach((r, i) => parts[h[i]! % n]!.push(r));
      return parts.map((p) => toBatches(s, p, [5]));
    };
    for (const t of JOIN_TYPES) {
      const { rows } = await run(t, split(L, leftRows, [0, 1]), split(R, rightRows, [0, 1]), [0, 1], [0, 1], null, 6,
        { leftParts: n, rightParts: n, distribution: 'partitioned' });
      expect(sortRows(rows)).toEqual(sortRows(referenceJoin(leftRows, rightRows, 4, 4, t, keyPredicate([0, 1], [0, 1]))));
    }
  });

  it('joins an int32 key against an int64 key', async () => {
    const R64 = schema([field('k', 'int64')]);
    const ls = sourceNode([batchFromRows(L, leftRows)], L);
    const rs = sourceNode([batchFromRows(R64, [[1n], [2n], [null], [2n]])], R64);
    const node = hashJoinNode(ls, rs, 'inner', [0], [0]);
    const rows = (await collect(node, testContext())).flatMap(batchRows);
    const want = referenceJoin(leftRows, [[1n], [2n], [null], [2n]], 4, 1, 'inner', (l, r) => sqlCmp('=', l[0]!, r[0]!));
    expect(rows.length).toBeGreaterThan(0);
    expect(sortRows(rows)).toEqual(sortRows(want));
  });

  it('refuses join keys of types that would hash apart', async () => {
    const ls = sourceNode([batchFromRows(L, leftRows)], L);
    const rs = sourceNode([batchFromRows(R, rightRows)], R);
    const node = hashJoinNode(ls, rs, 'inner', [3], [0]); // float64 = int32
    await expect(collect(node, testContext())).rejects.toThrow(/join key 0 compares float64 with int32/);
  });

  it('property: hash join equals nested-loop join and the reference on random tables', async () => {
    const rowArb = fc.tuple(
      fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
      fc.option(fc.constantFrom('a', 'b', ''), { freq: 4 }),
      fc.option(fc.bigInt({ min: 0n, max: 20n }), { freq: 5 }),
    );
    const toL = (r: readonly Scalar[]): Scalar[] => [r[0]!, r[1]!, r[2]!, 1.5];
    const toR = (r: readonly Scalar[]): Scalar[] => [r[0]!, r[1]!, r[2]!, 'z'];
    await fc.assert(fc.asyncProperty(
      fc.array(rowArb, { maxLength: 25 }), fc.array(rowArb, { maxLength: 25 }), fc.constantFrom(...JOIN_TYPES),
      fc.constantFrom<number[]>([0], [1], [0, 1]), fc.boolean(), fc.integer({ min: 1, max: 9 }),
      async (lr, rr, t, keys, withFilter, batchSize) => {
        const left = lr.map(toL), right = rr.map(toR);
        const residual = withFilter ? cmp('<', L, 2, R, 2) : null;
        const on: RowPredicate = (l, r) => keyPredicate(keys, keys)(l, r) && (!withFilter || sqlCmp('<', l[2]!, r[2]!));
        const want = sortRows(referenceJoin(left, right, 4, 4, t, on));
        const lb = toBatches(L, left, [batchSize + 1]), rb = toBatches(R, right, [batchSize]);
        const hj = await run(t, lb, rb, keys, keys, residual, batchSize);
        expect(sortRows(hj.rows)).toEqual(want);
        const eq = keys.map((k) => cmp('=', L, k, R, k));
        const nlj = nestedLoopJoinNode(sourceNode(lb, L), sourceNode(rb, R), t, and(...eq, ...(residual ? [residual] : [])));
        const nljRows = (await collect(nlj, testContext({ batch_size: batchSize }))).flatMap(batchRows);
        expect(sortRows(nljRows)).toEqual(want);
      },
    ), { numRuns: 80 });
  });
});
