/**
 * Distributed vs single-node answers on the same data: every query is planned once the
 * single-node way, run with executePlan, and run as a stage DAG (force_distribution) with
 * 1..4 tasks per stage, random batch sizes and random table batch layouts (TPC-H: tpch.test.ts). Answers must be
 * equal as bags; under ORDER BY the sort keys must also come out in the same order.
 */
import { describe, expect, it } from 'vitest';
import { field, type Scalar } from '../../src/common/types.js';
import { seededRandom } from '../../src/exec/shuffle/range_bounds.js';
import { diffRows, type Cell } from '../helpers/compare.js';
import { catalogOf, cells, memoryTable, runDistributed, runSingle, singleNodePlan, testConfig, type TableSpec } from './harness.js';

const random = seededRandom(20261122);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function tRows(n: number): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push([
      i % 11 === 0 ? null : i % 6,                          // a: duplicate-heavy, some NULLs
      i % 7 === 0 ? null : pick(['x', 'y', 'zz', '', 'ünï']), // b
      i % 13 === 0 ? null : (i * 37 % 101) / 4,            // c
      18000 + (i % 9),                                      // d: date32
      BigInt(i * 1000003 % 97),                             // k: int64
    ]);
  }
  return rows;
}

const T_FIELDS = [field('a', 'int32'), field('b', 'utf8'), field('c', 'float64'), field('d', 'date32'), field('k', 'int64')];
const TABLES: TableSpec[] = [
  { name: 't', fields: T_FIELDS, rows: tRows(70) },
  { name: 'u', fields: [field('a', 'int32'), field('x', 'utf8')], rows: Array.from({ length: 23 }, (_v, i) => [i % 5 === 4 ? null : (i * 3) % 10, `u${i % 4}`]) },
  { name: 'e', fields: T_FIELDS, rows: [] },
  { name: 'one', fields: [field('a', 'int32')], rows: [[3]] },
];

/** `keys`: output positions of the ORDER BY keys; `limit`: the chosen tied rows may differ, compare keys only. */
interface Case { sql: string; keys?: number[]; limit?: boolean }

const CASES: Case[] = [
  { sql: 'select b, avg(c), count(distinct a), count(*), sum(k) from t group by b' },
  { sql: 'select a, sum(k), min(d), max(b), avg(a), count(c) from t group by a' },
  { sql: 'select a, b, count(*) from t group by a, b' },
  { sql: 'select count(distinct b), count(*) from t' },
  { sql: 'select count(*), sum(c), avg(a), min(b), max(d) from e' },
  { sql: 'select count(*), sum(a), count(distinct a) from t where a > 1000' },
  { sql: 'select b, count(*) from e group by b' },
  { sql: 'select distinct b from t' },
  { sql: 'select t.a, t.b, u.x from t join u on t.a = u.a' },
  { sql: 'select t.a, u.x from t left join u on t.a = u.a' },
  { sql: 'select t.a, u.x from t right join u on t.a = u.a' },
  { sql: 'select t.a, t.b, u.a, u.x from t full join u on t.a = u.a' },
  { sql: 'select a, b from t where a in (select a from u)' },
  { sql: 'select a, b from t where not exists (select 1 from u where u.a = t.a)' },
  { sql: 'select a, b from t where a not in (select a from u)' },
  { sql: 'select a, b from t where a not in (select a from u where a is not null)' },
  { sql: 'select t.a, u.x from t left join u on t.a = u.a and t.c > u.a' },
  { sql: 'select t.a, u.a from t join u on t.a < u.a' },
  { sql: 'select t.a, u.a from t left join u on t.a > u.a + 5' },
  { sql: 'select t.a, u.a from t full join u on t.a > u.a + 5' },
  { sql: 'select one.a, u.x from one, u' },
  { sql: 'select t.a, count(*), max(u.x) from t join u on t.a = u.a group by t.a' },
  { sql: 'select count(*) from t join u on t.a = u.a join t t2 on t2.a = u.a' },
  { sql: 'select a, b, c from t order by a', keys: [0] },
  { sql: 'select a, b, c, k from t order by b desc, a nulls first, k', keys: [1, 0, 3] },
  { sql: 'select b, count(*) as n from t group by b order by n desc, b', keys: [1, 0] },
  { sql: 'select a, k from t order by a limit 7', keys: [0], limit: true },
  { sql: 'select a, b, k from t order by k desc, a limit 5 offset 3', keys: [2, 0], limit: true },
  { sql: 'select a from e order by a limit 3', keys: [0], limit: true },
  { sql: 'select a from t union all select a from u' },
  { sql: 'select a, count(*) from (select a from t union all select a from u) s group by a' },
  { sql: 'select a, b from t where c > 10 order by c, a, b, k', keys: [0, 1] },
];

function compare(actual: Cell[][], expected: Cell[][], c: Case): string | null {
  if (c.keys === undefined) return diffRows(actual, expected, false);
  const keysOf = (rows: Cell[][]) => rows.map((r) => c.keys!.map((k) => r[k]!));
  const ordered = diffRows(keysOf(actual), keysOf(expected), true);
  if (ordered !== null) return `sort keys out of order: ${ordered}`;
  return c.limit ? null : diffRows(actual, expected, false);
}

async function check(c: Case, workers: number, threshold: number): Promise<void> {
  const batchSizes = [1 + Math.floor(random() * 7), 1 + Math.floor(random() * 20)];
  const catalog = catalogOf(TABLES.map((t) => memoryTable(t, batchSizes)));
  const config = testConfig({ force_distribution: true, batch_size: 1 + Math.floor(random() * 9), broadcast_threshold: threshold });
  const plan = await singleNodePlan(c.sql, catalog, config);
  const expected = cells(await runSingle(plan, catalog, config));
  const { result } = await runDistributed(plan, catalog, config, workers, { maxConcurrentTasks: 1 + Math.floor(random() * 4), maxStreams: 1 + Math.floor(random() * 3) });
  const diff = compare(cells(result.batches), expected, c);
  expect(diff, `${c.sql}\nworkers=${workers} broadcast_threshold=${threshold} batch_size=${config.batch_size} table batches=${batchSizes}\n${diff}`).toBeNull();
}

describe('distributed = single node on in-memory tables', () => {
  for (const c of CASES) {
    it(c.sql, async () => {
      // Threshold 0: never broadcast (shuffle joins); 1 GB: broadcast wherever the join type allows.
      for (let workers = 1; workers <= 4; workers++) await check(c, workers, workers % 2 === 0 ? 0 : 1 << 30);
    });
  }
});
