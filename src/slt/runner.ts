/**
 * The sqllogictest runner: runs the records of .test/.slt files against a fresh Spillway
 * per file and compares results as SQLite's sqllogictest does (FORMAT.md).
 *
 *   file ─parseSlt─▶ records ─for each─▶ conditions? ─skip─▶ skipped
 *                                        statement  ─db.sql─▶ ok / error as expected?
 *                                        query      ─db.sql─▶ render ▶ sort ▶ compare
 *                                                              (lines, or count + MD5)
 *
 * Comparison: an expected block that is exactly one line "<n> values hashing to <md5>" is
 * compared by count and hash, whatever the hash-threshold (select1/4/5 were made with
 * threshold 8 but carry no hash-threshold line); any other block line by line.
 */
import { readFile } from 'node:fs/promises';
import { Spillway } from '../index.js';
import { SpillwayError, ioError } from '../common/errors.js';
import type { DataType, Scalar } from '../common/types.js';
import { parseSlt, type QueryRecord, type SltCondition, type StatementRecord } from './parser.js';
import { HASH_LINE, hashLine, hashValues, renderRows, sortValues } from './render.js';

/** What the runner needs of a database: Spillway satisfies it. */
export interface SltDatabase {
  sql(text: string, options?: { signal?: AbortSignal }): Promise<SltResult>;
  close(): Promise<void>;
}

export interface SltResult {
  readonly schema: { readonly fields: readonly { readonly name: string; readonly type: DataType }[] };
  rows(): Scalar[][];
}

export interface SltOptions {
  /** Engine name for skipif/onlyif (default 'postgresql'). */
  engine?: string;
  /** Makes the database a file runs against; called once per file (default: Spillway.create()). */
  db?: () => Promise<SltDatabase>;
  /** Stop a file after this many failed records (default: run everything). */
  maxFailures?: number;
  /**
   * The hash-threshold in force before any hash-threshold record (default 8, as the SQLite
   * corpus was made). It only decides how an actual result is shown in a failure; comparison
   * follows the expected block's shape.
   */
  hashThreshold?: number;
  /** Fail a record that runs longer than this, in ms (default 60000; 0 = no limit). */
  timeoutMs?: number;
  /** Stop a file after this many statement and query records, run or skipped (a bounded sample). */
  maxRecords?: number;
  /** Called after each file (progress reporting). */
  onFile?: (report: FileReport) => void;
}

export interface SltFailure {
  readonly line: number;
  readonly sql: string;
  readonly expected: readonly string[];
  /** The actual values (a hash line when the expected block is hashed). */
  readonly actual?: readonly string[];
  /** The first actual values, when `actual` is a hash line (for diagnosis). */
  readonly actualValues?: readonly string[];
  /** The error the record raised, or why it failed without one. */
  readonly error?: string;
}

export interface FileReport {
  readonly file: string;
  /** Records executed (statements and queries whose conditions let them run). */
  run: number;
  passed: number;
  failed: number;
  /** Records skipped by skipif/onlyif. */
  skipped: number;
  /** True when maxFailures stopped the file early. */
  stopped: boolean;
  readonly failures: SltFailure[];
  elapsedMs: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const PREVIEW_VALUES = 40;

/** Should a record with these conditions run on `engine`? */
export function conditionsAllow(conditions: readonly SltCondition[], engine: string): boolean {
  for (const c of conditions) {
    if (c.kind === 'skipif' && c.engine === engine) return false;
    if (c.kind === 'onlyif' && c.engine !== engine) return false;
  }
  return true;
}

/** Run one sqllogictest file on a fresh database. */
export async function runSltFile(path: string, opts: SltOptions = {}): Promise<FileReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw ioError(`cannot read sqllogictest file "${path}": ${(e as Error).message}`, e);
  }
  return runSltText(text, path, opts);
}

/** Run every file in order; one fresh database per file. */
export async function runSlt(paths: readonly string[], opts: SltOptions = {}): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  for (const p of paths) {
    const r = await runSltFile(p, opts);
    opts.onFile?.(r);
    reports.push(r);
  }
  return reports;
}

