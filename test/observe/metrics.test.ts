/**
 * Prometheus metrics: /metrics parses as the text exposition format, and its counters move
 * by what a known query does — on the coordinator (a Session) and on two gRPC workers on
 * loopback, each with its own registry in this one process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { startMetricsServer, type HttpEndpoint } from '../../src/observe/metrics_server.js';
import { metricsText } from '../../src/observe/prometheus.js';
import type { DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { Session } from '../../src/session.js';
import { DataRoots } from '../../src/worker/data_roots.js';
import { startWorkerServer, type WorkerServer } from '../../src/worker/worker_server.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST } from '../scheduler/helpers.js';

if (!HAVE_SHARED) console.log(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.log(DIST_MISSING_MESSAGE);

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parse the Prometheus text format strictly: every line a comment, a blank or a sample. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        typed.add(meta[2]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    expect(m, `not a Prometheus sample line: ${JSON.stringify(line)}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const name = m![1]!;
    expect(typed.has(name.replace(/_(bucket|sum|count)$/, '')) || typed.has(name), `${name} has no # TYPE line`).toBe(true);
    samples.push({ name, labels, value: Number(m![3]) });
  }
  return samples;
}

/** Sum of a metric's samples whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

async function scrape(e: HttpEndpoint): Promise<Sample[]> {
  const res = await fetch(`http://${e.address}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = parsePrometheus(await res.text());
  for (const s of samples) expect(s.name.startsWith('spillway_'), s.name).toBe(true);
  return samples;
}

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('/metrics', () => {
  let data: string;
  let spill: string;
  const workers: WorkerServer[] = [];
  const endpoints: HttpEndpoint[] = [];
  let session: Session;
  let coordinator: HttpEndpoint;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'spillway-metrics-'));
    spill = mkdtempSync(join(tmpdir(), 'spillway-metrics-spill-'));
    const copy = new Session();
    try {
      await copy.sql(`copy (select * from read_parquet('${join(TPCH_SF001, 'lineitem.parquet')}')) to '${join(data, 'lineitem.parquet')}' (format parquet, row_group_size 4096)`);
    } finally {
      await copy.close();
    }
    for (let i = 0; i < 2; i++) {
      const w = await startWorkerServer({ config: makeConfig({ spill_dir: spill, memory_limit: '64MB' }, {}), dataRoots: new DataRoots([data]), quiet: true });
      workers.push(w);
      endpoints.push(await startMetricsServer({ port: 0, source: () => metricsText(w.runtime.metrics) }));
    }
    session = await Session.create({
      tables: data, workers: workers.map((w) => w.address),
      config: { force_distribution: true, target_partitions: 3, heartbeat_interval_ms: 250, spill_dir: spill },
    });
    coordinator = await startMetricsServer({ port: 0, source: () => session.metricsText() });
  });

  afterAll(async () => {
    await session?.close();
    for (const e of [coordinator, ...endpoints]) await e?.close();
    for (const w of workers) await w.close();
    rmSync(data, { recursive: true, force: true });
    rmSync(spill, { recursive: true, force: true });
  });

  it('counters move by what a distributed query did: queries, tasks, exchange bytes on both sides, heartbeats', async () => {
    const before = await Promise.all([coordinator, ...endpoints].map(scrape));
    const res = await session.sql('select l_returnflag, l_linestatus, count(*), sum(l_quantity) from lineitem group by 1, 2');
    expect(res.numRows).toBe(4);
    const run = (session.executor as DistributedExecutor).lastRun!;
    expect(run.dag).not.toBeNull();
    const tasks = run.dag!.stages.reduce((n, s) => n + s.tasks, 0);
    expect(run.taskAttempts).toBe(tasks);
    const after = await Promise.all([coordinator, ...endpoints].map(scrape));
    const delta = (i: number, name: string, labels?: Record<string, string>) => total(after[i]!, name, labels) - total(before[i]!, name, labels);
    const [c, w0, w1] = [0, 1, 2];

    expect(delta(c, 'spillway_queries_started_total')).toBe(1);
    expect(delta(c, 'spillway_queries_finished_total')).toBe(1);
    expect(delta(c, 'spillway_queries_failed_total')).toBe(0);
    // The coordinator placed every task once; the workers ran them, between them.
    expect(delta(c, 'spillway_tasks_started_total')).toBe(tasks);
    expect(delta(c, 'spillway_tasks_finished_total')).toBe(tasks);
    expect(delta(c, 'spillway_task_duration_seconds_count', { outcome: 'ok' })).toBe(tasks);
    expect(delta(w0, 'spillway_tasks_finished_total') + delta(w1, 'spillway_tasks_finished_total')).toBe(tasks);
    expect(delta(w0, 'spillway_tasks_started_total') + delta(w1, 'spillway_tasks_started_total')).toBe(tasks);
    expect(delta(w0, 'spillway_task_duration_seconds_count') + delta(w1, 'spillway_task_duration_seconds_count')).toBe(tasks);
    // Every byte a worker served was read by a worker or by the coordinator (the result).
    const sent = delta(w0, 'spillway_exchange_sent_bytes_total') + delta(w1, 'spillway_exchange_sent_bytes_total');
    const received = delta(w0, 'spillway_exchange_received_bytes_total') + delta(w1, 'spillway_exchange_received_bytes_total');
    const result = delta(c, 'spillway_exchange_received_bytes_total');
    expect(sent).toBeGreaterThan(0);
    expect(result).toBeGreaterThan(0);
    expect(received + result).toBe(sent);
    // Heartbeats, every 250 ms: answered ones on the coordinator, received ones on each worker.
    let beats = after[c]!;
    for (let i = 0; i < 50 && total(beats, 'spillway_worker_heartbeats_total', { outcome: 'ok' }) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      beats = await scrape(coordinator);
    }
    for (const w of workers) expect(total(beats, 'spillway_worker_heartbeats_total', { worker: w.address, outcome: 'ok' })).toBeGreaterThan(0);
    for (const i of [w0, w1]) {
      expect(total(await scrape(endpoints[i - 1]!), 'spillway_worker_heartbeats_total', { outcome: 'received' })).toBeGreaterThan(0);
      expect(total(after[i]!, 'spillway_memory_limit_bytes')).toBe(64 * 1024 * 1024);
      expect(total(after[i]!, 'spillway_memory_reserved_bytes')).toBeGreaterThanOrEqual(0);
      expect(total(after[i]!, 'spillway_exchange_active_streams')).toBe(0);
    }
  });

  it('a failing query counts as failed, by kind; its failed tasks too', async () => {
    const before = await Promise.all([coordinator, ...endpoints].map(scrape));
    await expect(session.sql('select sum(cast(l_comment as integer)) from lineitem')).rejects.toThrow(/integer/);
    const after = await Promise.all([coordinator, ...endpoints].map(scrape));
    const delta = (i: number, name: string, labels?: Record<string, string>) => total(after[i]!, name, labels) - total(before[i]!, name, labels);
    expect(delta(0, 'spillway_queries_failed_total', { kind: 'execution' })).toBe(1);
    expect(delta(0, 'spillway_queries_finished_total')).toBe(0);
    expect(delta(0, 'spillway_tasks_failed_total')).toBeGreaterThan(0);
    expect(delta(1, 'spillway_tasks_failed_total') + delta(2, 'spillway_tasks_failed_total')).toBeGreaterThan(0);
  });

  it('spill counters of a local query equal its own spill figures', async () => {
    const local = await Session.create({ tables: data, config: { memory_limit: '1MB', spill_dir: spill } });
    try {
      const before = parsePrometheus((await local.metricsText()).text);
      const res = await local.sql('select l_orderkey, l_comment from lineitem order by l_comment');
      expect(res.numRows).toBe(60175);
      expect(res.stats!.spillBytes).toBeGreaterThan(0);
      const after = parsePrometheus((await local.metricsText()).text);
      expect(total(after, 'spillway_spill_bytes_total') - total(before, 'spillway_spill_bytes_total')).toBe(res.stats!.spillBytes);
      expect(total(after, 'spillway_spill_files_total') - total(before, 'spillway_spill_files_total')).toBe(res.stats!.spillFiles);
      expect(total(after, 'spillway_memory_limit_bytes')).toBe(1024 * 1024);
    } finally {
      await local.close();
    }
  });

  it('worker threads: their series join the coordinator\'s scrape, labelled by thread', async () => {
    const s = await Session.create({ tables: data, workers: 2, config: { force_distribution: true } });
    try {
      await s.sql('select l_returnflag, count(*) from lineitem group by 1');
      const samples = parsePrometheus((await s.metricsText()).text);
      const threads = samples.filter((x) => x.name === 'spillway_tasks_finished_total' && x.labels.runtime?.startsWith('thread:'));
      expect(threads.length).toBe(2);
      const own = total(samples.filter((x) => x.labels.runtime === undefined), 'spillway_tasks_finished_total');
      expect(threads.reduce((n, x) => n + x.value, 0)).toBe(own);
      expect(own).toBeGreaterThan(0);
      // Bytes the threads served (over ports and in-process) = bytes they and the coordinator read.
      const sent = total(samples, 'spillway_exchange_sent_bytes_total');
      expect(sent).toBeGreaterThan(0);
      expect(total(samples, 'spillway_exchange_received_bytes_total')).toBe(sent);
    } finally {
      await s.close();
    }
  });

  it('anything but /metrics is 404', async () => {
    expect((await fetch(`http://${coordinator.address}/`)).status).toBe(404);
  });
});

describe.skipIf(!HAVE_DIST)('spillway worker --metrics-port', () => {
  it('serves the worker\'s metrics over HTTP while it runs; a bad port is one clear error', async () => {
    const { spawn, spawnSync } = await import('node:child_process');
    const { WORKER_MAIN } = await import('../scheduler/helpers.js');
    const spillDir = mkdtempSync(join(tmpdir(), 'spillway-metrics-cli-'));
    const proc = spawn(process.execPath, [WORKER_MAIN, '--port', '0', '--metrics-port', '0', '--quiet', '--spill-dir', spillDir, '--memory-limit', '32MB'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no metrics line within 20 s: ${out}`)), 20_000);
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /spillway worker metrics on (http:\/\/\S+)/.exec(out);
          if (m) { clearTimeout(timer); resolve(m[1]!); }
        });
      });
      const samples = parsePrometheus(await (await fetch(url)).text());
      expect(total(samples, 'spillway_memory_limit_bytes')).toBe(32 * 1024 * 1024);
      expect(samples.some((s) => s.name === 'spillway_tasks_started_total')).toBe(true);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(spillDir, { recursive: true, force: true });
    }
    const bad = spawnSync(process.execPath, [WORKER_MAIN, '--port', '0', '--metrics-port', 'x'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('spillway: error: invalid --metrics-port "x": expected a port number 0..65535');
  });
});
