/**
 * RowPartitioner writes every row it is given, unchanged, to the part file its keys hash
 * to: through its fixed-width regions (every fixed-width type, NULLs, regions written
 * out as they fill, a batch too large for a region), and through the general path (a
 * string column, a pool that refuses the regions). Real spill files on disk.
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch, type Column } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { field, schema, type Scalar, type Schema } from '../../../src/common/types.js';
import { RowPartitioner } from '../../../src/exec/aggregate/row_partitioner.js';
import { HashPartitionWriter, partitionIds, partitionSeed } from '../../../src/exec/spill/hash_partitions.js';
import { SpillFiles } from '../../../src/exec/spill/spill_files.js';
import { spillContexts } from '../../spill/spill_context.js';

const spillCtx = spillContexts();

const FIXED = schema([
  field('k', 'int32', true), field('k2', 'int64', true), field('f', 'float64', true), field('d', 'date32', true),
  field('t', 'timestamp', true), field('b', 'bool', true), field('tm', 'time', true),
]);

/** `rows` rows in batches of `size`; key k cycles over `keys` values; NULLs in every column. */
function fixedInput(rows: number, size: number, keys: number): Batch[] {
  const out: Batch[] = [];
  for (let s = 0; s < rows; s += size) {
    const n = Math.min(size, rows - s);
    const k = new Int32Array(n), k2 = new BigInt64Array(n), f = new Float64Array(n), d = new Int32Array(n), t = new BigInt64Array(n), b = new Uint8Array(n), tm = new Float64Array(n);
    const valid = (m: number) => Uint8Array.from({ length: n }, (_, i) => ((s + i) % m === 0 ? 0 : 1));
    for (let i = 0; i < n; i++) {
      const r = s + i;
      k[i] = (r % keys) - 7; k2[i] = BigInt(r) * 3_000_000_007n - 5n; f[i] = r % 3 === 0 ? -0.5 * r : NaN; d[i] = -r;
      t[i] = -BigInt(r) * 86_400_000_001n; b[i] = r & 1; tm[i] = r * 1000 + 1;
    }
    out.push(makeBatch(FIXED, [
      fixedColumn('int32', k, valid(11)), fixedColumn('int64', k2, valid(13)), fixedColumn('float64', f, valid(5)), fixedColumn('date32', d),
      fixedColumn('timestamp', t, valid(17)), fixedColumn('bool', b, valid(19)), fixedColumn('time', tm),
    ], n));
  }
  return out;
}

/** Rows of every part file, each row tagged with its part, sorted; and what the hash says each input row's part is. */
async function partition(input: Batch[], s: Schema, keyCount: number, limit: number, budget: number): Promise<{ got: string[]; want: string[]; used: number }> {
  const t = spillCtx(limit, 1024);
  const files = new SpillFiles(t.ctx, 1, 'test');
  const reservation = t.ctx.memory.register('test', { spillable: true });
  const writer = new HashPartitionWriter(files, s, 16, partitionSeed(0));
  const p = new RowPartitioner(writer, s, keyCount, reservation, budget);
  for (const b of input) await p.add(b);
  await p.flush();
  const used = reservation.size;
  const parts = await writer.finish();
  const text = (part: number, row: readonly Scalar[]) => `${part}|${row.map((v) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
  const got: string[] = [];
  for (let q = 0; q < parts.length; q++) {
    if (parts[q] === null) continue;
    for await (const b of parts[q]!.read()) for (const r of batchRows(b)) got.push(text(q, r));
  }
  const want: string[] = [];
  for (const b of input) {
    const ids = partitionIds(b.columns.slice(0, keyCount), b.length, partitionSeed(0), 4);
    batchRows(b).forEach((r, i) => want.push(text(ids[i]!, r)));
  }
  reservation.free();
  await files.close();
  return { got: got.sort(), want: want.sort(), used };
}

describe('RowPartitioner', () => {
  it('fixed-width columns: every row in its part, values and NULLs unchanged, regions written as they fill', async () => {
    // 3/4 of 256 KiB in regions over 16 parts: 256 rows each (48 bytes a row), so 20,000 rows fill them
    // several times, and the writes of 64 KiB of regions run without being waited for.
    const { got, want, used } = await partition(fixedInput(20_000, 500, 5_000), FIXED, 2, 8 << 20, 256 << 10);
    expect(got).toHaveLength(20_000);
    expect(got).toEqual(want);
    expect(used).toBe(0); // the regions' reservation is given back
  });

  it('a batch sending more rows to one part than a region holds, and one key for all rows', async () => {
    const { got, want } = await partition([...fixedInput(3_000, 3_000, 1), ...fixedInput(2_000, 100, 40)], FIXED, 1, 8 << 20, 256 << 10);
    expect(got).toHaveLength(5_000);
    expect(got).toEqual(want);
  });

  it('a write that fails while not waited for fails a later call, and nothing is left', async () => {
    const t = spillCtx(8 << 20, 1024, { diskQuota: 96 << 10 });
    const files = new SpillFiles(t.ctx, 1, 'test');
    const reservation = t.ctx.memory.register('test', { spillable: true });
    const writer = new HashPartitionWriter(files, FIXED, 16, partitionSeed(0));
    const p = new RowPartitioner(writer, FIXED, 2, reservation, 256 << 10);
    const run = async () => { for (const b of fixedInput(20_000, 500, 5_000)) await p.add(b); await p.flush(); await writer.finish(); };
    await expect(run()).rejects.toThrow(/spill disk quota of 96\.0 KiB exceeded by test/);
    reservation.free();
    await files.close();
    expect(t.files()).toEqual([]);
  });

  it('the general path: a string column, and a pool that refuses the regions', async () => {
    const s = schema([field('k', 'int32', true), field('s', 'utf8', true)]);
    const input: Batch[] = [];
    for (let b = 0; b < 20; b++) {
      const n = 300;
      const cols: Column[] = [
        fixedColumn('int32', Int32Array.from({ length: n }, (_, i) => b * n + i), Uint8Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 0 : 1))),
        utf8Column(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `v${b}-${i}, "q"`))),
      ];
      input.push(makeBatch(s, cols, n));
    }
    const strings = await partition(input, s, 1, 8 << 20, 64 << 10);
    expect(strings.got).toEqual(strings.want);
    const refused = await partition(fixedInput(5_000, 500, 5_000), FIXED, 2, 32 << 10, 256 << 10);
    expect(refused.got).toEqual(refused.want);
    expect(refused.used).toBe(0);
  });
});
