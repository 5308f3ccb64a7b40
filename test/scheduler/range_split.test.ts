/**
 * A distributed ORDER BY moves each row across the range exchange once: the writers' side
 * splits its whole output by the bounds (ExchangeBuffer range splits) and each reader fetches
 * only its range. Checked over worker threads (MessagePorts) and real `spillway worker`
 * processes (gRPC on loopback), against the single-thread answer, with the range edge's
 * figures (rows and wire bytes ≈ the data once) and under a memory limit of a few MB.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeFigures, QueryFigures } from '../../src/common/figures.js';
import { Session } from '../../src/session.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, stopCluster, startWorkerProcess, tempDir, type WorkerProcess } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const ROWS = 60_000;
const SETTINGS = { force_distribution: true, network_timeout_ms: 20_000, heartbeat_interval_ms: 500, speculation_multiplier: 0 };
// v has many duplicates (so equal keys must stay in one range), k breaks the ties.
const SQL = 'select k, v, s from t order by v desc, k';

/** t.parquet: 60,000 rows in 15 row groups, rows not in v order. */
async function writeTable(dir: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await db.connect();
  await conn.run(`copy (select i::bigint as k, ((i * 7919) % 5003)::integer as v, 'row ' || i as s from range(${ROWS}) r(i))
    to '${join(dir, 't.parquet')}' (format parquet, row_group_size 4000)`);
  conn.closeSync();
}

function rangeEdge(f: QueryFigures): EdgeFigures {
  const edges = f.edges.filter((e) => e.partitioning === 'range');
  expect(edges).toHaveLength(1);
  return edges[0]!;
}

/** Each row crossed the range exchange once, and every reader got a part of the data. */
function expectEachRowOnce(f: QueryFigures, readers: number): EdgeFigures {
  const e = rangeEdge(f);
  const producer = f.stages.find((s) => s.stageId === e.producerStage)!;
  const consumer = f.stages.find((s) => s.stageId === e.consumerStage)!;
  expect(consumer.tasks).toBe(readers);
  expect(producer.rowsOut).toBe(ROWS);
  expect(e.rows).toBe(ROWS);
  expect(e.partitionRows.reduce((a, b) => a + b, 0)).toBe(ROWS);
  expect(e.partitionRows.filter((n) => n > 0).length).toBeGreaterThan(1);
  // One stream per writer and reader, each carrying only that reader's range.
  expect(e.streams).toBe(producer.tasks * consumer.tasks);
  // The split pieces add up to about what the writers kept (utf8 pieces may round differently).
  expect(e.rawBytes).toBeLessThan(1.1 * producer.bytesOut);
  return e;
}

describe.skipIf(!HAVE_DIST)('distributed ORDER BY: each row crosses the range exchange once', () => {
  let tables = '';
  let expected: unknown[][] = [];
  beforeAll(async () => {
    tables = tempDir('spillway-range-');
    await writeTable(tables);
    const local = await Session.create({ tables, config: SETTINGS, workers: 0 });
    try {
      expected = (await local.sql(SQL)).rows();
    } finally {
      await local.close();
    }
    expect(expected).toHaveLength(ROWS);
  }, 60_000);
  afterAll(() => { if (tables !== '') rmSync(tables, { recursive: true, force: true }); });

  describe('worker threads over MessagePorts', () => {
    it('gives the single-thread answer in order; wire bytes ≈ the data once, not once per reader', async () => {
      const session = await Session.create({ tables, config: SETTINGS, workers: 3 });
      try {
        const res = await session.sql(SQL);
        expect(res.rows()).toEqual(expected);
        const e = expectEachRowOnce(res.stats!, 3);
        // Threads read every range over a port (none is read in its own thread only by chance):
        // the bytes on the wire are about the data once. Reading every writer's whole output
        // in each of the 3 readers would put about 3× on the wire.
        expect(e.wireBytes).toBeGreaterThan(0);
        expect(e.wireBytes).toBeLessThan(1.3 * e.rawBytes);
      } finally {
        await session.close();
      }
    }, 60_000);

    it('finishes under a memory limit of a few MB, spilling', async () => {
      const session = await Session.create({ tables, config: { ...SETTINGS, memory_limit: 6 << 20, batch_size: 2048 }, workers: 2 });
      try {
        const res = await session.sql(SQL);
        expect(res.rows()).toEqual(expected);
        expectEachRowOnce(res.stats!, 2);
        expect(res.stats!.stages.reduce((n, s) => n + s.spillBytes, 0)).toBeGreaterThan(0);
      } finally {
        await session.close();
      }
    }, 60_000);
  });

  describe('worker processes over gRPC', () => {
    const workers: WorkerProcess[] = [];
    let session: Session | undefined;
    beforeAll(async () => {
      workers.push(...await Promise.all([startWorkerProcess(['--memory-limit', '4MB']), startWorkerProcess(['--memory-limit', '4MB'])]));
      session = await Session.create({ tables, config: { ...SETTINGS, batch_size: 2048 }, workers: workers.map((w) => w.address) });
    }, 60_000);
    afterAll(() => stopCluster(session, workers), 30_000);

    it('gives the single-thread answer in order, each row once over the range edge, spilling within 4 MB', async () => {
      const res = await session!.sql(SQL);
      expect(res.rows()).toEqual(expected);
      const e = expectEachRowOnce(res.stats!, 2);
      // A reader fetches its own range from the other worker over gRPC: at most the data once.
      expect(e.wireBytes).toBeGreaterThan(0);
      expect(e.wireBytes).toBeLessThan(1.3 * e.rawBytes);
      expect(res.stats!.stages.reduce((n, s) => n + s.spillBytes, 0)).toBeGreaterThan(0);
    }, 60_000);
  });
});
