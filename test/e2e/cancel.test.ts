/**
 * Cancellation reaches a CPU-bound query (operators step out to the event loop, so the
 * abort is seen), the query fails with a 'cancelled' error, and no spill file remains.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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

  it('close() cancels a running query and resolves only once its spill files are gone', async () => {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-close-'));
    const db = await Spillway.create({ workers: 0, memoryLimit: '2MB', spillDir: spill, batchSize: 1024 });
    try {
      const sql = `select a.x * 3000 + b.x as y from (values ${values(3000)}) a(x), (values ${values(3000)}) b(x) order by y desc`;
      const run = db.sql(sql).then(() => null, (e: unknown) => e);
      // Wait until the sort has spilled, then close while it runs.
      for (let i = 0; i < 200 && !readdirSync(spill).some((d) => readdirSync(join(spill, d)).length > 1); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(readdirSync(spill).length).toBe(1);
      await db.close();
      expect(readdirSync(spill)).toEqual([]);
      expect(((await run) as SpillwayError).kind).toBe('cancelled');
    } finally {
      rmSync(spill, { recursive: true, force: true });
    }
  });

  it('a new session removes spill folders that a dead process left', async () => {
    const spill = mkdtempSync(join(tmpdir(), 'spillway-stale-'));
    try {
      mkdirSync(join(spill, 'crashed'));
      writeFileSync(join(spill, 'crashed', '.spillway-owner'), JSON.stringify({ pid: 2 ** 30, host: hostname() }));
      writeFileSync(join(spill, 'crashed', 'Sort_p0-1.arrow'), 'x');
      const db = await Spillway.create({ workers: 0, spillDir: spill });
      await db.close();
      expect(readdirSync(spill)).toEqual([]);
    } finally {
      rmSync(spill, { recursive: true, force: true });
    }
  });
});
