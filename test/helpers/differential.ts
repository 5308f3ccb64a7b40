/**
 * The DuckDB differential suites' set-up: the modes they run in, and a folder of Parquet
 * files DuckDB writes, read by a Spillway session in one mode and by a DuckDB oracle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Spillway } from '../../src/index.js';
import { DuckOracle } from './duckdb.js';

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
 * Registers, in the calling describe, a beforeAll that has DuckDB run `copies(dir)` (COPY
 * statements writing Parquet files into a new temporary folder) and opens a Spillway session
 * in `mode` (batches of 256 rows) and a DuckDB oracle over that folder, and an afterAll that
 * closes both and removes the folder.
 */
export function duckParquetFixture(prefix: string, copies: (dir: string) => string[], mode: DifferentialMode): DuckParquetFixture {
  let dir = '';
  let db: Spillway | undefined;
  let duck: DuckOracle | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const writer = await DuckOracle.open();
    try {
      for (const sql of copies(dir)) await writer.run(sql);
    } finally {
      writer.close();
    }
    db = await Spillway.create({ tables: dir, batchSize: 256, workers: mode.workers, settings: mode.settings });
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
