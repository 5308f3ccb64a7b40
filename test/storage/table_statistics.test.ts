/**
 * Table-level column statistics from discovery: min/max/null counts aggregated over every
 * row group of every file of a table.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { aggregateStatistics, discoverTables, resolveParquetPath, type ParquetTable } from '../../src/storage/table_discovery.js';
import type { ParquetFileInfo } from '../../src/storage/parquet_metadata.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';

const S: Schema = schema([field('k', 'int32', false), field('big', 'int64'), field('d', 'date32'), field('s', 'utf8'), field('n', 'int32')]);

let dir: string;

async function put(rel: string, rows: Scalar[][], rowGroupSize: number): Promise<void> {
  const path = nodePath.join(dir, rel);
  await mkdir(nodePath.dirname(path), { recursive: true });
  await writeParquet(path, [batchFromRows(S, rows)], S, { rowGroupSize });
}

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-table-stats-'));
  // File 0: two row groups (k 10..12 and 13); file 1: one row group (k 3..5).
  // The global min of k is in file 1, the max in file 0's second row group.
  await put('t/part-0.parquet', [
    [10, 100n, 19000, 'm', null],
    [11, null, 19001, 'b', null],
    [12, 300n, 19002, 'zz', null],
    [13, -5n, 19003, 'c', null],
  ], 3);
  await put('t/part-1.parquet', [
    [3, 7n, 18000, 'a', null],
    [4, 9000000000n, 18001, 'é', null],
    [5, 1n, 18002, 'y', null],
  ], 10);
});

afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('table statistics', () => {
  it('aggregates min, max and null counts over row groups and files', async () => {
    const [t] = await discoverTables(dir) as ParquetTable[];
    expect(t!.name).toBe('t');
    expect(t!.rows).toBe(7);
    const [k, big, d, s, n] = t!.columnStatistics!;
    expect(k).toEqual({ min: 3, max: 13, nullCount: 0 });
    expect(big).toEqual({ min: -5n, max: 9000000000n, nullCount: 1 });
    expect(d).toEqual({ min: 18000, max: 19003, nullCount: 0 });
    // Strings are ordered by UTF-8 bytes, as Parquet orders them: 'é' (0xC3 0xA9) > 'zz'.
    expect(s).toEqual({ min: 'a', max: 'é', nullCount: 0 });
    // An all-NULL column has no bounds, only its null count.
    expect(n!.min).toBeUndefined();
    expect(n!.max).toBeUndefined();
    expect(n!.nullCount).toBe(7);
  });

  it('gives the same statistics for a table resolved from a glob', async () => {
    const t = await resolveParquetPath(nodePath.join(dir, 't/*.parquet'));
    expect(t.columnStatistics![0]).toEqual({ min: 3, max: 13, nullCount: 0 });
  });

  it('drops a bound that one non-empty row group lacks, and ignores empty row groups', () => {
    const info = (groups: { rows: number; min?: Scalar; max?: Scalar; nullCount?: number }[]): ParquetFileInfo => ({
      path: 'x.parquet', bytes: 0, rows: 0, schema: schema([field('k', 'int32')]), metadata: undefined as never,
      rowGroups: groups.map((g, index) => {
        const { rows, ...stats } = g;
        return { index, rowStart: 0, rows, bytes: 0, columns: [stats] };
      }),
    });
    const a = info([{ rows: 5, min: 1, max: 9, nullCount: 0 }, { rows: 0 }]);
    const b = info([{ rows: 5, nullCount: 2 }]);
    expect(aggregateStatistics([a], 1)).toEqual([{ min: 1, max: 9, nullCount: 0 }]);
    expect(aggregateStatistics([a, b], 1)).toEqual([{ nullCount: 2 }]);
    const c = info([{ rows: 5, min: 0, max: 20 }]);
    expect(aggregateStatistics([a, c], 1)).toEqual([{ min: 0, max: 20 }]);
    expect(aggregateStatistics([], 1)).toEqual([{ nullCount: 0 }]);
  });
});
