/** `spillway sql` and `spillway explain`: run statements, print the last result, or a REPL. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Spillway } from '../index.js';
import type { QueryResult } from '../result.js';
import { QueryStream } from '../query_stream.js';
import type { Batch } from '../columnar/column.js';
import { copySpecFor } from '../sql/copy.js';
import { copyCountResult, copyTo } from '../copy.js';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, portFlag, type ParsedArgs } from './args.js';
import { startMetricsServer, type HttpEndpoint } from '../observe/metrics_server.js';
import { parseLogLevel } from '../observe/log.js';
import { startUiServer } from '../ui/ui_server.js';
import { reportError } from './report_error.js';
import { JsonArrayWriter, toCsvChunks, toJsonArrayChunks, toJsonChunks, toTable } from '../format.js';
import { parseWorkersFlag } from '../scheduler/distributed_executor.js';
import { ProgressBar } from './progress_bar.js';

export const SQL_OPTIONS = {
  value: ['tables', 'format', 'memory-limit', 'spill-dir', 'batch-size', 'set', 'f', 'file', 'workers', 'o', 'output', 'token-file', 'tls-cert', 'tls-key', 'tls-ca', 'metrics-port', 'log-level', 'ui'],
  boolean: ['verbose', 'help', 'timing', 'no-progress'],
};

const HELP = `usage: spillway sql [options] ['SQL' | -f FILE]

  --tables DIR          register DIR/name.parquet and DIR/name/ folders as tables
  --format FMT          table (default), csv, json (one array) or ndjson (one object per
                        line); BIGINT is a JSON number with its exact digits, dates text
  --memory-limit SIZE   memory pool limit, e.g. 512MB; buffering operators spill beyond it
  --spill-dir DIR       where spill files go (default $TMPDIR/spillway)
  --batch-size N        rows per batch
  --workers N|LIST      N embedded worker threads (default: the number of cores), 0 for one
                        thread, or host:port,host:port of 'spillway worker' processes
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
  --verbose             print stack traces for errors`;

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

const FORMATS = ['table', 'csv', 'json', 'ndjson'];

export async function sqlCommand(args: ParsedArgs, explain: boolean): Promise<number> {
  if (hasFlag(args, 'help')) { process.stdout.write((explain ? EXPLAIN_HELP : HELP) + '\n'); return 0; }
  const format = flag(args, 'format') ?? 'table';
  if (!FORMATS.includes(format)) throw new SpillwayError('config', `unknown --format "${format}": use table, csv, json or ndjson`);
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
    if (text === undefined) {
      if (process.stdin.isTTY) return await repl(db, format, hasFlag(args, 'verbose'), bar);
      text = readFileSync(0, 'utf8');
    }
    if (explain) text = `explain ${text}`;
    const output = flag(args, 'o') ?? flag(args, 'output');
    const t0 = performance.now();
    try {
      const res = await db.internals.sqlStreaming(text, { signal: controller.signal, ...(bar ? { onProgress: bar.update } : {}) });
      if (output === undefined) await printResult(res, format);
      else await printResult(await writeOutput(res, output), format);
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

/** `-o FILE`: the last query's rows written as COPY … TO 'FILE' (OVERWRITE) would. */
async function writeOutput(res: QueryResult | QueryStream, output: string): Promise<QueryResult> {
  if (!(res instanceof QueryStream)) throw new SpillwayError('config', '-o needs the last statement to be a query');
  const { rows } = await copyTo(copySpecFor(output, { overwrite: true }), res.columns, res.batches());
  return copyCountResult(rows, null, res.stats);
}

/**
 * Print a result on stdout. CSV and JSON go out one write per batch as the batches arrive,
 * waiting for 'drain' whenever the stream asks to; a table keeps only its first 1000 rows
 * and counts the rest. Statuses go out in one write.
 */
export async function printResult(res: QueryResult | QueryStream, format: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (res instanceof QueryStream) return printStream(res, format, out);
  if (res.status !== null && res.schema.fields.length === 0) { out.write(res.status + '\n'); return; }
  if (res.status !== null && format === 'table') { out.write(res.status + '\n'); return; }
  if (format === 'csv') { await writeChunks(out, toCsvChunks(res.schema, res.batches)); return; }
  if (format === 'ndjson') { await writeChunks(out, toJsonChunks(res.schema, res.batches)); return; }
  if (format === 'json') { await writeChunks(out, toJsonArrayChunks(res.schema, res.batches)); return; }
  out.write(toTable(res.schema, res.batches as never) + '\n');
}

const TABLE_ROWS = 1000;

async function printStream(res: QueryStream, format: string, out: NodeJS.WritableStream): Promise<void> {
  if (format === 'table') {
    const kept: Batch[] = [];
    let keptRows = 0, total = 0;
    for await (const b of res.batches()) {
      total += b.length;
      if (keptRows < TABLE_ROWS) { kept.push(b); keptRows += b.length; }
    }
    out.write(toTable(res.columns, kept, TABLE_ROWS, total) + '\n');
    return;
  }
  let first = true;
  // json: '[' goes out with the first batch, so a query that fails prints no half array.
  const array = format === 'json' ? new JsonArrayWriter(res.columns) : null;
  for await (const b of res.batches()) {
    const chunks = format === 'csv' ? toCsvChunks(res.columns, [b], { header: first })
      : array !== null ? [...(first ? [array.start()] : []), ...array.chunks(b)] : toJsonChunks(res.columns, [b]);
    first = false;
    // The reader went away: leaving the loop cancels the query.
    if (!(await writeChunks(out, chunks))) return;
  }
  if (first && format === 'csv') await writeChunks(out, toCsvChunks(res.columns, []));
  if (array !== null) await writeChunks(out, first ? [array.start(), array.end()] : [array.end()]);
}

/** False when the stream closed before every chunk was written. */
async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<Uint8Array>): Promise<boolean> {
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!out.write(chunk) && !(await drained(out))) return false;
  }
  return true;
}

/** Resolves true on 'drain', false if the stream closes first; rejects on its error. */
function drained(out: NodeJS.WritableStream): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const done = (ok: boolean, err?: unknown) => {
      out.off('drain', onDrain); out.off('close', onClose); out.off('error', onError);
      if (err !== undefined) reject(err); else resolve(ok);
    };
    const onDrain = () => done(true), onClose = () => done(false), onError = (e: unknown) => done(false, e);
    out.on('drain', onDrain); out.on('close', onClose); out.on('error', onError);
  });
}

async function repl(db: Spillway, format: string, verbose: boolean, bar: ProgressBar | null): Promise<number> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'spillway> ' });
  process.stdout.write(`Spillway SQL. End statements with ';'. Tables: ${db.tables().join(', ') || '(none)'}. Ctrl-D quits.\n`);
  let buffer = '';
  rl.prompt();
  for await (const line of rl) {
    buffer += line + '\n';
    if (!buffer.trim().endsWith(';')) { rl.setPrompt('     ...> '); rl.prompt(); continue; }
    const text = buffer;
    buffer = '';
    try {
      await printResult(await db.internals.sqlStreaming(text, bar ? { onProgress: bar.update } : {}), format);
    } catch (err) {
      bar?.clear();
      reportError(err, verbose);
    }
    rl.setPrompt('spillway> ');
    rl.prompt();
  }
  return 0;
}
