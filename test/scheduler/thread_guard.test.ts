/**
 * Worker threads that do not answer heartbeats are busy, not gone: with fewer than two of
 * them answering, the default mode runs the query in the calling thread (same answer, the
 * reason recorded), instead of a distributed run without parallelism or an error.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, expectAnswer, HAVE_DIST, querySql, splitTpchTables } from './helpers.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

// No heartbeat during the test: a thread marked lost stays out until it answers one.
const SETTINGS = { force_distribution: true, heartbeat_interval_ms: 60_000, worker_heartbeat_timeout_ms: 600_000 };

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('worker threads short of two', () => {
  let tables = '';
  let session: Session | undefined;
  let executor: DistributedExecutor;

  beforeAll(async () => {
    tables = await splitTpchTables();
    session = await Session.create({ tables, config: SETTINGS });
    executor = createExecutor({ workers: 2, config: session.config, warn: () => {} }) as DistributedExecutor;
    session.executor = executor;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    if (tables !== '') rmSync(tables, { recursive: true, force: true });
  }, 30_000);

  it('runs on both threads while both answer, in this thread when one does not', async () => {
    expectAnswer('q06', await session!.sql(querySql('q06')));
    expect(executor.lastRun!.dag?.decision.distribute).toBe(true);
    expect(Object.keys(executor.lastRun!.tasksPerWorker).sort()).toEqual(['thread:0', 'thread:1']);

    (await executor.runner()).reportLost('thread:1', 'silenced by the test');
    expectAnswer('q06', await session!.sql(querySql('q06')));
    expect(executor.lastRun!.dag).toBeNull();
    expect(executor.lastRun!.localReason).toMatch(/^1 of 2 worker threads answer heartbeats \(.*thread:1 \(silenced by the test\).*\): the query runs in this thread$/);
    expect(executor.lastRun!.taskAttempts).toBe(0);
    const explained = (await session!.sql(`explain analyze ${querySql('q06')}`)).rows().map((r) => String(r[0])).join('\n');
    expect(explained).toContain('Ran in this thread: 1 of 2 worker threads answer heartbeats');
  }, 60_000);
});
