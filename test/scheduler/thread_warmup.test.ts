/**
 * Worker threads start with the session when its tables are large enough for a query to
 * pass the small_work guard, so the first distributed query does not wait for them; a
 * query the guards keep in this thread never waits for them (and, with startWorkersEarly
 * false, as a one-statement CLI run asks, they start only for a query that needs them); a
 * session closed before its threads are ready stops them instead of waiting for them.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { SpillwayError } from '../../src/common/errors.js';
import { DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { ThreadWorkers } from '../../src/scheduler/thread_workers.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, expectAnswer, HAVE_DIST, querySql, splitTpchTables } from './helpers.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('worker threads started with the session', () => {
  let tables = '';
  beforeAll(async () => { tables = await splitTpchTables(); }, 60_000);
  afterAll(() => { if (tables !== '') rmSync(tables, { recursive: true, force: true }); });

  it('start at once when a table is large enough, and the first query runs on them', async () => {
    // lineitem at SF 0.01: 60,175 rows of ~150 bytes decoded, over this 1 MB bound.
    const session = await Session.create({ tables, workers: 2, config: { distribute_min_decoded_bytes: '1MB' } });
    try {
      const executor = session.executor as DistributedExecutor;
      expect(executor.started).toBe(true);
      const res = await session.sql(querySql('q06'));
      expectAnswer('q06', res);
      expect(executor.lastRun!.dag?.decision.distribute, executor.lastRun!.localReason ?? '').toBe(true);
      expect(Object.keys(executor.lastRun!.tasksPerWorker).sort()).toEqual(['thread:0', 'thread:1']);
    } finally {
      await session.close();
    }
  }, 60_000);

  it('stay unstarted when every table is small, and a small query runs here without them', async () => {
    const session = await Session.create({ tables, workers: 2 });
    try {
      const executor = session.executor as DistributedExecutor;
      expect(executor.started).toBe(false);
      expectAnswer('q06', await session.sql(querySql('q06')));
      expect(executor.lastRun!.dag).toBeNull();
      expect(executor.lastRun!.localReason).toMatch(/^estimated decoded scan bytes .* < distribute_min_decoded_bytes 64\.0 MiB: the query runs as one local task$/);
      expect(executor.started).toBe(false);
    } finally {
      await session.close();
    }
  }, 60_000);

  it('with startWorkersEarly false, start only when the first query needs them', async () => {
    const session = await Session.create({ tables, workers: 2, config: { distribute_min_decoded_bytes: '1MB' }, startWorkersEarly: false });
    try {
      const executor = session.executor as DistributedExecutor;
      expect(executor.started).toBe(false);
      expectAnswer('q06', await session.sql(querySql('q06')));
      expect(executor.lastRun!.dag?.decision.distribute, executor.lastRun!.localReason ?? '').toBe(true);
      expect(executor.started).toBe(true);
    } finally {
      await session.close();
    }
  }, 60_000);

  it('a session closed while its threads start stops them', async () => {
    const session = await Session.create({ tables, workers: 2, config: { distribute_min_decoded_bytes: '1MB' } });
    expect((session.executor as DistributedExecutor).started).toBe(true);
    await session.close();
    await expect(session.sql('select 1')).rejects.toThrow(/the session is closed/);
  }, 60_000);

  it('ThreadWorkers.start stopped by its signal rejects as cancelled', async () => {
    const stop = new AbortController();
    const starting = ThreadWorkers.start({ count: 2, config: makeConfig({}), quiet: true, signal: stop.signal });
    stop.abort();
    const e = await starting.then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe('cancelled');
    expect((e as Error).message).toBe('the worker threads were stopped while starting');
  }, 60_000);
});
