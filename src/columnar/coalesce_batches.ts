/**
 * Gathers small batches into ones of about `target` rows. Paths that produce output in
 * many small pieces (a grace hash join over hundreds of spilled partitions) would
 * otherwise hand downstream operators, exchanges and spill files thousands of 2-row
 * batches, each paying a fixed cost. Holds at most `target` rows.
 */
import type { Batch } from './column.js';
import { concatBatches } from './kernels.js';
import type { Schema } from '../common/types.js';

export async function* coalesceBatches(input: AsyncIterable<Batch>, schema: Schema, target: number): AsyncGenerator<Batch> {
  const half = Math.max(1, target >> 1);
  let pending: Batch[] = [];
  let rows = 0;
  for await (const b of input) {
    if (b.length === 0) continue;
    if (b.length >= half && rows === 0) { yield b; continue; }
    pending.push(b);
    rows += b.length;
    if (rows >= half) {
      yield concatBatches(schema, pending);
      pending = [];
      rows = 0;
    }
  }
  if (rows > 0) yield concatBatches(schema, pending);
}
