/**
 * K-way merge of sorted runs (spill files), for the external sort.
 *
 * Each run has a cursor holding exactly one decoded batch and its evaluated key columns.
 * A binary min-heap of cursor numbers orders the cursors by their current row (ties: the
 * lower run number first, so merging runs in input order keeps the sort stable). Picked
 * rows are recorded as (cursor, row) pairs; the output batch is gathered from them when it
 * holds batch_size rows, or just before a cursor replaces its batch (the pairs point into
 * the cursors' current batches).
 *
 *   run 0 ─▶ [batch]  row ─┐
 *   run 1 ─▶ [batch]  row ─┼─▶ heap (min row) ─▶ (cursor, row) pairs ─▶ interleave ─▶ output
 *   run 2 ─▶ [batch]  row ─┘
 *
 * The output is gathered in one copy straight from the cursors' batches (gatherBatch);
 * only a decimal column held in both forms falls back to take, concatenate and permute.
 *
 * Memory: one batch per cursor plus the output being gathered; the caller reserves it.
 */
import { allocValuesLike, emptyBatch, fixedColumn, makeBatch, nullColumn, type Batch, type Column, type FixedColumn, type VarColumn } from '../../columnar/column.js';
import { isNestedColumn } from '../../columnar/nested.js';
import { concatBatches, copyBytes, takeBatch } from '../../columnar/kernels.js';
import { rowsByPartition } from '../../columnar/scatter.js';
import type { SortKey } from '../../expr/expr.js';
import type { SpillFile } from '../../spill/spill_manager.js';
import type { Schema } from '../../common/types.js';
import { cancelled } from '../execute.js';
import { compareRows, evaluateSortKeys } from './row_compare.js';

interface RunCursor {
  readonly it: AsyncIterator<Batch>;
  batch: Batch;
  keys: Column[];
  row: number;
}

/**
 * Rows of `batches` picked as (source, row) pairs, gathered into one batch in pick order:
 * take each source's rows, concatenate them by source, then permute into pick order.
 */
export function interleaveBatches(schema: Schema, batches: readonly Batch[], src: Int32Array, row: Int32Array, n: number): Batch {
  const k = batches.length;
  const { starts, order } = rowsByPartition(src, n, k);
  let sources = 0, only = -1;
  for (let s = 0; s < k; s++) if (starts[s + 1]! > starts[s]!) { sources++; only = s; }
  if (sources === 1) return takeBatch(batches[only]!, row, n);
  const direct = gatherBatch(schema, batches, src, row, n);
  if (direct !== null) return direct;
  // Picks grouped by source (stable): take each source's rows once, then permute back.
  const bySource = new Int32Array(n);
  const perm = new Int32Array(n);
  for (let pos = 0; pos < n; pos++) {
    const i = order[pos]!;
    bySource[pos] = row[i]!;
    perm[i] = pos;
  }
  const parts: Batch[] = [];
  for (let s = 0; s < k; s++) {
    const a = starts[s]!, b = starts[s + 1]!;
    if (b > a) parts.push(takeBatch(batches[s]!, bySource.subarray(a, b), b - a));
  }
  return takeBatch(concatBatches(schema, parts), perm, n);
}

/**
 * The picked rows copied straight into the output columns, one copy (the merge's garbage
 * and copying were three output batches per output batch). Null when a column's sources
 * hold their values in different array kinds (a decimal in both forms): the caller then
 * takes and concatenates.
 */
function gatherBatch(schema: Schema, batches: readonly Batch[], src: Int32Array, row: Int32Array, n: number): Batch | null {
  const cols: Column[] = [];
  for (let j = 0; j < schema.fields.length; j++) {
    const c = gatherColumn(batches.map((b) => b.columns[j]!), src, row, n);
    if (c === null) return null;
    cols.push(c);
  }
  return makeBatch(schema, cols, n);
}

