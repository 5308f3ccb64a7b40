/**
 * ParquetScan: reads partition p's file slices (node.slices[p]) and yields batches of at most
 * batch_size rows with the columns node.columns, in that order.
 *
 *   for each file slice:
 *     open (byte-range reader) → footer → map node.columns to file columns (check types)
 *     for each row group of the slice:
 *       statistics prove a pruning conjunct never TRUE?  → skip (rowGroupsPruned)
 *       else read the needed column chunks page by page and decode batch_size rows at a
 *       time straight into typed-array columns (storage/parquet_columns.ts RowGroupReader),
 *       yielding each slice as soon as every column has it (rowGroupsRead); the columns'
 *       first windows are fetched all at once, and the next row group's as soon as this
 *       one's first slice is decoded, so reads overlap decoding
 *
 * A filter (node.filter) is applied per slice by exec/scan_filter.ts, which keeps
 * dictionary-encoded string columns encoded until it knows which rows survive; then the join
 * key filters (node.keyFilters, exec/join/key_filter.ts) a join above has published; the small
 * batches that leave them are gathered into batches of about batch_size rows.
 *
 * Memory: per projected column, a window of compressed bytes (at least one page; 256 KiB
 * locally, 8 MiB on remote stores where each read is a request), the current page and the
 * chunk's dictionary, plus the slice being decoded; never a whole row group. It is reserved
 * from the pool (unspillable `ParquetScan[p…]`; the slice's share is handed to the consumer
 * with the batch). When the pool refuses, the scan reads smaller slices and single pages from
 * then on; it never waits for memory, since its consumer (which would release some) waits for
 * its next batch. Checks cancellation between slices.
 * Metrics (extra): filesRead, rowGroupsRead, rowGroupsPruned, bytesScanned (bytes fetched
 * from storage, footers included), filesPruned (only when some were), scanHeldPeak (most
 * bytes the scan's readers held at once), scanTight (slices read after the pool refused),
 * keyFilterRowsIn / keyFilterRowsOut (rows the join key filters checked and kept).
 *
 * Hive partition columns (`…/year=2024/file.parquet`, storage/hive_partitions.ts) are not in
 * the file: they come from the file's path as constants, and a file whose partition values
 * make a pruning conjunct false is skipped before it is opened.
 */
import type { FileMetaData } from 'hyparquet';
import { columnBytes, makeBatch, type Batch, type Column } from '../columnar/column.js';
import { coalesceBatches } from '../columnar/coalesce_batches.js';
import { repeatScalar } from '../columnar/kernels.js';
import { didYouMean, SpillwayError } from '../common/errors.js';
import type { FileSlice, ParquetScanNode } from '../plan/physical.js';
import type { MemoryReservation } from '../memory/pool.js';
import { isRemotePath, type ReadableObject } from '../storage/object_store.js';
import { RowGroupReader, type DictionaryColumn } from '../storage/parquet_columns.js';
import { openParquetFile, parquetReadError, type RowGroupInfo } from '../storage/parquet_metadata.js';
import { canSkipRowGroup } from '../storage/row_group_pruning.js';
import { constantStatistics, partitionValues } from '../storage/hive_partitions.js';
import { sqlTypeName, type Scalar } from '../common/types.js';
import type { TaskContext } from './context.js';
import { filterRowGroup, perValueColumns } from './scan_filter.js';
import { ScanKeyFilters } from './join/key_filter.js';

/**
 * The error for an aborted signal, as execute.ts's cancelled() builds it; not imported from
 * there so the scan does not pull in the whole operator table.
 */
