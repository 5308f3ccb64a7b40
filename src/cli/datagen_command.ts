/**
 * `spillway datagen tpch --sf N --out DIR [--files-per-table K] [--seed S] [--row-group-size R]`
 *
 * Prints a line per table as it is written (rows, files, seconds) and a total line.
 * Bad arguments are SpillwayError('config') with a one-line message.
 */
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, parseArgs } from './args.js';
import { DEFAULT_SEED, generateTpch } from '../datagen/tpch.js';

export const DATAGEN_OPTIONS = {
  value: ['sf', 'out', 'files-per-table', 'seed', 'row-group-size'],
  boolean: ['verbose', 'help'],
};

const HELP = `usage: spillway datagen tpch --sf N --out DIR [options]

  --sf N                  scale factor, at least 0.01 (SF 1: 6 M lineitem rows)
  --out DIR               output directory: DIR/<table>.parquet, or DIR/<table>/part-<k>.parquet
  --files-per-table K     split customer, part, partsupp, orders and lineitem into K files (default 1)
  --seed S                random seed, a non-negative integer (default ${DEFAULT_SEED}); same seed, same data
  --row-group-size R      rows per Parquet row group (default 122880)`;

function numberFlag(name: string, text: string | undefined, integer: boolean, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v)) || v < min) {
    const what = integer ? (min > 0 ? 'a positive integer' : 'a non-negative integer') : 'a positive number';
    throw new SpillwayError('config', `--${name} must be ${what}, got "${text}"`);
  }
  return v;
}

export async function datagenCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, DATAGEN_OPTIONS);
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  const [generator, ...extra] = args.positionals;
  if (generator === undefined) throw new SpillwayError('config', `datagen needs a generator name: spillway datagen tpch --sf N --out DIR`);
  if (generator !== 'tpch') throw new SpillwayError('config', `unknown generator "${generator}"; available: tpch`);
  if (extra.length > 0) throw new SpillwayError('config', `unexpected argument "${extra[0]}" for datagen tpch`);
  const sfText = flag(args, 'sf');
  if (sfText === undefined) throw new SpillwayError('config', 'datagen tpch needs --sf N (the scale factor, e.g. 1)');
  const out = flag(args, 'out');
  if (out === undefined || out === '') throw new SpillwayError('config', 'datagen tpch needs --out DIR (the output directory)');
  const sf = numberFlag('sf', sfText, false, Number.MIN_VALUE)!;
  const filesPerTable = numberFlag('files-per-table', flag(args, 'files-per-table'), true, 1);
  const seed = numberFlag('seed', flag(args, 'seed'), true, 0);
  const rowGroupSize = numberFlag('row-group-size', flag(args, 'row-group-size'), true, 1);

  const started = Date.now();
  const result = await generateTpch({
    sf, out, filesPerTable, seed, rowGroupSize,
    onProgress: (msg) => process.stdout.write(msg + '\n'),
  });
  const rows = result.tables.reduce((n, t) => n + t.rows, 0);
  process.stdout.write(`tpch sf ${sf}: ${rows} rows in ${result.tables.length} tables, ${((Date.now() - started) / 1000).toFixed(1)} s, in ${out}\n`);
  return 0;
}
