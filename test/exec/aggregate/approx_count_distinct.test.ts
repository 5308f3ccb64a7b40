/**
 * approx_count_distinct (HyperLogLog, hll.ts): the error bound on 100k distinct values, in
 * one thread and across worker threads (partial sketches merged by the final aggregate);
 * merged sketches equal the sketch of the whole input; small counts are (nearly) exact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../../src/index.js';
import { fixedColumn, utf8Column } from '../../../src/columnar/column.js';
import { batchFromRows } from '../../../src/columnar/kernels.js';
import { field, schema, type Scalar } from '../../../src/common/types.js';
import { writeParquet } from '../../../src/storage/parquet_writer.js';
import { HllAccumulator } from '../../../src/exec/aggregate/hll.js';

const N = 100_000;

describe('approx_count_distinct', () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-hll-'));
    const sch = schema([field('v', 'int64'), field('s', 'utf8'), field('g', 'int32')]);
    const rows: Scalar[][] = [];
    // v: N distinct values, each twice (duplicates must not count); s: N / 2 distinct strings.
    for (let i = 0; i < 2 * N; i++) {
      const k = i % N;
      rows.push([BigInt(k) * 7919n, `key-${k % (N / 2)}`, k % 10 === 0 ? null : k % 7]);
    }
    const batches = [];
    for (let i = 0; i < rows.length; i += 50_000) batches.push(batchFromRows(sch, rows.slice(i, i + 50_000)));
    await writeParquet(join(dir, 't.parquet'), batches, sch, { rowGroupSize: 25_000 });
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const mode of [
    { name: 'one thread, 2 MB memory limit', workers: 0, force: false, memory: 2 << 20 },
    { name: '2 worker threads, 4 MB memory limit', workers: 2, force: true, memory: 4 << 20 },
  ]) {
    it(`is within 5% of the exact count on 100k values (${mode.name})`, async () => {
      const db = await Spillway.create({ tables: dir, workers: mode.workers, settings: { force_distribution: mode.force, memory_limit: mode.memory } });
      try {
        const [row] = (await db.sql('select approx_count_distinct(v), approx_count_distinct(s), approx_count_distinct(null::int) from t')).rows();
        const [v, s, none] = row!.map(Number);
        expect(Math.abs(v! - N) / N).toBeLessThan(0.05);
        expect(Math.abs(s! - N / 2) / (N / 2)).toBeLessThan(0.05);
        expect(none).toBe(0);
        // Per group: 7 groups of ~13k distinct values each, and the NULL group.
        const groups = (await db.sql('select g, approx_count_distinct(v), count(distinct v) from t group by g')).rows();
        expect(groups.length).toBe(8);
        for (const [, approx, exact] of groups) expect(Math.abs(Number(approx) - Number(exact)) / Number(exact)).toBeLessThan(0.05);
        // 5,000 small groups (sparse sketches): partial states are merged (and spilled under
        // the limit); small counts stay within one or two.
        const small = (await db.sql('select v % 5000, approx_count_distinct(s), count(distinct s) from t group by v % 5000')).rows();
        expect(small.length).toBe(5000);
        for (const [, approx, exact] of small) expect(Math.abs(Number(approx) - Number(exact))).toBeLessThanOrEqual(2);
      } finally {
        await db.close();
      }
    }, 120_000);
  }

  it('merged partial sketches equal the sketch of the whole input (sparse and dense states alike)', () => {
    // Group 0 stays sparse (a few values), groups 1 and 2 turn dense; the split point puts
    // sparse and dense states of the same group on either side.
    const values = Array.from({ length: 6000 }, (_v, i) => `v${i % 3777}`);
    const gids = new Int32Array(values.length).map((_g, i) => (i % 50 === 0 ? 0 : 1 + (i % 2)));
    const whole = new HllAccumulator();
    whole.ensure(3);
    whole.update(gids, values.length, utf8Column(values));
    for (const split of [150, 2000, 5900]) {
      const left = new HllAccumulator(), right = new HllAccumulator(), merged = new HllAccumulator();
      for (const a of [left, right, merged]) a.ensure(3);
      left.update(gids.subarray(0, split), split, utf8Column(values.slice(0, split)));
      right.update(gids.subarray(split), values.length - split, utf8Column(values.slice(split)));
      const three = new Int32Array([0, 1, 2]);
      merged.merge(three, 3, right.state(0, 3));
      merged.merge(three, 3, left.state(0, 3));
      expect(merged.result(0, 3)).toEqual(whole.result(0, 3));
    }
  });

  it('a group stays sparse (bytes per value) until it has 256 registers', () => {
    const groups = 10_000;
    const acc = new HllAccumulator();
    acc.ensure(groups);
    const gids = new Int32Array(3 * groups).map((_g, i) => i % groups);
    acc.update(gids, gids.length, fixedColumn('int32', new Int32Array(gids.length).map((_v, i) => i)));
    expect(acc.memoryBytes()).toBeLessThan(groups * 64);
    const [state] = acc.state(0, 1);
    expect(state!.type === 'utf8' ? state!.offsets[1] : -1).toBe(1 + 3 * 3);
  });

  it('counts small sets exactly, skips NULLs, and gives 0 for a group without values', () => {
    const acc = new HllAccumulator();
    acc.ensure(2);
    const vals = fixedColumn('int32', new Int32Array([5, 5, 6, 7, 8, 9]), new Uint8Array([1, 1, 1, 1, 1, 0]));
    acc.update(new Int32Array(6), 6, vals);
    const out = acc.result(0, 2);
    expect(out.type === 'int64' ? [...out.values] : out).toEqual([4n, 0n]);
  });
});
