import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { collect } from '../../../src/exec/execute.js';
import type { PhysicalPlan, SortNode } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { spillContext, spillContexts } from '../../spill/spill_context.js';
import { sortKeys, type RefKey } from './reference.js';

const S = schema([field('k', 'int32'), field('s', 'utf8'), field('v', 'float64'), field('seq', 'int32')]);

/** rows with duplicate int keys, NULLs, strings; seq = input position (checks stability). */
function makeInput(rows: number, batchRows: number, seed: number): Batch[] {
  const out: Batch[] = [];
  let x = seed >>> 0;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x; };
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const k = new Int32Array(n), kv = new Uint8Array(n), v = new Float64Array(n), seq = new Int32Array(n);
    const s: (string | null)[] = [];
    for (let i = 0; i < n; i++) {
      const r = rnd();
      k[i] = r % 997; kv[i] = r % 53 === 0 ? 0 : 1;
      s.push(r % 41 === 0 ? null : `str-${(r >>> 8) % 5000}`);
      v[i] = (r >>> 4) / 7;
      seq[i] = start + i;
    }
    out.push(makeBatch(S, [fixedColumn('int32', k, kv), utf8Column(s), fixedColumn('float64', v), fixedColumn('int32', seq)], n));
  }
  return out;
}

function sortPlan(input: PhysicalPlan, keys: readonly RefKey[]): SortNode {
  return { kind: 'Sort', id: 7, schema: S, partitions: 1, input, keys: sortKeys(S, keys) };
}

const KEYS: RefKey[] = [{ index: 0, ascending: false, nullsFirst: false }, { index: 1, ascending: true, nullsFirst: true }];

async function inMemory(input: Batch[], keys: readonly RefKey[]): Promise<Scalar[][]> {
  return (await collect(sortPlan(sourceNode(input, S), keys), testContext({ batch_size: 512 }))).flatMap(batchRows);
}

const spillCtx = spillContexts();

describe('external sort', () => {
  it('spills sorted runs under a 256 KiB limit and merges them into the in-memory answer (stable)', async () => {
    const input = makeInput(40_000, 500, 1);
    const t = spillCtx(256 * 1024, 512);
    const node = sortPlan(sourceNode(input, S), KEYS);
    const out = await collect(node, t.ctx);
    const m = t.ctx.metrics.forNode(node.id);
    expect(m.spillCount).toBeGreaterThan(1);
    expect(m.spillRows).toBeGreaterThanOrEqual(40_000);
    expect(m.spillBytes).toBeGreaterThan(0);
    expect(m.extra.runs).toBeGreaterThan(1);
    expect(m.extra.mergePasses).toBeGreaterThanOrEqual(1);
    for (const b of out) expect(b.length).toBeLessThanOrEqual(512);
    expect(out.flatMap(batchRows)).toEqual(await inMemory(input, KEYS));
    expect(t.files()).toEqual([]);
    expect(t.pool.used).toBe(0);
  });

  it('merges in several passes when the runs outnumber the cursors that fit', async () => {
    const input = makeInput(120_000, 1000, 2);
    const t = spillCtx(200 * 1024, 1024);
    const node = sortPlan(sourceNode(input, S), KEYS);
    const out = await collect(node, t.ctx);
    const m = t.ctx.metrics.forNode(node.id);
    expect(m.extra.mergePasses).toBeGreaterThanOrEqual(2);
    expect(out.flatMap(batchRows)).toEqual(await inMemory(input, KEYS));
    expect(t.files()).toEqual([]);
  });

  it('does not spill when the input fits', async () => {
    const input = makeInput(2000, 300, 3);
    const t = spillCtx(8 * 1024 * 1024, 512);
    const node = sortPlan(sourceNode(input, S), KEYS);
    const out = await collect(node, t.ctx);
    expect(t.ctx.metrics.forNode(node.id).spillCount).toBe(0);
    expect(out.flatMap(batchRows)).toEqual(await inMemory(input, KEYS));
  });

  it('handles empty input and empty batches with a tiny limit', async () => {
    const t = spillCtx(64 * 1024, 256);
    const empty = makeBatch(S, [fixedColumn('int32', new Int32Array(0)), utf8Column([]), fixedColumn('float64', new Float64Array(0)), fixedColumn('int32', new Int32Array(0))], 0);
    expect(await collect(sortPlan(sourceNode([empty, empty], S), KEYS), t.ctx)).toEqual([]);
  });

  it('removes its spill files when the input fails midway', async () => {
    const input = makeInput(30_000, 500, 4);
    const t = spillCtx(128 * 1024, 512);
    const node = sortPlan(sourceNode(input, S, 1, { failAt: { index: 50, error: new Error('source broke') } }), KEYS);
    await expect(collect(node, t.ctx)).rejects.toThrow('source broke');
    expect(t.ctx.metrics.forNode(node.id).spillCount).toBeGreaterThan(0);
    expect(t.files()).toEqual([]);
    expect(t.pool.used).toBe(0);
  });

  it('removes its spill files when the consumer stops reading during the merge', async () => {
    const input = makeInput(30_000, 500, 5);
    const t = spillCtx(128 * 1024, 512);
    const node = sortPlan(sourceNode(input, S), KEYS);
    const { executePlan } = await import('../../../src/exec/execute.js');
    let seen = 0;
    for await (const b of executePlan(node, 0, t.ctx)) { seen += b.length; if (seen > 1000) break; }
    expect(t.ctx.metrics.forNode(node.id).spillCount).toBeGreaterThan(0);
    expect(t.files()).toEqual([]);
    expect(t.pool.used).toBe(0);
  });

  it('fails with the quota named when the spill disk quota is exceeded, and removes its files', async () => {
    const input = makeInput(30_000, 500, 6);
    const t = spillCtx(128 * 1024, 512, { diskQuota: 200 * 1024 });
    await expect(collect(sortPlan(sourceNode(input, S), KEYS), t.ctx)).rejects.toThrow(/spill disk quota of 200\.0 KiB exceeded/);
    expect(t.files()).toEqual([]);
  });

  it('property: any memory limit gives the in-memory answer', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 256 * 1024, max: 2 * 1024 * 1024 }), fc.integer({ min: 1000, max: 25_000 }), fc.integer({ min: 1, max: 1000 }),
      fc.constantFrom(256, 700, 1024), fc.boolean(),
      async (limit, rows, seed, batchSize, asc) => {
        const keys: RefKey[] = [{ index: 1, ascending: asc, nullsFirst: !asc }, { index: 0, ascending: true, nullsFirst: true }];
        const input = makeInput(rows, batchSize, seed);
        const t = spillContext({ limit, batchSize });
        try {
          const out = await collect(sortPlan(sourceNode(input, S), keys), t.ctx);
          expect(out.flatMap(batchRows)).toEqual(await inMemory(input, keys));
          expect(t.files()).toEqual([]);
        } finally { await t.dispose(); }
      }), { numRuns: 12 });
  });
});
