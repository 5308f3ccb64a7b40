/**
 * The `spillway` command line.
 *
 *   spillway sql [--tables DIR] [--format table|csv|json] [--memory-limit SIZE] [-f FILE | 'SQL']
 *   spillway explain [...same options] 'SQL'
 *   spillway demo
 *   spillway datagen tpch --sf N --out DIR
 *   spillway worker --port P            spillway slt FILE...            spillway bench tpch --data DIR
 *
 * User errors print one line on stderr and exit 1; a stack trace only with --verbose.
 */
import { readFileSync } from 'node:fs';
import { SpillwayError } from '../common/errors.js';
import { parseArgs } from './args.js';
import { reportError } from './report_error.js';

const USAGE = `usage: spillway <command> [options]

commands:
  sql       run SQL statements (';'-separated) and print the last result; a REPL without SQL on a terminal
  explain   print the logical and physical plans of a query
  demo      generate a small data set and run example queries on it
  datagen   generate TPC-H data as Parquet: datagen tpch --sf N --out DIR [--files-per-table K]
  worker    serve as a worker: worker --port P [--host H] [--memory-limit M] [--spill-dir D] [--metrics-port M]
  slt       run sqllogictest files: slt FILE... [--engine NAME]
  bench     benchmark TPC-H against DuckDB or another mode: bench tpch --data DIR [--queries 1,3] [--workers ...] [--against-workers W];
            join strategy sweep: bench joins --workers 1,2,3 --build-rows … --probe-rows … --out DIR
  fuzz      run random queries in several modes, compare, shrink a mismatch to a repro: fuzz [--tables DIR] [--seed S]

run 'spillway <command> --help' for the options of a command`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  try {
    switch (command) {
      // Commands load their modules on demand, so `spillway sql` does not pay for gRPC.
      case 'sql': case 'explain': {
        const { sqlCommand, SQL_OPTIONS } = await import('./sql_command.js');
        return await sqlCommand(parseArgs(rest, SQL_OPTIONS), command === 'explain');
      }
      case 'demo': return await (await import('./demo.js')).demoCommand(rest);
      case 'datagen': return await (await import('./datagen_command.js')).datagenCommand(rest);
      case 'worker': return await (await import('./worker_command.js')).workerCommand(rest);
      case 'slt': return await (await import('./slt_command.js')).sltCommand(rest);
      case 'bench': return await (await import('./bench_command.js')).benchCommand(rest);
      case 'fuzz': return await (await import('./fuzz_command.js')).fuzzCommand(rest);
      case '--version': case 'version':
        process.stdout.write(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version + '\n');
        return 0;
      case undefined: case '--help': case '-h': case 'help':
        process.stdout.write(USAGE + '\n');
        return command === undefined ? 1 : 0;
      default:
        throw new SpillwayError('config', `unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    reportError(err, verbose);
    return 1;
  }
}
