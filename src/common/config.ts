/**
 * Settings, from one place with one precedence:
 *   defaults < config file (spillway.json) < environment (SPILLWAY_<NAME>) < CLI flags < SET.
 * Names are snake_case as in `SET batch_size = 8192`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillwayError } from './errors.js';

export type JoinStrategySetting = 'auto' | 'broadcast' | 'partitioned' | 'colocated';
export const JOIN_STRATEGIES: readonly JoinStrategySetting[] = ['auto', 'broadcast', 'partitioned', 'colocated'];

export interface Config {
  /** Rows per batch produced by scans and operators. */
  batch_size: number;
  /** Bytes the memory pool may hand out; 0 = unlimited. */
  memory_limit: number;
  /** Fraction of the limit above which spillable consumers are asked to spill. */
  memory_high_watermark: number;
  /** Fraction they spill down to. */
  memory_low_watermark: number;
  /** Where spill files go, one folder per query; by default under the OS temp folder. */
  spill_dir: string;
  /** Bytes of spill files one query may write; 0 = unlimited. */
  spill_disk_quota: number;
  spill_compression: 'none' | 'lz4';
  /** Partitions for hash exchanges and parallel operators; 0 = number of workers. */
  target_partitions: number;
  /**
   * Upper cap on the build side a join may broadcast (estimated or, adaptively, measured
   * bytes); below it the cost model decides (ARCHITECTURE.md, Join strategies). 0 = never.
   */
  broadcast_threshold: number;
  /** How hash joins are distributed: 'auto' (the cost model) or one strategy forced on every join. */
  join_strategy: JoinStrategySetting;
  /** Decide an auto join's strategy again once its build side has run and is measured (distributed/adaptive_join.ts). */
  adaptive_join: boolean;
  /**
   * A hash join with a small build side hands its keys to the Parquet scans under its probe
   * side (same task), which drop rows whose key cannot match (plan/join_key_filters.ts).
   */
  join_key_filters: boolean;
  /** Below this estimated scan size a query runs as one local task. */
  distribute_min_bytes: number;
  /**
   * Below this estimate of the bytes its scans decode (rows × row width of the columns read)
   * a query runs as one local task (distributed/guards.ts, small_work).
   */
  distribute_min_decoded_bytes: number;
  /**
   * A query whose exchanges would move more than this × the bytes its scans decode runs as
   * one local task (distributed/guards.ts, exchange_heavy); 0 = never.
   */
  distribute_max_exchange_ratio: number;
  /** Distribute even tiny inputs (tests). */
  force_distribution: boolean;
  exchange_compression: 'none' | 'lz4';
  /** Batches a reader grants a writer at once. */
  exchange_credits: number;
  /** Milliseconds any network wait may take before the query fails. */
  network_timeout_ms: number;
  heartbeat_interval_ms: number;
  /** A worker silent this long is lost: its tasks move and its outputs are recomputed. */
  worker_heartbeat_timeout_ms: number;
  /** Attempts of one task on retryable failures (worker lost, transport, resources). */
  max_task_attempts: number;
  /** Times a stage may run again because outputs it produced were lost. */
  max_stage_attempts: number;
  /** First retry delay; doubled at each further attempt. */
  retry_backoff_ms: number;
  /** A task running longer than this × its stage's median gets a speculative copy; 0 = never. */
  speculation_multiplier: number;
  /** ... and at least this long. */
  speculation_min_ms: number;
  /** A hash partition over this × the median of its exchange is split across tasks; 0 = never. */
  skew_split_factor: number;
  /** ... and over this many bytes. */
  skew_split_min_bytes: number;
  /** At most this many tasks per split partition. */
  skew_split_max_pieces: number;
  /** Run queries in this process when no listed worker can be reached (otherwise they fail). */
  local_fallback: boolean;
  /** A worker drops a query this long after the coordinator stopped renewing it. */
  query_lease_ms: number;
  /** Iterations a WITH RECURSIVE query may run its recursive term before it fails. */
  max_recursion_depth: number;
  /** S3 (names as DuckDB's): region ('' = AWS_REGION / AWS_DEFAULT_REGION, else us-east-1). */
  s3_region: string;
  /** S3-compatible endpoint, host[:port] or a URL ('' = AWS). */
  s3_endpoint: string;
  /** 'vhost' (bucket.host/key) or 'path' (host/bucket/key, most S3-compatible servers). */
  s3_url_style: 'vhost' | 'path';
  /** Static credentials; both empty = the standard AWS credential chain. */
  s3_access_key_id: string;
  s3_secret_access_key: string;
  s3_session_token: string;
  /** https (true) or http for an s3_endpoint given without a scheme. */
  s3_use_ssl: boolean;
}

