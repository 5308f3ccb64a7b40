import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { discoverTables, resolveParquetPath } from '../../src/storage/table_discovery.js';
import { field, schema, type Schema } from '../../src/common/types.js';

const repoRoot = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '../..');
const tpch = nodePath.resolve(repoRoot, '../shared/data/tpch/sf0.01');

const S: Schema = schema([field('k', 'int32', false), field('v', 'utf8')]);
const S_NULLABLE_K: Schema = schema([field('k', 'int32', true), field('v', 'utf8')]);
const OTHER: Schema = schema([field('k', 'int64'), field('v', 'utf8')]);

let dir: string;
async function put(rel: string, rows: number, s: Schema = S): Promise<string> {
  const path = nodePath.join(dir, rel);
  await mkdir(nodePath.dirname(path), { recursive: true });
  const data = Array.from({ length: rows }, (_, i) => [s.fields[0]!.type === 'int64' ? BigInt(i) : i, `r${i}`]);
  await writeParquet(path, [batchFromRows(s, data)], s);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-discovery-'));
  // tables/: a file table, a folder table (nested files), hidden files, and a non-Parquet file
  await put('tables/single.parquet', 3);
  await put('tables/multi/part-0.parquet', 2);
  await put('tables/multi/part-1.parquet', 4, S_NULLABLE_K);
  await put('tables/multi/year=2024/part-2.parquet', 5);
  await put('tables/multi/_temporary/ignored.parquet', 100);
  await put('tables/.hidden.parquet', 100);
  await writeFile(nodePath.join(dir, 'tables/README.txt'), 'not a table');
  await mkdir(nodePath.join(dir, 'tables/empty_folder'));
  // mixed/: files of one folder with different schemas
  await put('mixed/t/a.parquet', 1);
  await put('mixed/t/b.parquet', 1, OTHER);
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('discoverTables', () => {
  it('registers files and folders of Parquet files, skipping hidden entries', async () => {
    const tables = await discoverTables(nodePath.join(dir, 'tables'));
    expect(tables.map((t) => t.name)).toEqual(['multi', 'single']);
    const [multi, single] = tables as [typeof tables[0], typeof tables[0]];
    expect(single.rows).toBe(3);
    expect(single.files).toEqual([nodePath.join(dir, 'tables/single.parquet')]);
    expect(single.schema).toEqual(S);
    expect(multi.rows).toBe(11);
    expect(multi.files.map((f) => nodePath.relative(dir, f))).toEqual([
      'tables/multi/part-0.parquet', 'tables/multi/part-1.parquet', 'tables/multi/year=2024/part-2.parquet',
    ]);
    // k is nullable in one file, so in the table
    expect(multi.schema).toEqual(S_NULLABLE_K);
    expect(multi.bytes).toBeGreaterThan(0);
  });

  it('registers a folder whose files disagree as a broken table, naming both files', async () => {
    const [t] = await discoverTables(nodePath.join(dir, 'mixed'));
    expect(t?.kind === 'parquet' ? t.error : undefined).toBe(
      `table "t" cannot be read: Parquet files "${nodePath.join(dir, 'mixed/t/a.parquet')}" and "${nodePath.join(dir, 'mixed/t/b.parquet')}" have different schemas: column 1 is "k" INTEGER vs "k" BIGINT`,
    );
  });

  it('names a missing directory', async () => {
    const missing = nodePath.join(dir, 'nope');
    await expect(discoverTables(missing)).rejects.toThrow(`cannot read table directory "${missing}": no such directory`);
  });

  it.skipIf(!existsSync(tpch))('finds the eight TPC-H tables', async () => {
    const tables = await discoverTables(tpch);
    expect(tables.map((t) => [t.name, t.rows])).toEqual([
      ['customer', 1500], ['lineitem', 60175], ['nation', 25], ['orders', 15000],
      ['part', 2000], ['partsupp', 8000], ['region', 5], ['supplier', 100],
    ]);
  });
});

describe('resolveParquetPath', () => {
  it('a single file', async () => {
    const t = await resolveParquetPath(nodePath.join(dir, 'tables/single.parquet'));
    expect(t).toMatchObject({ kind: 'parquet', name: 'single', rows: 3 });
  });

  it('a directory, recursively', async () => {
    const t = await resolveParquetPath(nodePath.join(dir, 'tables/multi'));
    expect(t.name).toBe('multi');
    expect(t.files).toHaveLength(3);
    expect(t.rows).toBe(11);
  });

  it('a glob with *', async () => {
    const t = await resolveParquetPath(nodePath.join(dir, 'tables/multi/part-*.parquet'));
    expect(t.files.map((f) => nodePath.basename(f))).toEqual(['part-0.parquet', 'part-1.parquet']);
    expect(t.rows).toBe(6);
  });

  it('a glob with **', async () => {
    const t = await resolveParquetPath(nodePath.join(dir, 'tables/multi/**/*.parquet'));
    expect(t.files.map((f) => nodePath.relative(nodePath.join(dir, 'tables/multi'), f))).toEqual([
      'part-0.parquet', 'part-1.parquet', 'year=2024/part-2.parquet',
    ]);
  });

  it('a relative glob', async () => {
    const rel = nodePath.relative(process.cwd(), nodePath.join(dir, 'tables/multi/year=*/*.parquet'));
    const t = await resolveParquetPath(rel);
    expect(t.rows).toBe(5);
  });

  it('names what matched nothing', async () => {
    const g = nodePath.join(dir, 'tables/*.csv');
    await expect(resolveParquetPath(g)).rejects.toThrow(`no Parquet files match "${g}"`);
    const missing = nodePath.join(dir, 'missing.parquet');
    await expect(resolveParquetPath(missing)).rejects.toThrow(`cannot read Parquet file "${missing}": no such file or directory`);
    const empty = nodePath.join(dir, 'tables/empty_folder');
    await expect(resolveParquetPath(empty)).rejects.toThrow(`no Parquet files in directory "${empty}"`);
  });

  it('a corrupt file among the matches names that file', async () => {
    const bad = nodePath.join(dir, 'corrupt/b.parquet');
    await put('corrupt/a.parquet', 1);
    await writeFile(bad, 'this is not parquet at all');
    await expect(resolveParquetPath(nodePath.join(dir, 'corrupt/*.parquet')))
      .rejects.toThrow(`cannot read Parquet file "${bad}": not a Parquet file (no PAR1 footer)`);
  });
});
