/**
 * Embedded `--workers 2`: the same TPC-H queries on two worker threads of this process,
 * exchanging over MessagePorts; plus LZ4 on the ports, cancellation, and a thread that dies.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { SpillwayError } from '../../src/common/errors.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, expectAnswer, HAVE_DIST, QUERIES, querySql, splitTpchTables, totalMetric } from './helpers.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const SETTINGS = { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500 };

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('worker threads (--workers 2)', () => {
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

  for (const q of QUERIES) {
    it(`${q} on two threads matches the expected answer`, async () => {
      const res = await session!.sql(querySql(q));
      expectAnswer(q, res);
      const run = executor.lastRun!;
      expect(run.dag?.decision.distribute, run.localReason ?? '').toBe(true);
      expect(Object.keys(run.tasksPerWorker).sort()).toEqual(['thread:0', 'thread:1']);
    }, 60_000);
  }

  it('exchange_compression lz4 over the ports: same answer, fewer bytes moved', async () => {
    const plain = await session!.sql(querySql('q03'));
    await session!.sql("set exchange_compression = 'lz4'");
    try {
      const packed = await session!.sql(querySql('q03'));
      expectAnswer('q03', packed);
      expect(totalMetric(packed, 'bytesReceived')).toBe(totalMetric(plain, 'bytesReceived'));
      expect(totalMetric(packed, 'bytesReceivedWire')).toBeLessThan(totalMetric(plain, 'bytesReceivedWire'));
    } finally {
      await session!.sql("set exchange_compression = 'none'");
    }
  }, 60_000);

  it('a column selected under two names crosses the ports intact in tiny batches', async () => {
    // Tiny batches of a column without NULLs put one buffer twice in a row in the IPC body.
    const batchSize = session!.config.batch_size;
    await session!.sql('set batch_size = 2');
    try {
      const proj = await session!.sql('select n_nationkey as a, n_nationkey as b, n_name as c, n_name as d from nation');
      expect(executor.lastRun!.dag?.decision.distribute).toBe(true);
      expect(proj.numRows).toBe(25);
      for (const [a, b, c, d] of proj.rows()) { expect(b).toBe(a); expect(d).toBe(c); }
      const join = await session!.sql(
        'select n_regionkey as a, n_regionkey as b, r_name as c, r_name as d from nation join region on n_regionkey = r_regionkey',
      );
      expect(join.numRows).toBe(25);
      for (const [a, b, c, d] of join.rows()) { expect(b).toBe(a); expect(d).toBe(c); }
      const agg = await session!.sql('select n_regionkey as a, n_regionkey as b, count(*) as n from nation group by n_regionkey order by a');
      expect(agg.rows()).toEqual([0, 1, 2, 3, 4].map((k) => [k, k, 5n]));
    } finally {
      await session!.sql(`set batch_size = ${batchSize}`);
    }
  }, 60_000);

  it('cancellation reaches the threads and releases their buffers', async () => {
    const controller = new AbortController();
    const running = session!.sql(querySql('q05'), { signal: controller.signal }).then(() => null, (e: unknown) => e);
    setTimeout(() => controller.abort(new SpillwayError('cancelled', 'test cancelled the query')), 30);
    const outcome = await running;
    expect(outcome).toBeInstanceOf(SpillwayError);
    expect((outcome as SpillwayError).kind).toBe('cancelled');
    const runner = await executor.runner();
    for (const w of runner.workerStates()) expect(w.healthy).toBe(true);
    // Fresh statuses: nothing running, nothing buffered, no query state left.
    for (const { address, status } of await runner.currentStatuses()) {
      expect(status, address).not.toBeNull();
      expect(status!.runningTasks).toBe(0);
      expect(status!.exchangeBufferedBytes).toBe(0);
      expect(status!.queries).toBe(0);
    }
    // And the next query runs normally.
    expectAnswer('q06', await session!.sql(querySql('q06')));
  }, 60_000);
});
