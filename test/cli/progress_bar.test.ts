/** The progress bar's line, and that piped output never carries it. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressLine, ProgressBar } from '../../src/cli/progress_bar.js';
import type { QueryProgress, StageProgress } from '../../src/observe/progress.js';
import { REPO_ROOT } from '../helpers/paths.js';

function stage(over: Partial<StageProgress>): StageProgress {
  return {
    stageId: 0, label: 'ParquetScan t', output: 'single', inputs: [], state: 'running', tasks: 1, tasksDone: 0, tasksRunning: 1,
    rowsScanned: 0, rowsToScan: 0, bytesScanned: 0, bytesToScan: 0, rowsIn: 0, bytesIn: 0, rowsOut: 0, bytesOut: 0,
    spillBytes: 0, spillFiles: 0, elapsedMs: 0, ...over,
  };
}

function progress(over: Partial<QueryProgress>): QueryProgress {
  return {
    queryId: 'q', sql: 'select 1', state: 'running', mode: 'local', startedAt: 0, elapsedMs: 2500, stages: [], edges: [], rootStageId: 0,
    tasks: 1, tasksDone: 0, rowsScanned: 0, rowsToScan: 0, bytesScanned: 0, bytesToScan: 0, spillBytes: 0, error: null, ...over,
  };
}

describe('progressLine', () => {
  it('a local run: elapsed time, share done, rows and bytes scanned of the totals, spill', () => {
    const line = progressLine(progress({ stages: [stage({ rowsScanned: 30_000, rowsToScan: 60_000, bytesScanned: 1024 * 1024, bytesToScan: 2 * 1024 * 1024 })], spillBytes: 3 * 1024 * 1024 }));
    expect(line).toMatch(/^\[2\.5s\] █{5}░{7} 49% {2}30\.0K\/60\.0K rows scanned {2}1\.0 MiB\/2\.0 MiB {2}spilled 3\.0 MiB$/);
  });

  it('a stage DAG: tasks done of total per stage; rows for a running scan stage', () => {
    const line = progressLine(progress({
      mode: 'distributed',
      stages: [stage({ stageId: 0, tasks: 4, tasksDone: 2, rowsScanned: 500, rowsToScan: 1000 }), stage({ stageId: 1, tasks: 2, state: 'waiting' })],
    }));
    expect(line).toContain('s0 2/4 tasks 500/1.0K rows │ s1 0/2');
  });

  it('is cut to the terminal width', () => {
    const line = progressLine(progress({ mode: 'distributed', stages: Array.from({ length: 30 }, (_x, i) => stage({ stageId: i, tasks: 8 })) }), 60);
    expect(line.length).toBe(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('draws only after the delay, and clears its line at the end', () => {
    let written = '';
    const out = { columns: 80, write: (s: string) => { written += s; return true; } } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar(out, 1000);
    bar.update(progress({ elapsedMs: 10, stages: [stage({ rowsToScan: 10 })] }));
    expect(written).toBe('');
    bar.update(progress({ elapsedMs: 1500, stages: [stage({ rowsToScan: 10, rowsScanned: 5 })] }));
    expect(written).toMatch(/^\r\x1b\[2K\[1\.5s\]/);
    bar.update(progress({ state: 'finished' }));
    expect(written.endsWith('\r\x1b[2K')).toBe(true);
  });
});

it('piped output (csv to a pipe, stderr not a terminal) carries no progress line', () => {
  const r = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bin/spillway.js'), 'sql', '--workers', '0', '--format', 'csv', 'select 1 as a'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toBe('a\n1\n');
  expect(r.stderr).toBe('');
});
