import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { assignUnits, scanUnits, splitScans } from '../../src/distributed/split_scans.js';
import type { ParquetScanNode, PhysicalPlan } from '../../src/plan/physical.js';
import type { ParquetFileInfo } from '../../src/storage/parquet_metadata.js';
import { field } from '../../src/common/types.js';

const S = { fields: [field('a', 'int32')] };

function scan(files: [string, number][]): ParquetScanNode {
  return {
    kind: 'ParquetScan', id: 1, schema: S, partitions: 1, table: 't', columns: ['a'], pruning: [],
    slices: [files.map(([path, bytes]) => ({ path, bytes }))],
  };
}

/** Fake footers: `groups[path]` = row group byte sizes. */
function metadata(groups: Record<string, number[]>) {
  const calls: string[] = [];
  const read = async (path: string): Promise<ParquetFileInfo> => {
    calls.push(path);
    const g = groups[path] ?? [];
    return {
      path, bytes: g.reduce((a, b) => a + b, 0), rows: g.length * 10, schema: S, metadata: {} as ParquetFileInfo['metadata'],
      rowGroups: g.map((bytes, index) => ({ index, rowStart: index * 10, rows: 10, bytes, columns: [] })),
    };
  };
  return { read, calls };
}

describe('assignUnits', () => {
  it('places the largest first on the least-loaded task', () => {
    const slices = assignUnits([{ path: 'a', bytes: 90 }, { path: 'b', bytes: 40 }, { path: 'c', bytes: 30 }, { path: 'd', bytes: 20 }], 2);
    expect(slices.map((s) => s.map((f) => f.path))).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('never makes empty partitions and merges row groups of one file', () => {
    const slices = assignUnits([
      { path: 'x', rowGroups: [2], bytes: 5 }, { path: 'x', rowGroups: [0], bytes: 10 }, { path: 'x', rowGroups: [1], bytes: 1 },
    ], 8);
    expect(slices.length).toBe(3);
    const two = assignUnits([{ path: 'x', rowGroups: [2], bytes: 5 }, { path: 'x', rowGroups: [0], bytes: 10 }, { path: 'x', rowGroups: [1], bytes: 1 }], 2);
    expect(two).toEqual([[{ path: 'x', rowGroups: [0], bytes: 10 }], [{ path: 'x', rowGroups: [1, 2], bytes: 6 }]]);
    expect(assignUnits([], 4)).toEqual([[]]);
  });

  it('leaves absolute paths and URLs as they are', async () => {
    const m = metadata({ '/data/f': [4], 's3://bucket/g': [4] });
    const out = await splitScans(scan([['/data/f', 4], ['s3://bucket/g', 4]]), { tasks: 2, metadata: m.read }) as ParquetScanNode;
    expect(out.slices.flat().map((s) => s.path).sort()).toEqual(['/data/f', 's3://bucket/g']);
  });
});

describe('scanUnits', () => {
  it('splits files larger than an even share into row groups, leaves the rest whole', async () => {
    const m = metadata({ big: [50, 30, 20], small1: [10], small2: [10] });
    const units = await scanUnits(scan([['big', 100], ['small1', 10], ['small2', 10]]), 3, m.read);
    expect(units).toEqual([
      { path: 'big', rowGroups: [0], bytes: 50 }, { path: 'big', rowGroups: [1], bytes: 30 }, { path: 'big', rowGroups: [2], bytes: 20 },
      { path: 'small1', bytes: 10 }, { path: 'small2', bytes: 10 },
    ]);
    expect(m.calls).toEqual(['big']);
  });

  it('splits every file into row groups when there are fewer files than tasks; one task splits nothing', async () => {
    const m = metadata({ f: [4, 4], g: [1] });
    expect((await scanUnits(scan([['f', 8], ['g', 1]]), 4, m.read)).length).toBe(3);
    expect((await scanUnits(scan([['f', 8], ['g', 1]]), 1, m.read)).length).toBe(2);
  });

  it('leaves absolute paths and URLs as they are', async () => {
    const m = metadata({ '/data/f': [4], 's3://bucket/g': [4] });
    const out = await splitScans(scan([['/data/f', 4], ['s3://bucket/g', 4]]), { tasks: 2, metadata: m.read }) as ParquetScanNode;
    expect(out.slices.flat().map((s) => s.path).sort()).toEqual(['/data/f', 's3://bucket/g']);
  });
});

describe('splitScans', () => {
  it('splits Parquet scans and in-memory scans, keeps Values whole', async () => {
    const m = metadata({ f: [4, 4, 4] });
    const plan: PhysicalPlan = {
      kind: 'UnionAll', id: 9, schema: S, partitions: 3, inputs: [
        scan([['f', 12]]),
        { kind: 'MemoryScan', id: 2, schema: S, partitions: 1, table: 'm', projection: [0] },
        { kind: 'Values', id: 3, schema: S, partitions: 1, rows: [[1]] },
      ],
    };
    const out = await splitScans(plan, { tasks: 2, metadata: m.read });
    if (out.kind !== 'UnionAll') throw new Error('shape');
    const [p, mem, v] = out.inputs;
    expect(p!.partitions).toBe(2);
    // Shipped to workers as absolute paths (their working folder may differ).
    const f = resolve('f');
    expect((p as ParquetScanNode).slices).toEqual([[{ path: f, rowGroups: [0, 2], bytes: 8 }], [{ path: f, rowGroups: [1], bytes: 4 }]]);
    expect(mem!.partitions).toBe(2);
    expect(v!.partitions).toBe(1);
  });

  it('leaves absolute paths and URLs as they are', async () => {
    const m = metadata({ '/data/f': [4], 's3://bucket/g': [4] });
    const out = await splitScans(scan([['/data/f', 4], ['s3://bucket/g', 4]]), { tasks: 2, metadata: m.read }) as ParquetScanNode;
    expect(out.slices.flat().map((s) => s.path).sort()).toEqual(['/data/f', 's3://bucket/g']);
  });
});
