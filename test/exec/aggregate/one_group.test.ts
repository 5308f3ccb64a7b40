/**
 * Aggregates without GROUP BY fold each batch straight over the argument's arrays
 * (updateOneGroup, batch_reduce.ts). The oracle is the grouped path itself: the same
 * aggregates grouped by a key that is the same on every row go through group ids and must
 * give exactly the same values (floats to the bit, since both add in row order).
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, type Batch, type Column } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows, concatBatches } from '../../../src/columnar/kernels.js';
import { col, type AggregateExpr, type AggregateFunction } from '../../../src/expr/expr.js';
import { collect } from '../../../src/exec/execute.js';
import { SpillwayError } from '../../../src/common/errors.js';
import { field, schema, type DataType, type Scalar } from '../../../src/common/types.js';
import { bestBytesRow, bestFloat64Row, countValid, sumFloat64 } from '../../../src/exec/aggregate/batch_reduce.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { aggNode, referenceAggregate, type AggSpec } from './reference.js';

const DEC = 'decimal(18,2)' as const;
const SUM_DEC = 'decimal(38,2)' as const;

/** Column 0 is the constant key of the grouped oracle. */
const S = schema([
  field('k', 'int32'), field('i32', 'int32'), field('i64', 'int64'), field('f64', 'float64'), field('s', 'utf8'),
  field('d', 'date32'), field('ts', 'timestamp'), field('b', 'bool'), field('dec', DEC), field('blob', 'blob'),
  field('t', 'time'), field('nul', 'null'),
]);

function aggType(fn: AggregateFunction, t: DataType): DataType {
  switch (fn) {
    case 'count_star': case 'count': return 'int64';
    case 'avg': return 'float64';
    case 'sum': return t === DEC ? SUM_DEC : t === 'int32' || t === 'int64' ? 'int64' : t === 'null' ? 'null' : 'float64';
    default: return t;
  }
}

const SPECS: AggSpec[] = [
  { fn: 'count_star', arg: null },
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((a): AggSpec => ({ fn: 'count', arg: a })),
  ...[1, 2, 3, 8, 11].map((a): AggSpec => ({ fn: 'sum', arg: a })),
  ...[1, 2, 3].map((a): AggSpec => ({ fn: 'avg', arg: a })),
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].flatMap((a): AggSpec[] => [{ fn: 'min', arg: a }, { fn: 'max', arg: a }]),
];

function aggs(specs: readonly AggSpec[]): AggregateExpr[] {
  return specs.map((s, i) => {
    const t = s.arg === null ? 'int64' : S.fields[s.arg]!.type;
    return { fn: s.fn, arg: s.arg === null ? null : col(s.arg, t), distinct: false, type: aggType(s.fn, t), name: `a${i}` };
  });
}

const WORDS = ['pear', 'apple', 'é', '', 'apples', 'zz', 'appl', '\u{1F600}'];

/** Rows with NULLs everywhere, NaN and ±0 among the doubles, decimals beyond 2^53 when `wide`. */
function rows(n: number, opts: { allNull?: boolean; wide?: boolean } = {}): Scalar[][] {
  const out: Scalar[][] = [];
  for (let i = 0; i < n; i++) {
    const nul = (k: number): boolean => opts.allNull === true || (i * 7 + k) % 5 === 0;
    const f = i % 97 === 3 ? Number.NaN : i % 89 === 5 ? -0 : ((i * 13) % 17) * 0.1 - 0.7;
    out.push([
      0,
      nul(1) ? null : ((i * 37) % 101) - 50,
      nul(2) ? null : BigInt((i * 7919) % 1000) * 1_000_000_000n - 3n,
      nul(3) ? null : f,
      nul(4) ? null : WORDS[(i * 5) % WORDS.length]!,
      nul(0) ? null : 18000 + ((i * 3) % 40) - 20,
      nul(2) ? null : 1_700_000_000_000_000n + BigInt((i * 31) % 97) - 50n,
      nul(1) ? null : i % 3 === 0,
      nul(3) ? null : opts.wide === true && i % 50 === 0 ? 10_000_000_000_000_000n + BigInt(i) : ((i * 7) % 2001) - 1000,
      nul(4) ? null : ['\\x00', '\\xFF', 'ab', '', 'a\\x00'][i % 5]!,
      nul(0) ? null : ((i * 11) % 86_400) * 1_000_000,
      null,
    ]);
  }
  return out;
}

/** `rows` cut into batches of `size` rows, with an empty batch first. */
function batches(rs: Scalar[][], size: number): Batch[] {
  const out = [batchFromRows(S, [])];
  for (let p = 0; p < rs.length; p += size) out.push(batchFromRows(S, rs.slice(p, p + size)));
  return out;
}

/** mode single: no GROUP BY (the fast path) and grouped by the constant key (the oracle, key column dropped). */
async function both(input: Batch[][], specs = SPECS, batchSize = 8192): Promise<{ fast: Scalar[][]; grouped: Scalar[][] }> {
  const a = aggs(specs);
  const ctx = testContext({ batch_size: batchSize });
  const run = async (keys: number[]): Promise<Scalar[][]> => {
    const out = await collect(aggNode(sourceNode(input, S, input.length), 'single', keys, a), ctx);
    return out.flatMap(batchRows).map((r) => r.slice(keys.length));
  };
  return { fast: await run([]), grouped: await run([0]) };
}

