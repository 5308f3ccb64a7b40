/** One line on stderr for an error: the message of a user error, a stack trace only with --verbose. */
import { SpillwayError } from '../common/errors.js';

export function reportError(err: unknown, verbose: boolean): void {
  if (err instanceof SpillwayError) {
    process.stderr.write(`spillway: error: ${err.message}\n`);
    if (verbose && err.stack) process.stderr.write(err.stack + '\n');
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`spillway: internal error: ${e.message}${verbose ? '' : ' (run with --verbose for details)'}\n`);
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
  }
}
