/**
 * Smoke test of `spillway bench tpch` on the shared SF 0.01 data: the CSV holds one line per
 * measured run with the right row counts. Times are never asserted.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { benchCommand, parseQueryList, parseWorkers } from '../../src/cli/bench_command.js';
import { median, rowCountMismatches, type BenchQuery, type RunRecord } from '../../bench/tpch_bench.js';
import { SpillwayError } from '../../src/common/errors.js';

const DATA = join(import.meta.dirname, '../../../shared/data/tpch/sf0.01');
const HAVE_DATA = existsSync(join(DATA, 'lineitem.parquet'));
const HAVE_DUCKDB = await import('@duckdb/node-api').then(() => true, () => false);

const tmp = mkdtempSync(join(tmpdir(), 'spillway-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let stdout: MockInstance;
let stderr: MockInstance;
beforeEach(() => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => { stdout.mockRestore(); stderr.mockRestore(); });

function csvLines(file: string): string[][] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => l.split(','));
}

describe.skipIf(!HAVE_DATA)('benchCommand on the shared SF 0.01 data', () => {
  it('writes one CSV line per run with the row counts of the expected answers', async () => {
    const csv = join(tmp, 'spillway_only.csv');
    const code = await benchCommand(['tpch', '--data', DATA, '--queries', '6,3', '--runs', '1', '--warmup', '0', '--no-duckdb', '--no-scan', '--csv', csv]);
    expect(code).toBe(0);
    const [header, ...rows] = csvLines(csv);
    expect(header).toEqual(['query', 'engine', 'run', 'ms', 'rows']);
    expect(rows.map((r) => [r[0], r[1], r[2], r[4]])).toEqual([['q06', 'spillway', '1', '1'], ['q03', 'spillway', '1', '10']]);
    for (const r of rows) expect(Number(r[3])).toBeGreaterThan(0);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(printed).toContain('| q03 | 10 |');
    expect(printed).not.toContain('MISMATCH');
  });

  it.skipIf(!HAVE_DUCKDB)('runs DuckDB beside Spillway, the scan probes included, and the counts agree', async () => {
    const csv = join(tmp, 'both.csv');
    const code = await benchCommand(['tpch', '--data', DATA, '--queries', '14', '--runs', '2', '--warmup', '0', '--csv', csv]);
    expect(code).toBe(0);
    const rows = csvLines(csv).slice(1);
    const key = (r: string[]) => `${r[0]} ${r[1]} ${r[2]} ${r[4]}`;
    expect(rows.map(key).sort()).toEqual([
      'q14 duckdb 1 1', 'q14 duckdb 2 1', 'q14 spillway 1 1', 'q14 spillway 2 1',
      'scan_1col duckdb 1 1', 'scan_1col duckdb 2 1', 'scan_1col spillway 1 1', 'scan_1col spillway 2 1',
      'scan_q1cols duckdb 1 1', 'scan_q1cols duckdb 2 1', 'scan_q1cols spillway 1 1', 'scan_q1cols spillway 2 1',
    ]);
    expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain('DuckDB v');
  });

  it('names a missing data folder', async () => {
    await expect(benchCommand(['tpch', '--data', join(tmp, 'nope')])).rejects.toThrow(/data folder ".*nope" does not exist/);
  });
});

describe('bench arguments', () => {
  it('parses query lists and ranges', () => {
    expect(parseQueryList('1,3,5-7,q22,Q01')).toEqual([1, 3, 5, 6, 7, 22]);
    expect(() => parseQueryList('23')).toThrow(SpillwayError);
    expect(() => parseQueryList('7-5')).toThrow(/not a TPC-H query/);
    expect(() => parseQueryList(',')).toThrow(/names no query/);
  });

  it('parses --workers as a count or addresses', () => {
    expect(parseWorkers('0')).toBe(0);
    expect(parseWorkers('3')).toBe(3);
    expect(parseWorkers('a:1, b:2')).toEqual(['a:1', 'b:2']);
    expect(() => parseWorkers('a,b:2')).toThrow(/host:port/);
  });

  it('needs the benchmark name and --data', async () => {
    await expect(benchCommand([])).rejects.toThrow(/benchmark name/);
    await expect(benchCommand(['tpcds'])).rejects.toThrow(/unknown benchmark "tpcds"/);
    await expect(benchCommand(['tpch'])).rejects.toThrow(/--data/);
    await expect(benchCommand(['tpch', '--data', tmp, '--runs', '0'])).rejects.toThrow(/--runs/);
  });
});

describe('row-count checks', () => {
  const q: BenchQuery = { name: 'q05', sql: '', expectedRows: 5, probe: false };
  const run = (engine: 'spillway' | 'duckdb', rows: number, n = 1): RunRecord =>
    ({ query: 'q05', engine, run: n, ms: 1, rows, scanMs: null, peakMemoryBytes: null, ranLocally: null });

  it('accepts agreeing counts and flags each kind of disagreement', () => {
    expect(rowCountMismatches({ query: q, spillway: [run('spillway', 5)], duckdb: [run('duckdb', 5)] })).toEqual([]);
    expect(rowCountMismatches({ query: q, spillway: [run('spillway', 4)], duckdb: [run('duckdb', 5)] }))
      .toEqual(['ROW COUNT MISMATCH q05: Spillway 4 rows, DuckDB 5 rows', 'ROW COUNT MISMATCH q05: Spillway 4 rows, expected answer 5 rows']);
    expect(rowCountMismatches({ query: q, spillway: [run('spillway', 5), run('spillway', 6, 2)], duckdb: [] })[0]).toMatch(/Spillway runs returned different row counts \(5, 6\)/);
    expect(rowCountMismatches({ query: { ...q, expectedRows: null }, spillway: [run('spillway', 0)], duckdb: [] })).toEqual([]);
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
