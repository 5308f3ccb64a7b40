import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { collect } from '../../../src/exec/execute.js';
import { partialSchema } from '../../../src/expr/aggregate_state.js';
import type { HashAggregateNode } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { spillContext, spillContexts } from '../../spill/spill_context.js';
import { aggExprs, aggNode, sortRows, type AggSpec } from './reference.js';

const S = schema([field('g', 'int32'), field('gs', 'utf8'), field('i', 'int32'), field('f', 'float64'), field('s', 'utf8'), field('x', 'int32')]);

/** `groups` distinct (g, gs) pairs over `rows` rows; values with NULLs and duplicates. */
function makeInput(rows: number, groups: number, batchRows: number, seed: number): Batch[] {
  const out: Batch[] = [];
  let x = seed >>> 0;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x; };
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const g = new Int32Array(n), gv = new Uint8Array(n), i32 = new Int32Array(n), iv = new Uint8Array(n), f = new Float64Array(n), xs = new Int32Array(n);
    const gs: (string | null)[] = [], s: (string | null)[] = [];
    for (let r = 0; r < n; r++) {
      const v = rnd();
      const grp = (start + r) < groups ? start + r : v % groups;
      g[r] = grp; gv[r] = grp % 97 === 5 ? 0 : 1;
      gs.push(grp % 89 === 3 ? null : `grp${grp % 7}`);
      i32[r] = (v >>> 3) % 1000 - 500; iv[r] = v % 13 === 0 ? 0 : 1;
      f[r] = ((v >>> 5) % 10000) / 8;
      s.push(v % 17 === 0 ? null : `v${(v >>> 7) % 300}`);
      xs[r] = (v >>> 9) % 5;
    }
    out.push(makeBatch(S, [fixedColumn('int32', g, gv), utf8Column(gs), fixedColumn('int32', i32, iv), fixedColumn('float64', f), utf8Column(s), fixedColumn('int32', xs)], n));
  }
  return out;
}

const SPECS: AggSpec[] = [
  { fn: 'count_star', arg: null }, { fn: 'count', arg: 2 }, { fn: 'sum', arg: 2 }, { fn: 'sum', arg: 3 }, { fn: 'avg', arg: 3 },
  { fn: 'min', arg: 4 }, { fn: 'max', arg: 4 }, { fn: 'min', arg: 2 }, { fn: 'max', arg: 3 },
];
const DISTINCT_SPECS: AggSpec[] = [
  { fn: 'count', arg: 5, distinct: true }, { fn: 'sum', arg: 2 }, { fn: 'count', arg: 4, distinct: true }, { fn: 'max', arg: 4 }, { fn: 'sum', arg: 5, distinct: true },
];

function plan(input: Batch[], specs: AggSpec[], mode: HashAggregateNode['mode'] = 'single'): HashAggregateNode {
  return aggNode(sourceNode(input, S), mode, [0, 1], aggExprs(S.fields, specs));
}

async function inMemory(input: Batch[], specs: AggSpec[]): Promise<Scalar[][]> {
  return sortRows((await collect(plan(input, specs), testContext({ batch_size: 512 }))).flatMap(batchRows));
}

const spillCtx = spillContexts();

