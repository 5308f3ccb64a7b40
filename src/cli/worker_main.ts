/**
 * Stand-alone entry of a worker process: `node dist/src/cli/worker_main.js --port 0 …` does
 * what `spillway worker --port 0 …` does (see worker_command.ts), without loading the rest of the CLI.
 */
import { SpillwayError } from '../common/errors.js';
import { workerCommand } from './worker_command.js';

workerCommand(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`spillway: ${err instanceof SpillwayError ? 'error' : 'internal error'}: ${message}\n`);
    process.exitCode = 1;
  },
);
