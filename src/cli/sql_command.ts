/** `spillway sql` and `spillway explain`: run a script and print each statement's result, or the shell on a terminal. */
import { readFileSync } from 'node:fs';
import { Spillway } from '../index.js';
import { copySpecFor } from '../sql/copy.js';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, portFlag, type ParsedArgs } from './args.js';
import { startMetricsServer, type HttpEndpoint } from '../observe/metrics_server.js';
import { parseLogLevel } from '../observe/log.js';
import { printResult, DEFAULT_MAX_ROWS } from './print_result.js';
import { Shell, splitScript } from './shell.js';
import { parseMaxRows, parseMode } from './shell_settings.js';
import { runRepl } from './repl.js';
import { parseWorkersFlag } from '../scheduler/distributed_executor.js';
import { ProgressBar } from './progress_bar.js';

export const SQL_OPTIONS = {
  value: ['tables', 'format', 'memory-limit', 'spill-dir', 'batch-size', 'set', 'f', 'file', 'workers', 'o', 'output', 'token-file', 'tls-cert', 'tls-key', 'tls-ca', 'metrics-port', 'log-level', 'ui', 'maxrows'],
  boolean: ['verbose', 'help', 'timing', 'no-progress'],
};

const HELP = `usage: spillway sql [options] ['SQL' | -f FILE]

Runs the statements and prints each one's result; with no SQL on a terminal, an
interactive shell (.help there lists its commands, which also work in scripts).

  --tables DIR          register DIR/name.parquet and DIR/name/ folders as tables
  --format FMT          table (default), csv, json (one array), ndjson (one object per
                        line) or line (column = value); BIGINT is a JSON number with its
                        exact digits, dates text
  --maxrows N           rows a table shows at most, the first and last (default ${DEFAULT_MAX_ROWS}; 0: all)
  --memory-limit SIZE   memory pool limit, e.g. 512MB; buffering operators spill beyond it
  --spill-dir DIR       where spill files go (default $TMPDIR/spillway)
  --batch-size N        rows per batch
  --workers N|LIST      N embedded worker threads (default: the number of cores), 0 for one
                        thread, or host:port,host:port of 'spillway worker' processes;
                        dns:NAME:PORT means every address NAME resolves to (a headless Service)
  --set NAME=VALUE      any setting, as SET NAME = VALUE would
  -f, --file FILE       read the SQL from FILE
  -o, --output FILE     write the last query's rows to FILE (.parquet, .csv, .json; as COPY … TO)
  --token-file F        token the workers demand (also SPILLWAY_TOKEN_FILE)
  --tls-ca F, --tls-cert F, --tls-key F   TLS to the workers (cert and key for mutual TLS)
  --log-level LEVEL     structured logs on stderr from this level up (default warn): fatal,
                        error, warn, info, debug, trace, silent (JSON; readable on a terminal)
  --ui PORT             serve a web page of running and recent queries (stage DAG, live
                        figures, EXPLAIN ANALYZE) and /metrics on http://127.0.0.1:PORT/
                        while the command runs (the REPL, or a long query)
  --metrics-port M      serve Prometheus metrics at http://127.0.0.1:M/metrics while it runs
  --timing              print the elapsed time on stderr
  --no-progress         no progress bar (drawn on stderr only when it is a terminal, for
                        queries running over a second)
  --verbose             print stack traces for errors

The shell keeps its history in ~/.spillway_history (SPILLWAY_HISTORY names another file).`;

const EXPLAIN_HELP = `usage: spillway explain [options] 'SQL' | -f FILE

Prints the logical plan, the physical plan and, with workers, the stage DAG of the last
statement (a query); EXPLAIN ANALYZE in the SQL runs it and adds what each operator did.

  --tables DIR          register DIR/name.parquet and DIR/name/ folders as tables
  --workers N|LIST      plan for N embedded worker threads, 0 for one thread, or host:port,…
  --memory-limit SIZE, --spill-dir DIR, --batch-size N, --set NAME=VALUE
                        settings, as for 'spillway sql'
  -f, --file FILE       read the SQL from FILE
  --token-file F, --tls-ca F, --tls-cert F, --tls-key F   reaching worker processes
  --verbose             print stack traces for errors`;

