/**
 * Range splits in the exchange buffer, over the in-process and the gRPC transport: a
 * range-partitioned writer's whole output is split once by the bounds its readers name;
 * each reader gets exactly its range (every row once, in the writer's order), a re-read
 * gets the same rows, other bounds and malformed splits are refused in one line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/columnar/column.js';
import { encodeTicket, type ExchangeTarget, type RangeSplit } from '../../src/exchange/transport.js';
import { col } from '../../src/expr/expr.js';
import { RangeRouter } from '../../src/exec/shuffle/range_bounds.js';
import { collect, HARNESSES, rowsOf, sampleBatch, SCHEMA, type Harness } from './helpers.js';

// By price descending: bounds 300, 100 give ranges (∞, 300], (300, 100], below 100.
const SPLIT: RangeSplit = {
  keys: [{ expr: col(1, 'float64'), ascending: false, nullsFirst: true }],
  bounds: [[300], [100]],
  partitions: 3,
};

describe.each(HARNESSES)('range split over %s', (_name, make) => {
  let h: Harness | null = null;
  afterEach(async () => { await h?.close(); h = null; });

  async function writeWhole(batches: readonly Batch[]): Promise<void> {
    const w = h!.buffers.openWriter({ queryId: 'q', stageId: 1, task: 0 }, SCHEMA, 1);
    for (const b of batches) await w.append(0, b);
    w.finish();
  }
  const target = (partition: number, range: RangeSplit = SPLIT): ExchangeTarget => ({
    queryId: 'q', stageId: 1, task: 0, partition, worker: h!.worker, compression: 'none', range,
  });
  const read = async (partition: number, range?: RangeSplit) => rowsOf(await collect(h!.transport.open(target(partition, range), new AbortController().signal)));

  it('serves each reader exactly its range, once split, and the same rows again on a re-read', async () => {
    h = await make();
    const input = [sampleBatch(0, 100), sampleBatch(100, 100), sampleBatch(200, 100)];
    await writeWhole(input);
    const ranges = [await read(0), await read(1), await read(2)];
    // The router is the rule: a row is in range p iff the router says p.
    const router = new RangeRouter(SPLIT.keys, SPLIT.bounds as never);
    const want: unknown[][][] = [[], [], []];
    for (const b of input) {
      const r = router.route(b);
      rowsOf([b]).forEach((row, i) => want[r[i]!]!.push(row));
    }
    expect(ranges).toEqual(want);
    expect(ranges.map((r) => r.length)).toEqual([60, 160, 80]);
    expect(await read(1)).toEqual(want[1]);
    // Range 1 gets 20, 100 and 40 rows of the three batches: gathered into 120 + 40, not 3 pieces.
    const batches = await collect(h!.transport.open(target(1), new AbortController().signal));
    expect(batches.map((b) => b.length)).toEqual([120, 40]);
  });

  it('refuses other bounds once split, and a range partition past the split', async () => {
    h = await make();
    await writeWhole([sampleBatch(0, 50)]);
    await read(0);
    await expect(read(1, { ...SPLIT, bounds: [[200], [50]] })).rejects.toThrow('query q stage 1 task 0 partition 1: the output was already split by other range bounds');
    await expect(read(5)).rejects.toThrow('range partition out of range 0..2');
  });
});

describe('malformed range splits', () => {
  it('a descriptor whose range is not a split is refused as an invalid argument', async () => {
    const { parseTicket } = await import('../../src/exchange/transport.js');
    const key = { queryId: 'q', stageId: 1, task: 0, partition: 0 };
    expect(() => parseTicket(encodeTicket(key, { ...SPLIT, partitions: 0 }))).toThrow('malformed exchange range split: partitions must be an integer from 1 to 4096, got 0');
    expect(() => parseTicket(encodeTicket(key, { ...SPLIT, bounds: [[1], [2], [3]] }))).toThrow('malformed exchange range split: bounds must be at most 2 rows of 1 values');
    // Bigints in bounds survive the descriptor.
    const big = parseTicket(encodeTicket(key, { keys: SPLIT.keys, bounds: [[12345678901234567890n]], partitions: 2 }));
    expect(big.range!.bounds).toEqual([[12345678901234567890n]]);
  });
});
