/**
 * Fault tolerance on REAL worker processes on loopback:
 *   - chaos: 3 workers; a shuffle join, a two-phase aggregation and a distributed sort;
 *     one worker SIGKILLed (or SIGSTOPped) at seeded random moments; every trial must give
 *     the single-node answer, SIGSTOP trials must finish within the heartbeat timeout plus
 *     the query time, and every worker's spill folder must be empty afterwards;
 *   - retry classification: a user error fails at once, one attempt per task;
 *   - leases: a coordinator killed mid-query leaves nothing on the worker once its lease
 *     expires.
 * Prints one summary line per scenario (the figures in bench/RESULTS.md, "Fault tolerance").
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { createExecutor, type DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { GrpcWorkerClient } from '../../src/scheduler/grpc_worker_client.js';
import type { QueryResult } from '../../src/result.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_MISSING_MESSAGE } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, killAll, splitTpchTables, startWorkerProcess, type WorkerProcess } from './helpers.js';
import { rng } from '../helpers/random.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const HEARTBEAT_TIMEOUT_MS = 2000;
const SETTINGS = {
  force_distribution: true,
  broadcast_threshold: 0, // partitioned (shuffle) joins
  network_timeout_ms: 5000,
  heartbeat_interval_ms: 200,
  worker_heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS,
  retry_backoff_ms: 20,
  query_lease_ms: 3000,
};

const QUERIES: Record<string, string> = {
  'shuffle join': `select o_orderpriority, count(*) as n, sum(l_quantity) as q
    from lineitem join orders on l_orderkey = o_orderkey group by o_orderpriority order by o_orderpriority`,
  'two-phase aggregation': `select l_suppkey, count(*) as n, sum(l_extendedprice) as s, min(l_shipdate) as d
    from lineitem group by l_suppkey order by l_suppkey`,
  'distributed sort': `select l_orderkey, l_linenumber, l_quantity from lineitem
    where l_quantity < 8 order by l_orderkey, l_linenumber`,
};
const NAMES = Object.keys(QUERIES);
const KILL_TRIALS = 21;
const STOP_TRIALS = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Result cells as text, doubles to 10 significant digits (sums may add up in another order). */
function answer(res: QueryResult): string {
  return JSON.stringify(resultCells(res), (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(10)) : v));
}

