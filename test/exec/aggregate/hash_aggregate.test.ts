import fc from 'fast-check';
import { toBatches } from '../../helpers/rows.js';
import { describe, expect, it } from 'vitest';
import { fixedColumn, utf8At, utf8Column, type Batch, type Int64Column, type Utf8Column } from '../../../src/columnar/column.js';
import { batchFromRows, batchRows, concatBatches, sliceBatch } from '../../../src/columnar/kernels.js';
import { SpillwayError } from '../../../src/common/errors.js';
import { lit } from '../../../src/expr/expr.js';
import type { HashAggregateNode } from '../../../src/plan/physical.js';
import { collect } from '../../../src/exec/execute.js';
import { AggregateTable } from '../../../src/exec/aggregate/aggregate_table.js';
import { partialSchema, partialStateFields, stateOffset } from '../../../src/expr/aggregate_state.js';
import { field, schema, type DataType, type Scalar, type Schema } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { aggExprs, aggNode, referenceAggregate, sortRows, type AggSpec } from './reference.js';

const ALL = schema([
  field('g', 'utf8'), field('i32', 'int32'), field('i64', 'int64'), field('f64', 'float64'), field('s', 'utf8'),
  field('d', 'date32'), field('ts', 'timestamp'), field('b', 'bool'),
]);
const TYPES = ALL.fields.map((f) => f.type);

function allTypesRows(n: number): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = 0; i < n; i++) {
    const nul = (k: number) => (i * 7 + k) % 5 === 0;
    rows.push([
      i % 11 === 0 ? null : `g${i % 4}`,
      nul(1) ? null : ((i * 37) % 101) - 50,
      nul(2) ? null : BigInt((i * 7919) % 1000) * 1_000_000_000n - 3n,
      nul(3) ? null : ((i * 13) % 17) * 0.25 - 2,
      nul(4) ? null : ['pear', 'apple', 'é', '', 'apples', 'zz'][i % 6]!,
      nul(0) ? null : 18000 + ((i * 3) % 40),
      nul(2) ? null : 1_700_000_000_000_000n + BigInt((i * 31) % 97),
      nul(1) ? null : i % 3 === 0,
    ]);
  }
  return rows;
}


async function runSingle(s: Schema, batches: Batch[], groupCols: number[], specs: AggSpec[], batchSize = 8192): Promise<{ rows: Scalar[][]; batches: Batch[] }> {
  const src = sourceNode(batches, s);
  const node = aggNode(src, 'single', groupCols, aggExprs(s.fields, specs));
  const out = await collect(node, testContext({ batch_size: batchSize }));
  return { rows: out.flatMap(batchRows), batches: out };
}

/** Partial over `parts` partitions, concatenated states, then final. */
async function runTwoPhase(s: Schema, parts: Batch[][], groupCols: number[], specs: AggSpec[], batchSize = 8192): Promise<Scalar[][]> {
  const aggs = aggExprs(s.fields, specs);
  const src = sourceNode(parts, s, parts.length);
  const partial = aggNode(src, 'partial', groupCols, aggs);
  const ctx = testContext({ batch_size: batchSize });
  const states = await collect(partial, ctx);
  const stateSchema = partial.schema;
  const merged = states.length === 0 ? [] : [concatBatches(stateSchema, states)];
  const gf = groupCols.map((g) => s.fields[g]!);
  const final = aggNode(sourceNode(merged, stateSchema), 'final', groupCols.map((_g, i) => i), aggs, gf);
  const out = await collect(final, ctx);
  return out.flatMap(batchRows);
}

const EVERY_AGG: AggSpec[] = [
  { fn: 'count_star', arg: null },
  ...[1, 2, 3, 4, 5, 6, 7].map((a): AggSpec => ({ fn: 'count', arg: a })),
  { fn: 'sum', arg: 1 }, { fn: 'sum', arg: 2 }, { fn: 'sum', arg: 3 },
  { fn: 'avg', arg: 1 }, { fn: 'avg', arg: 2 }, { fn: 'avg', arg: 3 },
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((a): AggSpec[] => [{ fn: 'min', arg: a }, { fn: 'max', arg: a }]),
];

