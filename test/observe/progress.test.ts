/**
 * Progress: db.sql's onProgress callback gets figures that only grow and end at the totals,
 * in this thread (--workers 0: one stage of one task, figures moving batch by batch) and on
 * worker threads (a stage DAG, figures moving task by task).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway, type QueryProgress } from '../../src/index.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST } from '../scheduler/helpers.js';

if (!HAVE_SHARED) console.log(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.log(DIST_MISSING_MESSAGE);

const LINEITEM_ROWS = 60175;

/** Every figure of every call is ≥ the one before it. */
function expectMonotone(calls: readonly QueryProgress[]): void {
  const keys = ['tasksDone', 'rowsScanned', 'bytesScanned', 'rowsOut', 'bytesOut', 'rowsIn', 'bytesIn'] as const;
  for (let i = 1; i < calls.length; i++) {
    const a = calls[i - 1]!, b = calls[i]!;
    expect(b.tasksDone, `call ${i}`).toBeGreaterThanOrEqual(a.tasksDone);
    expect(b.rowsScanned, `call ${i}`).toBeGreaterThanOrEqual(a.rowsScanned);
    expect(b.elapsedMs, `call ${i}`).toBeGreaterThanOrEqual(a.elapsedMs);
    if (a.mode !== b.mode) continue; // the local stage gave way to the stage DAG
    for (const s of b.stages) {
      const before = a.stages.find((x) => x.stageId === s.stageId)!;
      for (const k of keys) expect(s[k], `call ${i} stage ${s.stageId} ${k}`).toBeGreaterThanOrEqual(before[k]);
    }
  }
}

describe.skipIf(!HAVE_SHARED || !HAVE_DIST)('onProgress', () => {
  let data: string;
  beforeAll(async () => {
    // lineitem in row groups of 4096 rows, so a distributed scan has several tasks.
    data = mkdtempSync(join(tmpdir(), 'spillway-progress-'));
    const db = await Spillway.create({ workers: 0 });
    try {
      await db.sql(`copy (select * from read_parquet('${join(TPCH_SF001, 'lineitem.parquet')}')) to '${join(data, 'lineitem.parquet')}' (format parquet, row_group_size 4096)`);
    } finally {
      await db.close();
    }
  });
  afterAll(() => rmSync(data, { recursive: true, force: true }));

  it('in this thread (--workers 0): one stage whose rows scanned grow batch by batch to the total', async () => {
    const db = await Spillway.create({ workers: 0, tables: data, batchSize: 1024 });
    try {
      const calls: QueryProgress[] = [];
      const res = await db.sql('select l_returnflag, count(*), sum(l_quantity) from lineitem group by l_returnflag', {
        onProgress: (p) => calls.push(p), progressIntervalMs: 10,
      });
      expect(res.numRows).toBe(3);
      expectMonotone(calls);
      const last = calls.at(-1)!;
      expect(last).toMatchObject({ state: 'finished', mode: 'local', tasks: 1, tasksDone: 1, rowsScanned: LINEITEM_ROWS, rowsToScan: LINEITEM_ROWS });
      expect(last.stages).toHaveLength(1);
      expect(last.stages[0]).toMatchObject({ state: 'done', rowsOut: 3, rowsScanned: LINEITEM_ROWS });
      expect(last.bytesScanned).toBeGreaterThan(0);
      // The callback came while the query ran, not only at the end.
      expect(calls.filter((c) => c.state === 'running').length).toBeGreaterThan(0);
      // The session keeps the query for the web page.
      expect(db.internals.queries.get(last.queryId)?.snapshot().state).toBe('finished');
    } finally {
      await db.close();
    }
  });

  it('on worker threads: a stage DAG whose tasks finish one by one, ending at every total', async () => {
    const db = await Spillway.create({ workers: 2, tables: data, settings: { force_distribution: true, target_partitions: 3 } });
    try {
      const calls: QueryProgress[] = [];
      const stream = await db.stream('select l_returnflag, l_linestatus, count(*) from lineitem group by 1, 2 order by 1, 2', {
        onProgress: (p) => calls.push(p), progressIntervalMs: 10,
      });
      const events: QueryProgress[] = [];
      stream.on('progress', (p: QueryProgress) => events.push(p));
      let rows = 0;
      for await (const rb of stream) rows += rb.numRows;
      // The stream's 'progress' events are the onProgress calls.
      expect(events).toEqual(calls);
      expect(rows).toBe(4);
      const dag = calls.filter((c) => c.mode === 'distributed');
      expect(dag.length).toBeGreaterThan(1);
      expectMonotone(dag);
      const last = calls.at(-1)!;
      expect(last.state).toBe('finished');
      expect(last.stages.length).toBeGreaterThanOrEqual(2);
      expect(last.tasksDone).toBe(last.tasks);
      for (const s of last.stages) expect(s).toMatchObject({ state: 'done', tasksDone: s.tasks, tasksRunning: 0 });
      expect(last.rowsScanned).toBe(LINEITEM_ROWS);
      expect(last.rowsToScan).toBe(LINEITEM_ROWS);
      expect(last.bytesScanned).toBeGreaterThan(0);
      const scan = last.stages.find((s) => s.rowsToScan > 0)!;
      expect(scan.tasks).toBeGreaterThan(1);
      // Intermediate calls saw the scan stage part done.
      expect(dag.some((c) => c.stages.some((s) => s.tasksDone > 0 && s.tasksDone < s.tasks))).toBe(true);
      // Each edge: what the producer wrote is what its consumer read (every reader of a
      // range exchange reads all of each writer's output, then keeps its range).
      expect(last.edges.length).toBe(last.stages.length - 1);
      for (const e of last.edges) {
        const producer = last.stages.find((s) => s.stageId === e.from)!;
        if (producer.output.startsWith('range')) { expect(e.rowsIn).toBeGreaterThanOrEqual(e.rowsOut); continue; }
        expect(e.rowsIn).toBe(e.rowsOut);
        expect(e.bytesIn).toBe(e.bytesOut);
        expect(e.bytesOut).toBeGreaterThan(0);
      }
    } finally {
      await db.close();
    }
  });

  it('a failing query ends with state failed and its error', async () => {
    const db = await Spillway.create({ workers: 0, tables: data });
    try {
      const calls: QueryProgress[] = [];
      await expect(db.sql('select cast(l_comment as integer) from lineitem', { onProgress: (p) => calls.push(p) })).rejects.toThrow(/integer/);
      expect(calls.at(-1)).toMatchObject({ state: 'failed', error: expect.stringMatching(/integer/) });
    } finally {
      await db.close();
    }
  });
});