function entries(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('faults on worker processes', () => {
  let tables = '';
  const workers: WorkerProcess[] = [];
  const retired: WorkerProcess[] = [];
  const expected = new Map<string, string>();
  const baselineMs = new Map<string, number>();
  let session: Session | undefined;

  beforeAll(async () => {
    tables = await splitTpchTables();
    workers.push(...await Promise.all([startWorkerProcess(), startWorkerProcess(), startWorkerProcess()]));
    session = await Session.create({ tables, config: SETTINGS });
    for (const [name, sql] of Object.entries(QUERIES)) expected.set(name, answer(await session.sql(sql)));
  }, 120_000);

  afterAll(async () => {
    try {
      await session?.close();
    } finally {
      await killAll([...workers, ...retired]);
      for (const w of retired) w.proc.kill('SIGCONT');
      if (tables !== '') rmSync(tables, { recursive: true, force: true });
      for (const w of [...workers, ...retired]) rmSync(w.spillDir, { recursive: true, force: true });
    }
  }, 30_000);

  /** Run `sql` on the current workers with a fresh executor; `during` runs once the query started. */
  async function runOnCluster(sql: string, during: (started: number, running: () => boolean) => Promise<void>): Promise<{ cells: string; ms: number; ex: DistributedExecutor }> {
    const ex = createExecutor({ workers: workers.map((w) => w.address), config: session!.config, warn: () => {} }) as DistributedExecutor;
    session!.executor = ex;
    await ex.runner().then((r) => r.connect());
    const t0 = performance.now();
    try {
      let done = false;
      const running = session!.sql(sql).finally(() => { done = true; });
      const chaos = during(t0, () => !done);
      const res = await running;
      const ms = performance.now() - t0;
      await chaos;
      return { cells: answer(res), ms, ex };
    } finally {
      await ex.close();
    }
  }

  it('baseline: every chaos query over 3 workers gives the single-node answer', async () => {
    for (const name of NAMES) {
      for (let run = 0; run < 2; run++) {
        const r = await runOnCluster(QUERIES[name]!, async () => {});
        expect(r.cells, name).toBe(expected.get(name));
        expect(r.ex.lastRun!.dag?.decision.distribute).toBe(true);
        baselineMs.set(name, Math.min(r.ms, baselineMs.get(name) ?? Infinity));
      }
    }
  }, 60_000);

  it(`SIGKILL of one of 3 workers at random moments: ${KILL_TRIALS} trials, every one right, spill folders empty`, async () => {
    const random = rng(20240611);
    const rows: string[] = [];
    let ok = 0, hit = 0;
    const afterKill: number[] = [];
    for (let trial = 0; trial < KILL_TRIALS; trial++) {
      const name = NAMES[trial % NAMES.length]!;
      const victimIndex = Math.floor(random() * 3);
      const victim = workers[victimIndex]!;
      const delay = Math.round(random() * (baselineMs.get(name) ?? 500));
      let runningAtKill = false;
      const r = await runOnCluster(QUERIES[name]!, async (t0, running) => {
        await sleep(Math.max(0, delay - (performance.now() - t0)));
        runningAtKill = running();
        victim.proc.kill('SIGKILL');
      });
      // The killed worker comes back (its start-up removes the dead process's spill folder).
      await victim.exited;
      retired.push(victim);
      workers[victimIndex] = await startWorkerProcess([], victim.spillDir);
      // A kill the query did not notice still counts as a trial; record whether it was hit.
      expect(r.cells, `trial ${trial} (${name}, worker ${victimIndex} killed at ${delay} ms)`).toBe(expected.get(name));
      ok++;
      if (runningAtKill) {
        hit++;
        afterKill.push(r.ms - delay);
      }
      rows.push(`${trial}:${name.split(' ').at(-1)}@${delay}ms${runningAtKill ? '' : '(after)'}=${r.ms.toFixed(0)}ms`);
      for (const w of workers) await waitFor(`spill folder of ${w.address} empty`, () => entries(w.spillDir).length === 0, 5000);
    }
    afterKill.sort((a, b) => a - b);
    const base = NAMES.map((n) => `${n} ${baselineMs.get(n)!.toFixed(0)} ms`).join(', ');
    console.log(`chaos SIGKILL: ${ok}/${KILL_TRIALS} right (${hit} killed while the query ran); kill to answer: median ${afterKill[Math.floor(afterKill.length / 2)]?.toFixed(0)} ms, max ${afterKill.at(-1)?.toFixed(0)} ms; undisturbed: ${base}`);
    console.log(`chaos SIGKILL trials: ${rows.join(' ')}`);
  }, 180_000);

  it(`SIGSTOP of one worker: ${STOP_TRIALS} trials finish within the heartbeat timeout plus the query time, right`, async () => {
    const random = rng(7);
    const times: number[] = [];
    for (let trial = 0; trial < STOP_TRIALS; trial++) {
      const name = NAMES[trial % NAMES.length]!;
      const victim = workers[Math.floor(random() * 3)]!;
      const base = baselineMs.get(name) ?? 500;
      const delay = Math.round(random() * base * 0.5);
      try {
        const r = await runOnCluster(QUERIES[name]!, async (t0) => {
          await sleep(Math.max(0, delay - (performance.now() - t0)));
          victim.proc.kill('SIGSTOP');
        });
        expect(r.cells, `SIGSTOP trial ${trial} (${name})`).toBe(expected.get(name));
        // Detection (heartbeat timeout) + the query once more + slack for a busy machine.
        expect(r.ms).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 2 * base + 4000);
        times.push(r.ms);
      } finally {
        victim.proc.kill('SIGCONT');
      }
      // The frozen worker missed the release; its lease on the query expires instead.
      for (const w of workers) {
        await waitFor(`spill folder of ${w.address} empty`, () => entries(w.spillDir).length === 0, SETTINGS.query_lease_ms + 4000);
      }
      const c = new GrpcWorkerClient(victim.address);
      try {
        await waitFor(`worker ${victim.address} holds no query`, async () => {
          const st = await c.heartbeat(5000);
          return st.exchangeBufferedBytes === 0 && st.memoryUsed === 0 && st.runningTasks === 0;
        }, SETTINGS.query_lease_ms + 4000);
      } finally {
        await c.close();
      }
    }
    console.log(`chaos SIGSTOP: ${times.length}/${STOP_TRIALS} right; query times ${times.map((t) => t.toFixed(0)).join(', ')} ms (heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms)`);
  }, 120_000);

  it('a user error fails at once with its message: one attempt per task, no retry', async () => {
    const logBefore = workers.map((w) => w.stderr().length);
    const ex = createExecutor({ workers: workers.map((w) => w.address), config: session!.config, warn: () => {} }) as DistributedExecutor;
    session!.executor = ex;
    try {
      const t0 = performance.now();
      // A bad cast of row data: raised by the scan stage's tasks on the workers.
      const err = await session!.sql('select o_orderstatus, sum(cast(o_comment as integer)) from orders group by o_orderstatus')
        .then(() => null, (e: unknown) => e);
      const ms = performance.now() - t0;
      expect(err).toBeInstanceOf(SpillwayError);
      expect((err as SpillwayError).kind).toBe('execution');
      expect((err as Error).message).toMatch(/invalid input syntax for type integer: "/);
      expect((err as Error).message).not.toMatch(/attempt \d|failed \d+ times/);
      // Every task that ran, ran once: no later attempt in any worker's log for this query.
      const queryId = ex.lastRun!.queryId;
      const lines = workers.map((w, i) => w.stderr().slice(logBefore[i])).join('').split('\n').filter((l) => l.includes(`query ${queryId} `));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => !/ attempt 0: /.test(l)), lines.join('\n')).toEqual([]);
      const tasks = lines.map((l) => /stage \d+ task \d+/.exec(l)![0]);
      expect(new Set(tasks).size).toBe(tasks.length);
      expect(ex.lastRun!.taskAttempts).toBe(tasks.length);
      console.log(`retry classification: a bad cast failed in ${ms.toFixed(0)} ms after ${tasks.length} task attempt(s), none retried`);
    } finally {
      await ex.close();
    }
  }, 60_000);

  it('a coordinator killed mid-query leaves nothing on the worker once its lease expires', async () => {
    const small = await startWorkerProcess(['--memory-limit', '3MB']);
    retired.push(small);
    const leaseMs = 1500;
    const coordinator = spawn(process.execPath, [
      resolve(REPO_ROOT, 'bin/spillway.js'), 'sql', '--tables', tables, '--workers', small.address,
      '--set', 'force_distribution=true', '--set', `query_lease_ms=${leaseMs}`, '--format', 'csv',
      'select count(*) from (select l_comment, count(*) as c from lineitem group by l_comment) t',
    ], { stdio: 'ignore' });
    const gone = new Promise<void>((r) => coordinator.once('exit', () => r()));
    try {
      // Kill it once the worker holds the query's spill files.
      await waitFor('the worker spills', () => entries(small.spillDir).length > 0, 30_000);
      coordinator.kill('SIGKILL');
      await gone;
      const killedAt = Date.now();
      const c = new GrpcWorkerClient(small.address);
      try {
        await waitFor('the worker drops the query', async () => {
          const st = await c.heartbeat(5000);
          return entries(small.spillDir).length === 0 && st.exchangeBufferedBytes === 0 && st.memoryUsed === 0 && st.runningTasks === 0;
        }, leaseMs + 5000);
        const droppedAfter = Date.now() - killedAt;
        expect(small.stderr()).toMatch(/lease expired/);
        console.log(`lease: query dropped ${droppedAfter} ms after the coordinator was killed (query_lease_ms ${leaseMs})`);
      } finally {
        await c.close();
      }
    } finally {
      coordinator.kill('SIGKILL');
    }
  }, 60_000);
});
