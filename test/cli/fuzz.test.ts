/**
 * `spillway fuzz` as a user runs it (the compiled CLI): a short clean run in local and
 * threads mode exits 0; a mismatch (here: a memory limit too small for any aggregate, so
 * the mode fails where the reference answers) prints a repro and a replay command that
 * reproduces it; bad options are one line on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'spillway-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fuzz(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/spillway.js'), 'fuzz', ...args], {
    cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SPILLWAY_SPILL_DIR: join(work, 'spill') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('spillway fuzz', () => {
  it('a short run in local and threads mode finds no mismatch and exits 0', () => {
    const r = fuzz(['--generate', '--seed', '7', '--runs', '12', '--modes', 'local,threads:2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/seed 7, 12 runs, modes local threads:2/);
    expect(r.stdout).toMatch(/12 cases, 12 queries .*: no mismatch/);
    expect(r.code).toBe(0);
  });

  it('prints a repro on a mismatch, exits 1, and the replay command reproduces it', () => {
    const r = fuzz(['--seed', '3', '--runs', '10', '--modes', 'local', '--memory-limit', '1KB']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/local disagrees with reference/);
    expect(r.stdout).toMatch(/memory limit of 1\.0 KiB exceeded/);
    expect(r.stdout).toMatch(/^CREATE TABLE t0 /m);
    expect(r.stdout).toMatch(/^SELECT .*;$/m);
    const replay = /^-- replay: spillway fuzz (.*)$/m.exec(r.stdout)![1]!;
    expect(replay).toMatch(/--seed 3 .*--path \S+/);
    const again = fuzz(replay.split(' '));
    expect(again.code).toBe(1);
    const repro = (out: string) => out.slice(out.indexOf('\n-- '));
    expect(repro(again.stdout)).toBe(repro(r.stdout));
  });

  it('bad options are one line on stderr', () => {
    for (const args of [['--modes', 'bogus'], ['--tables', work, '--generate']]) {
      const r = fuzz(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^spillway: error: /);
    }
  });

  it('--help lists the options', () => {
    const r = fuzz(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--modes LIST/);
    expect(r.stdout).toMatch(/--against duckdb/);
  });
});
