/**
 * The adaptive switch end to end: Parquet tables in several files, two worker threads, a
 * join planned partitioned whose filtered build side turns out small. The re-planned stage
 * ships to the threads, the answer equals the single-thread one, and EXPLAIN ANALYZE
 * reports `adaptive: partitioned → broadcast (measured B=…)`.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';

let dir: string;
let db: Session;
let local: Session;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-adaptive-'));
  const writer = await Session.create();
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  for (let f = 0; f < 4; f++) {
    const nums = (n: number) => Array.from({ length: n }, (_v, i) => `(${f * n + i})`).join(', ');
    await writer.sql(`copy (select x % 500 as k, x as v from (values ${nums(750)}) t(x)) to '${join(dir, 'a', `${f}.parquet`)}' (format parquet)`);
    await writer.sql(`copy (select (x * 7) % 500 as k, x as w from (values ${nums(250)}) t(x)) to '${join(dir, 'b', `${f}.parquet`)}' (format parquet)`);
  }
  await writer.close();
  // Build side estimate: a third of b's 1000 rows (~3 KiB) is over the 2 KiB cap; measured: 20 rows.
  const settings = { force_distribution: true, broadcast_threshold: 2048 };
  db = await Session.create({ tables: dir, workers: 2, config: settings });
  local = await Session.create({ tables: dir, config: settings });
}, 60_000);

afterAll(async () => {
  await db?.close();
  await local?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sql = (x: number) => `select a.v, b.w from a join b on a.k = b.k where b.w < ${x}`;

function sorted(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

describe('adaptive join on worker threads', () => {
  it('switches to broadcast when the measured build side is small, with the single-thread answer', async () => {
    const expected = sorted((await local.sql(sql(20))).rows());
    expect(expected.length).toBeGreaterThan(0);
    expect(sorted((await db.sql(sql(20))).rows())).toEqual(expected);
    const plan = (await db.sql(`explain analyze ${sql(20)}`)).status;
    expect(plan).toMatch(/HashJoin\[inner\] on k = k build=right (?:keyFilter#\d+ )?strategy=broadcast \(adaptive: partitioned → broadcast \(measured B=\d+ B < broadcast_threshold=2\.0 KiB\); planned: auto: B=[\d.]+ KiB ≥ broadcast_threshold=2\.0 KiB \(P=[\d.]+ KiB, N=2\)\)/);
  }, 30_000);

  it('stays partitioned when the measured build side is large', async () => {
    const expected = sorted((await local.sql(sql(900))).rows());
    expect(sorted((await db.sql(sql(900))).rows())).toEqual(expected);
    const plan = (await db.sql(`explain analyze ${sql(900)}`)).status;
    expect(plan).toMatch(/strategy=partitioned \(adaptive: stayed partitioned \(measured B=[\d.]+ KiB ≥ broadcast_threshold=2\.0 KiB\); planned: auto:/);
  }, 30_000);
});
