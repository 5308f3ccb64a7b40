/**
 * Smoke test of `spillway bench tpch` on the shared SF 0.01 data: the CSV holds one line per
 * measured run with the right row counts, against DuckDB and against a second Spillway
 * (--against-workers), whose runs interleave. Times are never asserted: the report's
 * statistics are tested on constructed runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { benchCommand, parseQueryList, parseWorkers } from '../../src/cli/bench_command.js';
import {
  DUCKDB_LABELS, median, rowCountMismatches, runOrder, runTpchBench, spillwayPairLabels,
  type BenchQuery, type QueryOutcome, type RunRecord, type TpchBenchReport,
} from '../../bench/tpch_bench.js';
import { formatCsv, formatReport, pairedRatioOf, slowerQueries } from '../../bench/report.js';
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
    // In the order they ran: Spillway first in run 1, DuckDB first in run 2.
    expect(rows.filter((r) => r[0] === 'q14').map((r) => `${r[1]} ${r[2]}`)).toEqual(['spillway 1', 'duckdb 1', 'duckdb 2', 'spillway 2']);
    const key = (r: string[]) => `${r[0]} ${r[1]} ${r[2]} ${r[4]}`;
    expect(rows.map(key).sort()).toEqual([
      'q14 duckdb 1 1', 'q14 duckdb 2 1', 'q14 spillway 1 1', 'q14 spillway 2 1',
      'scan_1col duckdb 1 1', 'scan_1col duckdb 2 1', 'scan_1col spillway 1 1', 'scan_1col spillway 2 1',
      'scan_q1cols duckdb 1 1', 'scan_q1cols duckdb 2 1', 'scan_q1cols spillway 1 1', 'scan_q1cols spillway 2 1',
    ]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(printed).toContain('DuckDB v');
    expect(printed).toContain('| Spillway ms | scan ms (share) | pool peak MiB | DuckDB ms | Spillway/DuckDB | paired Spillway/DuckDB |');
  });

  it('against --against-workers 0: both Spillways run every query in alternating order, and the counts agree', async () => {
    const report = await runTpchBench({
      data: DATA, queries: [6, 3], runs: 2, warmup: 0, workers: 2, againstWorkers: 0,
      duckdb: true, scanProbes: false, timeoutMs: 0,
    });
    expect(report.referenceDescription).toMatch(/^Spillway embedded/);
    expect(report.subjectDescription).toMatch(/^Spillway 2 worker threads/);
    expect(report.outcomes.map((o) => o.query.name)).toEqual(['q06', 'q03']);
    for (const o of report.outcomes) {
      expect(o.errors).toEqual({});
      expect(o.mismatches).toEqual([]);
      expect(o.subject.map((r) => [r.engine, r.run, r.rows])).toEqual([['spillway', 1, o.query.expectedRows], ['spillway', 2, o.query.expectedRows]]);
      expect(o.reference.map((r) => [r.engine, r.run, r.rows])).toEqual([['spillway-w0', 1, o.query.expectedRows], ['spillway-w0', 2, o.query.expectedRows]]);
      // Run 1: the subject started first; run 2: the reference did.
      expect(o.subject[0]!.startMs).toBeLessThan(o.reference[0]!.startMs);
      expect(o.reference[1]!.startMs).toBeLessThan(o.subject[1]!.startMs);
      // Back to back: each run starts after the one before it has ended.
      const all = [...o.subject, ...o.reference].sort((a, b) => a.startMs - b.startMs);
      for (let i = 1; i < all.length; i++) expect(all[i]!.startMs).toBeGreaterThanOrEqual(all[i - 1]!.startMs + all[i - 1]!.ms);
      expect(pairedRatioOf(o)?.pairs).toBe(2);
    }

    const text = formatReport(report);
    expect(text).toContain('| query | rows | Spillway (workers 2) ms | scan ms (share) | pool peak MiB | Spillway (workers 0) ms | w2/w0 | paired w2/w0 |');
    expect(text).toMatch(/reference: Spillway embedded/);
    expect(text).toMatch(/\| q03 [^|]*\| 10 \|( [^|]+ \|){5} \d+\.\d\d \[\d+\.\d\d–\d+\.\d\d\] \|/);
    expect(text).toMatch(/Slower by more than 10% \(paired w2\/w0 median above 1\.10\): \d of 2/);
    expect(text).not.toContain('MISMATCH');
    expect(text).not.toContain('DuckDB');
    expect(formatCsv(report).trimEnd().split('\n').map((l) => l.split(',')).map((r) => `${r[0]} ${r[1]} ${r[2]} ${r[4]}`)).toEqual([
      'query engine run rows',
      'q06 spillway 1 1', 'q06 spillway-w0 1 1', 'q06 spillway-w0 2 1', 'q06 spillway 2 1',
      'q03 spillway 1 10', 'q03 spillway-w0 1 10', 'q03 spillway-w0 2 10', 'q03 spillway 2 10',
    ]);
  });

  it('takes --against-workers from the command line, and its CSV names the reference', async () => {
    const csv = join(tmp, 'against.csv');
    const code = await benchCommand(['tpch', '--data', DATA, '--queries', '14', '--runs', '2', '--warmup', '0', '--workers', '0', '--against-workers', '0', '--no-scan', '--csv', csv]);
    expect(code).toBe(0);
    expect(csvLines(csv).slice(1).map((r) => `${r[1]} ${r[2]} ${r[4]}`)).toEqual(['spillway 1 1', 'spillway-w0 1 1', 'spillway-w0 2 1', 'spillway 2 1']);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(printed).toContain('| Spillway (workers 0) ms | w0/w0 | paired w0/w0 |');
    await expect(benchCommand(['tpch', '--data', DATA, '--against-workers', 'a,b:1'])).rejects.toThrow(/--against-workers expects a number or host:port/);
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
  const run = (engine: string, rows: number, n = 1): RunRecord =>
    ({ query: 'q05', engine, run: n, ms: 1, rows, scanMs: null, peakMemoryBytes: null, ranLocally: null, startMs: n });

  it('accepts agreeing counts and flags each kind of disagreement', () => {
    expect(rowCountMismatches({ query: q, subject: [run('spillway', 5)], reference: [run('duckdb', 5)] })).toEqual([]);
    expect(rowCountMismatches({ query: q, subject: [run('spillway', 4)], reference: [run('duckdb', 5)] }))
      .toEqual(['ROW COUNT MISMATCH q05: Spillway 4 rows, DuckDB 5 rows', 'ROW COUNT MISMATCH q05: Spillway 4 rows, expected answer 5 rows']);
    expect(rowCountMismatches({ query: q, subject: [run('spillway', 5), run('spillway', 6, 2)], reference: [] })[0]).toMatch(/Spillway runs returned different row counts \(5, 6\)/);
    expect(rowCountMismatches({ query: { ...q, expectedRows: null }, subject: [run('spillway', 0)], reference: [] })).toEqual([]);
  });

  it('names both Spillways when the reference is one, and checks the reference against the expected answer too', () => {
    const labels = spillwayPairLabels(2, 0);
    expect(rowCountMismatches({ query: q, subject: [run('spillway', 5)], reference: [run('spillway-w0', 6)] }, labels)).toEqual([
      'ROW COUNT MISMATCH q05: Spillway (workers 2) 5 rows, Spillway (workers 0) 6 rows',
      'ROW COUNT MISMATCH q05: Spillway (workers 0) 6 rows, expected answer 5 rows',
    ]);
    expect(spillwayPairLabels(['h:1', 'h:2'], 0)).toEqual({ subject: 'Spillway (workers h:1,h:2)', reference: 'Spillway (workers 0)', ratio: 'h:1+h:2/w0' });
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('paired ratios', () => {
  const run = (engine: string, n: number, ms: number): RunRecord =>
    ({ query: 'q', engine, run: n, ms, rows: 1, scanMs: null, peakMemoryBytes: null, ranLocally: null, startMs: n * 1000 });
  /** A query whose subject and reference took these ms in runs 1, 2, … */
  const outcome = (name: string, subjectMs: number[], referenceMs: number[], probe = false): QueryOutcome => ({
    query: { name, sql: '', expectedRows: 1, probe },
    subject: subjectMs.map((ms, i) => run('spillway', i + 1, ms)),
    reference: referenceMs.map((ms, i) => run('spillway-w0', i + 1, ms)),
    errors: {}, mismatches: [],
  });

  it('alternates which engine goes first', () => {
    expect([1, 2, 3, 4].map(runOrder)).toEqual([['subject', 'reference'], ['reference', 'subject'], ['subject', 'reference'], ['reference', 'subject']]);
  });

  it('is the median and range over runs of subject ms / reference ms of the same run', () => {
    // Ratios by run: 2, 0.5, 1.25 -> median 1.25; the ratio of medians (100/100 = 1) hides that.
    expect(pairedRatioOf(outcome('q01', [100, 50, 125], [50, 100, 100]))).toEqual({ median: 1.25, min: 0.5, max: 2, pairs: 3 });
    // Only runs both engines completed are paired: the reference failed after run 1.
    expect(pairedRatioOf(outcome('q01', [90, 80], [100]))).toEqual({ median: 0.9, min: 0.9, max: 0.9, pairs: 1 });
    expect(pairedRatioOf(outcome('q01', [90], []))).toBeNull();
  });

  it('lists, in the summary, the queries whose paired median is above 1.10', () => {
    const report: TpchBenchReport = {
      data: '/d', queriesDir: '/q', runs: 3, warmup: 0, labels: spillwayPairLabels(2, 0),
      subjectDescription: 'Spillway 2 worker threads', subjectSkipped: null,
      referenceDescription: 'Spillway embedded (no workers)', referenceSkipped: null, referenceIsSpillway: true,
      distributed: true, loadBefore: '0', loadAfter: '0',
      outcomes: [
        outcome('scan_1col', [200, 200, 200], [100, 100, 100], true), // a probe: not counted
        outcome('q01', [120, 115, 200], [100, 100, 100]), // paired 1.20 [1.15–2.00]: slower
        outcome('q02', [110, 110, 110], [100, 100, 100]), // paired 1.10: not above
        outcome('q03', [50, 300, 50], [100, 100, 100]), // paired 0.5: faster
        outcome('q04', [300, 130, 120], [250, 100, 100]), // paired 1.2 (ratio of medians 1.3)
      ],
    };
    report.outcomes[4]!.subject[0]!.ranLocally = 'input too small';
    expect(slowerQueries(report)).toEqual(['q01', 'q04']);
    const text = formatReport(report);
    expect(text).toContain('| q01 | 1 | 120 [115–200] | – | – | 100 [100–100] | 1.20× | 1.20 [1.15–2.00] |');
    expect(text).toContain('| q03 | 1 | 50.0 [50.0–300] | – | – | 100 [100–100] | 0.50× | 0.50 [0.50–3.00] |');
    expect(text).toContain('| q04 † | 1 | 130 [120–300] | – | – | 100 [100–250] | 1.30× | 1.20 [1.20–1.30] |');
    expect(text).toContain('Spillway (workers 2): 4 queries, sum of medians 410 ms. On the 4 queries both ran: Spillway (workers 2) 410 ms, Spillway (workers 0) 400 ms (1.02×)');
    expect(text).toContain('Slower by more than 10% (paired w2/w0 median above 1.10): 2 of 4 (q01, q04).');
    expect(text).toContain('† q04 ran in the coordinator process, not on the workers, in Spillway (workers 2): input too small');
    report.outcomes[4]!.reference[1]!.ranLocally = 'one row group';
    expect(formatReport(report)).toContain('| q04 † ‡ |');
    expect(formatReport(report)).toContain('‡ q04 ran in the coordinator process, not on the workers, in Spillway (workers 0): one row group');
    // Against DuckDB every query is slower: the list is for two Spillway modes only.
    const againstDuckDb = formatReport({ ...report, labels: DUCKDB_LABELS, referenceIsSpillway: false, outcomes: report.outcomes.slice(2, 4) });
    expect(againstDuckDb).toContain('On the 2 queries both ran: Spillway 160 ms, DuckDB 200 ms');
    expect(againstDuckDb).not.toContain('Slower by more than 10%');
  });
});
