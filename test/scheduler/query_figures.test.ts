/**
 * Per-stage and per-exchange-edge figures in every mode, checked against what the
 * transports counted themselves: the bytes EXPLAIN ANALYZE reports on the exchange edges add
 * up to the bytes the workers' exchange servers put on the wire during the query (real
 * `spillway worker` processes over gRPC, and worker threads over MessagePorts), and the
 * edges agree with the stages they join (rows, partitions, skew).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJoinTables } from '../../bench/joins_bench.js';
import type { EdgeFigures, StageFigures } from '../../src/common/figures.js';
import { SpillwayError } from '../../src/common/errors.js';
import { DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { GrpcWorkerClient } from '../../src/scheduler/grpc_worker_client.js';
import { Session } from '../../src/session.js';
import { planStageDag } from '../../src/distributed/distribute.js';
import { runStageDag } from '../../src/scheduler/stage_scheduler.js';
import { field } from '../../src/common/types.js';
import { catalogOf, contextFor, memoryTable, singleNodePlan, testConfig } from '../distributed/harness.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, stopCluster, startWorkerProcess, tempDir, type WorkerProcess } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

// No speculative copies: a losing copy's reads reach the servers' counts but not the figures.
const SETTINGS = { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500, broadcast_threshold: 0, speculation_multiplier: 0 };
// A partitioned join (both sides hashed), then a hash aggregation, a gather, and the result: 5 edges.
const SQL = 'select p.k % 7 as g, count(*) as n, sum(b.v) as s from probe_30000 p join build_2000 b on p.k = b.k group by 1';
const GROUPS = 7;

interface AnalyzeJson {
  distributed: boolean;
  stages: StageFigures[];
  edges: EdgeFigures[];
  operators: Record<string, unknown>;
}

async function explainJson(session: Session, sql: string): Promise<AnalyzeJson> {
  return JSON.parse((await session.sql(`explain (analyze, format json) ${sql}`)).toString()) as AnalyzeJson;
}

/** The figures agree with each other: every edge joins two stages it names, rows and partitions add up. */
function checkConsistent(f: AnalyzeJson, workers: number): void {
  expect(f.distributed).toBe(true);
  const stages = new Map(f.stages.map((s) => [s.stageId, s]));
  expect(f.edges.length).toBe(f.stages.reduce((n, s) => n + s.inputs.length, 0) + 1);
  for (const s of f.stages) {
    expect(s.tasks).toBeGreaterThanOrEqual(1);
    expect(s.wallMs).toBeGreaterThan(0);
    expect(s.cpuMs).toBeGreaterThanOrEqual(0);
    expect(s.peakMemoryBytes).toBeGreaterThanOrEqual(0);
  }
  expect(f.stages.reduce((n, s) => n + s.cpuMs, 0)).toBeGreaterThan(0);
  // The join and aggregation stages held hash tables.
  expect(Math.max(...f.stages.map((s) => s.peakMemoryBytes))).toBeGreaterThan(0);
  for (const e of f.edges) {
    const producer = stages.get(e.producerStage)!;
    expect(producer, `stage ${e.producerStage}`).toBeDefined();
    expect(e.rawBytes).toBe(e.partitionBytes.reduce((a, b) => a + b, 0));
    expect(e.rows).toBe(e.partitionRows.reduce((a, b) => a + b, 0));
    expect(e.maxPartitionBytes).toBe(Math.max(...e.partitionBytes));
    expect(e.maxPartitionBytes).toBeGreaterThanOrEqual(e.medianPartitionBytes);
    if (e.medianPartitionBytes > 0) expect(e.skew).toBeCloseTo(e.maxPartitionBytes / e.medianPartitionBytes, 9);
    expect(e.writerCreditWaitMs).toBeGreaterThanOrEqual(0);
    expect(e.readerWaitMs).toBeGreaterThanOrEqual(0);
    if (e.consumerStage === null) {
      expect(e.partitioning).toBe('result');
      expect(e.rows).toBe(GROUPS);
      expect(e.wireBytes).toBeGreaterThan(0); // the coordinator read it from a worker
      continue;
    }
    const consumer = stages.get(e.consumerStage)!;
    expect(consumer.inputs).toContain(e.producerStage);
    expect(e.partitionBytes).toHaveLength(consumer.tasks);
    expect(e.partitioning).toBe(producer.output);
    // A hash exchange delivers every row it was given exactly once, one stream per writer and reader.
    if (e.partitioning === 'hash') {
      expect(e.rows).toBe(producer.rowsOut);
      expect(e.rawBytes).toBe(producer.bytesOut);
      expect(e.streams).toBe(producer.tasks * consumer.tasks);
    }
  }
  const hash = f.edges.filter((e) => e.partitioning === 'hash');
  expect(hash.length).toBe(3); // probe side, build side, aggregation
  expect(hash.reduce((n, e) => n + e.wireBytes, 0)).toBeGreaterThan(0);
  expect(workers).toBeGreaterThan(1);
}

