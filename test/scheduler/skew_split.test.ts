/**
 * Skewed partitions split across tasks (scheduler/skew_split.ts): the decision on writer
 * byte counts, and whole queries on worker threads and on worker processes whose join
 * input has one hot key, against the single-thread answer.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageFigures } from '../../src/common/figures.js';
import { planSkewSplits } from '../../src/scheduler/skew_split.js';
import { Session } from '../../src/session.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, startWorkerProcess, stopCluster, tempDir, type WorkerProcess } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const SETTINGS = { factor: 5, minBytes: 1000, maxPieces: 8 };

describe('planSkewSplits', () => {
  it('splits a partition over factor × the median and the floor, by writers of similar bytes', () => {
    // 4 partitions, 4 writers: partition 2 holds 4 × 9000 bytes, the others 4 × 100.
    const w = [[100, 100, 9000, 100], [100, 100, 9000, 100], [100, 100, 9000, 100], [100, 100, 9000, 100]];
    const { splits, pieces } = planSkewSplits(4, new Map([[7, w]]), SETTINGS);
    expect(splits).toEqual([{ input: 7, partition: 2, bytes: 36000, medianBytes: 400, pieces: 4 }]);
    expect([...pieces.keys()]).toEqual([2, 4, 5, 6]);
    const readers = [...pieces.values()].flatMap((p) => p.only).sort();
    expect(readers).toEqual([0, 1, 2, 3]); // every writer read by exactly one piece
    for (const p of pieces.values()) expect(p).toMatchObject({ partition: 2, input: 7 });
  });

  it('leaves partitions under the floor, under the factor, or of one writer alone', () => {
    const small = [[10, 10, 400, 10], [10, 10, 400, 10]];
    expect(planSkewSplits(4, new Map([[1, small]]), SETTINGS).splits).toEqual([]);
    const even = [[3000, 2000, 2500, 2000], [3000, 2000, 2500, 2000]];
    expect(planSkewSplits(4, new Map([[1, even]]), SETTINGS).splits).toEqual([]);
    const oneWriter = [[100, 100, 90000, 100], [100, 100, 0, 100]];
    expect(planSkewSplits(4, new Map([[1, oneWriter]]), SETTINGS).splits).toEqual([]);
    expect(planSkewSplits(4, new Map([[1, [[100, 100, 90000, 100], [100, 100, 90000, 100]]]]), { ...SETTINGS, factor: 0 }).splits).toEqual([]);
  });

  it('caps the pieces and picks the input most over its median', () => {
    const many = Array.from({ length: 12 }, () => [100, 50000, 100, 100]);
    const a = planSkewSplits(4, new Map([[1, many]]), { ...SETTINGS, maxPieces: 3 });
    expect(a.splits[0]!.pieces).toBe(3);
    const other = Array.from({ length: 12 }, () => [100, 2000, 100, 100]);
    expect(planSkewSplits(4, new Map([[2, other], [1, many]]), SETTINGS).splits[0]!.input).toBe(1);
  });
});

/** fact: 4 files of 5,000 rows, 90 % of them with k = 7; dim: k 0..99. */
async function writeTables(dir: string): Promise<void> {
  const s = await Session.create();
  const values = (n: number) => Array.from({ length: n }, (_, i) => `(${i})`).join(',');
  mkdirSync(`${dir}/fact`);
  for (let f = 0; f < 4; f++) {
    await s.sql(`copy (select case when (a.x * 100 + b.y) % 10 = 0 then (a.x * 100 + b.y + ${f}) % 100 else 7 end as k,
      a.x * 100 + b.y + ${f * 5000} as v, 'payload ' || (a.x * 100 + b.y) as pad
      from (values ${values(50)}) a(x), (values ${values(100)}) b(y)) to '${dir}/fact/part-${f}.parquet'`);
  }
  await s.sql(`copy (select x as k, 'name ' || (x % 13) as name from (values ${values(100)}) t(x) where x % 9 <> 0) to '${dir}/dim.parquet'`);
  await s.close();
}

