import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scalarAt } from '../../src/columnar/kernels.js';
import { makeConfig } from '../../src/common/config.js';
import type { TaskRequest } from '../../src/exec/task_runner.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import { serializePlan, type ExchangeReadNode, type ValuesNode } from '../../src/plan/physical.js';
import { field, schema } from '../../src/common/types.js';
import { WorkerRuntime } from '../../src/worker/worker_runtime.js';

const SCHEMA = schema([field('k', 'int32'), field('s', 'utf8')]);
const never = new AbortController().signal;

function valuesTask(queryId: string, rows: (number | string | null)[][], output: TaskRequest['output'] = { kind: 'single' }): TaskRequest {
  const plan: ValuesNode = { kind: 'Values', id: 1, schema: SCHEMA, partitions: 1, rows };
  return { queryId, stageId: 0, task: 0, plan: serializePlan(plan), output, writerMetricsId: 9, inputs: {} };
}

describe('WorkerRuntime', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  function runtime(log: string[] = [], over: Record<string, string | number> = {}): WorkerRuntime {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-rt-'));
    dirs.push(spill);
    return new WorkerRuntime({ config: makeConfig({ spill_dir: spill, ...over }, {}), address: '127.0.0.1:7000', log: (l) => log.push(l) });
  }

  it('runs a task into its exchange buffer, reports rows per output partition, logs one line', async () => {
    const log: string[] = [];
    const rt = runtime(log);
    const rows = [[1, 'a'], [2, null], [3, 'c'], [4, 'd']];
    const out = await rt.runTask(valuesTask('q1', rows, { kind: 'round_robin', partitions: 3 }), makeConfig({}, {}));
    expect(out.result.worker).toBe('127.0.0.1:7000');
    expect(out.partitionRows.reduce((a, b) => a + b, 0)).toBe(4);
    expect(out.partitionRows).toHaveLength(3);
    expect(out.result.metrics['9']?.extra.rowsSent).toBe(4);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/query q1 stage 0 task 0 attempt 0: ok, 4 rows in \d+ ms/);
    // The output is readable through the buffer.
    const t = new InProcessTransport({ buffers: rt.buffer, credits: 2, networkTimeoutMs: 1000 });
    const got: unknown[] = [];
    for (let p = 0; p < 3; p++) {
      for await (const b of t.open({ queryId: 'q1', stageId: 0, task: 0, partition: p, worker: null, compression: 'none' }, never)) {
        for (let i = 0; i < b.length; i++) got.push(scalarAt(b.columns[1]!, i));
      }
    }
    expect(got.sort()).toEqual(['a', 'c', 'd', null].sort());
    expect(rt.status()).toMatchObject({ runningTasks: 0, queries: 1 });
    expect(rt.status().exchangeBufferedBytes).toBeGreaterThan(0);
  });

  it('an empty task writes nothing and succeeds', async () => {
    const rt = runtime();
    const out = await rt.runTask(valuesTask('q0', []), makeConfig({}, {}));
    expect(out.partitionRows).toEqual([0]);
  });

  it('cancelQuery stops a waiting task with a cancelled error; releaseQuery frees everything', async () => {
    const log: string[] = [];
    const rt = runtime(log);
    await rt.runTask(valuesTask('q2', [[1, 'x']]), makeConfig({}, {}));
    // A reader of a stage whose writer never starts waits (up to network_timeout_ms)…
    const read: ExchangeReadNode = { kind: 'ExchangeRead', id: 2, schema: SCHEMA, partitions: 1, stageId: 5, partitioning: { kind: 'single' }, producerTasks: 1 };
    const waiting = rt.runTask({
      queryId: 'q2', stageId: 6, task: 0, plan: serializePlan(read), output: { kind: 'single' }, writerMetricsId: 3,
      inputs: { 5: { workers: ['127.0.0.1:7000'] } },
    }, makeConfig({ network_timeout_ms: 60_000 }, {}));
    await new Promise((r) => setTimeout(r, 30));
    expect(rt.status().runningTasks).toBe(1);
    rt.cancelQuery('q2', 'cancelled by the test');
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });
    expect(log.some((l) => /stage 6 task 0 attempt 0: cancelled/.test(l))).toBe(true);

    await rt.releaseQuery('q2');
    expect(rt.status()).toMatchObject({ runningTasks: 0, queries: 0, exchangeBufferedBytes: 0, memoryUsed: 0 });
    // A late task of a released query is refused.
    await expect(rt.runTask(valuesTask('q2', [[1, 'x']]), makeConfig({}, {}))).rejects.toThrow(/already released/);
  });

  it('releaseQuery removes the query spill folder of this worker', async () => {
    const rt = runtime();
    await rt.runTask(valuesTask('q3', [[1, 'x']]), makeConfig({}, {}));
    // Spill through the query's own manager, as an operator would.
    const state = (rt as unknown as { queries: Map<string, { spill: { createWriter(o: string, s: typeof SCHEMA): { finish(): Promise<unknown> } } }> }).queries.get('q3')!;
    await state.spill.createWriter('Sort[p0]', SCHEMA).finish();
    const dir = rt.spillDirOf('q3');
    expect(dir).toContain('q3-127.0.0.1_7000');
    expect(existsSync(dir)).toBe(true);
    await rt.releaseQuery('q3');
    expect(existsSync(dir)).toBe(false);
  });

  it('uses its own memory limit and spill folder, not the coordinator ones', async () => {
    const rt = runtime([], { memory_limit: 1 << 20 });
    expect(rt.status().memoryLimit).toBe(1 << 20);
    await rt.runTask(valuesTask('q4', [[1, 'x']]), makeConfig({ memory_limit: 0, spill_dir: '/nonexistent' }, {}));
    const state = (rt as unknown as { queries: Map<string, { spill: { queryDir: string } }> }).queries.get('q4')!;
    expect(state.spill.queryDir.startsWith(rt.config.spill_dir)).toBe(true);
    expect(rt.config.spill_dir).not.toBe('/nonexistent');
  });
});
