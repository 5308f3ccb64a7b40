/**
 * Distributed execution on REAL worker processes (`node dist/src/cli/worker_main.js --port 0`,
 * what `spillway worker` runs) on loopback: TPC-H answers, LZ4 exchange, malformed requests,
 * an unreachable worker at start, cancellation cleaning workers up, a worker killed mid-query.
 */
import { readdirSync, rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { GrpcWorkerClient } from '../../src/scheduler/grpc_worker_client.js';
import { SpillwayError } from '../../src/common/errors.js';
import { encodeMessage } from '../../src/common/protobuf.js';
import { RUN_TASK_REQUEST } from '../../src/protocol/worker_messages.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE } from '../helpers/paths.js';
import {
  DIST_MISSING_MESSAGE, expectAnswer, HAVE_DIST, killAll, QUERIES, querySql, splitTpchTables, startWorkerProcess, totalMetric,
  type WorkerProcess,
} from './helpers.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const SETTINGS = { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500 };

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('remote worker processes', () => {
  let tables = '';
  const workers: WorkerProcess[] = [];
  const extra: WorkerProcess[] = [];
  let session: Session | undefined;
  let executor: DistributedExecutor;
  const warnings: string[] = [];

  beforeAll(async () => {
    tables = await splitTpchTables();
    workers.push(...await Promise.all([startWorkerProcess(), startWorkerProcess(), startWorkerProcess()]));
    session = await Session.create({ tables, config: SETTINGS });
    executor = createExecutor({ workers: workers.map((w) => w.address), config: session.config, warn: (m) => warnings.push(m) }) as DistributedExecutor;
    session.executor = executor;
  }, 60_000);

  afterAll(async () => {
    try {
      await session?.close();
    } finally {
      await killAll([...workers, ...extra]);
      if (tables !== '') rmSync(tables, { recursive: true, force: true });
      for (const w of [...workers, ...extra]) rmSync(w.spillDir, { recursive: true, force: true });
    }
  }, 30_000);

  for (const q of QUERIES) {
    it(`${q} over 3 workers matches the expected answer`, async () => {
      const res = await session!.sql(querySql(q));
      expectAnswer(q, res);
      const run = executor.lastRun!;
      expect(run.dag?.decision.distribute, run.localReason ?? '').toBe(true);
      expect(run.dag!.stages.length).toBeGreaterThan(1);
      // The work really was spread: more than one worker ran tasks.
      expect(Object.keys(run.tasksPerWorker).length).toBeGreaterThan(1);
      for (const w of Object.keys(run.tasksPerWorker)) expect(workers.map((x) => x.address)).toContain(w);
    }, 60_000);
  }

  it('exchange_compression lz4 gives the same answer with fewer bytes on the wire', async () => {
    await session!.sql("set exchange_compression = 'none'");
    const plain = await session!.sql(querySql('q10'));
    await session!.sql("set exchange_compression = 'lz4'");
    try {
      const packed = await session!.sql(querySql('q10'));
      expectAnswer('q10', packed);
      const rawPlain = totalMetric(plain, 'bytesReceived'), wirePlain = totalMetric(plain, 'bytesReceivedWire');
      const rawPacked = totalMetric(packed, 'bytesReceived'), wirePacked = totalMetric(packed, 'bytesReceivedWire');
      expect(rawPacked).toBe(rawPlain);
      expect(wirePlain).toBeGreaterThan(0);
      expect(wirePacked).toBeLessThan(wirePlain);
    } finally {
      await session!.sql("set exchange_compression = 'none'");
    }
  }, 60_000);

  it('rejects malformed and foreign requests with INVALID_ARGUMENT and keeps serving', async () => {
    const client = new grpc.Client(workers[0]!.address, grpc.credentials.createInsecure());
    const call = (path: string, bytes: Buffer) => new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, new grpc.Metadata(), { deadline: Date.now() + 5000 },
        (err) => resolve(err));
    });
    const utf8 = (s: string) => new TextEncoder().encode(s);
    try {
      const garbage = await call('/spillway.Worker/RunTask', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
      expect(garbage?.code).toBe(grpc.status.INVALID_ARGUMENT);

      const foreignPlan = await call('/spillway.Worker/RunTask', encodeMessage(RUN_TASK_REQUEST, {
        queryId: 'foreign', stageId: 0, partition: 0, attempt: 0, plan: utf8('{"select": "*"}'), config: utf8('{}'), inputLocations: utf8('{}'),
      }));
      expect(foreignPlan?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(foreignPlan?.details).toMatch(/not a Spillway physical plan/);

      const badConfig = await call('/spillway.Worker/RunTask', encodeMessage(RUN_TASK_REQUEST, {
        queryId: 'foreign', stageId: 0, partition: 0, attempt: 0,
        plan: utf8('{"kind":"Values","id":1,"partitions":1,"schema":{"fields":[]},"rows":[]}'),
        config: utf8('{"batch_size": "many"}'), inputLocations: utf8('{"writerMetricsId": 1, "output": {"kind": "single"}}'),
      }));
      expect(badConfig?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(badConfig?.details).toMatch(/batch_size/);

      const badQueryId = await call('/spillway.Worker/ReleaseQuery', encodeMessage(RUN_TASK_REQUEST, {
        queryId: '../../etc', stageId: 0, partition: 0, attempt: 0, plan: new Uint8Array(0), config: new Uint8Array(0), inputLocations: new Uint8Array(0),
      }));
      expect(badQueryId?.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
    // Still up: it answers heartbeats and runs queries.
    const control = new GrpcWorkerClient(workers[0]!.address);
    try {
      expect((await control.heartbeat(5000)).runningTasks).toBe(0);
    } finally {
      await control.close();
    }
    expectAnswer('q06', await session!.sql(querySql('q06')));
    expect(workers[0]!.proc.exitCode).toBeNull();
  }, 60_000);

  it('warns about an unreachable worker at start and runs the query on the others', async () => {
    const seen: string[] = [];
    const s = await Session.create({ tables, config: SETTINGS });
    const dead = '127.0.0.1:1';
    const ex = createExecutor({ workers: [workers[0]!.address, dead, workers[1]!.address], config: s.config, warn: (m) => seen.push(m) }) as DistributedExecutor;
    s.executor = ex;
    try {
      expectAnswer('q12', await s.sql(querySql('q12')));
      expect(seen.some((m) => m.includes(dead) && /unreachable/.test(m)), seen.join('\n')).toBe(true);
      expect(Object.keys(ex.lastRun!.tasksPerWorker).sort()).toEqual([workers[0]!.address, workers[1]!.address].sort());
    } finally {
      await s.close();
    }
  }, 60_000);

  it('fails with one line naming every address when no worker is reachable; runs locally only with local_fallback', async () => {
    const seen: string[] = [];
    const s = await Session.create({ tables, config: SETTINGS });
    const ex = createExecutor({ workers: ['127.0.0.1:1', '127.0.0.1:2'], config: s.config, warn: (m) => seen.push(m) }) as DistributedExecutor;
    s.executor = ex;
    try {
      const err = await s.sql(querySql('q06')).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SpillwayError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/no worker is reachable/);
      expect(message).toContain('127.0.0.1:1 (');
      expect(message).toContain('127.0.0.1:2 (');
      expect(message).toMatch(/ECONNREFUSED/);
      expect(message).not.toMatch(/Resolution note/);

      await s.sql('set local_fallback = true');
      expectAnswer('q06', await s.sql(querySql('q06')));
      expectAnswer('q06', await s.sql(querySql('q06')));
      expect(ex.lastRun!.dag).toBeNull();
      expect(seen.filter((m) => /no worker is reachable/.test(m)), seen.join('\n')).toHaveLength(1);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('cancellation stops the tasks and removes spill folders and buffers on every worker', async () => {
    // Small memory limits make the final aggregation spill on the workers.
    const small = await Promise.all([startWorkerProcess(['--memory-limit', '3MB']), startWorkerProcess(['--memory-limit', '3MB'])]);
    extra.push(...small);
    const s = await Session.create({ tables, config: SETTINGS });
    s.executor = createExecutor({ workers: small.map((w) => w.address), config: s.config, warn: () => {} });
    const controller = new AbortController();
    const spilled = (): string[] => small.flatMap((w) => readdirSync(w.spillDir));
    const poll = setInterval(() => { if (spilled().length > 0) controller.abort(new SpillwayError('cancelled', 'test cancelled the query')); }, 2);
    try {
      const outcome = await s.sql('select count(*) from (select l_comment, count(*) as c from lineitem group by l_comment) t', { signal: controller.signal })
        .then(() => null, (e: unknown) => e);
      expect(controller.signal.aborted, 'the query ended before any worker spilled').toBe(true);
      expect(outcome).toBeInstanceOf(SpillwayError);
      expect((outcome as SpillwayError).kind).toBe('cancelled');
      // Released on every worker before the query returned.
      expect(spilled()).toEqual([]);
      for (const w of small) {
        const c = new GrpcWorkerClient(w.address);
        try {
          const st = await c.heartbeat(5000);
          expect(st.runningTasks).toBe(0);
          expect(st.exchangeBufferedBytes).toBe(0);
          expect(st.memoryUsed).toBe(0);
        } finally {
          await c.close();
        }
      }
    } finally {
      clearInterval(poll);
      await s.close();
    }
  }, 90_000);

  it('a worker killed mid-query: its lost outputs are recomputed and the answer is right', async () => {
    const victim = await startWorkerProcess();
    extra.push(victim);
    const seen: string[] = [];
    const s = await Session.create({ tables, config: { ...SETTINGS, worker_heartbeat_timeout_ms: 2000 } });
    const ex = createExecutor({ workers: [workers[0]!.address, workers[1]!.address, victim.address], config: s.config, warn: (m) => seen.push(m) }) as DistributedExecutor;
    s.executor = ex;
    try {
      const running = s.sql(querySql('q05'));
      await victim.waitForLog(/stage \d+ task \d+ attempt \d+: ok/);
      victim.proc.kill('SIGKILL');
      expectAnswer('q05', await running);
      // The dead worker is out of the rotation; the next query runs on the others.
      const after = await s.sql(querySql('q14'));
      expectAnswer('q14', after);
      expect(Object.keys(ex.lastRun!.tasksPerWorker)).not.toContain(victim.address);
      const states = (await ex.runner()).workerStates();
      expect(states.find((x) => x.address === victim.address)!.healthy).toBe(false);
      expect(seen.filter((m) => m.includes(victim.address) && /lost/.test(m))).toHaveLength(1);
    } finally {
      await s.close();
    }
  }, 90_000);
});
