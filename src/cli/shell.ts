/**
 * The shell behind `spillway sql`: input is cut into SQL statements and dot commands
 * (`.tables`, `\d t`, …) line by line, the same for a terminal, a pipe, `-f FILE` and
 * `.read FILE`, and every statement's result is printed in the current mode.
 */
import type { Spillway } from '../index.js';
import { splitStatements, tokenize } from '../sql/index.js';
import { QueryStream } from '../query_stream.js';
import type { ProgressBar } from './progress_bar.js';
import { printResult } from './print_result.js';
import { runDotCommand } from './dot_commands.js';
import type { ShellSettings } from './shell_settings.js';

/** One piece of input: a statement's text, or a command line. */
export type ShellInput = { kind: 'sql'; text: string } | { kind: 'command'; text: string };

/** A line that is a command when it starts a statement: `.name …` or `\x …`. */
function isCommand(line: string): boolean {
  return /^\s*[.\\]/.test(line);
}

/**
 * Gathers lines until they end a statement: the last token outside strings and comments
 * is `;`. A line starting with `.` or `\` between statements is a command.
 */
export class StatementReader {
  private buffer = '';

  /** What the line completes, in order (nothing while a statement is still open). */
  push(line: string): ShellInput[] {
    if (this.buffer.trim() === '' && isCommand(line)) { this.buffer = ''; return [{ kind: 'command', text: line.trim() }]; }
    this.buffer += line + '\n';
    if (!endsStatement(this.buffer)) return [];
    const text = this.buffer;
    this.buffer = '';
    return splitStatements(text).map((s) => ({ kind: 'sql', text: s.text.trim() }));
  }

  /** True while a statement has been started and not ended. */
  get open(): boolean { return this.buffer.trim() !== ''; }

  /** The statement left open at the end of the input, if any. */
  finish(): ShellInput[] {
    const text = this.buffer;
    this.buffer = '';
    return splitStatements(text).map((s) => ({ kind: 'sql', text: s.text.trim() }));
  }

  clear(): void { this.buffer = ''; }
}

function endsStatement(text: string): boolean {
  const tokens = tokenize(text);
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k]!;
    if (t.kind === 'space' || t.kind === 'comment') continue;
    return t.kind === 'punct' && t.text === ';';
  }
  return false;
}

/** Every piece of a script, in order. */
export function splitScript(text: string): ShellInput[] {
  const reader = new StatementReader();
  const out: ShellInput[] = [];
  for (const line of text.split(/\r?\n/)) out.push(...reader.push(line));
  out.push(...reader.finish());
  return out;
}

export interface ShellIo {
  out: NodeJS.WritableStream;
  /** Where notes and the timer of csv/json output go. */
  err: NodeJS.WritableStream;
  bar: ProgressBar | null;
  /** The terminal's width for tables, when there is one. */
  width: () => number | undefined;
  /**
   * Statuses (`CREATE TABLE`, `INSERT 0 2`) are not printed in csv and json output, which
   * stays data only when a script runs several statements.
   */
  quietStatus: boolean;
}

export class Shell {
  constructor(readonly db: Spillway, readonly settings: ShellSettings, readonly io: ShellIo) {}

  /** Run one statement and print its result. */
  async statement(text: string, signal?: AbortSignal): Promise<void> {
    const { bar, out, err } = this.io;
    const t0 = performance.now();
    const seconds = () => (performance.now() - t0) / 1000;
    const res = await this.db.internals.sqlStreaming(text, { ...(signal ? { signal } : {}), ...(bar ? { onProgress: bar.update } : {}) });
    const mode = this.settings.mode;
    const isStatus = !(res instanceof QueryStream) && res.status !== null;
    if (isStatus && this.io.quietStatus && mode !== 'table' && mode !== 'line') return;
    if (isStatus && mode === 'table' && this.settings.timer) { out.write(`${res.status} (${seconds().toFixed(2)} s)\n`); return; }
    const width = this.io.width();
    await printResult(res, mode, out, {
      maxRows: this.settings.maxRows,
      ...(width !== undefined ? { width } : {}),
      ...(this.settings.timer ? { seconds } : {}),
    });
    bar?.clear();
    if (this.settings.timer && mode !== 'table') err.write(`time: ${seconds().toFixed(2)} s\n`);
  }

  /** Run a dot command; true when it asks to quit. The signal cancels what it runs (.read). */
  command(line: string, signal?: AbortSignal): Promise<boolean> {
    return runDotCommand(this, line, signal);
  }

  /** Run a script's statements and commands in order; the first error stops it. */
  async script(text: string, signal?: AbortSignal): Promise<boolean> {
    for (const piece of splitScript(text)) {
      signal?.throwIfAborted();
      if (piece.kind === 'command') { if (await this.command(piece.text, signal)) return true; }
      else await this.statement(piece.text, signal);
    }
    return false;
  }
}
