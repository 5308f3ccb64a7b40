/**
 * EXPLAIN prints each distributed join's strategy and why (the cost model's figures, or
 * what forced it), through the session: SET join_strategy, hints, and their errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';

let db: Session;

beforeAll(async () => {
  // Two worker threads are planned for; EXPLAIN never starts them.
  db = await Session.create({ workers: 2, config: { force_distribution: true, adaptive_join: false } });
  await db.sql('create table big (k int, v varchar); create table small (k int, name varchar)');
  for (let i = 0; i < 4; i++) {
    await db.sql(`insert into big select x % 10, 'v' || x from (values ${Array.from({ length: 50 }, (_v, j) => `(${i * 50 + j})`).join(', ')}) t(x)`);
    await db.sql(`insert into small values (${2 * i}, 'n${2 * i}'), (${2 * i + 1}, 'n${2 * i + 1}')`);
  }
});

afterAll(async () => { await db.close(); });

async function explain(sql: string): Promise<string> {
  return (await db.sql(`explain ${sql}`)).status ?? '';
}

const JOIN = 'select big.v, small.name from big join small on big.k = small.k';

describe('EXPLAIN shows the join strategy and the reason', () => {
  it('auto: the cost model with B, P/(N−1) and the rule that fired', async () => {
    expect(await explain(JOIN)).toMatch(/HashJoin\[inner\] on k = k build=right strategy=broadcast \(auto: B=\d+ B < P\/\(N−1\)=[\d.]+ KiB \(P=[\d.]+ KiB, N=2\)\)/);
    await db.sql('set broadcast_threshold = 10');
    try {
      expect(await explain(JOIN)).toMatch(/strategy=partitioned \(auto: B=\d+ B ≥ broadcast_threshold=10 B \(P=[\d.]+ KiB, N=2\)\)/);
    } finally {
      await db.sql("set broadcast_threshold = '10MB'");
    }
  });

  it('forced by SET join_strategy, or by a hint (which wins over SET)', async () => {
    await db.sql("set join_strategy = 'partitioned'");
    try {
      expect(await explain(JOIN)).toMatch(/strategy=partitioned \(forced by SET join_strategy\)/);
      expect(await explain(JOIN.replace('select', 'select /*+ BROADCAST(small) */'))).toMatch(/strategy=broadcast \(forced by hint BROADCAST\(small\)\)/);
      // The logical plan's physical tree (before distribution) says what is forced.
      expect(await explain(JOIN)).toMatch(/build=right forced=partitioned \(SET join_strategy\)/);
    } finally {
      await db.sql("set join_strategy = 'auto'");
    }
  });

  it('colocated: inputs already hash-partitioned on the keys', async () => {
    const sql = 'select x.k, x.c, y.c from (select k, count(*) c from big group by k) x join (select k, count(*) c from small group by k) y on x.k = y.k';
    expect(await explain(sql)).toMatch(/strategy=colocated \(auto: both inputs already hash-partitioned on the join keys\)/);
  });

  it('a strategy that cannot apply is one error line', async () => {
    await db.sql("set join_strategy = 'colocated'");
    try {
      // (Queries over in-memory tables run in this process; the distributed plan EXPLAIN shows is where it fails.)
      await expect(explain(JOIN)).rejects.toThrow(/^SET join_strategy = colocated cannot apply: neither input is already hash-partitioned on the join keys by an earlier exchange, so the join would need a shuffle$/);
    } finally {
      await db.sql("set join_strategy = 'auto'");
    }
    await expect(db.sql("set join_strategy = 'hash'")).rejects.toThrow(/invalid value "hash" for join_strategy: expected auto, broadcast, partitioned, colocated/);
  });
});