function gatherColumn(parts: readonly Column[], src: Int32Array, row: Int32Array, n: number): Column | null {
  const first = parts[0]!;
  for (const c of parts) if (c.type !== first.type) return null;
  // Intervals and nested values: the caller's take and concatenate handle them.
  if (first.type === 'interval' || isNestedColumn(first)) return null;
  let validity: Uint8Array | null = null;
  if (parts.some((c) => c.validity !== null)) {
    let longest = 0;
    for (const c of parts) longest = Math.max(longest, c.length);
    const allValid = parts.some((c) => c.validity === null) ? new Uint8Array(longest).fill(1) : null;
    validity = new Uint8Array(n);
    gatherBytes(parts.map((c) => c.validity ?? allValid!), src, row, n, validity);
  }
  if (first.type === 'null') return nullColumn(n);
  if (first.type === 'utf8' || first.type === 'blob') {
    const us = parts as readonly VarColumn[];
    const offs = us.map((u) => u.offsets), datas = us.map((u) => u.data);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const o = offs[src[i]!]!, r = row[i]!;
      offsets[i + 1] = offsets[i]! + o[r + 1]! - o[r]!;
    }
    const data = new Uint8Array(offsets[n]!);
    const views = datas.map((d) => new DataView(d.buffer, d.byteOffset, d.byteLength)), dv = new DataView(data.buffer);
    // Consecutive rows of one source (a merge's runs of picks from one cursor) are copied as one range.
    for (let i = 0; i < n;) {
      const s = src[i]!, r = row[i]!;
      let e = i + 1, re = r + 1;
      while (e < n && src[e] === s && row[e] === re) { e++; re++; }
      const o = offs[s]!;
      copyBytes(datas[s]!, views[s]!, o[r]!, o[re]!, data, dv, offsets[i]!);
      i = e;
    }
    return { type: first.type, length: n, validity, offsets, data };
  }
  const vals = (parts as readonly FixedColumn[]).map((c) => c.values);
  const kind = vals[0]!.constructor;
  for (const v of vals) if (v.constructor !== kind) return null;
  const out = allocValuesLike(first as FixedColumn, n);
  // One loop per array kind (a loop that sees several kinds is many times slower); 8-byte
  // values move as two 32-bit words (no BigInt per value, NaN bits kept).
  if (out instanceof Int32Array) gatherInt32(vals as Int32Array[], src, row, n, out);
  else if (out instanceof Uint8Array) gatherBytes(vals as Uint8Array[], src, row, n, out);
  else gatherWords64(vals.map((v) => new Int32Array(v.buffer, v.byteOffset, 2 * v.length)), src, row, n, new Int32Array(out.buffer, out.byteOffset, 2 * n));
  return fixedColumn((first as FixedColumn).type, out, validity);
}

function gatherBytes(vs: readonly Uint8Array[], src: Int32Array, row: Int32Array, n: number, out: Uint8Array): void {
  for (let i = 0; i < n; i++) out[i] = vs[src[i]!]![row[i]!]!;
}

function gatherInt32(vs: readonly Int32Array[], src: Int32Array, row: Int32Array, n: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) out[i] = vs[src[i]!]![row[i]!]!;
}

function gatherWords64(vs: readonly Int32Array[], src: Int32Array, row: Int32Array, n: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const v = vs[src[i]!]!, r = 2 * row[i]!;
    out[2 * i] = v[r]!;
    out[2 * i + 1] = v[r + 1]!;
  }
}

/**
 * Merge sorted runs into one sorted stream of batches of at most batchSize rows.
 * `signal` is checked per output batch (intermediate passes do not pass through executePlan).
 */
export async function* mergeRuns(
  runs: readonly SpillFile[], schema: Schema, keys: readonly SortKey[], batchSize: number, signal?: AbortSignal,
): AsyncGenerator<Batch> {
  const cursors: RunCursor[] = [];
  const iterators: AsyncIterator<Batch>[] = [];
  try {
    for (const run of runs) {
      const it = run.read()[Symbol.asyncIterator]();
      iterators.push(it);
      const first = await nextNonEmpty(it);
      cursors.push(first === null
        ? { it, batch: emptyBatch(schema), keys: [], row: -1 }
        : { it, batch: first, keys: evaluateSortKeys(first, keys), row: 0 });
    }
    const heap: number[] = [];
    for (let c = 0; c < cursors.length; c++) if (cursors[c]!.row === 0) heap.push(c);
    const less = (a: number, b: number): boolean => {
      const ca = cursors[a]!, cb = cursors[b]!;
      const r = compareRows(ca.keys, ca.row, cb.keys, cb.row, keys);
      return r < 0 || (r === 0 && a < b);
    };
    const siftDown = (start: number): void => {
      let i = start;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < n && less(heap[l]!, heap[m]!)) m = l;
        if (r < n && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        const t = heap[i]!; heap[i] = heap[m]!; heap[m] = t;
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);

    const step = Math.max(1, batchSize);
    const src = new Int32Array(step), rowIdx = new Int32Array(step);
    let count = 0;
    const flush = (): Batch => {
      const out = interleaveBatches(schema, cursors.map((c) => c.batch), src, rowIdx, count);
      count = 0;
      return out;
    };
    while (heap.length > 0) {
      const c = heap[0]!;
      const cur = cursors[c]!;
      src[count] = c; rowIdx[count] = cur.row; count++;
      cur.row++;
      if (cur.row === cur.batch.length) {
        // The pairs point into this batch: gather them before it is replaced.
        if (count > 0) {
          if (signal?.aborted) throw cancelled(signal);
          yield flush();
        }
        const next = await nextNonEmpty(cur.it);
        if (next === null) {
          heap[0] = heap[heap.length - 1]!;
          heap.pop();
        } else {
          cur.batch = next;
          cur.keys = evaluateSortKeys(next, keys);
          cur.row = 0;
        }
      } else if (count === step) {
        if (signal?.aborted) throw cancelled(signal);
        yield flush();
      }
      if (heap.length > 0) siftDown(0);
    }
    if (count > 0) yield flush();
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}

async function nextNonEmpty(it: AsyncIterator<Batch>): Promise<Batch | null> {
  for (;;) {
    const r = await it.next();
    if (r.done) return null;
    if (r.value.length > 0) return r.value;
  }
}
