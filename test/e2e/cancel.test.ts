/**
 * Cancellation reaches a CPU-bound query (operators step out to the event loop, so the
 * abort is seen), the query fails with a 'cancelled' error, and no spill file remains.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spillway, SpillwayError } from '../../src/index.js';

const values = (n: number) => Array.from({ length: n }, (_, i) => `(${i})`).join(',');

describe('cancellation', () => {
  it('an AbortSignal stops a long in-memory query, and the session stays usable', async () => {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-cancel-'));
    const db = await Spillway.create({ workers: 0, memoryLimit: '2MB', spillDir: spill, batchSize: 1024 });
    try {
      // A 9 M-row cross product sorted under 2 MB: long enough to be cancelled mid-way.
      const sql = `select a.x * 3000 + b.x as y from (values ${values(3000)}) a(x), (values ${values(3000)}) b(x) order by y desc`;
      const ac = new AbortController();
      const run = db.sql(sql, { signal: ac.signal });
      setTimeout(() => ac.abort(), 200);
      const err = await run.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SpillwayError);
      expect((err as SpillwayError).kind).toBe('cancelled');
      expect(readdirSync(spill)).toEqual([]);
      expect((await db.sql('select 41 + 1 as x')).rows()).toEqual([[42]]);
    } finally {
      await db.close();
      rmSync(spill, { recursive: true, force: true });
    }
  });
});
