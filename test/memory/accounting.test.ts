/**
 * Memory accounting check: batchBytes() (what operators reserve from the pool) must cover
 * the memory a batch's Arrow-layout buffers really take, as Node measures it.
 *
 * We measure the growth of process.memoryUsage().external. On Node 20 it already includes
 * `arrayBuffers` (buffers Node allocates; their sum would count them twice) plus external
 * backing stores handed over by native code, such as lz4-napi's decompressed output,
 * which `arrayBuffers` does not see.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { batchBytes, fixedColumn, makeBatch, type Batch, type Utf8Column } from '../../src/columnar/column.js';
import { decodeBatchMessage, encodeBatchMessage } from '../../src/columnar/ipc.js';
import { field, schema } from '../../src/common/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 1_000_000;
const S = schema([field('i', 'int32'), field('f', 'float64'), field('s', 'utf8')]);

/** Columns filled in place: no temporary ArrayBuffers that would blur the measurement. */
function bigBatch(): Batch {
  const ints = new Int32Array(ROWS);
  const floats = new Float64Array(ROWS);
  const validity = new Uint8Array(ROWS);
  const offsets = new Int32Array(ROWS + 1);
  const strLen = (i: number) => 5 + (i % 20);
  let total = 0;
  for (let i = 0; i < ROWS; i++) total += strLen(i);
  const data = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < ROWS; i++) {
    ints[i] = i * 7;
    floats[i] = i / 3;
    validity[i] = i % 10 === 0 ? 0 : 1;
    const n = strLen(i);
    for (let k = 0; k < n; k++) data[pos + k] = 97 + ((i + k) % 26);
    pos += n;
    offsets[i + 1] = pos;
  }
  const s: Utf8Column = { type: 'utf8', length: ROWS, validity, offsets, data };
  return makeBatch(S, [fixedColumn('int32', ints), fixedColumn('float64', floats, validity), s]);
}

/** Growth of external memory (see above) while `build`'s result is alive. */
function measure<T>(build: () => T): { value: T; grown: number; grownArrayBuffers: number } {
  const usage = () => { gc(); gc(); return process.memoryUsage(); };
  const before = usage();
  const value = build();
  const after = usage();
  return { value, grown: after.external - before.external, grownArrayBuffers: after.arrayBuffers - before.arrayBuffers };
}

function expectWithin2x(measured: number, accounted: number): void {
  expect(measured).toBeGreaterThan(accounted / 2);
  expect(measured).toBeLessThan(accounted * 2);
}

describe('memory accounting of batches', () => {
  it('batchBytes covers the buffers of 1M-row int32, float64 and utf8 columns', () => {
    const m = measure(bigBatch);
    const accounted = batchBytes(m.value);
    expect(accounted).toBeGreaterThan(20 * ROWS); // ~4 + 8 + 4 + 14.5 + 2×1 bytes per row
    expectWithin2x(m.grown, accounted);
    expectWithin2x(m.grownArrayBuffers, accounted);
  });

  it('batchBytes covers a batch decoded from an IPC message (LZ4 and plain)', () => {
    const source = bigBatch();
    for (const compression of ['none', 'lz4'] as const) {
      const msg = encodeBatchMessage(source, compression);
      const m = measure(() => decodeBatchMessage(S, msg.header, msg.body.slice()));
      expectWithin2x(m.grown, batchBytes(m.value));
    }
  });
});
