/**
 * Spillway's library API.
 *
 *   const db = await Spillway.create({ tables: 'data/tpch', memoryLimit: '512MB' });
 *   const res = await db.sql('select count(*) from lineitem');
 *   res.toArrow();   // apache-arrow Table
 *   await db.close();
 */
import { availableParallelism } from 'node:os';
import type { Config } from './common/config.js';
import { loadSecurity } from './exchange/security.js';
import { Session } from './session.js';
import { createLogger, parseLogLevel } from './observe/log.js';
import type { QueryResult } from './result.js';
import type { QueryStream } from './query_stream.js';
import type { QueryOptions } from './session.js';

export interface SpillwayOptions {
  /** A folder whose `name.parquet` files and `name/` folders of Parquet files become tables. */
  tables?: string;
  /** Memory limit of the pool, bytes or text such as '256MB'; unlimited when absent. */
  memoryLimit?: number | string;
  /** Where spill files go (default $TMPDIR/spillway). */
  spillDir?: string;
  /** Rows per batch (default 8192). */
  batchSize?: number;
  /**
   * Where stages run: N embedded worker threads (default: the number of cores; the guards
   * keep small queries in this thread), ["host:port", …] `spillway worker` processes, or 0
   * for everything in this thread.
   */
  workers?: number | readonly string[];
  /** Any other setting by its SET name, e.g. { spill_compression: 'lz4' }. */
  settings?: Partial<Record<keyof Config, string | number | boolean>>;
  /**
   * Worker processes only: files holding the shared token the workers demand (default
   * SPILLWAY_TOKEN_FILE) and the TLS certificate, key and CA (PEM).
   */
  tokenFile?: string;
  tls?: { cert?: string; key?: string; ca?: string };
  /**
   * Structured logs on stderr (JSON; readable lines on a terminal) at this level and above:
   * fatal, error, warn, info, debug, trace or silent. Default: none, worker warnings as lines.
   */
  logLevel?: string;
  /**
   * Worker threads start with the session when its tables are large enough to distribute a
   * query (default true); false: when the first query that needs them runs.
   */
  startWorkersEarly?: boolean;
}

export class Spillway {
  private constructor(private readonly session: Session) {}

  static async create(options: SpillwayOptions = {}): Promise<Spillway> {
    const config: Partial<Record<keyof Config, string | number | boolean>> = { ...options.settings };
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    if (options.spillDir !== undefined) config.spill_dir = options.spillDir;
    if (options.batchSize !== undefined) config.batch_size = options.batchSize;
    const security = loadSecurity({
      tokenFile: options.tokenFile ?? (process.env.SPILLWAY_TOKEN_FILE || undefined),
      tlsCert: options.tls?.cert, tlsKey: options.tls?.key, tlsCa: options.tls?.ca,
    });
    const logger = options.logLevel !== undefined ? createLogger({ level: parseLogLevel(options.logLevel, 'logLevel'), base: { role: 'coordinator' } }) : undefined;
    const session = await Session.create({
      tables: options.tables, config, workers: options.workers ?? availableParallelism(), security, ...(logger ? { logger } : {}),
      ...(options.startWorkersEarly !== undefined ? { startWorkersEarly: options.startWorkersEarly } : {}),
    });
    return new Spillway(session);
  }

  /** Run `;`-separated statements; resolves to the last statement's result. */
  sql(text: string, options: QueryOptions = {}): Promise<QueryResult> {
    return this.session.sql(text, options);
  }

  /**
   * Like sql(), but the last statement's rows arrive as apache-arrow RecordBatches while
   * the query runs (`for await (const rb of await db.stream(…))`), never all in memory;
   * `schema` is known up front and `stats` at the end. Breaking out cancels the query.
   */
  stream(text: string, options: QueryOptions = {}): Promise<QueryStream> {
    return this.session.stream(text, options);
  }

  /** Names of the registered tables and views. */
  tables(): string[] {
    return this.session.catalog.names().sort();
  }

  /** Cancel running queries and release workers, memory and spill files. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** The underlying session (settings, catalog, executor), for tools built on Spillway. */
  get internals(): Session {
    return this.session;
  }
}

export { QueryResult } from './result.js';
export { QueryStream } from './query_stream.js';
export { SpillwayError } from './common/errors.js';
export type { Config } from './common/config.js';
export type { QueryOptions } from './session.js';
export type { QueryProgress, StageProgress, EdgeProgress } from './observe/progress.js';
export type { DataType, Field, Schema, Scalar } from './common/types.js';