const QUERIES = {
  inner: 'select d.name, count(*) c, sum(f.v) s from fact f join dim d on f.k = d.k group by d.name order by d.name',
  left: 'select d.name, count(*) c, sum(f.v) s from fact f left join dim d on f.k = d.k group by d.name order by d.name',
  // Grouped on the join key: the final aggregate shares the join's stage, which may not be split.
  cogrouped: 'select f.k, count(d.name) c, sum(f.v) s from fact f left join dim d on f.k = d.k group by f.k order by f.k',
  // The hot side is the preserved one of a right join: its rows may not be split.
  right: 'select f.k, count(d.name) c, count(f.v) n from dim d left join fact f on f.k = d.k group by f.k order by f.k',
  full: 'select coalesce(f.k, d.k) k, count(*) c from fact f full join dim d on f.k = d.k group by 1 order by 1',
  semi: 'select count(*) c, sum(v) s from fact f where f.k in (select k from dim)',
  anti: 'select count(*) c, sum(v) s from fact f where not exists (select 1 from dim d where d.k = f.k)',
};

const SPLIT = {
  force_distribution: true, join_strategy: 'partitioned', adaptive_join: false, broadcast_threshold: 0,
  skew_split_min_bytes: 2048, skew_split_factor: 3, network_timeout_ms: 10_000, heartbeat_interval_ms: 500,
};

function splitsOf(stages: readonly StageFigures[]): NonNullable<StageFigures['skewSplits']> {
  return stages.flatMap((s) => s.skewSplits ?? []);
}

describe.skipIf(!HAVE_DIST)('skewed joins run as split tasks', () => {
  let dir = '';
  const want = new Map<string, unknown[][]>();
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = tempDir('spillway-skew-');
    await writeTables(dir);
    const local = await Session.create({ tables: dir });
    for (const [name, sql] of Object.entries(QUERIES)) want.set(name, (await local.sql(sql)).rows());
    await local.close();
  }, 60_000);

  afterAll(async () => {
    await stopCluster(undefined, workers);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('on worker threads: the same answers; inner, left, semi and anti joins split the hot partition; right, full and a final aggregate above do not', async () => {
    const s = await Session.create({ tables: dir, workers: 2, config: SPLIT });
    try {
      for (const [name, sql] of Object.entries(QUERIES)) {
        const res = await s.sql(sql);
        expect(res.rows(), name).toEqual(want.get(name));
        const splits = splitsOf(res.stats?.stages ?? []);
        if (name === 'right' || name === 'full' || name === 'cogrouped') expect(splits, name).toEqual([]);
        else expect(splits.length, name).toBeGreaterThan(0);
      }
      const explain = (await s.sql(`explain analyze ${QUERIES.inner}`)).rows().map((r) => String(r[r.length - 1])).join('\n');
      expect(explain).toMatch(/skew split: partition \d+ of stage \d+ \(\d+ bytes, [\d.]+× the median \d+\) ran as \d+ tasks/);
      // Off: the same answer, no split.
      await s.sql('set skew_split_factor = 0');
      const off = await s.sql(QUERIES.inner);
      expect(off.rows()).toEqual(want.get('inner'));
      expect(splitsOf(off.stats?.stages ?? [])).toEqual([]);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('on worker processes over gRPC: the same answers with the hot partition split', async () => {
    workers.push(await startWorkerProcess(), await startWorkerProcess());
    const s = await Session.create({ tables: dir, workers: workers.map((w) => w.address), config: SPLIT });
    try {
      for (const name of ['inner', 'left', 'anti'] as const) {
        const res = await s.sql(QUERIES[name]);
        expect(res.rows(), name).toEqual(want.get(name));
        expect(splitsOf(res.stats?.stages ?? []).length, name).toBeGreaterThan(0);
      }
    } finally {
      await s.close();
    }
  }, 120_000);
});
