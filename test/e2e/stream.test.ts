/**
 * db.stream(): the same rows as db.sql() in one thread and over worker threads, the
 * schema up front and the figures at the end, a slow reader pausing the producer, and an
 * early exit cancelling the query without leftovers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, type Batch } from '../../src/columnar/column.js';
import { Spillway } from '../../src/index.js';
import { QueryStream } from '../../src/query_stream.js';
import { sourceNode, sourceStats } from '../helpers/source.js';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-stream-'));
  const db = await Spillway.create({ workers: 0 });
  await db.sql(`copy (select range % 97 as k, range as v from (values ${Array.from({ length: 3000 }, (_, i) => `(${i})`).join(',')}) r(range)) to '${join(dir, 't.parquet')}' (row_group_size 500)`);
  await db.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function drain(s: QueryStream): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const rb of s) {
    for (const r of rb.toArray()) rows.push([Number(r.k), Number(r.v)]);
  }
  return rows;
}

describe('db.stream', () => {
  for (const workers of [0, 2]) {
    it(`gives the rows db.sql gives, in order (workers ${workers})`, async () => {
      const spill = mkdtempSync(join(tmpdir(), 'spillway-stream-spill-'));
      const db = await Spillway.create({ workers, tables: dir, batchSize: 64, memoryLimit: '4MB', spillDir: spill, settings: { force_distribution: true } });
      try {
        const sql = 'select k, v from t where v % 3 <> 0 order by k, v desc';
        const expected = (await db.sql(sql)).rows().map((r) => r.map(Number));
        const s = await db.stream(sql);
        expect(s.schema.fields.map((f) => f.name)).toEqual(['k', 'v']);
        expect(s.stats).toBeNull();
        expect(await drain(s)).toEqual(expected);
        expect(expected.length).toBe(2000);
        expect(s.stats!.elapsedMs).toBeGreaterThan(0);
        expect(readdirSync(spill)).toEqual([]);
      } finally {
        await db.close();
        rmSync(spill, { recursive: true, force: true });
      }
    }, 60_000);
  }

  it('a reader that takes one batch and waits keeps the producer waiting too', async () => {
    const db = await Spillway.create({ workers: 0 });
    try {
      const schema = { fields: [{ name: 'x', type: 'int32' as const, nullable: false }] };
      const batches: Batch[] = Array.from({ length: 200 }, (_, i) => makeBatch(schema, [fixedColumn('int32', Int32Array.of(i))], 1));
      const source = sourceNode(batches, schema, 1, { async: true });
      const session = db.internals;
      const s = new QueryStream(schema, async (consume, signal) => (await session.runPhysical(source, { text: '', signal }, consume)).result.stats);
      const it = s.batches()[Symbol.asyncIterator]();
      expect((await it.next()).value!.length).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      // One batch with the reader, at most a couple in flight: not the 200 the source has.
      expect(sourceStats(source).pulled[0]).toBeLessThanOrEqual(4);
      let n = 1;
      for (let r = await it.next(); !r.done; r = await it.next()) n++;
      expect(n).toBe(200);
    } finally {
      await db.close();
    }
  });

  it('leaving the loop early cancels the query and removes its spill files', async () => {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-stream-stop-'));
    const db = await Spillway.create({ workers: 0, memoryLimit: '2MB', spillDir: spill, batchSize: 1024 });
    try {
      const big = Array.from({ length: 2000 }, (_, i) => `(${i})`).join(',');
      const s = await db.stream(`select a.x * 2000 + b.x as y from (values ${big}) a(x), (values ${big}) b(x) order by y`);
      let seen = 0;
      for await (const rb of s) {
        seen += rb.numRows;
        if (seen > 5000) break;
      }
      expect(seen).toBeGreaterThan(5000);
      expect(readdirSync(spill)).toEqual([]);
      expect((await db.sql('select 1 as one')).rows()).toEqual([[1]]);
    } finally {
      await db.close();
      rmSync(spill, { recursive: true, force: true });
    }
  }, 60_000);
});
