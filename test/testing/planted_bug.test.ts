/**
 * A planted bug must shrink to a tiny repro: an engine wrapper whose COUNT(column) counts
 * NULLs (a wrong NULL rule in the aggregate) is fuzzed against Spillway; the real shrinker
 * (fast-check's, then the row reduction) must bring the case down to at most 3 rows per
 * table and one operator beyond the scan, and replaying the seed and path must give the
 * same repro.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Differential, SpillwayEngine, caseArb, fuzz, reproScript, type Engine, type FuzzReport, type SettingValues,
} from '../../src/testing/index.js';
import type { GeneratedTable } from '../../src/testing/tables.js';

/** Spillway, except that count(x) counts every row, NULL or not. */
class CountsNulls implements Engine {
  readonly name = 'counts-nulls';
  constructor(private readonly inner: SpillwayEngine) {}
  load(tables: readonly GeneratedTable[], opts?: { batchRows?: number }) { return this.inner.load(tables, opts); }
  query(sql: string, settings?: SettingValues) { return this.inner.query(sql.replace(/count\((?!\*|DISTINCT )([^()]+)\)/g, 'count(*)'), settings); }
  close() { return this.inner.close(); }
}

describe('planted bug: COUNT(column) counts NULLs', () => {
  let reference: SpillwayEngine, buggy: CountsNulls, differential: Differential;
  let report: FuzzReport;
  const seed = 3;

  beforeAll(async () => {
    reference = await SpillwayEngine.create({ name: 'reference', workers: 0, settings: {} });
    buggy = new CountsNulls(await SpillwayEngine.create({ name: 'local', workers: 0, settings: {} }));
    differential = new Differential(reference, [buggy]);
    report = await fuzz({ differential, arbitrary: caseArb(), seed, runs: 300 });
  });
  afterAll(async () => { await reference?.close(); await buggy?.close(); });

  it('is found and shrunk to ≤ 3 rows per table and one operator beyond the scan', () => {
    const f = report.failure;
    expect(f, 'the planted bug was not found').not.toBeNull();
    const sql = f!.mismatch.query.sql;
    const used = f!.tables!.filter((t) => new RegExp(`\\b${t.name}\\b`).test(sql));
    for (const t of used) expect(t.rows.length, `${t.name} in\n${reproScript(f!, { replay: '' })}`).toBeLessThanOrEqual(3);
    expect(f!.mismatch.query.operators).toEqual(['aggregate']);
    expect(sql).toMatch(/count\((?!\*)/);
    expect(f!.mismatch.engine).toBe('counts-nulls');
  });

  it('replays by seed and path to the same repro', async () => {
    const f = report.failure!;
    const again = await fuzz({ differential, arbitrary: caseArb(), seed, runs: 300, path: f.path });
    expect(again.failure).not.toBeNull();
    expect(reproScript(again.failure!, { replay: '' })).toBe(reproScript(f, { replay: '' }));
  });
});
