/**
 * The shell's commands: sqlite/DuckDB-style dot commands and psql's `\d`, `\q`. They run
 * between statements, in a terminal and in piped input alike.
 */
import { readFileSync } from 'node:fs';
import { SpillwayError } from '../common/errors.js';
import { formatCell } from '../format.js';
import type { Shell } from './shell.js';
import { parseMaxRows, parseMode, MODES } from './shell_settings.js';

export const SHELL_HELP = `Statements end with ';'. Commands (one a line, between statements):
  .tables                 list the tables and views (also \\d, \\dt)
  .schema [TABLE]         the columns of TABLE, or of every table (also \\d TABLE)
  .mode MODE              output as ${MODES.join(', ')}
  .maxrows N              rows a table shows at most, the first and last (0: all)
  .timer on|off           the elapsed time after each result
  .read FILE              run the statements and commands of FILE
  .help                   this text (also \\?)
  .quit                   leave (also .exit, \\q, Ctrl-D)
Ctrl-C cancels the running query, or clears the line being typed.`;

/** Run one command line; true when it asks to quit. */
export async function runDotCommand(shell: Shell, line: string, signal?: AbortSignal): Promise<boolean> {
  const [name = '', ...args] = line.trim().split(/\s+/);
  const out = shell.io.out;
  switch (name) {
    case '.quit': case '.exit': case '\\q':
      return true;
    case '.help': case '\\?':
      out.write(SHELL_HELP + '\n');
      return false;
    case '.tables': case '\\dt':
      listTables(shell);
      return false;
    case '\\d':
      if (args.length === 0) listTables(shell); else await printSchemas(shell, args);
      return false;
    case '.schema':
      await printSchemas(shell, args.length > 0 ? args : shell.db.tables());
      return false;
    case '.mode':
      if (args.length !== 1) throw new SpillwayError('config', `.mode expects one of ${MODES.join(', ')}`);
      shell.settings.mode = parseMode(args[0]!, 'mode');
      return false;
    case '.maxrows':
      if (args.length !== 1) throw new SpillwayError('config', '.maxrows expects a number of rows (0 for all)');
      shell.settings.maxRows = parseMaxRows(args[0]!, '.maxrows');
      return false;
    case '.timer':
      if (args.length !== 1 || (args[0] !== 'on' && args[0] !== 'off')) throw new SpillwayError('config', '.timer expects on or off');
      shell.settings.timer = args[0] === 'on';
      return false;
    case '.read': {
      const file = line.trim().slice(name.length).trim();
      if (file === '') throw new SpillwayError('config', '.read expects a file name');
      let text: string;
      try { text = readFileSync(file, 'utf8'); } catch (e) {
        throw new SpillwayError('io', `cannot read SQL file "${file}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      return shell.script(text, signal);
    }
    default:
      throw new SpillwayError('config', `unknown command "${name}"; .help lists the commands`);
  }
}

function listTables(shell: Shell): void {
  const names = shell.db.tables();
  shell.io.out.write(names.length === 0 ? '(no tables)\n' : names.join('\n') + '\n');
}

/** `CREATE TABLE name(column TYPE, …);` for each table, from DESCRIBE. */
async function printSchemas(shell: Shell, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    const res = await shell.db.sql(`describe "${t.replace(/"/g, '""')}"`);
    const columns: string[] = [];
    for (const b of res.batches) {
      for (let i = 0; i < b.length; i++) columns.push(`${quoteIdent(formatCell(b.columns[0]!, i) ?? '')} ${formatCell(b.columns[1]!, i) ?? ''}`);
    }
    shell.io.out.write(`CREATE TABLE ${quoteIdent(t)}(${columns.join(', ')});\n`);
  }
}

/** An identifier as written in SQL: bare when it is a plain lower-case name. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