/** Partial per partition, then final, with and without the constant key. */
async function bothTwoPhase(input: Batch[][]): Promise<{ fast: Scalar[][]; grouped: Scalar[][] }> {
  const a = aggs(SPECS);
  const ctx = testContext({ batch_size: 8192 });
  const run = async (keys: number[]): Promise<Scalar[][]> => {
    const partial = aggNode(sourceNode(input, S, input.length), 'partial', keys, a);
    const states = await collect(partial, ctx);
    const merged = [concatBatches(partial.schema, states)];
    const final = aggNode(sourceNode(merged, partial.schema), 'final', keys.map((_k, i) => i), a, keys.map((k) => S.fields[k]!));
    return (await collect(final, ctx)).flatMap(batchRows).map((r) => r.slice(keys.length));
  };
  return { fast: await run([]), grouped: await run([0]) };
}

describe('aggregates without GROUP BY (one group, no group ids)', () => {
  it('gives exactly what the grouped path gives, over NULLs, NaN, ±0, strings, blobs, dates, decimals, batches of 8192', async () => {
    const rs = rows(20_000);
    const { fast, grouped } = await both([batches(rs, 8192)]);
    expect(fast).toHaveLength(1);
    expect(fast).toEqual(grouped);
  });

  it('gives the same with batches of one row, and agrees with a row-at-a-time reference', async () => {
    const rs = rows(1_500);
    const { fast, grouped } = await both([batches(rs, 1)], SPECS, 1);
    expect(fast).toEqual(grouped);
    const plain = SPECS.filter((s) => s.arg === null || [1, 2, 3, 4, 5, 6].includes(s.arg));
    const { fast: some } = await both([batches(rs, 1)], plain, 1);
    const want = referenceAggregate(rs, S.fields.map((f) => f.type), [], plain);
    // The reference sums doubles in its own order: compare those within rounding.
    expect(some[0]!.map((v) => (typeof v === 'number' ? Math.round(v * 1e6) : v)))
      .toEqual(want[0]!.map((v) => (typeof v === 'number' ? Math.round(v * 1e6) : v)));
  });

  it('gives one row on empty input: count 0 and NULL for the others', async () => {
    for (const input of [[[]], [[batchFromRows(S, [])]]] as Batch[][][]) {
      const { fast, grouped } = await both(input);
      expect(fast).toHaveLength(1);
      expect(grouped).toHaveLength(0); // a grouped aggregate has no group without rows
      SPECS.forEach((s, i) => expect(fast[0]![i]).toEqual(s.fn === 'count' || s.fn === 'count_star' ? 0n : null));
    }
  });

  it('gives NULL (count 0) over all-NULL columns', async () => {
    const rs = rows(3_000, { allNull: true });
    const { fast, grouped } = await both([batches(rs, 1000)]);
    expect(fast).toEqual(grouped);
    SPECS.forEach((s, i) => expect(fast[0]![i]).toEqual(s.fn === 'count_star' ? 3000n : s.fn === 'count' ? 0n : null));
  });

  it('keeps decimal sums exact and min/max right when some batches hold values beyond 2^53', async () => {
    const narrow = rows(5_000), wide = rows(5_000, { wide: true });
    const input = [...batches(narrow, 2048), ...batches(wide, 2048).slice(1), ...batches(narrow, 999).slice(1)];
    expect(input.some((b) => (b.columns[8] as { values: unknown }).values instanceof BigInt64Array)).toBe(true);
    const { fast, grouped } = await both([input]);
    expect(fast).toEqual(grouped);
    let sum = 0n;
    for (const r of [...narrow, ...wide, ...narrow]) if (r[8] !== null) sum += BigInt(r[8] as number | bigint);
    const at = SPECS.findIndex((s) => s.fn === 'sum' && s.arg === 8);
    expect(BigInt(fast[0]![at] as number | bigint)).toBe(sum);
  });

  it('merges partial states of several partitions the same way (two-phase aggregation)', async () => {
    const rs = rows(9_000);
    const parts = [batches(rs.slice(0, 4000), 1000), batches(rs.slice(4000, 4001), 1), batches(rs.slice(4001), 8192), [] as Batch[]];
    const { fast, grouped } = await bothTwoPhase(parts);
    expect(fast).toHaveLength(1);
    expect(fast).toEqual(grouped);
  });

  it('runs the aggregates without a one-group fold (DISTINCT, holistic, variances, bool_and/or, HLL) through group ids of 0', async () => {
    const a: AggregateExpr[] = [
      { fn: 'bool_and', arg: col(7, 'bool'), distinct: false, type: 'bool', name: 'ba' },
      { fn: 'bool_or', arg: col(7, 'bool'), distinct: false, type: 'bool', name: 'bo' },
      { fn: 'var_samp', arg: col(3, 'float64'), distinct: false, type: 'float64', name: 'v' },
      { fn: 'stddev_pop', arg: col(1, 'int32'), distinct: false, type: 'float64', name: 'sd' },
      { fn: 'approx_count_distinct', arg: col(4, 'utf8'), distinct: false, type: 'int64', name: 'h' },
      { fn: 'count', arg: col(4, 'utf8'), distinct: true, type: 'int64', name: 'cd' },
      { fn: 'sum', arg: col(1, 'int32'), distinct: true, type: 'int64', name: 'sd2' },
      { fn: 'string_agg', arg: col(4, 'utf8'), distinct: false, type: 'utf8', name: 'sa', separator: ',', orderBy: [{ expr: col(4, 'utf8'), ascending: true, nullsFirst: false }] },
      { fn: 'max', arg: col(4, 'utf8'), distinct: false, type: 'utf8', name: 'mx' },
    ];
    const rs = rows(3_000);
    const ctx = testContext({ batch_size: 8192 });
    const run = async (keys: number[]): Promise<Scalar[][]> => {
      const out = await collect(aggNode(sourceNode([batches(rs, 700)], S), 'single', keys, a), ctx);
      return out.flatMap(batchRows).map((r) => r.slice(keys.length));
    };
    const fast = await run([]);
    expect(fast).toEqual(await run([0]));
    expect(fast[0]![5]).toBe(BigInt(new Set(rs.map((r) => r[4]).filter((v) => v !== null)).size));
  });

  it('fails on a BIGINT sum out of range as the grouped path does', async () => {
    const big = makeBatch(schema([field('x', 'int64')]), [fixedColumn('int64', BigInt64Array.from([(1n << 62n), (1n << 62n)]), null)], 2);
    const a: AggregateExpr[] = [{ fn: 'sum', arg: col(0, 'int64'), distinct: false, type: 'int64', name: 's' }];
    const node = aggNode(sourceNode([big], big.schema), 'single', [], a);
    await expect(collect(node, testContext())).rejects.toThrow(SpillwayError);
    await expect(collect(node, testContext())).rejects.toThrow(/BIGINT out of range/);
  });
});

