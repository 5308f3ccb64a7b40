/**
 * Which task failures are worth another attempt, and where:
 *
 *   inputs_lost  a reader could not fetch a finished producer's output (FetchFailedError's
 *                message, or the scheduler aborted the task because a worker holding its
 *                inputs was lost) ─▶ recompute those outputs, re-run the task (stage attempts)
 *   retry        the worker was lost, a transport error or a timeout, or resources ran out
 *                on that worker ─▶ run the task again on another worker (task attempts)
 *   fatal        user errors (SQL, binding, types, missing files, settings, permissions,
 *                runtime errors such as a bad cast) and cancellation ─▶ fail the query at once
 *                with the original message: they would fail the same way anywhere
 */
import { SpillwayError } from '../common/errors.js';
import { parseFetchFailure } from '../exec/shuffle/fetch_failure.js';

export type FailureClass =
  | { kind: 'fatal' }
  | { kind: 'retry'; workerLost: boolean }
  | { kind: 'inputs_lost'; workers: string[] };

/** The scheduler gave up on a running task because outputs it reads were lost. */
export class InputsLostError extends SpillwayError {
  constructor(readonly workers: readonly string[], message: string) {
    super('remote', message);
    this.name = 'InputsLostError';
  }
}

/** No worker could take the task (all lost, or none besides the one to avoid). */
export class NoWorkerError extends SpillwayError {
  constructor(message: string) {
    super('remote', message);
    this.name = 'NoWorkerError';
  }
}

/** Kinds retried on another worker; every other kind is the user's or deterministic. */
const RETRYABLE_KINDS: ReadonlySet<string> = new Set(['resources', 'timeout', 'remote']);

function workerLostFlag(e: unknown): boolean {
  return (e as { workerLost?: unknown } | null)?.workerLost === true;
}

/** `retryable: false` marks a remote error as deterministic (refused request, bad plan). */
function notRetryable(e: unknown): boolean {
  return (e as { retryable?: unknown } | null)?.retryable === false;
}

export function classifyFailure(e: unknown): FailureClass {
  if (e instanceof InputsLostError) return { kind: 'inputs_lost', workers: [...e.workers] };
  const lost = workerLostFlag(e);
  if (e instanceof SpillwayError && e.kind === 'cancelled' && !lost) return { kind: 'fatal' };
  const message = e instanceof Error ? e.message : String(e);
  const fetch = parseFetchFailure(message);
  if (fetch !== null) return { kind: 'inputs_lost', workers: [fetch.worker] };
  if (lost) return { kind: 'retry', workerLost: true };
  if (e instanceof NoWorkerError) return { kind: 'retry', workerLost: false };
  if (notRetryable(e)) return { kind: 'fatal' };
  if (e instanceof SpillwayError && RETRYABLE_KINDS.has(e.kind)) return { kind: 'retry', workerLost: false };
  return { kind: 'fatal' };
}

/** Delay before retry `n` (1-based): base × 2^(n-1), capped at 10 s, with ±20% jitter. */
export function backoffMs(base: number, n: number): number {
  if (base <= 0) return 0;
  const d = Math.min(10_000, base * 2 ** Math.max(0, n - 1));
  return Math.round(d * (0.8 + Math.random() * 0.4));
}