export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  batch_size: 8192,
  memory_limit: 0,
  memory_high_watermark: 0.9,
  memory_low_watermark: 0.7,
  spill_dir: join(tmpdir(), 'spillway'),
  spill_disk_quota: 0,
  spill_compression: 'none',
  target_partitions: 0,
  broadcast_threshold: 10 * 1024 * 1024,
  join_strategy: 'auto',
  adaptive_join: true,
  join_key_filters: true,
  distribute_min_bytes: 1024 * 1024,
  distribute_min_decoded_bytes: 64 * 1024 * 1024,
  distribute_max_exchange_ratio: 0.25,
  force_distribution: false,
  exchange_compression: 'none',
  exchange_credits: 8,
  network_timeout_ms: 30_000,
  heartbeat_interval_ms: 1_000,
  worker_heartbeat_timeout_ms: 10_000,
  max_task_attempts: 4,
  max_stage_attempts: 4,
  retry_backoff_ms: 100,
  speculation_multiplier: 1.5,
  speculation_min_ms: 5_000,
  skew_split_factor: 5,
  skew_split_min_bytes: 16 * 1024 * 1024,
  skew_split_max_pieces: 8,
  local_fallback: false,
  query_lease_ms: 60_000,
  max_recursion_depth: 10_000,
  s3_region: '',
  s3_endpoint: '',
  s3_url_style: 'vhost',
  s3_access_key_id: '',
  s3_secret_access_key: '',
  s3_session_token: '',
  s3_use_ssl: true,
});

const UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parse "256MB", "1.5GiB", "4096" into bytes. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? (m[2] ?? '').toLowerCase() : '';
  if (!m || (unit !== '' && !(unit in UNITS))) {
    throw new SpillwayError('config', `invalid ${what} "${text}": expected a number of bytes such as 512MB or 2GB`);
  }
  return Math.floor(Number(m[1]) * (unit === '' ? 1 : UNITS[unit]!));
}

const SIZE_KEYS = new Set(['memory_limit', 'spill_disk_quota', 'broadcast_threshold', 'distribute_min_bytes', 'distribute_min_decoded_bytes', 'skew_split_min_bytes']);

/** Most partitions an exchange or a scan may have (bounds the buffers a plan can ask a worker for). */
export const MAX_PARTITIONS = 4096;