describe('HashAggregate spilling', () => {
  it('GROUP BY with one group per row finishes under 256 KiB and equals the in-memory answer', async () => {
    const input = makeInput(30_000, 30_000, 512, 1);
    const t = spillCtx(256 * 1024, 512);
    const node = plan(input, SPECS);
    const out = await collect(node, t.ctx);
    const m = t.ctx.metrics.forNode(node.id);
    expect(m.spillCount).toBeGreaterThan(0);
    const expected = await inMemory(input, SPECS);
    // Every group reaches the disk once; most rows skip the table (groups ≈ rows: pass-through).
    expect(m.spillRows).toBeGreaterThanOrEqual(expected.length);
    expect(m.extra.passThroughRows).toBeGreaterThan(15_000);
    expect(m.extra.groups).toBe(expected.length);
    expect(sortRows(out.flatMap(batchRows))).toEqual(expected);
    expect(t.files()).toEqual([]);
    expect(t.pool.used).toBe(0);
  });

  it('passes rows through after the first 64 Ki rows when they do not reduce and the estimate does not fit', async () => {
    const input = makeInput(100_000, 100_000, 512, 6);
    const specs: AggSpec[] = [{ fn: 'sum', arg: 3 }, { fn: 'count_star', arg: null }];
    const expected = sortRows((await collect(aggNode(sourceNode(input, S), 'single', [0], aggExprs(S.fields, specs)), testContext({ batch_size: 512 }))).flatMap(batchRows));
    // The estimate says 1 M groups: ~50 MB at the table's bytes per group, over the 16 MB limit.
    const early = spillCtx(16 << 20, 512);
    const node = { ...aggNode(sourceNode(input, S), 'single', [0], aggExprs(S.fields, specs)), estimatedRows: 1_000_000 };
    const out = await collect(node, early.ctx);
    const m = early.ctx.metrics.forNode(node.id);
    expect(m.extra.passThroughRows).toBe(100_000 - 65_536);
    expect(m.spillRows).toBeGreaterThan(99_000); // every row but those folded into the NULL group of the first 64 Ki
    expect(sortRows(out.flatMap(batchRows))).toEqual(expected);
    expect(early.files()).toEqual([]);
    expect(early.pool.used).toBe(0);
    // The same input without the estimate (or with one that fits) never spills: its 100 K groups fit.
    for (const estimatedRows of [undefined, 100_000]) {
      const t = spillCtx(16 << 20, 512);
      const plain = { ...aggNode(sourceNode(input, S), 'single', [0], aggExprs(S.fields, specs)), ...(estimatedRows === undefined ? {} : { estimatedRows }) };
      const got = await collect(plain, t.ctx);
      expect(t.ctx.metrics.forNode(plain.id).spillCount).toBe(0);
      expect(sortRows(got.flatMap(batchRows))).toEqual(expected);
    }
  });

  it('recursively re-splits a part that still does not fit', async () => {
    const input = makeInput(40_000, 40_000, 1024, 2);
    const t = spillCtx(96 * 1024, 1024);
    const node = plan(input, SPECS);
    const out = await collect(node, t.ctx);
    expect(t.ctx.metrics.forNode(node.id).extra.spillLevels).toBeGreaterThanOrEqual(2);
    expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(input, SPECS));
    expect(t.files()).toEqual([]);
  });

  it('spills DISTINCT aggregates as (group, value) pairs with exact results', async () => {
    const input = makeInput(20_000, 4_000, 512, 3);
    const t = spillCtx(192 * 1024, 512);
    const node = plan(input, DISTINCT_SPECS);
    const out = await collect(node, t.ctx);
    expect(t.ctx.metrics.forNode(node.id).spillCount).toBeGreaterThan(0);
    expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(input, DISTINCT_SPECS));
    expect(t.files()).toEqual([]);
  });

  it('final mode spills states; partial mode emits early and the final merge is still exact', async () => {
    const input = makeInput(30_000, 20_000, 512, 4);
    const t = spillCtx(256 * 1024, 512);
    const aggs = aggExprs(S.fields, SPECS);
    const partial = aggNode(sourceNode(input, S), 'partial', [0, 1], aggs);
    const gf = [S.fields[0]!, S.fields[1]!];
    expect(partial.schema).toEqual(partialSchema(gf, aggs));
    const final = aggNode(partial, 'final', [0, 1], aggs, gf);
    const out = await collect(final, t.ctx);
    expect(t.ctx.metrics.forNode(partial.id).extra.earlyEmits).toBeGreaterThan(0);
    expect(t.ctx.metrics.forNode(final.id).spillCount).toBeGreaterThan(0);
    expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(input, SPECS));
    expect(t.files()).toEqual([]);
  });

  it('a global DISTINCT that cannot fit fails with a resources error naming the operator', async () => {
    const n = 60_000;
    const big = makeBatch(schema([field('v', 'int32')]), [fixedColumn('int32', Int32Array.from({ length: n }, (_, i) => i))], n);
    const src = sourceNode([big], big.schema);
    const node = aggNode(src, 'single', [], aggExprs(big.schema.fields, [{ fn: 'count', arg: 0, distinct: true }]));
    const t = spillCtx(256 * 1024, 8192);
    await expect(collect(node, t.ctx)).rejects.toThrow(/HashAggregate\[p0\].*memory limit/);
    expect(t.pool.used).toBe(0);
  });

  it('disk quota exceeded: clear error naming the quota, files removed', async () => {
    const input = makeInput(30_000, 30_000, 512, 5);
    const t = spillCtx(128 * 1024, 512, { diskQuota: 64 * 1024 });
    await expect(collect(plan(input, SPECS), t.ctx)).rejects.toThrow(/spill disk quota of 64\.0 KiB exceeded/);
    expect(t.files()).toEqual([]);
    expect(t.pool.used).toBe(0);
  });

  it('re-aggregates a part with DISTINCT values of few groups at the smallest limit (a part read whole once left no room)', async () => {
    const input = makeInput(8421, 3, 256, 1);
    const t = spillContext({ limit: 128 * 1024, batchSize: 256 });
    try {
      const out = await collect(plan(input, DISTINCT_SPECS), t.ctx);
      expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(input, DISTINCT_SPECS));
      expect(t.files()).toEqual([]);
    } finally { await t.dispose(); }
  });

  it('property: any memory limit gives the in-memory answer', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 128 * 1024, max: 2 * 1024 * 1024 }), fc.integer({ min: 500, max: 12_000 }), fc.integer({ min: 1, max: 12_000 }),
      fc.constantFrom(256, 512, 1000), fc.boolean(), fc.integer({ min: 1, max: 1000 }),
      async (limit, rows, groups, batchSize, distinct, seed) => {
        const specs = distinct ? DISTINCT_SPECS : SPECS;
        const input = makeInput(rows, groups, batchSize, seed);
        const t = spillContext({ limit, batchSize });
        try {
          const out = await collect(plan(input, specs), t.ctx);
          expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(input, specs));
          expect(t.files()).toEqual([]);
        } finally { await t.dispose(); }
      }), { numRuns: 8 });
  });
});