/** Run the records in `text` (named `file` in the report). */
export async function runSltText(text: string, file: string, opts: SltOptions = {}): Promise<FileReport> {
  const engine = (opts.engine ?? 'postgresql').toLowerCase();
  const maxFailures = opts.maxFailures ?? Infinity;
  const maxRecords = opts.maxRecords ?? Infinity;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let threshold = opts.hashThreshold ?? 8;
  const started = performance.now();
  const report: FileReport = { file, run: 0, passed: 0, failed: 0, skipped: 0, stopped: false, failures: [], elapsedMs: 0 };
  const fail = (f: SltFailure) => { report.failed++; report.failures.push(f); };
  const labels = new Map<string, { hash: string; line: number }>();
  const db = await (opts.db ?? (() => Spillway.create()))();
  try {
    for (const rec of parseSlt(text, file)) {
      if (report.failed >= maxFailures) { report.stopped = true; break; }
      if (report.run + report.skipped >= maxRecords) break;
      if (!conditionsAllow(rec.conditions, engine)) {
        if (rec.kind === 'statement' || rec.kind === 'query') report.skipped++;
        continue;
      }
      switch (rec.kind) {
        case 'halt':
          return report;
        case 'hash-threshold':
          threshold = rec.threshold;
          continue;
        case 'malformed':
          report.run++;
          fail({ line: rec.line, sql: rec.text, expected: [], error: `malformed record at ${file}:${rec.line}: ${rec.message}` });
          continue;
        case 'statement': {
          report.run++;
          const err = await runStatement(db, rec, timeoutMs);
          if (err === null) report.passed++;
          else fail({ line: rec.line, sql: rec.sql, expected: [], error: err });
          continue;
        }
        case 'query': {
          report.run++;
          const f = await runQuery(db, rec, threshold, timeoutMs, labels);
          if (f === null) report.passed++;
          else fail(f);
          continue;
        }
      }
    }
  } finally {
    report.elapsedMs = performance.now() - started;
    await db.close();
  }
  return report;
}

type Outcome = { ok: true; result: SltResult } | { ok: false; error: string };

async function execute(db: SltDatabase, sql: string, timeoutMs: number): Promise<Outcome> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = db.sql(sql, { signal: ac.signal });
    run.catch(() => {}); // after a timeout nobody awaits it
    const result = timeoutMs > 0
      ? await Promise.race([run, new Promise<never>((_, reject) => {
        timer = setTimeout(() => { ac.abort(); reject(new SpillwayError('timeout', `no answer after ${timeoutMs} ms`)); }, timeoutMs);
      })])
      : await run;
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: describeError(e) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const kind = (e as { kind?: unknown }).kind;
    if (e.name === 'SpillwayError' && typeof kind === 'string') return `${kind} error: ${e.message}`;
    return `internal error: ${e.name}: ${e.message}`;
  }
  return `internal error: ${String(e)}`;
}

/** Null when the statement behaved as expected, else why not. */
async function runStatement(db: SltDatabase, rec: StatementRecord, timeoutMs: number): Promise<string | null> {
  const out = await execute(db, rec.sql, timeoutMs);
  if (rec.expectError) {
    if (out.ok) return 'statement succeeded but an error was expected';
    return matchesPattern(out.error, rec.errorPattern);
  }
  return out.ok ? null : out.error;
}

function matchesPattern(message: string, pattern: string | null): string | null {
  if (pattern === null) return null;
  let re: RegExp;
  try { re = new RegExp(pattern); } catch { return `bad error pattern /${pattern}/`; }
  return re.test(message) ? null : `error "${message}" does not match /${pattern}/`;
}

/** Null when the query's result matches, else the failure to report. */
async function runQuery(
  db: SltDatabase, rec: QueryRecord, threshold: number, timeoutMs: number,
  labels: Map<string, { hash: string; line: number }>,
): Promise<SltFailure | null> {
  const out = await execute(db, rec.sql, timeoutMs);
  const base = { line: rec.line, sql: rec.sql, expected: rec.expected };
  if (rec.expectError) {
    if (out.ok) return { ...base, error: 'query succeeded but an error was expected' };
    const m = matchesPattern(out.error, rec.errorPattern);
    return m === null ? null : { ...base, error: m };
  }
  if (!out.ok) return { ...base, error: out.error };
  const fields = out.result.schema.fields;
  let rows: Scalar[][];
  try {
    rows = out.result.rows();
  } catch (e) {
    return { ...base, error: describeError(e) };
  }
  if (fields.length !== rec.types.length) {
    return { ...base, error: `expected ${rec.types.length} column(s) (${rec.types}), got ${fields.length}` };
  }
  const values = sortValues(renderRows(rows, rec.types, fields.map((f) => f.type)), rec.sortMode);
  const hashed = rec.expected.length === 1 && HASH_LINE.test(rec.expected[0]!);
  let failure: SltFailure | null = null;
  if (hashed) {
    const line = hashLine(values);
    if (line !== rec.expected[0]) failure = { ...base, actual: [line], actualValues: values.slice(0, PREVIEW_VALUES) };
  } else if (!sameLines(values, rec.expected)) {
    const shown = threshold > 0 && values.length > threshold && values.length > PREVIEW_VALUES
      ? [hashLine(values)] : values;
    failure = { ...base, actual: shown, actualValues: shown === values ? undefined : values.slice(0, PREVIEW_VALUES) };
  }
  if (failure !== null || rec.label === null) return failure;
  // Queries sharing a label must agree (the skipif/onlyif twins of one test).
  const hash = hashValues(values);
  const prev = labels.get(rec.label);
  if (prev === undefined) labels.set(rec.label, { hash, line: rec.line });
  else if (prev.hash !== hash) {
    return { ...base, actual: [hashLine(values)], error: `${rec.label}: result differs from the query at line ${prev.line}` };
  }
  return null;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
