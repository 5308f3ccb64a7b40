/**
 * `spillway bench tpch --data DIR [options]`: times the TPC-H queries on Spillway and DuckDB
 * (when installed), or on Spillway and Spillway with other workers (--against-workers), and
 * prints a Markdown table; see HELP. Progress goes to stderr, the
 * table to stdout. Exit code 1 when a query failed or row counts disagree.
 * `spillway bench joins …`: the join strategy sweep (bench/joins_bench.ts); see JOINS_HELP.
 */
import { writeFileSync } from 'node:fs';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, parseArgs } from './args.js';
import type { WorkersSpec } from '../../bench/engines.js';
import { formatCsv, formatReport } from '../../bench/report.js';
import { runTpchBench } from '../../bench/tpch_bench.js';
import { runJoinsBench, type SweepMode } from '../../bench/joins_bench.js';

export const BENCH_OPTIONS = {
  value: ['data', 'queries', 'queries-dir', 'runs', 'warmup', 'workers', 'against-workers', 'memory-limit', 'csv', 'timeout', 'build-rows', 'probe-rows', 'out', 'mode'],
  boolean: ['no-duckdb', 'no-scan', 'help', 'verbose'],
};

const JOINS_HELP = `usage: spillway bench joins --build-rows LIST --probe-rows LIST --out DIR [options]

  --workers LIST        worker counts, e.g. 1,2,3 (default 2)
  --build-rows LIST     rows of the build table(s), e.g. 10k,100k,1M
  --probe-rows LIST     rows of the probe table(s); every build × probe pair is a point
  --runs K              runs of each strategy per point (default 3)
  --out DIR             writes DIR/results.csv, DIR/time.svg, DIR/bytes.svg, DIR/index.html
  --data DIR            where the tables are written and reused (default DIR/data)
  --mode MODE           threads (default) or processes (spillway worker processes, gRPC on loopback)`;

/** "1,2,3" → [1, 2, 3]: positive integers, at least one, no repeats kept. */
export function parseCountList(name: string, text: string, min: number): number[] {
  const out: number[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(t);
    const v = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1e3 : 1e6) : NaN;
    if (!Number.isSafeInteger(v) || v < min) throw new SpillwayError('config', `--${name}: "${t}" is not an integer of at least ${min} (10k and 1M are accepted)`);
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new SpillwayError('config', `--${name} names no value`);
  return out;
}

