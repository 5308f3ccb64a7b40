/**
 * A coordinator thread that was busy (a long local query while idle worker threads wait)
 * does not take its own stall for the workers' silence: their answers waited behind its
 * heartbeat timer, so they stay healthy and no warning is printed.
 */
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { ClusterTaskRunner } from '../../src/scheduler/cluster_task_runner.js';
import { ThreadWorkers } from '../../src/scheduler/thread_workers.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

describe.skipIf(!HAVE_DIST)('heartbeats after a stall of the coordinator thread', () => {
  it('a stall longer than the miss limit marks no idle worker thread unhealthy', async () => {
    // Heartbeats every 300 ms: unhealthy after 900 ms without an answer.
    const config = makeConfig({ heartbeat_interval_ms: 300 });
    const threads = await ThreadWorkers.start({ count: 1, config, quiet: true });
    const warnings: string[] = [];
    let answers = 0;
    const runner = new ClusterTaskRunner(threads.workers, { config, warn: (m) => warnings.push(m), onHeartbeat: (_w, ok) => { if (ok) answers++; } });
    const answered = async (n: number) => { const goal = answers + n; while (answers < goal) await new Promise((r) => setTimeout(r, 20)); };
    try {
      await runner.connect();
      await answered(2);
      // This thread blocks for 3 s, three times the miss limit, as a long synchronous stretch would.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
      await answered(3);
      expect(warnings).toEqual([]);
      expect(runner.healthyWorkers()).toHaveLength(1);
    } finally {
      await runner.close();
      await threads.close();
    }
  }, 30_000);
});
