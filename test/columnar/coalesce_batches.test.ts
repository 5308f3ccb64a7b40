import { describe, expect, it } from 'vitest';
import { coalesceBatches } from '../../src/columnar/coalesce_batches.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { field, schema } from '../../src/common/types.js';
import type { Batch } from '../../src/columnar/column.js';

const s = schema([field('a', 'int32'), field('b', 'utf8')]);
const batch = (from: number, n: number) => batchFromRows(s, Array.from({ length: n }, (_, i) => [from + i, i % 3 === 0 ? null : `v${from + i}`]));

async function collect(batches: Batch[], target: number): Promise<Batch[]> {
  async function* src() { yield* batches; }
  const out: Batch[] = [];
  for await (const b of coalesceBatches(src(), s, target)) out.push(b);
  return out;
}

describe('coalesceBatches', () => {
  it('gathers tiny batches into batches of at least half the target, keeping order and NULLs', async () => {
    const input = Array.from({ length: 50 }, (_, i) => batch(i * 2, 2));
    const out = await collect(input, 16);
    expect(out.every((b, i) => b.length >= 8 || i === out.length - 1)).toBe(true);
    expect(out.flatMap(batchRows)).toEqual(input.flatMap(batchRows));
  });
  it('passes big batches through and drops empty ones', async () => {
    const big = batch(0, 100);
    const out = await collect([batch(0, 0), big, batch(100, 1)], 16);
    expect(out[0]).toBe(big);
    expect(out.map((b) => b.length)).toEqual([100, 1]);
  });
  it('yields nothing for no input', async () => {
    expect(await collect([], 16)).toEqual([]);
  });
});
