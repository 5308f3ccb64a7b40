import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { collect, executePlan } from '../../../src/exec/execute.js';
import type { PhysicalExpr } from '../../../src/expr/expr.js';
import type { HashJoinNode, HashJoinType } from '../../../src/plan/physical.js';
import { field, schema, type Schema } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { spillContext, spillContexts } from '../../spill/spill_context.js';
import { cmp, HASH_JOIN_TYPES, hashJoinNode, sortRows } from './reference.js';

const L = schema([field('k', 'int32'), field('ks', 'utf8'), field('lv', 'int32'), field('lp', 'utf8')]);
const R = schema([field('k', 'int32'), field('ks', 'utf8'), field('rv', 'int32'), field('rp', 'utf8')]);

/** rows with keys drawn from `keys` values (NULL now and then), `hot` = share of rows on key 0. */
function makeSide(s: Schema, rows: number, keys: number, batchRows: number, seed: number, hot = 0): Batch[] {
  const out: Batch[] = [];
  let x = seed >>> 0;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x; };
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const k = new Int32Array(n), kv = new Uint8Array(n), v = new Int32Array(n);
    const ks: (string | null)[] = [], p: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = rnd();
      const key = (r % 1000) / 1000 < hot ? 0 : (r >>> 4) % keys;
      k[i] = key; kv[i] = r % 61 === 0 ? 0 : 1;
      ks.push(r % 71 === 0 ? null : `s${key % 3}`);
      v[i] = (r >>> 8) % 100;
      p.push(`payload-${start + i}`);
    }
    out.push(makeBatch(s, [fixedColumn('int32', k, kv), utf8Column(ks), fixedColumn('int32', v), utf8Column(p)], n));
  }
  return out;
}

function join(left: Batch[], right: Batch[], t: HashJoinType, filter: PhysicalExpr | null = null, extra: Partial<HashJoinNode> = {}): HashJoinNode {
  return hashJoinNode(sourceNode(left, L), sourceNode(right, R), t, [0, 1], [0, 1], filter, extra);
}

async function inMemory(node: HashJoinNode): Promise<string[]> {
  return sortRows((await collect(node, testContext({ batch_size: 512 }))).flatMap(batchRows));
}

const spillCtx = spillContexts();

