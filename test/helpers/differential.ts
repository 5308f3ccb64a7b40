/**
 * The DuckDB differential suites' set-up: the modes they run in, a folder of Parquet files
 * (written by DuckDB or by the test) read by a Spillway session in one mode and by a DuckDB
 * oracle, and the comparison of one query's answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Spillway } from '../../src/index.js';
import { diffRows } from './compare.js';
import { DuckOracle } from './duckdb.js';
import { resultCells } from './spillway.js';

export interface DifferentialMode {
  mode: string;
  workers: number;
  settings: NonNullable<NonNullable<Parameters<typeof Spillway.create>[0]>['settings']>;
}

/** One thread; worker threads with every exchange; a memory limit small enough to spill. */
export const DIFFERENTIAL_MODES: readonly DifferentialMode[] = [
  { mode: 'one thread', workers: 0, settings: {} },
  { mode: '2 worker threads, distribution forced', workers: 2, settings: { force_distribution: true } },
  { mode: 'one thread, 2 MB memory limit', workers: 0, settings: { memory_limit: 2 << 20 } },
];

export interface DuckParquetFixture {
  /** The folder of Parquet files (the session's tables). */
  readonly dir: string;
  readonly db: Spillway;
  readonly duck: DuckOracle;
}

/**
 * Registers, in the calling describe, a beforeAll that makes a temporary folder, has
 * `fill(dir)` write its Parquet files and opens a Spillway session in `mode` (batches of
 * `batchSize` rows) and a DuckDB oracle over it, and an afterAll that closes both and
 * removes the folder.
 */
export function parquetFixture(prefix: string, fill: (dir: string) => Promise<void>, mode: DifferentialMode, batchSize = 256): DuckParquetFixture {
  let dir = '';
  let db: Spillway | undefined;
  let duck: DuckOracle | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    await fill(dir);
    db = await Spillway.create({ tables: dir, batchSize, workers: mode.workers, settings: mode.settings });
    duck = await DuckOracle.open(dir);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    duck?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() { return dir; },
    get db() { return db!; },
    get duck() { return duck!; },
  };
}

/** parquetFixture whose files DuckDB writes: `copies(dir)` are its COPY statements. */
export function duckParquetFixture(prefix: string, copies: (dir: string) => string[], mode: DifferentialMode): DuckParquetFixture {
  return parquetFixture(prefix, async (dir) => {
    const writer = await DuckOracle.open();
    try {
      for (const sql of copies(dir)) await writer.run(sql);
    } finally {
      writer.close();
    }
  }, mode);
}

/**
 * Throws, naming the query and the difference, unless Spillway's and DuckDB's answers to
 * `sql` hold the same rows (in the same order when `ordered`).
 */
export async function expectAgreement(fx: DuckParquetFixture, sql: string, ordered = false): Promise<void> {
  const diff = diffRows(resultCells(await fx.db.sql(sql)), await fx.duck.query(sql), ordered);
  if (diff !== null) throw new Error(`${sql}\n${diff}`);
}
