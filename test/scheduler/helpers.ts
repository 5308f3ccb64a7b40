/**
 * Helpers for the distributed integration tests: real worker processes on loopback, the
 * TPC-H SF 0.01 tables rewritten with several row groups (same rows: the shared files hold
 * one row group each, which would leave every scan in one task), and answer checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import type { QueryResult } from '../../src/result.js';
import { diffRows, parseCsv } from '../helpers/compare.js';
import { REPO_ROOT, TPCH_DIR, TPCH_SF001 } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';

export const WORKER_MAIN = resolve(REPO_ROOT, 'dist/src/cli/worker_main.js');
export const HAVE_DIST = existsSync(WORKER_MAIN) && existsSync(resolve(REPO_ROOT, 'dist/src/worker/thread_main.js'));
export const DIST_MISSING_MESSAGE = `skipped: ${WORKER_MAIN} is missing; run the build (npm test runs tsc first)`;

export const QUERIES = ['q01', 'q03', 'q05', 'q06', 'q10', 'q12', 'q14'];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The TPC-H tables with row groups of ~2048 rows (lineitem 30, orders 8, partsupp 4). */
export async function splitTpchTables(): Promise<string> {
  const out = tempDir('spillway-tpch-split-');
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  for (const t of ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'supplier', 'nation', 'region']) {
    const src = join(TPCH_SF001, `${t}.parquet`).replace(/'/g, "''");
    await conn.run(`copy (select * from read_parquet('${src}')) to '${join(out, `${t}.parquet`)}' (format parquet, row_group_size 2048)`);
  }
  conn.closeSync();
  return out;
}

export function querySql(q: string): string {
  return readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
}

export function expectAnswer(q: string, res: QueryResult): void {
  const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', `${q}.csv`), 'utf8'));
  expect(res.schema.fields.length).toBe(expected.header.length);
  const diff = diffRows(resultCells(res), expected.rows, true);
  expect(diff, `${q}: ${diff}`).toBeNull();
}

export interface WorkerProcess {
  readonly proc: ChildProcess;
  readonly address: string;
  readonly spillDir: string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Resolves once its stderr matches `re`. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when it has exited. */
  exited: Promise<number | null>;
}

/** Start `node dist/src/cli/worker_main.js --port 0` on loopback (in folder `cwd` if given); resolves once it listens. */
export async function startWorkerProcess(extraArgs: string[] = [], spillDir = tempDir('spillway-worker-spill-'), cwd?: string): Promise<WorkerProcess> {
  mkdirSync(spillDir, { recursive: true });
  // Tests keep their tables in temp folders and ../shared: the worker may read there.
  const roots = extraArgs.includes('--data-root') ? [] : ['--data-root', tmpdir(), '--data-root', resolve(REPO_ROOT, '..')];
  const proc = spawn(process.execPath, [WORKER_MAIN, '--port', '0', '--listen', '127.0.0.1', '--spill-dir', spillDir, ...roots, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'], ...(cwd !== undefined ? { cwd } : {}),
  });
  let out = '';
  let err = '';
  const logWaiters = new Set<() => void>();
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); for (const w of [...logWaiters]) w(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const address = await new Promise<string>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 20 s; stderr: ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /spillway worker listening on (\S+):(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolvePort(`${m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]}:${m[2]}`); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`worker exited with ${code} before listening; stderr: ${err}`)); });
  });
  return {
    proc, address, spillDir, exited,
    stderr: () => err,
    waitForLog: (re, timeoutMs = 20_000) => new Promise<void>((res, rej) => {
      const check = () => { if (re.test(err)) { logWaiters.delete(check); clearTimeout(timer); res(); } };
      const timer = setTimeout(() => { logWaiters.delete(check); rej(new Error(`no ${re} in worker log within ${timeoutMs} ms; log: ${err}`)); }, timeoutMs);
      logWaiters.add(check);
      check();
    }),
  };
}

/** SIGKILL every process that is still running (afterAll, whatever happened). */
export async function killAll(workers: readonly (WorkerProcess | undefined)[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    if (w === undefined || w.proc.exitCode !== null || w.proc.signalCode !== null) return;
    w.proc.kill('SIGKILL');
    await w.exited;
  }));
}

/** afterAll of a session over worker processes: close it, then kill the workers and remove their spill folders. */
export async function stopCluster(session: { close(): Promise<void> } | undefined, workers: readonly WorkerProcess[]): Promise<void> {
  try {
    await session?.close();
  } finally {
    await killAll(workers);
    for (const w of workers) rmSync(w.spillDir, { recursive: true, force: true });
  }
}

/** Total of one extra metric over every plan node. */
export function totalMetric(res: QueryResult, key: string): number {
  let n = 0;
  for (const m of res.metrics?.byNode.values() ?? []) n += m.extra[key] ?? 0;
  return n;
}