function cancelled(signal: AbortSignal): SpillwayError {
  const reason: unknown = signal.reason;
  if (reason instanceof SpillwayError) return reason;
  return new SpillwayError('cancelled', `query cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
}

interface ScanCounters {
  filesRead: number;
  rowGroupsRead: number;
  rowGroupsPruned: number;
  bytesScanned: number;
}

/** Bytes each column fetches at least per read: local files, remote stores (one request each). */
const LOCAL_READ_BYTES = 256 << 10;
const REMOTE_READ_BYTES = 8 << 20;
/** Smallest slice the scan goes down to when the pool is tight. */
const MIN_SLICE_ROWS = 256;

/** What one scan task holds in the pool, and how finely it reads. */
interface ScanMemory {
  reservation: MemoryReservation;
  /** Rows decoded per slice: batch_size, halved each time the pool refuses (down to MIN_SLICE_ROWS). */
  sliceRows: number;
  /** The pool refused once: read single pages from then on. */
  tight: boolean;
}

export async function* parquetScan(node: ParquetScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const batches = scanPartition(node, partition, ctx);
  // a filter leaves small batches: gather them (at most batch_size rows are held)
  yield* node.filter !== undefined || node.keyFilters !== undefined ? coalesceBatches(batches, node.schema, Math.max(1, ctx.config.batch_size)) : batches;
}

async function* scanPartition(node: ParquetScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const extra = ctx.metrics.forNode(node.id).extra;
  const counters: ScanCounters = { filesRead: 0, rowGroupsRead: 0, rowGroupsPruned: 0, bytesScanned: 0 };
  for (const k of Object.keys(counters) as (keyof ScanCounters)[]) extra[k] ??= 0;
  const slices = node.slices[partition] ?? [];
  const memory: ScanMemory = {
    reservation: ctx.memory.register(`ParquetScan[p${partition}]`, { spillable: false }),
    sliceRows: Math.max(1, ctx.config.batch_size),
    tight: false,
  };
  const keys = node.keyFilters !== undefined ? new ScanKeyFilters(node.keyFilters, node.id, partition, ctx) : null;
  try {
    for (const slice of slices) {
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      yield* scanFile(node, slice, ctx, extra, memory, keys);
    }
  } finally {
    memory.reservation.free();
  }
}

/**
 * Hold `bytes` in the scan's reservation. A refusal makes the scan read finer from now on; the
 * bytes are in use already and the pool has asked the spillable holders to spill, which they
 * do when this batch reaches them, so the scan goes on with what it could reserve.
 */
function hold(memory: ScanMemory, reader: RowGroupReader, bytes: number, extra: Record<string, number>): void {
  const r = memory.reservation;
  if (bytes <= r.size) { r.shrink(r.size - bytes); return; }
  if (r.tryGrow(bytes - r.size)) return;
  extra.scanTight = (extra.scanTight ?? 0) + 1;
  memory.tight = true;
  memory.sliceRows = Math.max(MIN_SLICE_ROWS, memory.sliceRows >> 1);
  reader.setReadBytes(0);
}

async function* scanFile(
  node: ParquetScanNode, slice: FileSlice, ctx: TaskContext, extra: Record<string, number>, memory: ScanMemory,
  keys: ScanKeyFilters | null,
): AsyncGenerator<Batch> {
  const path = slice.path;
  const hive = partitionValues(path, node.columns.map((name, i) => ({ name, type: node.schema.fields[i]!.type, nullable: true })));
  if (hive.size > 0 && node.pruning.length > 0 && canSkipRowGroup(node.pruning, (i) => {
    const v = hive.get(i);
    return v === undefined ? undefined : constantStatistics(v, 1);
  }, 1)) {
    extra.filesPruned = (extra.filesPruned ?? 0) + 1;
    return;
  }
  const { file, metadata, info } = await openParquetFile(path);
  const readBytes = isRemotePath(path) ? REMOTE_READ_BYTES : LOCAL_READ_BYTES;
  try {
    extra.filesRead! += 1;

    // Output column i reads file column fileIndex[i]; -1: a partition column from the path.
    const fileFields = info.schema.fields;
    const fileIndex = node.columns.map((name, i) => {
      const j = fileFields.findIndex((f) => f.name === name);
      if (j < 0 && hive.has(i)) return -1;
      if (j < 0) {
        throw new SpillwayError('io', `Parquet file "${path}" has no column "${name}"${didYouMean(name, fileFields.map((f) => f.name))}`);
      }
      const want = node.schema.fields[i]?.type;
      if (want !== undefined && fileFields[j]!.type !== want) {
        throw new SpillwayError('io', `column "${name}" is ${sqlTypeName(fileFields[j]!.type)} in Parquet file "${path}" but ${sqlTypeName(want)} in table "${node.table}"`);
      }
      return j;
    });

    const groups = slice.rowGroups ?? info.rowGroups.map((g) => g.index);
    const toRead: RowGroupInfo[] = [];
    for (const g of groups) {
      const rg = info.rowGroups[g];
      if (!rg) throw parquetReadError(path, new Error(`row group ${g} does not exist (the file has ${info.rowGroups.length})`));
      if (rg.rows === 0) continue;
      if (node.pruning.length > 0 && canSkipRowGroup(node.pruning, (i) => {
        const j = fileIndex[i];
        if (j === -1) return constantStatistics(hive.get(i)!, rg.rows);
        return j === undefined ? undefined : rg.columns[j];
      }, rg.rows)) {
        extra.rowGroupsPruned! += 1;
        continue;
      }
      toRead.push(rg);
    }
    const names = fileIndex.map((j) => (j === -1 ? null : fileFields[j]!.name));
    // The next row group's reader, fetching its first windows while this one decodes.
    let next: RowGroupReader | null = null;
    try {
      for (let gi = 0; gi < toRead.length; gi++) {
        if (ctx.signal.aborted) throw cancelled(ctx.signal);
        extra.rowGroupsRead! += 1;
        const reader = next ?? openRowGroup(node, file, metadata, toRead[gi]!, names, memory.tight ? 0 : readBytes);
        next = null;
        try {
          while (reader.left > 0) {
            if (ctx.signal.aborted) throw cancelled(ctx.signal);
            const n = Math.min(reader.left, memory.sliceRows);
            const columns = await readSlice(reader, names, n, node, hive);
            if (next === null && !memory.tight && gi + 1 < toRead.length) {
              next = openRowGroup(node, file, metadata, toRead[gi + 1]!, names, readBytes);
              next.prefetch();
            }
            let out = 0;
            for (const c of columns) out += isDictionary(c) ? c.indices.byteLength : columnBytes(c);
            const held = reader.heldBytes + (next?.heldBytes ?? 0);
            if (held > (extra.scanHeldPeak ?? 0)) extra.scanHeldPeak = held;
            hold(memory, reader, held + out, extra);
            let batch = node.filter !== undefined
              ? filterRowGroup(node.schema, columns, n, node.filter)
              : makeBatch(node.schema, columns as Column[], n);
            if (keys !== null) batch = keys.apply(batch);
            // the batch is the consumer's to account for from here on
            hold(memory, reader, reader.heldBytes + (next?.heldBytes ?? 0), extra);
            if (batch.length > 0) yield batch;
          }
        } finally {
          reader.close();
          memory.reservation.shrink(memory.reservation.size);
        }
      }
    } finally {
      next?.close();
    }
  } finally {
    extra.bytesScanned! += file.bytesRead;
    await file.close();
  }
}

function isDictionary(c: Column | DictionaryColumn): c is DictionaryColumn {
  return (c as DictionaryColumn).kind === 'dictionary';
}

/**
 * A reader of the projected file columns of one row group (`names`: null for a partition
 * column); with a filter, dictionary-encoded strings stay encoded for filterRowGroup.
 */
function openRowGroup(
  node: ParquetScanNode, file: ReadableObject, metadata: FileMetaData, rg: RowGroupInfo, names: (string | null)[], readBytes: number,
): RowGroupReader {
  const encoded = node.filter !== undefined ? perValueColumns(node.filter) : null;
  const wanted = names.flatMap((name, i) => (name === null ? [] : [{ name, type: node.schema.fields[i]!.type, keepDictionary: encoded?.has(i) === true }]));
  try {
    return new RowGroupReader(file, metadata, rg.index, rg.rows, wanted, node.filter !== undefined, readBytes);
  } catch (e) {
    throw parquetReadError(file.path, e);
  }
}

/** The next `n` rows of every output column: read from the file, or a partition column's constant. */
async function readSlice(
  reader: RowGroupReader, names: (string | null)[], n: number, node: ParquetScanNode, constants: Map<number, Scalar>,
): Promise<(Column | DictionaryColumn)[]> {
  let read: (Column | DictionaryColumn)[];
  try {
    read = await reader.read(n);
  } catch (e) {
    throw parquetReadError(reader.path, e);
  }
  let k = 0;
  return names.map((name, i) => (name === null ? repeatScalar(node.schema.fields[i]!.type, constants.get(i) ?? null, n) : read[k++]!));
}
