/**
 * The memory-tuned runtime (src/cli/relaunch.ts): with a memory limit, bin/spillway.js runs
 * the command in a child process with the tuned malloc and V8 settings, passing on stdin,
 * stdout, exit codes and signals. Real processes throughout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLimitArg, oldSpaceHeadroomMb, TUNED_ENV, wantsTunedRuntime } from '../../src/cli/relaunch.js';
import { REPO_ROOT } from '../helpers/paths.js';

const BIN = join(REPO_ROOT, 'bin/spillway.js');
const work = mkdtempSync(join(tmpdir(), 'spillway-relaunch-'));
const spillDir = join(work, 'spill');
const env: NodeJS.ProcessEnv = { ...process.env, SPILLWAY_SPILL_DIR: spillDir };
delete env[TUNED_ENV];
const leftInSpill = (): string[] => { try { return readdirSync(spillDir); } catch { return []; } };

/** Launchers (and their children) of a test, stopped after it whatever happened. */
const started: number[] = [];
function track(launcher: ChildProcess): ChildProcess {
  started.push(launcher.pid!);
  return launcher;
}
afterEach(async () => {
  for (const pid of started.splice(0)) {
    for (const c of childrenOf(pid)) { try { process.kill(c, 'SIGKILL'); } catch { /* gone */ } }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(spillDir, { recursive: true, force: true });
});

const values = Array.from({ length: 2000 }, (_, i) => `(${i})`).join(',');
/** A sort of 4 M rows: spills for seconds at a limit of 2 MB. */
const BIG_SORT = `select a.x * 2000 + b.x as y from (values ${values}) a(x), (values ${values}) b(x) order by y desc`;

/** Child pids of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return [];
  }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('which command lines get the tuned runtime', () => {
  it('sql, explain and worker with a memory limit, unless already tuned or turned off', () => {
    expect(wantsTunedRuntime(['sql', '--memory-limit', '64MB', 'select 1'], {})).toBe(true);
    expect(wantsTunedRuntime(['explain', '--memory-limit=64MB', 'select 1'], {})).toBe(true);
    expect(wantsTunedRuntime(['worker', '--port', '0', '--set', 'memory_limit=1GB'], {})).toBe(true);
    expect(wantsTunedRuntime(['sql', 'select 1'], {})).toBe(false);
    expect(wantsTunedRuntime(['datagen', '--memory-limit', '64MB'], {})).toBe(false);
    expect(wantsTunedRuntime(['sql', '--memory-limit', '64MB'], { [TUNED_ENV]: '1' })).toBe(false);
    expect(wantsTunedRuntime(['sql', '--memory-limit', '64MB'], { [TUNED_ENV]: '0' })).toBe(false);
  });
});

describe('the tuned runtime\'s old-generation headroom', () => {
  it('is three quarters of the memory limit in MiB, at most 128, none below 24 or when the limit does not parse', () => {
    expect(memoryLimitArg(['sql', '--memory-limit', '64MB', 'select 1'])).toBe('64MB');
    expect(memoryLimitArg(['explain', '--memory-limit=1GB', 'select 1'])).toBe('1GB');
    expect(memoryLimitArg(['worker', '--set', 'memory_limit=2GiB'])).toBe('2GiB');
    expect(memoryLimitArg(['sql', '--set=memory_limit=16MB'])).toBe('16MB');
    expect(memoryLimitArg(['sql', 'select 1'])).toBe(null);
    expect(oldSpaceHeadroomMb('64MB')).toBe(48);
    expect(oldSpaceHeadroomMb('64 mib')).toBe(48);
    expect(oldSpaceHeadroomMb('8MB')).toBe(0);
    expect(oldSpaceHeadroomMb('32MB')).toBe(24);
    expect(oldSpaceHeadroomMb('1.5GiB')).toBe(128);
    expect(oldSpaceHeadroomMb(String(40 * 1024 * 1024))).toBe(30);
    expect(oldSpaceHeadroomMb('lots')).toBe(0);
    expect(oldSpaceHeadroomMb('64XB')).toBe(0);
  });
});

describe('spillway with a memory limit runs in a tuned child process', () => {
  it('pipes stdin and stdout through and exits with the command\'s code', () => {
    const ok = spawnSync(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '8MB', '--format', 'csv'], {
      input: 'select 41 + 1 as x', encoding: 'utf8', env, timeout: 60_000,
    });
    expect(ok.stdout).toBe('x\n42\n');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const bad = spawnSync(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '8MB', 'select nope'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual(['spillway: error: unknown column "nope" at line 1, column 8']);
  });

  it('the child has the tuned settings; SIGTERM reaches it, its spill files go, the launcher exits with its code', async () => {
    const launcher = track(spawn(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '2MB', BIG_SORT], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    launcher.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => launcher.once('exit', (code, sig) => r([code, sig])));
    await waitFor(() => childrenOf(launcher.pid!).length === 1, 'the child process');
    const child = childrenOf(launcher.pid!)[0]!;
    // Between fork and exec the child is still a copy of the launcher.
    const cmdline = (): string[] => { try { return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
    await waitFor(() => cmdline().includes('--max-semi-space-size=4'), 'the child to start node');
    expect(cmdline()).toContain('--expose-gc');
    const childEnv = readFileSync(`/proc/${child}/environ`, 'utf8').split('\0');
    expect(childEnv.filter((e) => e.startsWith('MALLOC_') || e.startsWith('SPILLWAY_'))).toEqual(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072', `SPILLWAY_SPILL_DIR=${spillDir}`, `${TUNED_ENV}=1`]);
    await waitFor(() => leftInSpill().some((d) => readdirSync(join(spillDir, d)).length > 1), 'spill files');
    launcher.kill('SIGTERM');
    expect(await exited).toEqual([1, null]);
    expect(stderr.trim()).toBe('spillway: error: query cancelled by SIGTERM');
    expect(leftInSpill()).toEqual([]);
  }, 60_000);

  it('a child killed by a signal takes the launcher with the same signal', async () => {
    const launcher = track(spawn(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '2MB', BIG_SORT], { env, stdio: 'ignore' }));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => launcher.once('exit', (code, sig) => r([code, sig])));
    await waitFor(() => childrenOf(launcher.pid!).length === 1, 'the child process');
    process.kill(childrenOf(launcher.pid!)[0]!, 'SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
  }, 60_000);

  it('a launcher killed by SIGKILL leaves no orphan: the child stops and removes its spill files', async () => {
    const launcher = track(spawn(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '2MB', BIG_SORT], { env, stdio: 'ignore' }));
    await waitFor(() => childrenOf(launcher.pid!).length === 1, 'the child process');
    const child = childrenOf(launcher.pid!)[0]!;
    await waitFor(() => leftInSpill().some((d) => readdirSync(join(spillDir, d)).length > 1), 'spill files');
    launcher.kill('SIGKILL');
    const alive = (): boolean => { try { process.kill(child, 0); return true; } catch { return false; } };
    await waitFor(() => !alive(), 'the child to stop');
    expect(leftInSpill()).toEqual([]);
  }, 60_000);

  it('SPILLWAY_TUNED_RUNTIME=0 runs the command in the same process', async () => {
    const launcher = track(spawn(process.execPath, [BIN, 'sql', '--workers', '0', '--memory-limit', '2MB', BIG_SORT], { env: { ...env, [TUNED_ENV]: '0' }, stdio: 'ignore' }));
    const exited = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
    await waitFor(() => leftInSpill().some((d) => readdirSync(join(spillDir, d)).length > 1), 'spill files');
    expect(childrenOf(launcher.pid!)).toEqual([]);
    launcher.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(leftInSpill()).toEqual([]);
  }, 60_000);
});
