/**
 * What the buffering operators reserve must match what their structures really take, as
 * Node measures it (growth of process.memoryUsage().external, which on Node 20 already
 * includes arrayBuffers; see test/memory/accounting.test.ts). Generous tolerance: the
 * reservation must cover the measured bytes and not exceed them by more than 3×.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, type Batch, type Utf8Column } from '../../src/columnar/column.js';
import { AggregateTable } from '../../src/exec/aggregate/aggregate_table.js';
import { buildCost } from '../../src/exec/join/grace_hash_join.js';
import { JoinHashTable } from '../../src/exec/join/join_table.js';
import { concatBatches } from '../../src/columnar/kernels.js';
import { sortBuffer, sortBufferCost } from '../../src/exec/sort/sort.js';
import { col } from '../../src/expr/expr.js';
import { field, schema } from '../../src/common/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const S = schema([field('k', 'int32'), field('f', 'float64'), field('s', 'utf8')]);

function batch(n: number, offset: number): Batch {
  const k = new Int32Array(n), f = new Float64Array(n), offsets = new Int32Array(n + 1);
  const data = new Uint8Array(n * 12);
  for (let i = 0; i < n; i++) {
    k[i] = (offset + i) * 2654435761 % 1_000_003;
    f[i] = i / 7;
    for (let b = 0; b < 12; b++) data[i * 12 + b] = 97 + ((offset + i + b) % 26);
    offsets[i + 1] = (i + 1) * 12;
  }
  const s: Utf8Column = { type: 'utf8', length: n, validity: null, offsets, data };
  return makeBatch(S, [fixedColumn('int32', k), fixedColumn('float64', f), s], n);
}

function measure<T>(build: () => T): { value: T; grown: number } {
  const usage = () => { gc(); gc(); return process.memoryUsage().external; };
  const before = usage();
  const value = build();
  return { value, grown: usage() - before };
}

function expectCovered(measured: number, accounted: number): void {
  expect(accounted).toBeGreaterThanOrEqual(measured * 0.9);
  expect(accounted).toBeLessThan(measured * 3);
}

const ROWS = 200_000, PER_BATCH = 8192;

describe('accounted bytes of buffering operators', () => {
  it('Sort: sortBufferCost of the buffered batches covers the batches plus the sorted buffer', () => {
    const m = measure(() => {
      const batches: Batch[] = [];
      let accounted = 0;
      for (let o = 0; o < ROWS; o += PER_BATCH) { const b = batch(Math.min(PER_BATCH, ROWS - o), o); batches.push(b); }
      for (const b of batches) accounted += sortBufferCost(b, [{ expr: col(0, 'int32'), ascending: true, nullsFirst: false }]);
      const sorted = sortBuffer(S, batches, [{ expr: col(0, 'int32'), ascending: true, nullsFirst: false }]);
      return { batches, sorted, accounted };
    });
    expectCovered(m.grown, m.value.accounted);
  });

  it('HashAggregate: AggregateTable.memoryBytes matches its arrays (one group per row)', () => {
    const aggs = [
      { fn: 'count_star' as const, arg: null, distinct: false, type: 'int64' as const, name: 'c' },
      { fn: 'sum' as const, arg: col(1, 'float64'), distinct: false, type: 'float64' as const, name: 's' },
      { fn: 'max' as const, arg: col(2, 'utf8'), distinct: false, type: 'utf8' as const, name: 'm' },
    ];
    const input: Batch[] = [];
    for (let o = 0; o < ROWS; o += PER_BATCH) input.push(batch(Math.min(PER_BATCH, ROWS - o), o));
    const m = measure(() => {
      const t = new AggregateTable(['int32'], aggs, 'single', ['int64', 'float64', 'utf8']);
      for (const b of input) t.insertRaw([b.columns[0]!], [null, b.columns[1]!, b.columns[2]!], b.length);
      return t;
    });
    expect(m.value.groupCount).toBeGreaterThan(ROWS * 0.9);
    expectCovered(m.grown, m.value.memoryBytes());
  });

  it('HashJoin: buildCost of the build batches covers the batches, their concatenation and the hash table', () => {
    const m = measure(() => {
      const batches: Batch[] = [];
      let accounted = 0;
      for (let o = 0; o < ROWS; o += PER_BATCH) { const b = batch(Math.min(PER_BATCH, ROWS - o), o); batches.push(b); accounted += buildCost(b); }
      const all = concatBatches(S, batches);
      const table = new JoinHashTable(all, [all.columns[0]!]);
      return { batches, table, accounted };
    });
    expectCovered(m.grown, m.value.accounted);
  });
});