export async function sqlCommand(args: ParsedArgs, explain: boolean): Promise<number> {
  if (hasFlag(args, 'help')) { process.stdout.write((explain ? EXPLAIN_HELP : HELP) + '\n'); return 0; }
  const format = parseMode(flag(args, 'format') ?? 'table', '--format');
  const maxRows = flag(args, 'maxrows') !== undefined ? parseMaxRows(flag(args, 'maxrows')!, '--maxrows') : DEFAULT_MAX_ROWS;
  const settings: Record<string, string> = {};
  for (const s of args.flags.get('set') ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SpillwayError('config', `--set expects NAME=VALUE, got "${s}"`);
    settings[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  }
  const metricsPort = portFlag(args, 'metrics-port');
  const uiPort = portFlag(args, 'ui');
  const logLevel = parseLogLevel(flag(args, 'log-level') ?? 'warn');
  const db = await Spillway.create({
    tables: flag(args, 'tables'),
    memoryLimit: flag(args, 'memory-limit'),
    spillDir: flag(args, 'spill-dir'),
    batchSize: flag(args, 'batch-size') !== undefined ? Number(flag(args, 'batch-size')) : undefined,
    settings,
    workers: flag(args, 'workers') !== undefined ? parseWorkersFlag(flag(args, 'workers')!) : undefined,
    tokenFile: flag(args, 'token-file'),
    tls: { cert: flag(args, 'tls-cert'), key: flag(args, 'tls-key'), ca: flag(args, 'tls-ca') },
    logLevel,
    // SQL on the command line or in a file: threads start only if a statement needs them,
    // rather than beside a query the guards keep here (their start-up is CPU and memory).
    startWorkersEarly: !(args.positionals.length > 0 || flag(args, 'f') !== undefined || flag(args, 'file') !== undefined),
  });
  // Ctrl-C or SIGTERM cancels the query (spill files are removed as it unwinds); a second
  // one exits at once, removing the running queries' spill folders first.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      db.internals.removeSpillFilesNow();
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
    controller.abort(new SpillwayError('cancelled', signal === 'SIGTERM' ? 'query cancelled by SIGTERM' : 'query cancelled by Ctrl-C'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let metrics: HttpEndpoint | null = null;
  let ui: HttpEndpoint | null = null;
  // A reader that goes away (`| head`) ends the output quietly.
  let outputClosed = false;
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      outputClosed = true;
      controller.abort(new SpillwayError('cancelled', 'the output was closed'));
    } else {
      controller.abort(new SpillwayError('io', `cannot write the output: ${e.code ?? e.message}`));
    }
  };
  process.stdout.on('error', onStdoutError);
  // The bar goes to a terminal's stderr, never into output, and not when rows stream to
  // the same terminal while the query runs (csv, json).
  const bar = process.stderr.isTTY && !hasFlag(args, 'no-progress') && !(process.stdout.isTTY && format !== 'table')
    ? new ProgressBar(process.stderr) : null;
  try {
    if (metricsPort !== undefined) {
      metrics = await startMetricsServer({ port: metricsPort, source: () => db.internals.metricsText() }).catch((e: unknown) => {
        throw new SpillwayError('config', `cannot serve metrics on 127.0.0.1:${metricsPort}: ${(e as Error).message}`);
      });
    }
    if (uiPort !== undefined) {
      const { startUiServer } = await import('../ui/ui_server.js');
      ui = await startUiServer({ port: uiPort, source: db.internals }).catch((e: unknown) => {
        throw new SpillwayError('config', `cannot serve the web page on 127.0.0.1:${uiPort}: ${(e as Error).message}`);
      });
      process.stderr.write(`spillway: web page on http://${ui.address}/\n`);
    }
    const file = flag(args, 'f') ?? flag(args, 'file');
    let text: string | undefined;
    if (file !== undefined) {
      try { text = readFileSync(file, 'utf8'); } catch (e) {
        throw new SpillwayError('io', `cannot read SQL file "${file}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    } else if (args.positionals.length > 0) {
      text = args.positionals.join(' ');
    }
    const shell = (quietStatus: boolean) => new Shell(db, { mode: format, maxRows, timer: false }, {
      out: process.stdout, err: process.stderr, bar, quietStatus,
      width: () => (process.stdout.isTTY ? process.stdout.columns : undefined),
    });
    if (text === undefined) {
      if (process.stdin.isTTY) {
        // The shell handles Ctrl-C itself: it cancels the running query. No script runs
        // under the controller, so SIGTERM exits at once (removing spill files).
        process.off('SIGINT', onSignal);
        controller.abort(new SpillwayError('cancelled', 'the shell runs its own queries'));
        const s = shell(false);
        s.settings.timer = true;
        return await runRepl(s, hasFlag(args, 'verbose'));
      }
      text = readFileSync(0, 'utf8');
    }
    const output = flag(args, 'o') ?? flag(args, 'output');
    const t0 = performance.now();
    try {
      if (explain || output !== undefined) {
        // The last statement is explained, or written to the file, as one script.
        const opts = { signal: controller.signal, ...(bar ? { onProgress: bar.update } : {}) };
        // -o FILE: the last query written as COPY (query) TO 'FILE' (OVERWRITE) writes it.
        const statements = explain ? `explain ${text}` : text;
        const res = output === undefined
          ? await db.internals.sqlStreaming(statements, opts)
          : await db.internals.copyScript(statements, copySpecFor(output, { overwrite: true }), opts);
        await printResult(res, format, process.stdout, { maxRows });
      } else {
        const pieces = splitScript(text);
        if (pieces.length === 0) throw new SpillwayError('syntax', 'no SQL statement given');
        await shell(pieces.length > 1).script(text, controller.signal);
      }
    } catch (e) {
      bar?.clear();
      // The reader closed the pipe: not an error of the query.
      if (outputClosed || (e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
      throw e;
    }
    if (hasFlag(args, 'timing')) process.stderr.write(`time: ${(performance.now() - t0).toFixed(1)} ms\n`);
    return 0;
  } finally {
    bar?.clear();
    await metrics?.close();
    await ui?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await db.close();
    process.stdout.off('error', onStdoutError);
  }
}

export { printResult } from './print_result.js';