describe('batch_reduce kernels', () => {
  const utf8 = (words: string[], validity: Uint8Array | null = null): Extract<Column, { type: 'utf8' }> => {
    const b = batchFromRows(schema([field('s', 'utf8')]), words.map((w) => [w]));
    return { ...(b.columns[0] as Extract<Column, { type: 'utf8' }>), validity };
  };

  it('find the first row holding the minimum or maximum, skipping NULL rows', () => {
    const s = utf8(['b', 'ab', 'b', 'abc', '', 'ba', 'ba']);
    expect(bestBytesRow(s.offsets, s.data, null, 7, true)).toBe(5);
    expect(bestBytesRow(s.offsets, s.data, null, 7, false)).toBe(4);
    expect(bestBytesRow(s.offsets, s.data, Uint8Array.from([1, 1, 1, 1, 0, 0, 1]), 7, false)).toBe(1);
    expect(bestBytesRow(s.offsets, s.data, new Uint8Array(7), 7, true)).toBe(-1);
    const f = Float64Array.from([1, Number.NaN, 3, Number.NaN, -0, 0]);
    expect(bestFloat64Row(f, null, 6, true)).toBe(1);
    expect(bestFloat64Row(f, null, 6, false)).toBe(4);
    expect(bestFloat64Row(f, Uint8Array.from([1, 0, 1, 0, 1, 1]), 6, true)).toBe(2);
  });

  it('find the first best string row like a row-by-row comparison, for one-byte values (flags) and longer ones', () => {
    let seed = 7;
    const next = (k: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % k; };
    for (const pool of [['A', 'N', 'R'], ['', 'A', 'R', 'Z'], ['O', 'F', 'OF', ''], ['', '']]) {
      for (let t = 0; t < 40; t++) {
        const n = 1 + next(60);
        const words = Array.from({ length: n }, () => pool[next(pool.length)]!);
        const validity = t % 3 === 0 ? Uint8Array.from(words, () => (next(4) === 0 ? 0 : 1)) : null;
        const s = utf8(words, validity);
        for (const isMax of [true, false]) {
          let want = -1;
          for (let r = 0; r < n; r++) {
            if (validity !== null && validity[r] === 0) continue;
            const c = want < 0 ? 0 : Buffer.compare(Buffer.from(words[r]!), Buffer.from(words[want]!));
            if (want < 0 || (isMax ? c > 0 : c < 0)) want = r;
          }
          expect(bestBytesRow(s.offsets, s.data, validity, n, isMax)).toBe(want);
        }
      }
    }
  });

  it('sum in row order from a start value and count valid rows', () => {
    const f = Float64Array.from([1e16, 1, 1, -1e16]);
    expect(sumFloat64(f, null, 4, 0)).toBe(((1e16 + 1) + 1) - 1e16);
    expect(sumFloat64(f, Uint8Array.from([0, 1, 1, 0]), 4, 0.5)).toBe(2.5);
    expect(countValid(Uint8Array.from([0, 1, 1, 0, 1]), 4)).toBe(2);
    expect(countValid(null, 4)).toBe(4);
  });
});
