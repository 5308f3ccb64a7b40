/** A task's figures: the peak of its own reservations through the tracking pool view, wall and CPU time. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';
import { makeConfig } from '../../src/common/config.js';
import { measureTask } from '../../src/exec/task_figures.js';
import { createMemoryPool } from '../../src/memory/fair_pool.js';

describe('measureTask', () => {
  it('tracks the highest sum of the task reservations, through every way of growing and shrinking', async () => {
    const pool = createMemoryPool(makeConfig({ memory_limit: 1000 }));
    const other = pool.register('other task');
    other.grow(300); // not this task's: not counted
    const m = measureTask(pool);
    const a = m.memory.register('Sort[p0]', { spillable: true });
    const b = m.memory.register('HashJoin[p0]');
    expect(a.tryGrow(200)).toBe(true);
    b.grow(100);
    await b.growWait(50);
    expect(a.tryGrow(10_000)).toBe(false); // refused: not counted
    a.resize(120);
    b.shrink(150);
    a.grow(60);
    expect(pool.used).toBe(300 + 180);
    a.free();
    b.free();
    expect(a.size + b.size).toBe(0);
    // Peak: 200 + 150 = 350 before the resize; 180 after.
    const f = m.finish();
    expect(f.peakMemoryBytes).toBe(350);
    expect(m.finish()).toBe(f); // measured once
    expect(pool.used).toBe(300);
  });

  it('measures wall and CPU time of work done while the task runs', () => {
    // The test files run in forked processes (vitest pool 'forks'): the main thread's meter is process.cpuUsage().
    const m = measureTask(createMemoryPool(makeConfig({})));
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    let x = 0;
    while ((process.cpuUsage(c0).user + process.cpuUsage(c0).system) < 30_000) x += Math.sqrt(x + 1);
    const wall = performance.now() - w0;
    const f = m.finish();
    expect(x).toBeGreaterThan(0);
    expect(f.cpuMs).toBeGreaterThanOrEqual(30);
    expect(f.wallMs).toBeGreaterThanOrEqual(wall);
  });

  it('shares the CPU of overlapping tasks instead of counting it twice', () => {
    const pool = createMemoryPool(makeConfig({}));
    const one = measureTask(pool);
    const two = measureTask(pool);
    const t0 = process.cpuUsage();
    let x = 0;
    while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) < 40_000) x += Math.sqrt(x + 1);
    const a = one.finish().cpuMs, b = two.finish().cpuMs;
    const used = (process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000;
    expect(x).toBeGreaterThan(0);
    // Each got half: together what the process used (plus the little before t0 and after), not twice it.
    expect(a + b).toBeGreaterThanOrEqual(40);
    expect(a + b).toBeLessThan(used + 10);
    expect(Math.abs(a - b)).toBeLessThan(2);
  });

  const compiled = resolve(REPO_ROOT, 'dist/src/exec/task_figures.js');
  it.skipIf(process.platform !== 'linux' || !existsSync(compiled))('counts a worker thread\'s own CPU, not the time it was blocked', async () => {
    // Blocked in Atomics.wait the thread is "active" for its event loop but uses no CPU: the
    // figure must show the spin (≥ 30 ms of CPU) and leave out the 300 ms wait.
    const source = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(pathToFileURL(compiled).href)}).then(({ measureTask }) => {
        const pool = { limit: 0, used: 0, peak: 0, register: () => ({}), resetPeak() {} };
        const m = measureTask(pool);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
        const t0 = Number(require('node:fs').readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
        let x = 0;
        while (Number(require('node:fs').readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) - t0 < 30e6) x += Math.sqrt(x + 1);
        parentPort.postMessage(m.finish());
      });`;
    const w = new Worker(source, { eval: true });
    const figures = await new Promise<{ wallMs: number; cpuMs: number }>((res, rej) => { w.once('message', res); w.once('error', rej); });
    await w.terminate();
    expect(figures.wallMs).toBeGreaterThanOrEqual(300);
    expect(figures.cpuMs).toBeGreaterThanOrEqual(30);
    expect(figures.cpuMs).toBeLessThan(200);
  });
});
