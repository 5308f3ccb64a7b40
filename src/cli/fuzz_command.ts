/**
 * `spillway fuzz [--tables DIR | --generate] [--seed S] [--runs N] [--modes local,threads:3,…]
 *                [--against duckdb] [--memory-limit M]`
 *
 * Random queries (over random tables, or over the tables of DIR) run in every mode and are
 * compared with a reference: Spillway in this thread with default settings, or DuckDB. On a
 * mismatch the case is shrunk and printed as a runnable SQL script with the command that
 * replays it; exit code 1.
 */
import { randomInt } from 'node:crypto';
import { SpillwayError } from '../common/errors.js';
import {
  Differential, DuckDbEngine, SpillwayEngine, caseArb, fuzz, parseModes, reproScript, userCaseArb,
  type Engine, type FuzzReport,
} from '../testing/index.js';
import { flag, hasFlag, parseArgs } from './args.js';

export const FUZZ_OPTIONS = {
  value: ['tables', 'seed', 'runs', 'modes', 'against', 'memory-limit', 'path', 'max-rows', 'token-file'],
  boolean: ['generate', 'help', 'verbose'],
};

const HELP = `usage: spillway fuzz [--tables DIR | --generate] [options]

Runs random queries in every mode and compares each answer with a reference; on a
mismatch prints a minimal repro (a SQL script) and the command that replays it, exit 1.

  --generate            random tables: NULLs, duplicates, skew, empty tables, extreme values (default)
  --tables DIR          query the Parquet tables of DIR instead (DIR/name.parquet, DIR/name/)
  --seed S              seed of the random cases (default: random, printed)
  --runs N              cases to run (default 100)
  --modes LIST          modes compared with the reference (default local,threads:2):
                        local, threads:N (N worker threads), workers:host:port[,host:port…]
  --against duckdb      reference is DuckDB (needs @duckdb/node-api) instead of Spillway
                        in this thread with default settings
  --memory-limit M      memory limit of the modes (the reference runs without)
  --max-rows N          most rows per generated table (default 20)
  --path P              with --seed: replay the one case a mismatch report names
  --token-file FILE     shared token of worker processes`;

function nonNegativeInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new SpillwayError('config', `--${name} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

export async function fuzzCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, FUZZ_OPTIONS);
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  if (args.positionals.length > 0) throw new SpillwayError('config', `spillway fuzz takes no arguments, got "${args.positionals[0]}"`);
  const dir = flag(args, 'tables');
  if (dir !== undefined && hasFlag(args, 'generate')) throw new SpillwayError('config', '--tables and --generate exclude each other');
  const against = flag(args, 'against');
  if (against !== undefined && against !== 'duckdb') throw new SpillwayError('config', `--against supports duckdb only, got "${against}"`);
  const seedText = flag(args, 'seed');
  if (seedText !== undefined && !/^-?\d+$/.test(seedText)) throw new SpillwayError('config', `--seed expects an integer, got "${seedText}"`);
  const seed = seedText === undefined ? randomInt(1, 2 ** 31 - 1) : Number(seedText);
  const runs = nonNegativeInt('runs', flag(args, 'runs'), 100);
  const maxRows = nonNegativeInt('max-rows', flag(args, 'max-rows'), 20);
  const modesText = flag(args, 'modes') ?? 'local,threads:2';
  const modes = parseModes(modesText);
  const path = flag(args, 'path');
  const memoryLimit = flag(args, 'memory-limit');
  const tokenFile = flag(args, 'token-file');

  const opened: Engine[] = [];
  try {
    const reference: Engine = against === 'duckdb'
      ? await DuckDbEngine.open(dir)
      : await SpillwayEngine.create({ name: 'reference', workers: 0, settings: {} }, { tables: dir });
    opened.push(reference);
    const engines: SpillwayEngine[] = [];
    for (const m of modes) {
      const e = await SpillwayEngine.create(m, { tables: dir, memoryLimit, tokenFile });
      opened.push(e);
      engines.push(e);
    }
    const schemas = dir === undefined ? [] : engines[0]!.schemas();
    if (dir !== undefined && schemas.length === 0) throw new SpillwayError('config', `no Parquet tables in "${dir}"`);
    const differential = new Differential(reference, engines, schemas);
    const arbitrary = dir === undefined ? caseArb({ maxRows }) : userCaseArb();
    const refName = against === 'duckdb' ? 'DuckDB' : 'this thread with default settings';
    process.stdout.write(`fuzz: seed ${seed}, ${runs} runs, modes ${modes.map((m) => m.name).join(' ')} against ${refName}\n`);
    const report = await fuzz({
      differential, arbitrary, seed, runs, path,
      materialise: (t) => engines[0]!.tableRows(t.name),
    });
    return printReport(report, differential, { dir, modesText, against, memoryLimit, maxRows, runs });
  } finally {
    for (const e of opened) await e.close();
  }
}

function printReport(r: FuzzReport, d: Differential, o: { dir?: string; modesText: string; against?: string; memoryLimit?: string; maxRows: number; runs: number }): number {
  const perMinute = r.elapsedMs > 0 ? Math.round((r.queries / r.elapsedMs) * 60_000) : 0;
  const errors = d.referenceErrors > 0 ? ` (${d.referenceErrors} refused by every engine)` : '';
  if (r.failure === null) {
    process.stdout.write(`fuzz: ${r.runs} cases, ${r.queries} queries${errors} in ${(r.elapsedMs / 1000).toFixed(1)} s (${perMinute}/min): no mismatch\n`);
    return 0;
  }
  const f = r.failure;
  const replay = ['spillway fuzz', o.dir !== undefined ? `--tables ${o.dir}` : '--generate', `--seed ${r.seed}`, `--runs ${o.runs}`,
    ...(o.dir === undefined && o.maxRows !== 20 ? [`--max-rows ${o.maxRows}`] : []),
    `--modes ${o.modesText}`, ...(o.against ? [`--against ${o.against}`] : []), ...(o.memoryLimit ? [`--memory-limit ${o.memoryLimit}`] : []),
    ...(f.path ? [`--path ${f.path}`] : [])].join(' ');
  const engine = d.engines.find((e) => e.name === f.mismatch.engine) as SpillwayEngine | undefined;
  const mode = engine ? parseModes(engine.name)[0]! : undefined;
  const workers = mode === undefined ? '' : Array.isArray(mode.workers) ? ` --workers ${mode.workers.join(',')}` : ` --workers ${mode.workers}`;
  const run = `spillway sql${workers}${o.memoryLimit ? ` --memory-limit ${o.memoryLimit}` : ''}${f.tables === null && o.dir ? ` --tables ${o.dir}` : ''} -f repro.sql`;
  process.stdout.write(`fuzz: mismatch after ${r.queries} queries (shrunk in ${f.shrinks} steps); minimal repro:\n\n`);
  process.stdout.write(reproScript(f, { replay, run, modeSettings: mode?.settings, schemas: d.schemas }) + '\n');
  return 1;
}
