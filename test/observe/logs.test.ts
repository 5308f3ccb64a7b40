/**
 * Structured logs: JSON lines on stderr with the query, stage and task ids, at the level
 * --log-level asks; never on stdout, where the result goes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/log.js';
import { Session } from '../../src/session.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, killAll, startWorkerProcess, type WorkerProcess } from '../scheduler/helpers.js';

if (!HAVE_SHARED) console.log(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.log(DIST_MISSING_MESSAGE);

const CLI = resolve(REPO_ROOT, 'bin/spillway.js');

type LogLine = Record<string, unknown> & { level: string; msg: string; time: string };

function jsonLines(text: string): LogLine[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    let v: unknown;
    try { v = JSON.parse(l); } catch { throw new Error(`not a JSON log line: ${l}`); }
    return v as LogLine;
  });
}

describe('createLogger', () => {
  it('levels filter; fields and the message travel; lines mode hands over messages', () => {
    const got: string[] = [];
    const log = createLogger({ level: 'info', lines: (m) => got.push(m) });
    log.debug('not shown');
    log.info({ queryId: 'q1' }, 'shown');
    log.warn('also shown');
    expect(got).toEqual(['shown', 'also shown']);
  });
});

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('logs of workers and the coordinator', () => {
  let data: string;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'spillway-logs-'));
    const s = new Session();
    try {
      await s.sql(`copy (select * from read_parquet('${join(TPCH_SF001, 'lineitem.parquet')}')) to '${join(data, 'lineitem.parquet')}' (format parquet, row_group_size 8192)`);
    } finally {
      await s.close();
    }
  });
  afterAll(async () => {
    await killAll(workers);
    rmSync(data, { recursive: true, force: true });
  });

  it('a worker process logs one JSON line per task with query, stage, task and worker ids (default level info)', async () => {
    const w = await startWorkerProcess([]);
    workers.push(w);
    const s = await Session.create({ tables: data, workers: [w.address], config: { force_distribution: true } });
    try {
      await s.sql('select l_returnflag, count(*) from lineitem group by 1');
      const queryId = s.queries.list()[0]!.queryId;
      await w.waitForLog(new RegExp(`"queryId":"${queryId}".*attempt 0: ok`));
      const lines = jsonLines(w.stderr()).filter((l) => l.queryId === queryId);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l).toMatchObject({ level: 'info', role: 'worker', worker: w.address, queryId, attempt: 0 });
        expect(typeof l.stageId).toBe('number');
        expect(typeof l.task).toBe('number');
        expect(typeof l.rows).toBe('number');
        expect(Date.parse(l.time)).not.toBeNaN();
        expect(l.msg).toMatch(new RegExp(`^query ${queryId} stage ${l.stageId} task ${l.task} attempt 0: ok, ${l.rows} rows in \\d+ ms$`));
      }
    } finally {
      await s.close();
    }
  });

  it('sql --log-level debug: JSON on stderr with the query id, the csv result alone on stdout', () => {
    const r = spawnSync(process.execPath, [CLI, 'sql', '--tables', data, '--workers', '2', '--set', 'force_distribution=true', '--log-level', 'debug', '--format', 'csv',
      'select l_linestatus, count(*) as n from lineitem group by 1 order by 1'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('l_linestatus,n\nF,30126\nO,30049\n');
    const lines = jsonLines(r.stderr);
    const finished = lines.find((l) => /^query \w+ finished in \d+ ms$/.test(l.msg))!;
    expect(finished).toMatchObject({ level: 'info', role: 'coordinator' });
    const queryId = finished.queryId as string;
    // The coordinator's task events and the threads' task lines carry the same ids.
    const tasks = lines.filter((l) => l.queryId === queryId && typeof l.stageId === 'number' && typeof l.task === 'number');
    expect(tasks.some((l) => l.role === 'coordinator' && l.level === 'debug')).toBe(true);
    expect(tasks.some((l) => l.role === 'worker' && String(l.worker).startsWith('thread:'))).toBe(true);
  });

  it('the default level (warn) keeps stderr empty for a query that runs fine; a bad level is one clear error', () => {
    const ok = spawnSync(process.execPath, [CLI, 'sql', '--tables', data, '--workers', '0', '--format', 'csv', 'select count(*) as n from lineitem'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('n\n60175\n');
    expect(ok.stderr).toBe('');
    const bad = spawnSync(process.execPath, [CLI, 'sql', '--log-level', 'loud', 'select 1'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('spillway: error: invalid --log-level "loud": use one of fatal, error, warn, info, debug, trace, silent');
  });
});