/** Allowed range of each numeric setting, and whether it must be a whole number. */
const RANGES: Partial<Record<keyof Config, { min: number; max: number; integer: boolean; minExclusive?: boolean }>> = {
  batch_size: { min: 1, max: 1 << 20, integer: true },
  memory_limit: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  memory_high_watermark: { min: 0, max: 1, integer: false, minExclusive: true },
  memory_low_watermark: { min: 0, max: 1, integer: false },
  spill_disk_quota: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  target_partitions: { min: 0, max: MAX_PARTITIONS, integer: true },
  broadcast_threshold: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  distribute_min_bytes: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  distribute_min_decoded_bytes: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  distribute_max_exchange_ratio: { min: 0, max: 1e6, integer: false },
  exchange_credits: { min: 1, max: 1024, integer: true },
  network_timeout_ms: { min: 100, max: 24 * 3600 * 1000, integer: true },
  heartbeat_interval_ms: { min: 10, max: 60_000, integer: true },
  worker_heartbeat_timeout_ms: { min: 50, max: 24 * 3600 * 1000, integer: true },
  max_task_attempts: { min: 1, max: 100, integer: true },
  max_stage_attempts: { min: 1, max: 100, integer: true },
  retry_backoff_ms: { min: 0, max: 600_000, integer: true },
  speculation_multiplier: { min: 0, max: 1000, integer: false },
  speculation_min_ms: { min: 0, max: 24 * 3600 * 1000, integer: true },
  skew_split_factor: { min: 0, max: 1e6, integer: false },
  skew_split_min_bytes: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  skew_split_max_pieces: { min: 2, max: 16, integer: true },
  query_lease_ms: { min: 100, max: 7 * 24 * 3600 * 1000, integer: true },
  max_recursion_depth: { min: 1, max: 1e9, integer: true },
};

function checkRange(key: keyof Config, text: string, v: number): void {
  const r = RANGES[key];
  if (!r) return;
  const low = r.minExclusive ? v <= r.min : v < r.min;
  if (low || v > r.max || (r.integer && !Number.isInteger(v))) {
    const kind = r.integer ? 'a whole number' : 'a number';
    const range = r.minExclusive ? `above ${r.min} and at most ${r.max}` : `from ${r.min} to ${r.max}`;
    throw new SpillwayError('config', `invalid value "${text}" for ${key}: expected ${kind} ${range}`);
  }
}

/** Set one setting from text (SET, env, CLI), validating name and value. */
export function applySetting(cfg: Config, name: string, value: string | number | boolean): void {
  const key = name.toLowerCase().replace(/-/g, '_') as keyof Config;
  if (!(key in DEFAULT_CONFIG)) {
    throw new SpillwayError('config', `unknown setting "${name}"; settings: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
  }
  const def = DEFAULT_CONFIG[key];
  const text = String(value).trim().replace(/^'(.*)'$/, '$1');
  let v: unknown;
  if (typeof def === 'number') {
    v = SIZE_KEYS.has(key) ? parseSize(text, key) : Number(text);
    if (!Number.isFinite(v as number) || (v as number) < 0) throw new SpillwayError('config', `invalid value "${text}" for ${key}: expected a non-negative number`);
    checkRange(key, text, v as number);
  } else if (typeof def === 'boolean') {
    if (!/^(true|false|on|off|1|0)$/i.test(text)) throw new SpillwayError('config', `invalid value "${text}" for ${key}: expected true or false`);
    v = /^(true|on|1)$/i.test(text);
  } else {
    v = text;
    if ((key === 'spill_compression' || key === 'exchange_compression') && text !== 'none' && text !== 'lz4') {
      throw new SpillwayError('config', `invalid value "${text}" for ${key}: expected none or lz4`);
    }
    if (key === 'join_strategy' && !(JOIN_STRATEGIES as readonly string[]).includes(text)) {
      throw new SpillwayError('config', `invalid value "${text}" for join_strategy: expected ${JOIN_STRATEGIES.join(', ')}`);
    }
    if (key === 's3_url_style' && text !== 'vhost' && text !== 'path') {
      throw new SpillwayError('config', `invalid value "${text}" for s3_url_style: expected vhost or path`);
    }
  }
  (cfg as unknown as Record<string, unknown>)[key] = v;
}

/** Defaults, then SPILLWAY_* environment variables, then the given overrides. */
export function makeConfig(overrides: Partial<Record<keyof Config, string | number | boolean>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const cfg: Config = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(DEFAULT_CONFIG)) {
    const e = env[`SPILLWAY_${key.toUpperCase()}`];
    if (e !== undefined && e !== '') applySetting(cfg, key, e);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) applySetting(cfg, k, v);
  return cfg;
}
