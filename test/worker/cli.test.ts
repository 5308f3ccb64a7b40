/** `spillway worker` as a process (dist/src/cli/worker_main.js, what the CLI command runs). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GrpcWorkerClient } from '../../src/scheduler/grpc_worker_client.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, killAll, startWorkerProcess, WORKER_MAIN, type WorkerProcess } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WORKER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.once('exit', (code) => resolve({ code, out, err }));
  });
}

describe.skipIf(!HAVE_DIST)('spillway worker command', () => {
  const started: WorkerProcess[] = [];
  afterAll(async () => { await killAll(started); });

  it('prints its options with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--memory-limit/);
  }, 20_000);

  it('rejects a bad port and a missing port with one error line', async () => {
    const bad = await run(['--port', 'eighty']);
    expect(bad.code).toBe(1);
    expect(bad.err.trim()).toBe('spillway: error: invalid --port "eighty": expected 0..65535');
    const missing = await run([]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/needs --port/);
  }, 20_000);

  it('serves once it prints its port, and shuts down cleanly on SIGTERM', async () => {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-cli-'));
    try {
      const w = await startWorkerProcess(['--memory-limit', '64MB', '--quiet'], spill);
      started.push(w);
      const c = new GrpcWorkerClient(w.address);
      try {
        const st = await c.heartbeat(5000);
        expect(st.memoryLimit).toBe(64 * 1024 * 1024);
        expect(st.runningTasks).toBe(0);
      } finally {
        await c.close();
      }
      w.proc.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(w.stderr()).toMatch(/SIGTERM, shutting down/);
    } finally {
      rmSync(spill, { recursive: true, force: true });
    }
  }, 30_000);
});