describe('grace hash join', () => {
  const left = makeSide(L, 6000, 3000, 500, 1);
  const right = makeSide(R, 8000, 3000, 500, 2);

  for (const t of HASH_JOIN_TYPES) {
    it(`${t} join spills both sides under 128 KiB and equals the in-memory answer`, async () => {
      const s = spillCtx(128 * 1024, 512);
      const node = join(left, right, t);
      const out = await collect(node, s.ctx);
      const m = s.ctx.metrics.forNode(node.id);
      expect(m.spillCount).toBeGreaterThan(0);
      for (const b of out) expect(b.length).toBeLessThanOrEqual(512);
      expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(node));
      expect(s.files()).toEqual([]);
      expect(s.pool.used).toBe(0);
    });
  }

  it('keeps residual filters and null-aware anti semantics while spilling', async () => {
    const filter = cmp('<', L, 2, R, 2);
    for (const t of ['left', 'full', 'semi', 'anti', 'right_semi', 'right_anti'] as HashJoinType[]) {
      const s = spillCtx(128 * 1024, 512);
      const node = join(left, right, t, filter);
      expect(sortRows((await collect(node, s.ctx)).flatMap(batchRows))).toEqual(await inMemory(node));
      expect(s.ctx.metrics.forNode(node.id).spillCount).toBeGreaterThan(0);
    }
    // NOT IN with a NULL build key: empty; without: probe NULL keys dropped.
    const s1 = spillCtx(128 * 1024, 512);
    const withNull = join(left, right, 'anti', null, { nullAware: true });
    expect(await collect(withNull, s1.ctx)).toEqual([]);
    const rightNoNull = makeSide(R, 8000, 3000, 500, 2).map((b) => makeBatch(R, [
      fixedColumn('int32', (b.columns[0] as { values: Int32Array }).values), utf8Column(Array.from({ length: b.length }, (_, i) => `s${i % 3}`)), b.columns[2]!, b.columns[3]!], b.length));
    const s2 = spillCtx(128 * 1024, 512);
    const noNull = join(left, rightNoNull, 'anti', null, { nullAware: true });
    const got = sortRows((await collect(noNull, s2.ctx)).flatMap(batchRows));
    expect(s2.ctx.metrics.forNode(noNull.id).spillCount).toBeGreaterThan(0);
    expect(got).toEqual(await inMemory(noNull));
    expect(got.length).toBeGreaterThan(0);
  });

  it('recursively re-splits a build part that still does not fit', async () => {
    const bigRight = makeSide(R, 40_000, 20_000, 1000, 3);
    const probe = makeSide(L, 5000, 20_000, 1000, 4);
    const s = spillCtx(96 * 1024, 1024);
    const node = join(probe, bigRight, 'full');
    const out = await collect(node, s.ctx);
    expect(s.ctx.metrics.forNode(node.id).extra.spillLevels).toBeGreaterThanOrEqual(2);
    expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(node));
    expect(s.files()).toEqual([]);
  });

  it('joins a part with one key bigger than memory in blocks (skew)', async () => {
    const skewRight = makeSide(R, 6000, 50, 500, 5, 0.9);
    const probe = makeSide(L, 300, 50, 200, 6, 0.01);
    for (const t of ['inner', 'full', 'semi', 'anti'] as HashJoinType[]) {
      const s = spillCtx(64 * 1024, 512);
      const node = join(probe, skewRight, t, t === 'anti' || t === 'semi' ? cmp('<', L, 2, R, 2) : null);
      const out = await collect(node, s.ctx);
      expect(s.ctx.metrics.forNode(node.id).extra.blockJoins).toBeGreaterThan(0);
      expect(sortRows(out.flatMap(batchRows))).toEqual(await inMemory(node));
      expect(s.files()).toEqual([]);
    }
  });

  it('broadcast joins spill their build side too', async () => {
    const s = spillCtx(128 * 1024, 512);
    const node = hashJoinNode(sourceNode([left, left.slice(0, 3)], L, 2), sourceNode([right.slice(0, 8), right.slice(8)], R, 2), 'inner', [0, 1], [0, 1], null, { distribution: 'broadcast' });
    const out: Batch[] = [];
    for (let p = 0; p < 2; p++) for await (const b of executePlan(node, p, s.ctx)) out.push(b);
    const ref: Batch[] = [];
    const ctx = testContext({ batch_size: 512 });
    for (let p = 0; p < 2; p++) for await (const b of executePlan(node, p, ctx)) ref.push(b);
    expect(s.ctx.metrics.forNode(node.id).spillCount).toBeGreaterThan(0);
    expect(sortRows(out.flatMap(batchRows))).toEqual(sortRows(ref.flatMap(batchRows)));
  });

  it('removes spill files on failure, cancellation and quota errors', async () => {
    const s1 = spillCtx(128 * 1024, 512);
    const failing = hashJoinNode(sourceNode(left, L, 1, { failAt: { index: 5, error: new Error('probe broke') } }), sourceNode(right, R), 'inner', [0, 1], [0, 1]);
    await expect(collect(failing, s1.ctx)).rejects.toThrow('probe broke');
    expect(s1.ctx.metrics.forNode(failing.id).spillCount).toBeGreaterThan(0);
    expect(s1.files()).toEqual([]);
    expect(s1.pool.used).toBe(0);

    const controller = new AbortController();
    const s2 = spillCtx(128 * 1024, 512, { signal: controller.signal });
    const node = join(left, right, 'inner');
    let rows = 0;
    await expect((async () => {
      for await (const b of executePlan(node, 0, s2.ctx)) { rows += b.length; if (rows > 100) controller.abort(); }
    })()).rejects.toThrow(/cancelled/);
    expect(s2.files()).toEqual([]);

    const s3 = spillCtx(128 * 1024, 512, { diskQuota: 100 * 1024 });
    await expect(collect(join(left, right, 'left'), s3.ctx)).rejects.toThrow(/spill disk quota of 100\.0 KiB exceeded/);
    expect(s3.files()).toEqual([]);
  });

  it('property: any memory limit gives the in-memory answer', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 192 * 1024, max: 2 * 1024 * 1024 }), fc.constantFrom(...HASH_JOIN_TYPES), fc.integer({ min: 200, max: 5000 }),
      fc.integer({ min: 100, max: 3000 }), fc.constantFrom(256, 700), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 1000 }),
      async (limit, t, keys, rows, batchSize, hot, seed) => {
        const node = join(makeSide(L, rows, keys, batchSize, seed), makeSide(R, rows * 2, keys, batchSize, seed + 1, hot / 10), t);
        const s = spillContext({ limit, batchSize });
        try {
          expect(sortRows((await collect(node, s.ctx)).flatMap(batchRows))).toEqual(await inMemory(node));
          expect(s.files()).toEqual([]);
        } finally { await s.dispose(); }
      }), { numRuns: 8 });
  });
});
