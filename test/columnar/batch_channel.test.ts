import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, type Batch } from '../../src/columnar/column.js';
import { BatchChannel } from '../../src/columnar/batch_channel.js';
import { field, schema } from '../../src/common/types.js';

const S = schema([field('x', 'int32', false)]);
const batch = (v: number): Batch => makeBatch(S, [fixedColumn('int32', Int32Array.of(v))]);
const first = (b: Batch): number => (b.columns[0]!.type === 'int32' ? b.columns[0]!.values[0]! : NaN);

async function drain(ch: BatchChannel, log: string[]): Promise<number[]> {
  const got: number[] = [];
  for await (const b of ch) { log.push(`take ${first(b)}`); got.push(first(b)); }
  return got;
}

describe('BatchChannel', () => {
  it('delivers batches in order and keeps at most one waiting', async () => {
    const ch = new BatchChannel();
    const log: string[] = [];
    const producer = (async () => {
      for (let i = 1; i <= 4; i++) { await ch.put(batch(i)); log.push(`put ${i}`); }
      ch.close();
    })();
    const got = await drain(ch, log);
    await producer;
    expect(got).toEqual([1, 2, 3, 4]);
    // One batch in the slot at most: put i+2 completes only after the consumer handled i.
    for (let i = 1; i <= 2; i++) expect(log.indexOf(`take ${i}`)).toBeLessThan(log.indexOf(`put ${i + 2}`));
  });

  it('ends at once when closed with nothing sent', async () => {
    const ch = new BatchChannel();
    ch.close();
    expect(await drain(ch, [])).toEqual([]);
  });

  it('a failing producer makes the consumer throw', async () => {
    const ch = new BatchChannel();
    await ch.put(batch(1));
    const consumer = drain(ch, []);
    ch.fail(new Error('generator broke'));
    await expect(consumer).rejects.toThrow('generator broke');
  });

  it('a failing consumer makes the waiting producer throw', async () => {
    const ch = new BatchChannel();
    await ch.put(batch(1));
    const blocked = ch.put(batch(2)); // the slot is full: waits
    ch.fail(new Error('disk full'));
    await expect(blocked).rejects.toThrow('disk full');
    await expect(ch.put(batch(3))).rejects.toThrow('disk full');
  });
});
