/**
 * `spillway bench tpch --data DIR [options]`: times the TPC-H queries on Spillway and DuckDB
 * (when installed) and prints a Markdown table; see HELP. Progress goes to stderr, the
 * table to stdout. Exit code 1 when a query failed or row counts disagree.
 */
import { writeFileSync } from 'node:fs';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, parseArgs } from './args.js';
import type { WorkersSpec } from '../../bench/engines.js';
import { formatCsv, formatReport } from '../../bench/report.js';
import { runTpchBench } from '../../bench/tpch_bench.js';

export const BENCH_OPTIONS = {
  value: ['data', 'queries', 'queries-dir', 'runs', 'warmup', 'workers', 'memory-limit', 'csv', 'timeout'],
  boolean: ['no-duckdb', 'no-scan', 'help', 'verbose'],
};

const HELP = `usage: spillway bench tpch --data DIR [options]

  --data DIR            folder of the TPC-H Parquet tables (name.parquet or name/*.parquet)
  --queries LIST        query numbers, e.g. 1,3,5-7 (default: every qNN.sql)
  --queries-dir DIR     folder of qNN.sql (default: DIR/../queries, else the shared TPC-H queries)
  --runs N              measured runs per query and engine (default 3); the median is reported
  --warmup N            unrecorded runs before them (default 1)
  --workers W           0 = embedded (default), N = N worker threads, or host:port,host:port;
                        DuckDB gets as many threads (1 when embedded)
  --memory-limit SIZE   memory limit for both engines, e.g. 512MB
  --timeout SECONDS     give up on a query's runs after this long (default: no limit)
  --csv FILE            write every measured run as query,engine,run,ms,rows
  --no-duckdb           time Spillway only
  --no-scan             skip the scan-only probes (scan_1col, scan_q1cols)`;

function intFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min) {
    throw new SpillwayError('config', `--${name} must be an integer of at least ${min}, got "${text}"`);
  }
  return v;
}

/** "1,3,5-7" or "q1,Q03" → [1, 3, 5, 6, 7]; each 1..22, in the order given, no repeats. */
export function parseQueryList(text: string): number[] {
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim().replace(/^q/i, '');
    if (part === '') continue;
    const m = /^(\d+)(?:-q?(\d+))?$/i.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 22 || hi < lo) {
      throw new SpillwayError('config', `--queries: "${raw.trim()}" is not a TPC-H query number (1-22) or range (e.g. 5-7)`);
    }
    for (let q = lo; q <= hi; q++) if (!out.includes(q)) out.push(q);
  }
  if (out.length === 0) throw new SpillwayError('config', '--queries names no query');
  return out;
}

/** --workers: "0", "N", or "host:port,host:port". */
export function parseWorkers(text: string): WorkersSpec {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const addresses = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = addresses.find((a) => !/^[^\s:]+:\d+$/.test(a));
  if (addresses.length === 0 || bad !== undefined) {
    throw new SpillwayError('config', `--workers expects a number or host:port,host:port; got "${bad ?? text}"`);
  }
  return addresses;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BENCH_OPTIONS);
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  const [suite, ...extra] = args.positionals;
  if (suite === undefined) throw new SpillwayError('config', `bench needs a benchmark name: spillway bench tpch --data DIR`);
  if (suite !== 'tpch') throw new SpillwayError('config', `unknown benchmark "${suite}"; available: tpch`);
  if (extra.length > 0) throw new SpillwayError('config', `unexpected argument "${extra[0]}" for bench tpch`);
  const data = flag(args, 'data');
  if (data === undefined || data === '') throw new SpillwayError('config', 'bench tpch needs --data DIR (the folder of the TPC-H Parquet tables)');
  const queriesText = flag(args, 'queries');
  const queriesDir = flag(args, 'queries-dir');
  const memoryLimit = flag(args, 'memory-limit');
  const csv = flag(args, 'csv');

  const report = await runTpchBench({
    data,
    ...(queriesDir !== undefined ? { queriesDir } : {}),
    ...(queriesText !== undefined ? { queries: parseQueryList(queriesText) } : {}),
    runs: intFlag('runs', flag(args, 'runs'), 3, 1),
    warmup: intFlag('warmup', flag(args, 'warmup'), 1, 0),
    workers: parseWorkers(flag(args, 'workers') ?? '0'),
    ...(memoryLimit !== undefined ? { memoryLimit } : {}),
    duckdb: !hasFlag(args, 'no-duckdb'),
    scanProbes: !hasFlag(args, 'no-scan'),
    timeoutMs: intFlag('timeout', flag(args, 'timeout'), 0, 0) * 1000,
    log: (line) => process.stderr.write(line + '\n'),
  });

  process.stdout.write(formatReport(report));
  if (csv !== undefined) {
    try {
      writeFileSync(csv, formatCsv(report));
    } catch (e) {
      throw new SpillwayError('io', `cannot write CSV file "${csv}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const mismatches = report.outcomes.some((o) => o.mismatches.length > 0);
  const failures = report.spillwaySkipped !== null || report.outcomes.some((o) => Object.keys(o.errors).length > 0);
  if (mismatches) process.stderr.write('spillway: ROW COUNT MISMATCH: see the lines marked !! above\n');
  return mismatches || failures ? 1 : 0;
}
