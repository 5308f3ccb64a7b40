/**
 * What the distributed COPY tests share: their settings and sessions (worker threads, worker
 * processes), and the checks that nothing was relayed and nothing left behind.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { QueryStats } from '../../src/result.js';
import { Session } from '../../src/session.js';
import { startWorkerProcess, stopCluster, type WorkerProcess } from '../scheduler/helpers.js';

/** Distribution forced; short heartbeats and timeouts; no speculative copies of tasks. */
export const COPY_SETTINGS = { force_distribution: true, network_timeout_ms: 20_000, heartbeat_interval_ms: 500, speculation_multiplier: 0 };

/** Registers, in the calling describe, a session over `dir()` on `threads` worker threads; returns it. */
export function threadSession(dir: () => string, threads = 3): () => Session {
  let session: Session | undefined;
  beforeAll(async () => { session = await Session.create({ tables: dir(), config: COPY_SETTINGS, workers: threads }); });
  afterAll(async () => { await session?.close(); });
  return () => session!;
}

/**
 * Registers, in the calling describe, a session over `dir()` on two `spillway worker`
 * processes (gRPC on loopback) that may read and write only below that folder; returns it.
 */
export function workerProcessSession(dir: () => string): () => Session {
  const workers: WorkerProcess[] = [];
  let session: Session | undefined;
  beforeAll(async () => {
    workers.push(...await Promise.all([startWorkerProcess(['--data-root', dir()]), startWorkerProcess(['--data-root', dir()])]));
    session = await Session.create({ tables: dir(), config: COPY_SETTINGS, workers: workers.map((w) => w.address) });
  }, 60_000);
  afterAll(() => stopCluster(session, workers), 30_000);
  return () => session!;
}

/** The result edge of a COPY written by the workers carries no rows. */
export function expectNoRowsRelayed(stats: QueryStats): void {
  const result = stats.edges.filter((e) => e.consumerStage === null);
  expect(result).toHaveLength(1);
  expect(result[0]).toMatchObject({ rows: 0, wireBytes: 0, rawBytes: 0 });
}

/** Temporary files of a COPY (parts, the joined file) in `dir`. */
export function copyLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.tmp-'));
}

/**
 * Run COPY `sql` to `out` in `dir`, which must fail (or, with `cancel`, is cancelled as soon
 * as its first temporary file appears): neither `out` nor any temporary file is left.
 */
export async function expectNothingLeft(session: Session, dir: string, out: string, sql: string, cancel: boolean): Promise<void> {
  const controller = new AbortController();
  let watching = cancel;
  const watcher = (async () => {
    while (watching && copyLeftovers(dir).length === 0) await new Promise((r) => setTimeout(r, 1));
    if (watching) controller.abort();
  })();
  const err = await session.sql(sql, { signal: controller.signal }).then(() => null, (e: unknown) => e);
  watching = false;
  await watcher;
  expect(err).toBeInstanceOf(Error);
  expect(existsSync(out)).toBe(false);
  expect(copyLeftovers(dir)).toEqual([]);
}
