/**
 * `spillway slt FILE... [--engine NAME] [--max-failures N] [--quiet]`
 *
 * Runs sqllogictest files, one fresh Spillway per file, and prints per file the records
 * run, passed, failed and skipped, then the first failures with their SQL. Exit code 1
 * when any record failed.
 */
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, parseArgs } from './args.js';
import { runSlt, type FileReport, type SltFailure } from '../slt/runner.js';

export const SLT_OPTIONS = {
  value: ['engine', 'max-failures', 'show', 'timeout'],
  boolean: ['quiet', 'help'],
};

const HELP = `usage: spillway slt FILE... [options]

  --engine NAME       name for skipif/onlyif conditions (default postgresql)
  --max-failures N    stop a file after N failed records
  --show N            failures printed per file (default 5)
  --timeout MS        fail a record that runs longer (default 60000; 0 = none)
  --quiet             print only the per-file summary lines and the total`;

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new SpillwayError('config', `--${name} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

export async function sltCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SLT_OPTIONS);
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  if (args.positionals.length === 0) throw new SpillwayError('config', `spillway slt needs at least one FILE\n${HELP}`);
  const quiet = hasFlag(args, 'quiet');
  const show = positiveInt('show', flag(args, 'show'), 5);
  const maxFailures = flag(args, 'max-failures');
  const out = (s: string) => process.stdout.write(s + '\n');
  const reports = await runSlt(args.positionals, {
    engine: flag(args, 'engine') ?? 'postgresql',
    maxFailures: maxFailures === undefined ? undefined : positiveInt('max-failures', maxFailures, 0),
    timeoutMs: positiveInt('timeout', flag(args, 'timeout'), 60_000),
    onFile: (r) => {
      out(summaryLine(r));
      if (!quiet) for (const f of r.failures.slice(0, show)) out(formatFailure(r.file, f));
    },
  });
  const total = reports.reduce((t, r) => ({ run: t.run + r.run, passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }),
    { run: 0, passed: 0, failed: 0, skipped: 0 });
  if (reports.length > 1) out(`total: ${total.run} run, ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${percent(total.passed, total.run)})`);
  return total.failed > 0 ? 1 : 0;
}

function percent(passed: number, run: number): string {
  return run === 0 ? 'n/a' : `${(Math.floor((passed / run) * 10000) / 100).toFixed(2)}%`;
}

export function summaryLine(r: FileReport): string {
  return `${r.file}: ${r.run} run, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${percent(r.passed, r.run)})` +
    `${r.stopped ? ' [stopped at --max-failures]' : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s`;
}

export function formatFailure(file: string, f: SltFailure): string {
  const lines = [`  FAIL ${file}:${f.line}`, ...f.sql.split('\n').map((l) => `    ${l}`)];
  if (f.error !== undefined) lines.push(`    error: ${f.error}`);
  if (f.actual !== undefined) {
    lines.push(`    expected: ${preview(f.expected)}`);
    lines.push(`    actual:   ${preview(f.actual)}`);
    if (f.actualValues !== undefined) lines.push(`    values:   ${preview(f.actualValues)}`);
  }
  return lines.join('\n');
}

function preview(values: readonly string[]): string {
  const shown = values.slice(0, 12).join(' | ');
  return values.length > 12 ? `${shown} | … (${values.length} values)` : values.length === 0 ? '(no rows)' : shown;
}
