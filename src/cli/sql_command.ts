/** `spillway sql` and `spillway explain`: run statements, print the last result, or a REPL. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Spillway } from '../index.js';
import type { QueryResult } from '../result.js';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, type ParsedArgs } from './args.js';
import { reportError } from './report_error.js';
import { toCsvChunks, toJsonChunks, toTable } from '../format.js';
import { parseWorkersFlag } from '../scheduler/distributed_executor.js';

export const SQL_OPTIONS = {
  value: ['tables', 'format', 'memory-limit', 'spill-dir', 'batch-size', 'set', 'f', 'file', 'workers'],
  boolean: ['verbose', 'help', 'timing'],
};

const HELP = `usage: spillway sql [options] ['SQL' | -f FILE]

  --tables DIR          register DIR/name.parquet and DIR/name/ folders as tables
  --format FMT          table (default), csv or json (one object per line)
  --memory-limit SIZE   memory pool limit, e.g. 512MB; buffering operators spill beyond it
  --spill-dir DIR       where spill files go (default ./spill)
  --batch-size N        rows per batch
  --workers N|LIST      N embedded worker threads (default: the number of cores), 0 for one
                        thread, or host:port,host:port of 'spillway worker' processes
  --set NAME=VALUE      any setting, as SET NAME = VALUE would
  -f, --file FILE       read the SQL from FILE
  --timing              print the elapsed time on stderr
  --verbose             print stack traces for errors`;

export async function sqlCommand(args: ParsedArgs, explain: boolean): Promise<number> {
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  const format = flag(args, 'format') ?? 'table';
  if (!['table', 'csv', 'json'].includes(format)) throw new SpillwayError('config', `unknown --format "${format}": use table, csv or json`);
  const settings: Record<string, string> = {};
  for (const s of args.flags.get('set') ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SpillwayError('config', `--set expects NAME=VALUE, got "${s}"`);
    settings[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  }
  const db = await Spillway.create({
    tables: flag(args, 'tables'),
    memoryLimit: flag(args, 'memory-limit'),
    spillDir: flag(args, 'spill-dir'),
    batchSize: flag(args, 'batch-size') !== undefined ? Number(flag(args, 'batch-size')) : undefined,
    settings,
    workers: flag(args, 'workers') !== undefined ? parseWorkersFlag(flag(args, 'workers')!) : undefined,
  });
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new SpillwayError('cancelled', 'query cancelled by Ctrl-C'));
  };
  process.on('SIGINT', onSigint);
  try {
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
      if (process.stdin.isTTY) return await repl(db, format, hasFlag(args, 'verbose'));
      text = readFileSync(0, 'utf8');
    }
    if (explain) text = `explain ${text}`;
    const t0 = performance.now();
    const res = await db.sql(text, { signal: controller.signal });
    await printResult(res, format);
    if (hasFlag(args, 'timing')) process.stderr.write(`time: ${(performance.now() - t0).toFixed(1)} ms\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await db.close();
  }
}

/**
 * Print a result on stdout. CSV and JSON go out one write per batch, waiting for 'drain'
 * whenever the stream asks to; the table (at most 1000 rows) and statuses in one write,
 * before the returned promise is first awaited.
 */
export async function printResult(res: QueryResult, format: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (res.status !== null && res.schema.fields.length === 0) { out.write(res.status + '\n'); return; }
  if (res.status !== null && format === 'table') { out.write(res.status + '\n'); return; }
  if (format === 'csv') return writeChunks(out, toCsvChunks(res.schema, res.batches));
  if (format === 'json') return writeChunks(out, toJsonChunks(res.schema, res.batches));
  out.write(toTable(res.schema, res.batches as never) + '\n');
}

async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<Uint8Array>): Promise<void> {
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!out.write(chunk) && !(await drained(out))) return;
  }
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

async function repl(db: Spillway, format: string, verbose: boolean): Promise<number> {
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
      await printResult(await db.sql(text), format);
    } catch (err) {
      reportError(err, verbose);
    }
    rl.setPrompt('spillway> ');
    rl.prompt();
  }
  return 0;
}
