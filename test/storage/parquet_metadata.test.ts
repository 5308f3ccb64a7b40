import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SchemaElement } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { readParquetMetadata, spillwayType } from '../../src/storage/parquet_metadata.js';

const repoRoot = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '../..');
const tpch = nodePath.resolve(repoRoot, '../shared/data/tpch/sf0.01');

let dir: string;
beforeAll(async () => { dir = await mkdtemp(nodePath.join(tmpdir(), 'spillway-meta-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function ioError(p: Promise<unknown>): Promise<SpillwayError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SpillwayError);
  return e as SpillwayError;
}

describe.skipIf(!existsSync(tpch))('Parquet metadata of the shared TPC-H files (skipped: ../shared/data/tpch/sf0.01 is absent)', () => {
  it('maps lineitem to a Spillway schema with rows, bytes and statistics', async () => {
    const path = nodePath.join(tpch, 'lineitem.parquet');
    const info = await readParquetMetadata(path);
    expect(info.rows).toBe(60175);
    expect(info.bytes).toBeGreaterThan(1_000_000);
    const types = Object.fromEntries(info.schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      l_orderkey: 'int32', l_quantity: 'float64', l_shipdate: 'date32', l_comment: 'utf8', l_returnflag: 'utf8',
    });
    expect(info.schema.fields).toHaveLength(16);
    expect(info.schema.fields.every((f) => f.nullable)).toBe(true);
    expect(info.rowGroups).toHaveLength(1);
    const g = info.rowGroups[0]!;
    expect(g.rows).toBe(60175);
    const shipdate = g.columns[info.schema.fields.findIndex((f) => f.name === 'l_shipdate')]!;
    // 1992-01-04 .. 1998-11-29 as day numbers (DuckDB agrees)
    expect(shipdate).toEqual({ min: 8038, max: 10559, nullCount: 0 });
    const flag = g.columns[info.schema.fields.findIndex((f) => f.name === 'l_returnflag')]!;
    expect(flag).toEqual({ min: 'A', max: 'R', nullCount: 0 });
  });
});

describe('Parquet metadata errors name the file', () => {
  it('missing file', async () => {
    const path = nodePath.join(dir, 'missing.parquet');
    const e = await ioError(readParquetMetadata(path));
    expect(e.kind).toBe('io');
    expect(e.message).toBe(`cannot read Parquet file "${path}": no such file`);
  });

  it('a text file named .parquet', async () => {
    const path = nodePath.join(dir, 'text.parquet');
    await writeFile(path, 'id,name\n1,hello\n2,world\n');
    const e = await ioError(readParquetMetadata(path));
    expect(e.kind).toBe('io');
    expect(e.message).toBe(`cannot read Parquet file "${path}": not a Parquet file (no PAR1 footer)`);
  });

  it('an empty file', async () => {
    const path = nodePath.join(dir, 'empty.parquet');
    await writeFile(path, '');
    const e = await ioError(readParquetMetadata(path));
    expect(e.message).toMatch(new RegExp(`^cannot read Parquet file ".*empty\\.parquet": file is too short`));
  });

  it('a directory', async () => {
    const e = await ioError(readParquetMetadata(dir));
    expect(e.message).toContain(`"${dir}"`);
    expect(e.message).not.toContain('\n');
  });

  it.skipIf(!existsSync(tpch))('a truncated Parquet file', async () => {
    const path = nodePath.join(dir, 'truncated.parquet');
    await copyFile(nodePath.join(tpch, 'nation.parquet'), path);
    const size = (await readFile(path)).length;
    // Cut the middle out: keep the magic bytes at the end so the footer length points outside.
    const bytes = await readFile(path);
    await writeFile(path, Buffer.concat([bytes.subarray(0, 20), bytes.subarray(size - 8)]));
    const e = await ioError(readParquetMetadata(path));
    expect(e.kind).toBe('io');
    expect(e.message).toMatch(/^cannot read Parquet file ".*truncated\.parquet": file is truncated or corrupt/);
    await truncate(path, 0);
  });
});

describe('Parquet type mapping', () => {
  const el = (e: Partial<SchemaElement>): SchemaElement => ({ name: 'c', ...e });
  it('maps the supported types', () => {
    expect(spillwayType('f', el({ type: 'INT32' }))).toBe('int32');
    expect(spillwayType('f', el({ type: 'INT32', converted_type: 'DATE' }))).toBe('date32');
    expect(spillwayType('f', el({ type: 'INT32', converted_type: 'UINT_32' }))).toBe('int64');
    expect(spillwayType('f', el({ type: 'INT64' }))).toBe('int64');
    expect(spillwayType('f', el({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } }))).toBe('timestamp');
    expect(spillwayType('f', el({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' }))).toBe('timestamp');
    expect(spillwayType('f', el({ type: 'INT96' }))).toBe('timestamp');
    expect(spillwayType('f', el({ type: 'FLOAT' }))).toBe('float64');
    expect(spillwayType('f', el({ type: 'DOUBLE' }))).toBe('float64');
    expect(spillwayType('f', el({ type: 'INT64', converted_type: 'DECIMAL', precision: 15, scale: 2 }))).toBe('decimal(15,2)');
    expect(spillwayType('f', el({ type: 'FIXED_LEN_BYTE_ARRAY', logical_type: { type: 'DECIMAL', precision: 30, scale: 4 } }))).toBe('decimal(30,4)');
    expect(spillwayType('f', el({ type: 'BYTE_ARRAY', converted_type: 'UTF8' }))).toBe('utf8');
    expect(spillwayType('f', el({ type: 'BYTE_ARRAY', logical_type: { type: 'STRING' } }))).toBe('utf8');
    expect(spillwayType('f', el({ type: 'BOOLEAN' }))).toBe('bool');
    // UINT_64 is read as BIGINT; a value above 2^63 - 1 fails the read (parquet_types.test.ts)
    expect(spillwayType('f', el({ type: 'INT64', converted_type: 'UINT_64' }))).toBe('int64');
    // TIME in any unit, INTERVAL, and binary without annotation (BLOB)
    expect(spillwayType('f', el({ type: 'INT32', converted_type: 'TIME_MILLIS' }))).toBe('time');
    expect(spillwayType('f', el({ type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: true, unit: 'NANOS' } }))).toBe('time');
    expect(spillwayType('f', el({ type: 'INT64', converted_type: 'TIME_MICROS' }))).toBe('time');
    expect(spillwayType('f', el({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, converted_type: 'INTERVAL' }))).toBe('interval');
    expect(spillwayType('f', el({ type: 'BYTE_ARRAY' }))).toBe('blob');
    expect(spillwayType('f', el({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: 7 }))).toBe('blob');
  });

  it('rejects the others, naming file and column', () => {
    const bad: Partial<SchemaElement>[] = [
      { type: 'BYTE_ARRAY', logical_type: { type: 'BSON' } },
      { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 8, converted_type: 'INTERVAL' },
    ];
    for (const b of bad) {
      let err: unknown;
      try { spillwayType('/data/f.parquet', el({ ...b, name: 'weird' })); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(SpillwayError);
      expect((err as SpillwayError).kind).toBe('unsupported');
      expect((err as Error).message).toMatch(/^Parquet file "\/data\/f\.parquet": column "weird" has an unsupported type/);
    }
  });
});
