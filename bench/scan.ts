/**
 * Scan throughput: reads a Parquet file through the ParquetScan operator (called directly) with all columns
 * (or the ones named) and prints rows/s and MB/s of file bytes fetched.
 *
 *   node dist/bench/scan.js [file.parquet] [repeats] [col,col,...]
 * Default file: ../shared/data/tpch/sf0.01/lineitem.parquet relative to the repo root.
 * With SCAN_BENCH_DUCKDB=1 it also times DuckDB (one thread) decoding the same columns
 * (max() of each, computed inside DuckDB), when @duckdb/node-api is installed.
 */
import { existsSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeConfig } from '../src/common/config.js';
import type { TaskContext } from '../src/exec/context.js';
import { parquetScan } from '../src/exec/parquet_scan.js';
import { MetricsSet } from '../src/common/metrics.js';
import { UnboundedPool } from '../src/memory/unbounded_pool.js';
import type { ParquetScanNode } from '../src/plan/physical.js';
import { readParquetMetadata } from '../src/storage/parquet_metadata.js';

function repoRoot(): string {
  // dist/bench/scan.js or bench/scan.ts: the nearest folder up holding package.json
  let dir = nodePath.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(nodePath.join(dir, 'package.json')) && nodePath.dirname(dir) !== dir) dir = nodePath.dirname(dir);
  return dir;
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? nodePath.resolve(repoRoot(), '../shared/data/tpch/sf0.01/lineitem.parquet');
  const repeats = Number(process.argv[3] ?? 5);
  const info = await readParquetMetadata(file);
  const wanted = process.argv[4]?.split(',');
  const fields = wanted ? info.schema.fields.filter((f) => wanted.includes(f.name)) : info.schema.fields;
  const node: ParquetScanNode = {
    kind: 'ParquetScan', id: 1, partitions: 1, table: 'bench', schema: { fields },
    slices: [[{ path: file, bytes: info.bytes }]], columns: fields.map((f) => f.name), pruning: [],
  };
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const ctx: TaskContext = {
      queryId: 'bench', config: makeConfig(), signal: new AbortController().signal, memory: new UnboundedPool(),
      spill: { createWriter() { throw new Error('no spill'); }, stats: { files: 0, bytes: 0 }, async cleanup() {} },
      metrics: new MetricsSet(), memoryTables: new Map(),
    };
    const t0 = performance.now();
    let rows = 0;
    for await (const b of parquetScan(node, 0, ctx)) rows += b.length;
    times.push(performance.now() - t0);
    if (rows !== info.rows) throw new Error(`read ${rows} rows, expected ${info.rows}`);
  }
  times.sort((a, b) => a - b);
  const best = times[0]!;
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`${nodePath.basename(file)}: ${info.rows} rows, ${fields.length} columns, ${(info.bytes / 1e6).toFixed(1)} MB`);
  console.log(`best ${best.toFixed(0)} ms (${(info.rows / best / 1e3).toFixed(2)} M rows/s), median ${median.toFixed(0)} ms (${(info.rows / median / 1e3).toFixed(2)} M rows/s)`);
  if (process.env.SCAN_BENCH_DUCKDB === '1') await duckdbScan(file, fields.map((f) => f.name), repeats);
}

/** DuckDB (1 thread) decoding the same columns of the same file, for comparison. */
async function duckdbScan(file: string, columns: string[], repeats: number): Promise<void> {
  let duck: typeof import('@duckdb/node-api');
  try {
    duck = await import('@duckdb/node-api');
  } catch {
    console.log('duckdb: @duckdb/node-api is not installed');
    return;
  }
  const db = await duck.DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  const sql = `select ${columns.map((c) => `max("${c.replace(/"/g, '""')}")`).join(', ')} from read_parquet('${file.replace(/'/g, "''")}')`;
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await conn.runAndReadAll(sql);
    times.push(performance.now() - t0);
  }
  conn.closeSync();
  times.sort((a, b) => a - b);
  console.log(`duckdb (1 thread) best ${times[0]!.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms`);
}

await main();
