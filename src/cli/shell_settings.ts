/** The shell's output modes and settings, as flags and dot commands set them. */
import { SpillwayError } from '../common/errors.js';

export const MODES = ['table', 'csv', 'json', 'ndjson', 'line'] as const;
export type OutputMode = (typeof MODES)[number];

/** What the dot commands change. */
export interface ShellSettings {
  mode: OutputMode;
  /** Rows a table shows at most (0: all). */
  maxRows: number;
  /** The elapsed time after each result. */
  timer: boolean;
}

/** A mode name checked. */
export function parseMode(name: string, what: string): OutputMode {
  if (!(MODES as readonly string[]).includes(name)) throw new SpillwayError('config', `unknown ${what} "${name}": use ${MODES.join(', ')}`);
  return name as OutputMode;
}

/** A row limit checked: a non-negative integer (0: all rows). */
export function parseMaxRows(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new SpillwayError('config', `${what} expects a number of rows (0 for all), got "${text}"`);
  return Number(text.trim());
}
