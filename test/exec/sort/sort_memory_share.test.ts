/**
 * The sort makes progress in whatever share it gets: input batches and merge slots larger
 * than the pool allows at batch_size rows are sliced / written smaller, and memory held
 * by a consumer that spills in the background is released to it instead of a failure.
 * A TopK whose rows do not fit becomes the same external sort.
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { collect, executePlan } from '../../../src/exec/execute.js';
import type { SortNode, TopKNode } from '../../../src/plan/physical.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { spillContexts } from '../../spill/spill_context.js';
import { sortKeys } from './reference.js';

const S = schema([field('k', 'int32'), field('s', 'utf8'), field('seq', 'int32')]);

/** `batches` batches of `rows` rows with ~60-byte strings; seq = input position. */
function makeInput(batches: number, rows: number): Batch[] {
  const out: Batch[] = [];
  let x = 7;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x; };
  for (let b = 0; b < batches; b++) {
    const k = new Int32Array(rows), seq = new Int32Array(rows);
    const s: string[] = [];
    for (let i = 0; i < rows; i++) {
      const r = rnd();
      k[i] = r % 5000;
      s.push(`comment ${(r >>> 3) % 100_000} `.padEnd(60, 'x'));
      seq[i] = b * rows + i;
    }
    out.push(makeBatch(S, [fixedColumn('int32', k), utf8Column(s), fixedColumn('int32', seq)], rows));
  }
  return out;
}

const sortNode = (input: Batch[]): SortNode => ({
  kind: 'Sort', id: 3, schema: S, partitions: 1, input: sourceNode(input, S),
  keys: sortKeys(S, [{ index: 1, ascending: true, nullsFirst: true }, { index: 2, ascending: true, nullsFirst: true }]),
});

async function inMemory(input: Batch[]): Promise<Scalar[][]> {
  return (await collect(sortNode(input), testContext({ batch_size: 8192 }))).flatMap(batchRows);
}

const spillCtx = spillContexts();

describe('sort within its share', () => {
  it('sorts 8192-row batches bigger than half the pool, merging runs written in share-sized batches', async () => {
    const input = makeInput(6, 8192); // ~600 KiB per input batch
    const limit = 1024 * 1024; // one batch with its sort headroom does not fit
    const t = spillCtx(limit, 8192);
    const node = sortNode(input);
    const out = await collect(node, t.ctx);
    expect(out.flatMap(batchRows)).toEqual(await inMemory(input));
    const m = t.ctx.metrics.forNode(node.id);
    expect(m.extra.runs).toBeGreaterThan(6); // input batches were taken in slices
    expect(m.extra.mergePasses).toBeGreaterThanOrEqual(1);
    expect(t.pool.peak).toBeLessThanOrEqual(limit);
    expect(t.pool.used).toBe(0);
    expect(t.files()).toEqual([]);
  });

  it('gets memory a background spiller holds instead of failing', async () => {
    const input = makeInput(4, 4096);
    const limit = 1024 * 1024;
    const t = spillCtx(limit, 8192);
    let asked = 0;
    const held = t.pool.register('ExchangeBuffer[finished]', {
      spillable: true,
      onSpillRequest: () => { asked++; setTimeout(() => held.shrink(held.size), 10); },
    });
    held.grow(900 * 1024);
    const out = await collect(sortNode(input), t.ctx);
    expect(out.flatMap(batchRows)).toEqual(await inMemory(input));
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(held.size).toBe(0);
    held.free();
    expect(t.pool.used).toBe(0);
  });

  it('a TopK whose fetch does not fit spills as an external sort and keeps the first rows, ties in input order', async () => {
    const input = makeInput(8, 2048); // ~1.2 MiB
    const limit = 512 * 1024;
    for (const fetch of [3000, 9000, 16384, 20000]) {
      const t = spillCtx(limit, 1024);
      const sorted = sortNode(input);
      // Sort on the first key only: many ties, which must keep input order.
      const node: TopKNode = { kind: 'TopK', id: 4, schema: S, partitions: 1, input: sorted.input, keys: sorted.keys.slice(0, 1), fetch };
      const out = await collect(node, t.ctx);
      const expected = (await collect({ ...sorted, keys: sorted.keys.slice(0, 1) }, testContext({ batch_size: 8192 }))).flatMap(batchRows).slice(0, fetch);
      expect(out.flatMap(batchRows)).toEqual(expected);
      expect(t.ctx.metrics.forNode(node.id).extra.runs).toBeGreaterThan(1);
      expect(t.pool.peak).toBeLessThanOrEqual(limit);
      expect(t.pool.used).toBe(0);
      expect(t.files()).toEqual([]);
    }
  });

  it('a TopK that falls back and is stopped early leaves no spill file and no reservation', async () => {
    const t = spillCtx(512 * 1024, 1024);
    const sorted = sortNode(makeInput(8, 2048));
    const node: TopKNode = { kind: 'TopK', id: 4, schema: S, partitions: 1, input: sorted.input, keys: sorted.keys, fetch: 15000 };
    const it = executePlan(node, 0, t.ctx);
    const first = await it.next();
    expect(first.done).toBe(false);
    await it.return(undefined);
    expect(t.pool.used).toBe(0);
    expect(t.files()).toEqual([]);
  });

  it('the final merge leaves half the share to the operator it streams to', async () => {
    const limit = 1024 * 1024;
    const t = spillCtx(limit, 8192);
    const input = makeInput(8, 2048);
    const node = sortNode(input);
    const it = executePlan(node, 0, t.ctx);
    const first = await it.next();
    expect(first.done).toBe(false);
    // What the operator above a merge takes as rows arrive (a window's partition, a join's build).
    const above = t.pool.register('Above', { spillable: true });
    await above.growWait(limit * 0.4, { timeoutMs: 200 });
    const rest: Batch[] = [first.value as Batch];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest.flatMap(batchRows)).toEqual(await inMemory(input));
    expect(t.ctx.metrics.forNode(node.id).extra.mergePasses).toBeGreaterThanOrEqual(2);
    above.free();
    expect(t.pool.used).toBe(0);
    expect(t.files()).toEqual([]);
  });
});
