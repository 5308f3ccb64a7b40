/**
 * The command line's progress bar: one line on stderr, redrawn in place, for queries that
 * run longer than `delayMs` (about a second). Only on a terminal: sql_command.ts decides
 * whether to draw it at all (never into piped output).
 *
 *   [2.3s] ███████░░░░░ 58%  s0 5/8 tasks 35.2K/60.2K rows │ s1 1/3 │ s2 0/1  spilled 1.2 MiB
 */
import type { QueryProgress } from '../observe/progress.js';

/** The bar's line for `p`, at most `width` characters. */
export function progressLine(p: QueryProgress, width = 100): string {
  const fraction = fractionDone(p);
  const cells = 12;
  const full = Math.min(cells, Math.floor(fraction * cells));
  const bar = '█'.repeat(full) + '░'.repeat(cells - full);
  const parts = [`[${(p.elapsedMs / 1000).toFixed(1)}s] ${bar} ${Math.floor(fraction * 100)}%`];
  if (p.mode === 'local') {
    const s = p.stages[0];
    if (s !== undefined && s.rowsToScan > 0) parts.push(`${count(s.rowsScanned)}/${count(s.rowsToScan)} rows scanned`);
    if (s !== undefined && s.bytesToScan > 0) parts.push(`${bytes(s.bytesScanned)}/${bytes(s.bytesToScan)}`);
  } else {
    parts.push(p.stages.map((s) => {
      let t = `s${s.stageId} ${s.tasksDone}/${s.tasks}`;
      if (s.state === 'running' && s.rowsToScan > 0) t += ` tasks ${count(s.rowsScanned)}/${count(s.rowsToScan)} rows`;
      return t;
    }).join(' │ '));
  }
  if (p.spillBytes > 0) parts.push(`spilled ${bytes(p.spillBytes)}`);
  const line = parts.join('  ');
  return line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line;
}

/** Done fraction: tasks done, plus the scanned share of the running scans. */
function fractionDone(p: QueryProgress): number {
  if (p.state !== 'running') return 1;
  let done = 0, total = 0;
  for (const s of p.stages) {
    total += s.tasks;
    done += s.tasksDone;
    if (s.tasksDone < s.tasks && s.rowsToScan > 0) done += Math.min(1, s.rowsScanned / s.rowsToScan) * (s.tasks - s.tasksDone) * 0.99;
  }
  return total === 0 ? 0 : Math.min(1, done / total);
}

function count(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}K`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Draws the line on a terminal stream; `update` is the query's onProgress. */
export class ProgressBar {
  private last: QueryProgress | null = null;
  private lastAt = 0;
  private shown = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WriteStream, private readonly delayMs = 1000) {}

  readonly update = (p: QueryProgress): void => {
    if (p.state !== 'running') { this.clear(); return; }
    if (this.last !== null && this.last.queryId !== p.queryId) this.clear();
    this.last = p;
    this.lastAt = performance.now();
    if (this.timer === null) {
      // Redrawn on a clock too, so the elapsed time moves while no figure does.
      this.timer = setInterval(() => this.draw(), 200);
      this.timer.unref();
    }
    this.draw();
  };

  private draw(): void {
    const p = this.last;
    if (p === null) return;
    const elapsedMs = p.elapsedMs + (performance.now() - this.lastAt);
    if (elapsedMs < this.delayMs) return;
    this.out.write(`\r\x1b[2K${progressLine({ ...p, elapsedMs }, Math.max(20, (this.out.columns || 100) - 1))}`);
    this.shown = true;
  }

  /** Remove the line (before the result or an error is printed). */
  clear(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
