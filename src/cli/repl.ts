/**
 * The interactive shell on a terminal: line editing with a history kept between runs,
 * Ctrl-C that cancels the running query (or clears the line being typed), and every
 * statement's result printed as it completes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { SpillwayError } from '../common/errors.js';
import { reportError } from './report_error.js';
import { StatementReader, type Shell } from './shell.js';

/** Lines kept in the history file. */
export const HISTORY_LINES = 1000;

/** `~/.spillway_history`, or SPILLWAY_HISTORY (empty: no history file). */
export function historyPath(): string | null {
  const env = process.env.SPILLWAY_HISTORY;
  if (env !== undefined) return env === '' ? null : env;
  return join(homedir(), '.spillway_history');
}

/** The history file's lines, newest first (as readline keeps them); none when absent. */
function loadHistory(path: string | null): string[] {
  if (path === null) return [];
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-HISTORY_LINES).reverse();
  } catch {
    return [];
  }
}

export async function runRepl(shell: Shell, verbose: boolean): Promise<number> {
  const path = historyPath();
  const rl = createInterface({
    input: process.stdin, output: process.stdout, prompt: 'spillway> ', terminal: process.stdout.isTTY === true,
    history: loadHistory(path), historySize: HISTORY_LINES, removeHistoryDuplicates: true,
  });
  let historyWarned = false;
  rl.on('history', (lines: string[]) => {
    if (path === null) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, lines.slice(0, HISTORY_LINES).reverse().join('\n') + '\n');
    } catch (e) {
      if (!historyWarned) process.stderr.write(`spillway: cannot write the history file "${path}": ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      historyWarned = true;
    }
  });
  const reader = new StatementReader();
  // The running statement's controller; Ctrl-C aborts it, or clears the line when idle.
  let running: AbortController | null = null;
  // On a terminal readline reads Ctrl-C as a key; with the output redirected it is a signal.
  const onInterrupt = () => {
    if (running !== null) { running.abort(new SpillwayError('cancelled', 'query cancelled by Ctrl-C')); return; }
    clearLine(rl);
    reader.clear();
    process.stdout.write('^C\n');
    rl.setPrompt('spillway> ');
    rl.prompt();
  };
  rl.on('SIGINT', onInterrupt);
  process.on('SIGINT', onInterrupt);
  process.stdout.write(`Spillway SQL. End statements with ';'. .help lists the commands; Ctrl-D or .quit leaves.\n`);
  let quit = false;
  try {
    rl.prompt();
    for await (const line of rl) {
      for (const piece of reader.push(line)) {
        running = new AbortController();
        try {
          if (piece.kind === 'command') quit = await shell.command(piece.text, running.signal);
          else await shell.statement(piece.text, running.signal);
        } catch (err) {
          shell.io.bar?.clear();
          reportError(err, verbose);
        } finally {
          running = null;
        }
        if (quit) break;
      }
      if (quit) break;
      rl.setPrompt(reader.open ? '     ...> ' : 'spillway> ');
      rl.prompt();
    }
  } finally {
    rl.close();
    process.off('SIGINT', onInterrupt);
  }
  // Ctrl-D leaves the cursor after the prompt.
  if (!quit) process.stdout.write('\n');
  return 0;
}

/** Forget the line being typed. */
function clearLine(rl: Interface): void {
  const editable = rl as unknown as { line: string; cursor: number };
  editable.line = '';
  editable.cursor = 0;
}