const sumWire = (edges: readonly { wireBytes: number }[]) => edges.reduce((n, e) => n + e.wireBytes, 0);

/** wire_bytes=N of every Exchange line of EXPLAIN ANALYZE's text. */
function textWireBytes(text: string): number[] {
  return [...text.matchAll(/^Exchange stage .* wire_bytes=(\d+) /gm)].map((m) => Number(m[1]));
}

describe('query figures of a stage DAG run in one process (in-process transport)', () => {
  it('has one edge per stage input plus the result, nothing on the wire, and every row read once', async () => {
    const t = memoryTable({ name: 't', fields: [field('a', 'int32'), field('b', 'int32')], rows: Array.from({ length: 300 }, (_v, i) => [i % 17, i]) }, [7]);
    const catalog = catalogOf([t]);
    const config = testConfig({ force_distribution: true, batch_size: 16, exchange_credits: 1 });
    // Hash aggregation, then a range-partitioned sort gathered in order (MergeGather).
    const plan = await singleNodePlan('select a, count(*), sum(b) from t group by a order by a', catalog, config);
    const dag = await planStageDag(plan, { config, workers: 3, memoryTables: catalog.memoryTables() });
    const result = await runStageDag(dag, { ctx: contextFor(catalog, config) });
    const f = result.figures;
    expect(f.stages.map((s) => s.stageId)).toEqual(dag.stages.map((s) => s.id));
    expect(f.edges).toHaveLength(dag.stages.reduce((n, s) => n + s.inputs.length, 0) + 1);
    expect(f.edges.map((e) => e.partitioning)).toContain('range');
    for (const e of f.edges) {
      expect(e.wireBytes).toBe(0);
      const producer = f.stages.find((s) => s.stageId === e.producerStage)!;
      const consumer = f.stages.find((s) => s.stageId === e.consumerStage);
      if (e.partitioning === 'range') {
        // Each reader fetched only its range (split once at the writers): each row read once.
        expect(consumer!.tasks).toBeGreaterThan(1);
        expect(e.rows).toBe(producer.rowsOut);
        expect(e.partitionRows.reduce((a, b) => a + b, 0)).toBe(producer.rowsOut);
        expect(e.partitionRows.filter((n) => n > 0).length).toBeGreaterThan(1);
        continue;
      }
      expect(e.rawBytes).toBe(e.partitionBytes.reduce((a, b) => a + b, 0));
      expect(e.rows).toBe(e.partitionRows.reduce((a, b) => a + b, 0));
      if (e.partitioning === 'hash') expect(e.rows).toBe(producer.rowsOut);
    }
    expect(f.edges.at(-1)).toMatchObject({ consumerStage: null, partitioning: 'result', rows: 17 });
    for (const s of f.stages) expect(s.tasks).toBe(dag.stages.find((d) => d.id === s.stageId)!.tasks);
  });
});

