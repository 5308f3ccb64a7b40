/**
 * ParquetScan: reads partition p's file slices (node.slices[p]) and yields batches of at most
 * batch_size rows with the columns node.columns, in that order.
 *
 *   for each file slice:
 *     open (byte-range reader) → footer → map node.columns to file columns (check types)
 *     for each row group of the slice:
 *       statistics prove a pruning conjunct never TRUE?  → skip (rowGroupsPruned)
 *       else read each needed column chunk of the group and decode its pages straight into
 *       typed-array columns (storage/parquet_columns.ts), yield batch_size slices (rowGroupsRead)
 *
 * A filter (node.filter) is applied per row group by exec/scan_filter.ts, which keeps
 * dictionary-encoded string columns encoded until it knows which rows survive.
 *
 * Buffers: one decoded row group of the projected columns (never a whole file); it does not
 * reserve pool memory and never spills. Checks cancellation between row groups.
 * Metrics (extra): filesRead, rowGroupsRead, rowGroupsPruned, bytesScanned (bytes fetched
 * from storage, footers included), filesPruned (only when some were).
 *
 * Hive partition columns (`…/year=2024/file.parquet`, storage/hive_partitions.ts) are not in
 * the file: they come from the file's path as constants, and a file whose partition values
 * make a pruning conjunct false is skipped before it is opened.
 */
import type { FileMetaData } from 'hyparquet';
import { makeBatch, type Batch, type Column } from '../columnar/column.js';
import { repeatScalar, sliceBatch } from '../columnar/kernels.js';
import { didYouMean, SpillwayError } from '../common/errors.js';
import type { FileSlice, ParquetScanNode } from '../plan/physical.js';
import type { ReadableObject } from '../storage/object_store.js';
import { readRowGroupColumns, readRowGroupColumnsEncoded, type DictionaryColumn } from '../storage/parquet_columns.js';
import { openParquetFile, parquetReadError, type RowGroupInfo } from '../storage/parquet_metadata.js';
import { canSkipRowGroup } from '../storage/row_group_pruning.js';
import { constantStatistics, partitionValues } from '../storage/hive_partitions.js';
import { sqlTypeName, type Scalar } from '../common/types.js';
import type { TaskContext } from './context.js';
import { filterRowGroup, perValueColumns } from './scan_filter.js';

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

export async function* parquetScan(node: ParquetScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const extra = ctx.metrics.forNode(node.id).extra;
  const counters: ScanCounters = { filesRead: 0, rowGroupsRead: 0, rowGroupsPruned: 0, bytesScanned: 0 };
  for (const k of Object.keys(counters) as (keyof ScanCounters)[]) extra[k] ??= 0;
  const slices = node.slices[partition] ?? [];
  for (const slice of slices) {
    if (ctx.signal.aborted) throw cancelled(ctx.signal);
    yield* scanFile(node, slice, ctx, extra);
  }
}

async function* scanFile(node: ParquetScanNode, slice: FileSlice, ctx: TaskContext, extra: Record<string, number>): AsyncGenerator<Batch> {
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
    for (const g of groups) {
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
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
      extra.rowGroupsRead! += 1;
      const columns = await readRowGroup(node, file, metadata, rg, fileIndex.map((j) => (j === -1 ? null : fileFields[j]!.name)), hive);
      const batch = node.filter !== undefined
        ? filterRowGroup(node.schema, columns, rg.rows, node.filter)
        : makeBatch(node.schema, columns as Column[], rg.rows);
      const size = Math.max(1, ctx.config.batch_size);
      for (let start = 0; start < batch.length; start += size) {
        yield sliceBatch(batch, start, start + size);
      }
    }
  } finally {
    extra.bytesScanned! += file.bytesRead;
    await file.close();
  }
}

/**
 * The projected columns of one row group (column chunks read and decoded in turn); with a
 * filter, dictionary-encoded strings stay encoded for filterRowGroup.
 */
async function readRowGroup(
  node: ParquetScanNode, file: ReadableObject, metadata: FileMetaData, rg: RowGroupInfo, names: (string | null)[], constants: Map<number, Scalar>,
): Promise<(Column | DictionaryColumn)[]> {
  if (names.length === 0) return [];
  try {
    const encoded = node.filter !== undefined ? perValueColumns(node.filter) : null;
    const wanted = names.flatMap((name, i) => (name === null ? [] : [{ name, type: node.schema.fields[i]!.type, keepDictionary: encoded?.has(i) === true }]));
    const read: (Column | DictionaryColumn)[] = wanted.length === 0 ? []
      : node.filter !== undefined ? await readRowGroupColumnsEncoded(file, metadata, rg.index, rg.rows, wanted)
        : await readRowGroupColumns(file, metadata, rg.index, rg.rows, wanted);
    let k = 0;
    const columns = names.map((name, i) => (name === null ? repeatScalar(node.schema.fields[i]!.type, constants.get(i) ?? null, rg.rows) : read[k++]!));
    return columns;
  } catch (e) {
    throw parquetReadError(file.path, e);
  }
}
