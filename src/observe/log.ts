/**
 * Structured logs (pino) for the coordinator and the workers, always on stderr, never in
 * result output. JSON lines, one object per event with its ids as fields (queryId, stageId,
 * task, worker …); human-readable through pino-pretty when stderr is a terminal.
 *
 *   spillway sql     --log-level LEVEL (default warn)
 *   spillway worker  --log-level LEVEL (default info; --quiet = warn)
 *   library          Spillway.create({ logLevel }) (default: warnings only, as lines)
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { SpillwayError } from '../common/errors.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A --log-level value, checked. */
export function parseLogLevel(text: string, what = '--log-level'): LogLevel {
  const t = text.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(t)) throw new SpillwayError('config', `invalid ${what} "${text}": use one of ${LOG_LEVELS.join(', ')}`);
  return t as LogLevel;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Fields on every line, e.g. { role: 'worker' }. */
  base?: Record<string, string | number>;
  /** Human-readable lines instead of JSON (default: when stderr is a terminal). */
  pretty?: boolean;
  /** Each event's message, instead of stderr (tests and embedders that keep their own log). */
  lines?: (message: string) => void;
}

export function createLogger(opts: LoggerOptions): Logger {
  const settings = {
    level: opts.level, base: { ...opts.base }, timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.lines !== undefined) {
    const lines = opts.lines;
    const stream: DestinationStream = { write: (s: string) => { lines(String((JSON.parse(s) as { msg?: unknown }).msg ?? '')); } };
    return pino(settings, stream);
  }
  // Synchronous writes: a line logged just before the process exits is not lost.
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  // pino-pretty is loaded only for a terminal.
  const stream = pretty
    ? (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty)({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
    : pino.destination({ fd: 2, sync: true });
  return pino(settings, stream);
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