describe.skipIf(!HAVE_DIST)('query figures', () => {
  let tables = '';
  beforeAll(async () => {
    tables = tempDir('spillway-figures-');
    await writeJoinTables(tables, [2000], [30_000]);
  }, 30_000);
  afterAll(() => { if (tables !== '') rmSync(tables, { recursive: true, force: true }); });

  describe('worker processes over gRPC', () => {
    const workers: WorkerProcess[] = [];
    let session: Session | undefined;
    beforeAll(async () => {
      workers.push(...await Promise.all([startWorkerProcess(), startWorkerProcess()]));
      session = await Session.create({ tables, config: SETTINGS, workers: workers.map((w) => w.address) });
    }, 60_000);
    afterAll(() => stopCluster(session, workers), 30_000);

    /** Bytes the workers' exchange servers have sent so far, from their Heartbeat status. */
    const served = async (): Promise<number> => {
      let n = 0;
      for (const w of workers) {
        const c = new GrpcWorkerClient(w.address);
        try { n += (await c.heartbeat(5000)).exchangeWireBytesSent; } finally { await c.close(); }
      }
      return n;
    };

    it('EXPLAIN (ANALYZE, FORMAT JSON): the edges carry exactly the bytes the workers sent', async () => {
      const before = await served();
      const f = await explainJson(session!, SQL);
      const sent = (await served()) - before;
      checkConsistent(f, workers.length);
      expect(sent).toBeGreaterThan(0);
      expect(sumWire(f.edges)).toBe(sent);
    }, 30_000);

    it('EXPLAIN ANALYZE text shows the same wire bytes, and res.stats carries stages and edges', async () => {
      const before = await served();
      const text = (await session!.sql(`explain analyze ${SQL}`)).toString();
      const sent = (await served()) - before;
      expect(text).toMatch(/^Stage \d+: tasks=\d+ wall=[\d.]+ms cpu=[\d.]+ms peak_memory=\d+ spill_bytes=\d+ spill_files=\d+$/m);
      expect(text).toMatch(/^ {2}partition_bytes max=\d+ median=[\d.]+ skew=[\d.]+ writer_credit_wait=[\d.]+ms reader_wait=[\d.]+ms$/m);
      const wire = textWireBytes(text);
      expect(wire).toHaveLength(5);
      expect(wire.reduce((a, b) => a + b, 0)).toBe(sent);

      const res = await session!.sql(SQL);
      expect(res.numRows).toBe(GROUPS);
      expect(res.stats!.edges).toHaveLength(5);
      // Two scans, the join with the partial aggregation, the final aggregation, the gather.
      expect(res.stats!.stages.map((s) => s.stageId).sort()).toEqual([0, 1, 2, 3, 4]);
    }, 30_000);

    it('LZ4 on the exchange: fewer bytes on the wire, the same bytes before compression, still what the workers sent', async () => {
      await session!.sql("set exchange_compression = 'lz4'");
      try {
        const before = await served();
        const packed = await explainJson(session!, SQL);
        const sent = (await served()) - before;
        expect(sumWire(packed.edges)).toBe(sent);
        await session!.sql("set exchange_compression = 'none'");
        const none = await explainJson(session!, SQL);
        const hashRaw = (f: AnalyzeJson) => f.edges.filter((e) => e.partitioning === 'hash').reduce((n, e) => n + e.rawBytes, 0);
        expect(hashRaw(packed)).toBe(hashRaw(none));
        expect(sumWire(packed.edges)).toBeLessThan(sumWire(none.edges));
      } finally {
        await session!.sql("set exchange_compression = 'none'");
      }
    }, 30_000);
  });

  describe('worker threads over MessagePorts', () => {
    let session: Session | undefined;
    beforeAll(async () => {
      session = await Session.create({ tables, config: SETTINGS, workers: 2 });
    });
    afterAll(async () => { await session?.close(); });

    const served = async (): Promise<number> => {
      const runner = await (session!.executor as DistributedExecutor).runner();
      const statuses = await runner.currentStatuses();
      return statuses.reduce((n, s) => n + s.status!.exchangeWireBytesSent, 0);
    };

    it('the edges carry exactly the bytes the threads sent, in JSON and in the text', async () => {
      await session!.sql(SQL); // starts the threads
      let before = await served();
      const f = await explainJson(session!, SQL);
      let sent = (await served()) - before;
      checkConsistent(f, 2);
      expect(sent).toBeGreaterThan(0);
      expect(sumWire(f.edges)).toBe(sent);

      before = await served();
      const text = (await session!.sql(`explain analyze ${SQL}`)).toString();
      sent = (await served()) - before;
      expect(textWireBytes(text).reduce((a, b) => a + b, 0)).toBe(sent);

      // A streamed result carries the same figures once read.
      before = await served();
      const stream = await session!.stream(SQL);
      let rows = 0;
      for await (const rb of stream) rows += rb.numRows;
      sent = (await served()) - before;
      expect(rows).toBe(GROUPS);
      expect(stream.stats!.edges).toHaveLength(5);
      expect(sumWire(stream.stats!.edges)).toBe(sent);
    }, 30_000);
  });

  describe('one thread (--workers 0)', () => {
    it('reports one local stage and no exchange', async () => {
      const session = await Session.create({ tables, config: SETTINGS, workers: 0 });
      try {
        const res = await session.sql(SQL);
        expect(res.stats!.edges).toEqual([]);
        expect(res.stats!.stages).toHaveLength(1);
        const s = res.stats!.stages[0]!;
        expect(s).toMatchObject({ stageId: 0, tasks: 1, output: 'result', inputs: [], rowsOut: GROUPS });
        expect(s.wallMs).toBeGreaterThan(0);
        expect(s.cpuMs).toBeGreaterThan(0);
        expect(s.peakMemoryBytes).toBe(res.stats!.peakMemoryBytes);
        const f = await explainJson(session, SQL);
        expect(f.distributed).toBe(false);
        expect(f.edges).toEqual([]);
        expect(Object.keys(f.operators).length).toBeGreaterThan(3);
        expect((await session.sql(`explain analyze ${SQL}`)).toString()).toMatch(/^Stage 0: tasks=1 wall=/m);
        await expect(session.sql(`explain (format json) ${SQL}`)).rejects.toThrow(/needs ANALYZE/);
        await expect(session.sql(`explain (analyze, costs) ${SQL}`)).rejects.toThrow(SpillwayError);
      } finally {
        await session.close();
      }
    }, 30_000);
  });
});
