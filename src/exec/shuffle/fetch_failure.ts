/**
 * Fetch failures: a reader could not get a finished producer's output from the worker
 * holding it (unreachable, silent past network_timeout_ms, or the output is gone there).
 * The task itself is fine; the scheduler recomputes the lost outputs and re-runs it.
 *
 * The error crosses process boundaries as a message only (RunTaskResponse.error, thread
 * replies), so the worker, stage and task are written in a fixed form that
 * parseFetchFailure reads back on the coordinator:
 *
 *   fetch failed: stage 2 task 5 output on worker 127.0.0.1:4567: <cause>
 */
import { SpillwayError } from '../../common/errors.js';
import { ExchangeError, type ExchangeTarget } from '../../exchange/transport.js';

export interface FetchFailure {
  worker: string;
  stageId: number;
  task: number;
}

const PATTERN = /fetch failed: stage (\d+) task (\d+) output on worker (\S+?): /;

/** Exchange failures that mean the output is out of reach (not that its writer failed). */
export function isFetchFailure(e: unknown): boolean {
  return e instanceof ExchangeError && (e.failure === 'unavailable' || e.failure === 'deadline_exceeded' || e.failure === 'not_found');
}

export class FetchFailedError extends SpillwayError {
  readonly fetch: FetchFailure;
  constructor(target: ExchangeTarget, cause: ExchangeError) {
    const worker = target.worker ?? 'local';
    super('remote', `fetch failed: stage ${target.stageId} task ${target.task} output on worker ${worker}: ${cause.message}`, { cause });
    this.name = 'FetchFailedError';
    this.fetch = { worker, stageId: target.stageId, task: target.task };
  }
}

/** `e` as a FetchFailedError when it is a fetch failure of `target`; otherwise `e` unchanged. */
export function asFetchFailure(target: ExchangeTarget, e: unknown): unknown {
  if (e instanceof FetchFailedError || target.worker === null || !isFetchFailure(e)) return e;
  return new FetchFailedError(target, e as ExchangeError);
}

/** The fetch failure a message (possibly prefixed) reports, or null. */
export function parseFetchFailure(message: string): FetchFailure | null {
  const m = PATTERN.exec(message);
  return m ? { stageId: Number(m[1]), task: Number(m[2]), worker: m[3]! } : null;
}