describe('HashAggregate single mode', () => {
  it('computes every aggregate on every type with NULLs, grouped by a nullable utf8 key', async () => {
    const rows = allTypesRows(500);
    const { rows: got } = await runSingle(ALL, toBatches(ALL, rows, [1, 63, 200, 7]), [0], EVERY_AGG);
    const want = referenceAggregate(rows, TYPES, [0], EVERY_AGG);
    expect(got.length).toBe(5); // g0..g3 and NULL
    expect(sortRows(got)).toEqual(sortRows(want));
  });

  it('computes a global aggregate over every type', async () => {
    const rows = allTypesRows(333);
    const { rows: got } = await runSingle(ALL, toBatches(ALL, rows, [100]), [], EVERY_AGG);
    expect(got).toEqual(referenceAggregate(rows, TYPES, [], EVERY_AGG));
  });

  it('groups by several keys of mixed types, NULLs grouping together', async () => {
    const rows = allTypesRows(400);
    const specs: AggSpec[] = [{ fn: 'count_star', arg: null }, { fn: 'sum', arg: 2 }, { fn: 'max', arg: 4 }];
    const groupCols = [7, 5, 1];
    const { rows: got } = await runSingle(ALL, toBatches(ALL, rows, [50, 3]), groupCols, specs);
    expect(sortRows(got)).toEqual(sortRows(referenceAggregate(rows, TYPES, groupCols, specs)));
  });

  it('returns one row on empty input without GROUP BY, and none with it', async () => {
    const specs: AggSpec[] = [
      { fn: 'count_star', arg: null }, { fn: 'count', arg: 1 }, { fn: 'sum', arg: 1 }, { fn: 'sum', arg: 3 },
      { fn: 'avg', arg: 1 }, { fn: 'min', arg: 4 }, { fn: 'max', arg: 6 }, { fn: 'count', arg: 1, distinct: true },
    ];
    const { rows: global } = await runSingle(ALL, [], [], specs);
    expect(global).toEqual([[0n, 0n, null, null, null, null, null, 0n]]);
    const { rows: grouped } = await runSingle(ALL, [batchFromRows(ALL, [])], [0], specs);
    expect(grouped).toEqual([]);
  });

  it('groups by a NULL-typed expression and a literal', async () => {
    const rows = allTypesRows(50);
    const src = sourceNode(toBatches(ALL, rows, [20]), ALL);
    const aggs = aggExprs(ALL.fields, [{ fn: 'count_star', arg: null }, { fn: 'sum', arg: 1 }]);
    const node: HashAggregateNode = {
      ...aggNode(src, 'single', [], aggs),
      groupBy: [lit(null, 'null'), lit(7, 'int32')],
      schema: schema([field('n', 'null'), field('seven', 'int32'), field('a0', 'int64'), field('a1', 'int64')]),
    };
    const got = (await collect(node, testContext())).flatMap(batchRows);
    expect(got).toEqual([[null, 7, 50n, referenceAggregate(rows, TYPES, [], [{ fn: 'sum', arg: 1 }])[0]![0]!]]);
  });

  it('handles a one-row input and an all-NULL group', async () => {
    const rows: Scalar[][] = [['x', null, null, null, null, null, null, null]];
    const { rows: got } = await runSingle(ALL, toBatches(ALL, rows, [1]), [0], EVERY_AGG);
    expect(got).toEqual(referenceAggregate(rows, TYPES, [0], EVERY_AGG));
    expect(got[0]![1]).toBe(1n); // count(*)
    expect(got[0]![9]).toBeNull(); // sum(i32) over only NULLs
  });

  it('handles 50k groups across many batches and emits batch_size chunks', async () => {
    const s = schema([field('k', 'int64'), field('v', 'int32'), field('name', 'utf8')]);
    const n = 120_000, groups = 50_000;
    const batches: Batch[] = [];
    const wantCount = new Int32Array(groups), wantSum = new Int32Array(groups);
    const wantMin: string[] = new Array<string>(groups);
    for (let start = 0; start < n; start += 1000) {
      const keys = new BigInt64Array(1000), vals = new Int32Array(1000), names: string[] = [];
      for (let i = start; i < start + 1000; i++) {
        const k = (i * 7) % groups, name = `n${i % 1000}`;
        keys[i - start] = BigInt(k); vals[i - start] = i % 10; names.push(name);
        wantCount[k]!++; wantSum[k]! += i % 10;
        if (wantMin[k] === undefined || name < wantMin[k]!) wantMin[k] = name;
      }
      batches.push({ schema: s, length: 1000, columns: [fixedColumn('int64', keys), fixedColumn('int32', vals), utf8Column(names)] });
    }
    const specs: AggSpec[] = [{ fn: 'count_star', arg: null }, { fn: 'sum', arg: 1 }, { fn: 'min', arg: 2 }];
    const { batches: out } = await runSingle(s, batches, [0], specs, 1000);
    expect(out.length).toBe(50);
    const seen = new Uint8Array(groups);
    for (const b of out) {
      expect(b.length).toBeLessThanOrEqual(1000);
      const [k, c, sum, min] = b.columns as [Int64Column, Int64Column, Int64Column, Utf8Column];
      for (let r = 0; r < b.length; r++) {
        const g = Number(k.values[r]!);
        seen[g]!++;
        if (c.values[r] !== BigInt(wantCount[g]!) || sum.values[r] !== BigInt(wantSum[g]!) || utf8At(min, r) !== wantMin[g]) {
          expect([g, c.values[r], sum.values[r], utf8At(min, r)]).toEqual([g, BigInt(wantCount[g]!), BigInt(wantSum[g]!), wantMin[g]]);
        }
      }
    }
    expect(seen.every((x) => x === 1)).toBe(true);
  });

  it('computes DISTINCT aggregates per group and globally', async () => {
    const s = schema([field('g', 'int32'), field('x', 'int32'), field('f', 'float64'), field('t', 'utf8')]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 600; i++) {
      rows.push([i % 3, i % 7 === 0 ? null : i % 13, i % 5 === 0 ? null : (i % 4) * 0.5, i % 9 === 0 ? null : `t${i % 6}`]);
    }
    const specs: AggSpec[] = [
      { fn: 'count', arg: 1, distinct: true }, { fn: 'sum', arg: 1, distinct: true }, { fn: 'avg', arg: 2, distinct: true },
      { fn: 'count', arg: 3, distinct: true }, { fn: 'max', arg: 3, distinct: true }, { fn: 'count', arg: 1 },
      { fn: 'sum', arg: 2, distinct: true },
    ];
    const batches = toBatches(s, rows, [17, 100]);
    const types: DataType[] = ['int32', 'int32', 'float64', 'utf8'];
    const grouped = await runSingle(s, batches, [0], specs);
    expect(sortRows(grouped.rows)).toEqual(sortRows(referenceAggregate(rows, types, [0], specs)));
    expect(grouped.rows.map((r) => r[1])).toEqual([13n, 13n, 13n]);
    const global = await runSingle(s, batches, [], specs);
    expect(global.rows).toEqual(referenceAggregate(rows, types, [], specs));
  });

  it('keeps integer sums exact beyond 2^53 and errors on BIGINT overflow', async () => {
    const s = schema([field('x', 'int32')]);
    const n = 4_300_000; // n × (2^31 - 1) > 2^53
    const values = new Int32Array(n).fill(2147483647);
    const big: Batch = { schema: s, length: n, columns: [{ type: 'int32', values, validity: null, length: n }] };
    const { rows } = await runSingle(s, [big], [], [{ fn: 'sum', arg: 0 }]);
    expect(rows).toEqual([[2147483647n * BigInt(n)]]);

    const s64 = schema([field('x', 'int64')]);
    const exact = [9007199254740993n, 1n, -2n];
    const r64 = await runSingle(s64, [batchFromRows(s64, exact.map((v) => [v]))], [], [{ fn: 'sum', arg: 0 }]);
    expect(r64.rows).toEqual([[9007199254740992n]]);

    const huge = batchFromRows(s64, [[(1n << 62n)], [(1n << 62n)]]);
    const err = await runSingle(s64, [huge], [], [{ fn: 'sum', arg: 0 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('execution');
  });

  it('treats -0 and 0, and all NaNs, as one group; NaN is the largest float', async () => {
    const s = schema([field('f', 'float64'), field('v', 'float64')]);
    const rows: Scalar[][] = [[0, 1], [-0, 2], [NaN, 3], [NaN, 4], [1, NaN], [1, 5]];
    const { rows: got } = await runSingle(s, [batchFromRows(s, rows)], [0], [
      { fn: 'count_star', arg: null }, { fn: 'max', arg: 1 }, { fn: 'min', arg: 1 },
    ]);
    expect(got.length).toBe(3);
    const byKey = new Map(got.map((r) => [String(r[0]), r]));
    expect(byKey.get('0')!.slice(1)).toEqual([2n, 2, 1]);
    expect(byKey.get('NaN')!.slice(1)).toEqual([2n, 4, 3]);
    expect(byKey.get('1')!.slice(1)).toEqual([2n, NaN, 5]);
  });

  it('keeps utf8 min/max correct through many replacements (arena compaction)', async () => {
    const s = schema([field('g', 'int32'), field('t', 'utf8')]);
    const rows: Scalar[][] = [];
    for (let i = 0; i < 5000; i++) rows.push([i % 10, 'x'.repeat(i % 37) + String(i).padStart(5, '0')]);
    const specs: AggSpec[] = [{ fn: 'min', arg: 1 }, { fn: 'max', arg: 1 }];
    const { rows: got } = await runSingle(s, toBatches(s, rows, [250]), [0], specs);
    expect(sortRows(got)).toEqual(sortRows(referenceAggregate(rows, ['int32', 'utf8'], [0], specs)));
  });

  it('accounts its table in the memory pool and releases it', async () => {
    const s = schema([field('k', 'int32')]);
    const src = sourceNode([batchFromRows(s, Array.from({ length: 5000 }, (_, i) => [i]))], s);
    const node = aggNode(src, 'single', [0], aggExprs(s.fields, [{ fn: 'count_star', arg: null }]));
    const ctx = testContext();
    const out = await collect(node, ctx);
    expect(out.reduce((a, b) => a + b.length, 0)).toBe(5000);
    expect(ctx.memory.peak).toBeGreaterThan(5000 * 8);
    expect(ctx.memory.used).toBe(0);
    expect(ctx.metrics.forNode(node.id).extra.groups).toBe(5000);
  });
});

describe('HashAggregate partial and final modes', () => {
  it('documents the partial-state layout', () => {
    const aggs = aggExprs(ALL.fields, [
      { fn: 'count_star', arg: null }, { fn: 'sum', arg: 1 }, { fn: 'avg', arg: 2 }, { fn: 'min', arg: 4 }, { fn: 'sum', arg: 3 },
    ]);
    const ps = partialSchema([ALL.fields[0]!], aggs);
    expect(ps.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'g:utf8', 'a0.count:int64', 'a1.sum:int64', 'a1.count:int64', 'a2.sum:float64', 'a2.count:int64',
      'a3.min:utf8', 'a4.sum:float64', 'a4.count:int64',
    ]);
    expect(partialStateFields(aggs[2]!).length).toBe(2);
    expect(stateOffset(1, aggs, 3)).toBe(6);
  });

  it('partial → concat → final equals single over every aggregate', async () => {
    const rows = allTypesRows(700);
    const specs = EVERY_AGG;
    const parts = [toBatches(ALL, rows.slice(0, 100), [30]), toBatches(ALL, rows.slice(100, 450), [64]), toBatches(ALL, rows.slice(450), [1000])];
    for (const groupCols of [[0], [], [7, 0]]) {
      const two = await runTwoPhase(ALL, parts, groupCols, specs);
      const single = await runSingle(ALL, parts.flat(), groupCols, specs);
      expect(sortRows(two)).toEqual(sortRows(single.rows));
      expect(sortRows(two)).toEqual(sortRows(referenceAggregate(rows, TYPES, groupCols, specs)));
    }
  });

  it('partial over empty input emits one state row without GROUP BY, and final merges it', async () => {
    const specs: AggSpec[] = [{ fn: 'count_star', arg: null }, { fn: 'sum', arg: 1 }, { fn: 'avg', arg: 3 }, { fn: 'max', arg: 4 }];
    const aggs = aggExprs(ALL.fields, specs);
    const partial = aggNode(sourceNode([], ALL), 'partial', [], aggs);
    const states = await collect(partial, testContext());
    expect(states.flatMap(batchRows)).toEqual([[0n, null, 0n, null, 0n, null]]);
    const two = await runTwoPhase(ALL, [[], [], []], [], specs);
    expect(two).toEqual([[0n, null, null, null]]);
    // Final over no state rows at all still yields the one global row.
    const final = aggNode(sourceNode([], partial.schema), 'final', [], aggs, []);
    expect((await collect(final, testContext())).flatMap(batchRows)).toEqual([[0n, null, null, null]]);
  });

  it('rejects DISTINCT aggregates outside single mode', async () => {
    const aggs = aggExprs(ALL.fields, [{ fn: 'count', arg: 1, distinct: true }]);
    const node = aggNode(sourceNode([], ALL), 'partial', [0], aggs);
    await expect(collect(node, testContext())).rejects.toThrow(/DISTINCT aggregate a0 cannot run in partial mode/);
  });

  it('property: two-phase equals single equals the reference on random tables', async () => {
    const s = schema([field('k1', 'int32'), field('k2', 'utf8'), field('x', 'int64'), field('y', 'float64')]);
    const types: DataType[] = ['int32', 'utf8', 'int64', 'float64'];
    const rowArb = fc.tuple(
      fc.option(fc.integer({ min: 0, max: 3 }), { freq: 5 }),
      fc.option(fc.constantFrom('a', 'b', 'é', ''), { freq: 5 }),
      fc.option(fc.bigInt({ min: -1000n, max: 1000n }), { freq: 4 }),
      fc.option(fc.integer({ min: -40, max: 40 }).map((v) => v / 4), { freq: 4 }),
    );
    const specs: AggSpec[] = [
      { fn: 'count_star', arg: null }, { fn: 'count', arg: 2 }, { fn: 'sum', arg: 2 }, { fn: 'sum', arg: 3 },
      { fn: 'avg', arg: 2 }, { fn: 'min', arg: 3 }, { fn: 'max', arg: 1 }, { fn: 'min', arg: 2 },
    ];
    await fc.assert(fc.asyncProperty(
      fc.array(rowArb, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }), fc.constantFrom<number[]>([0], [1], [0, 1], []),
      async (rows0, batchSize, cut1, cut2, groupCols) => {
        const rows = rows0.map((r) => [...r] as Scalar[]);
        const [a, b] = [Math.min(cut1, cut2, rows.length), Math.min(Math.max(cut1, cut2), rows.length)];
        const parts = [rows.slice(0, a), rows.slice(a, b), rows.slice(b)].map((p) => toBatches(s, p, [batchSize]));
        const want = sortRows(referenceAggregate(rows, types, groupCols, specs));
        const single = await runSingle(s, parts.flat(), groupCols, specs, batchSize);
        expect(sortRows(single.rows)).toEqual(want);
        expect(sortRows(await runTwoPhase(s, parts, groupCols, specs, batchSize))).toEqual(want);
      },
    ), { numRuns: 60 });
  });
});

describe('HashAggregate helpers', () => {
  it('sliceBatch-fed input gives the same answer as whole batches', async () => {
    const rows = allTypesRows(90);
    const whole = batchFromRows(ALL, rows);
    const sliced = [sliceBatch(whole, 0, 31), sliceBatch(whole, 31, 32), sliceBatch(whole, 32, 90)];
    const specs: AggSpec[] = [{ fn: 'count', arg: 4 }, { fn: 'min', arg: 4 }, { fn: 'max', arg: 4 }, { fn: 'sum', arg: 1 }];
    const a = await runSingle(ALL, sliced, [4], specs);
    expect(sortRows(a.rows)).toEqual(sortRows(referenceAggregate(rows, TYPES, [4], specs)));
  });
});

describe('AggregateTable', () => {
  it('emits partial states from a single-mode table that a final-mode table merges back', () => {
    const rows = allTypesRows(300);
    const specs: AggSpec[] = EVERY_AGG;
    const aggs = aggExprs(ALL.fields, specs);
    const argTypes = specs.map((s) => (s.arg === null ? null : TYPES[s.arg]!));
    const keyTypes = [TYPES[0]!];
    const stateSchema = partialSchema([ALL.fields[0]!], aggs);
    const finalTable = new AggregateTable(keyTypes, aggs, 'final', argTypes);
    // Two "spilled" single-mode tables over halves of the input.
    for (const part of [rows.slice(0, 140), rows.slice(140)]) {
      const t = new AggregateTable(keyTypes, aggs, 'single', argTypes);
      const b = batchFromRows(ALL, part);
      t.insertRaw([b.columns[0]!], specs.map((s) => (s.arg === null ? null : b.columns[s.arg]!)), b.length);
      for (const st of t.emit(stateSchema, 2, 'states')) {
        expect(st.length).toBeLessThanOrEqual(2);
        const states = aggs.map((_a, i) => st.columns.slice(stateOffset(1, aggs, i), stateOffset(1, aggs, i + 1)));
        finalTable.insertState([st.columns[0]!], states, st.length);
      }
    }
    const outSchema = schema([ALL.fields[0]!, ...aggs.map((a) => field(a.name, a.type))]);
    const got = [...finalTable.emit(outSchema, 1000)].flatMap(batchRows);
    expect(sortRows(got)).toEqual(sortRows(referenceAggregate(rows, TYPES, [0], specs)));
  });
});