async function joinsCommand(args: ReturnType<typeof parseArgs>): Promise<number> {
  if (hasFlag(args, 'help')) { process.stdout.write(JOINS_HELP + '\n'); return 0; }
  const required = (name: string): string => {
    const v = flag(args, name);
    if (v === undefined || v === '') throw new SpillwayError('config', `bench joins needs --${name}; see spillway bench joins --help`);
    return v;
  };
  const mode = flag(args, 'mode') ?? 'threads';
  if (mode !== 'threads' && mode !== 'processes') throw new SpillwayError('config', `--mode must be threads or processes, got "${mode}"`);
  const data = flag(args, 'data');
  const report = await runJoinsBench({
    workers: parseCountList('workers', flag(args, 'workers') ?? '2', 1),
    buildRows: parseCountList('build-rows', required('build-rows'), 1),
    probeRows: parseCountList('probe-rows', required('probe-rows'), 1),
    runs: intFlag('runs', flag(args, 'runs'), 3, 1),
    out: required('out'),
    ...(data !== undefined ? { data } : {}),
    mode: mode as SweepMode,
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(`auto picked the faster strategy in ${report.autoRight} of ${report.autoCounted} points ` +
    `(points where broadcast and partitioned differ by more than 10 %)\n`);
  for (const c of report.crossovers) {
    const fmt = (v: number | null) => (v === null ? 'none' : String(+v.toPrecision(3)));
    process.stdout.write(`crossover build/probe with ${c.workers} worker${c.workers === 1 ? '' : 's'}: model ${fmt(c.model)}, measured ${fmt(c.measured)}\n`);
  }
  process.stdout.write(`wrote ${report.files.join(', ')}\n`);
  return 0;
}

const HELP = `usage: spillway bench tpch --data DIR [options]

  --data DIR            folder of the TPC-H Parquet tables (name.parquet or name/*.parquet)
  --queries LIST        query numbers, e.g. 1,3,5-7 (default: every qNN.sql)
  --queries-dir DIR     folder of qNN.sql (default: DIR/../queries, else the shared TPC-H queries)
  --runs N              measured runs per query and engine (default 3); the median is reported
  --warmup N            unrecorded runs before them (default 1)
  --workers W           0 = embedded (default), N = N worker threads, or host:port,host:port;
                        DuckDB gets as many threads (1 when embedded)
  --against-workers W   compare with a second Spillway session with workers W (as --workers)
                        instead of DuckDB; the report adds each query's paired ratio: the median
                        [min–max] over runs of (--workers ms / --against-workers ms) of one run
  --memory-limit SIZE   memory limit for both engines, e.g. 512MB
  --timeout SECONDS     give up on a query's runs after this long (default: no limit)
  --csv FILE            write every measured run as query,engine,run,ms,rows; engine is
                        spillway, and duckdb or spillway-wW (spillway-host:port+host:port)
  --no-duckdb           time Spillway only
  --no-scan             skip the scan-only probes (scan_1col, scan_q1cols)

In every measured run both engines run back to back, the Spillway of --workers first in odd
runs and the reference first in even runs.`;

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

/** --workers (or --against-workers, `name`): "0", "N", or "host:port,host:port". */
export function parseWorkers(text: string, name = 'workers'): WorkersSpec {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const addresses = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = addresses.find((a) => !/^[^\s:]+:\d+$/.test(a));
  if (addresses.length === 0 || bad !== undefined) {
    throw new SpillwayError('config', `--${name} expects a number or host:port,host:port; got "${bad ?? text}"`);
  }
  return addresses;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BENCH_OPTIONS);
  if (hasFlag(args, 'help') && args.positionals[0] !== 'joins') { process.stdout.write(HELP + '\n'); return 0; }
  const [suite, ...extra] = args.positionals;
  if (suite === undefined) throw new SpillwayError('config', `bench needs a benchmark name: spillway bench tpch --data DIR, or spillway bench joins …`);
  if (suite !== 'tpch' && suite !== 'joins') throw new SpillwayError('config', `unknown benchmark "${suite}"; available: tpch, joins`);
  if (extra.length > 0) throw new SpillwayError('config', `unexpected argument "${extra[0]}" for bench ${suite}`);
  if (suite === 'joins') return joinsCommand(args);
  const data = flag(args, 'data');
  if (data === undefined || data === '') throw new SpillwayError('config', 'bench tpch needs --data DIR (the folder of the TPC-H Parquet tables)');
  const queriesText = flag(args, 'queries');
  const queriesDir = flag(args, 'queries-dir');
  const memoryLimit = flag(args, 'memory-limit');
  const csv = flag(args, 'csv');
  const againstText = flag(args, 'against-workers');

  const report = await runTpchBench({
    data,
    ...(queriesDir !== undefined ? { queriesDir } : {}),
    ...(queriesText !== undefined ? { queries: parseQueryList(queriesText) } : {}),
    runs: intFlag('runs', flag(args, 'runs'), 3, 1),
    warmup: intFlag('warmup', flag(args, 'warmup'), 1, 0),
    workers: parseWorkers(flag(args, 'workers') ?? '0'),
    ...(againstText !== undefined ? { againstWorkers: parseWorkers(againstText, 'against-workers') } : {}),
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
  const referenceMissing = report.referenceIsSpillway && report.referenceSkipped !== null;
  const failures = report.subjectSkipped !== null || referenceMissing || report.outcomes.some((o) => Object.keys(o.errors).length > 0);
  if (mismatches) process.stderr.write('spillway: ROW COUNT MISMATCH: see the lines marked !! above\n');
  return mismatches || failures ? 1 : 0;
}
