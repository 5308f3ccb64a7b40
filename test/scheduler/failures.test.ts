import { describe, expect, it } from 'vitest';
import { SpillwayError, type ErrorKind } from '../../src/common/errors.js';
import { ExchangeError } from '../../src/exchange/transport.js';
import { asFetchFailure, FetchFailedError, parseFetchFailure } from '../../src/exec/shuffle/fetch_failure.js';
import { backoffMs, classifyFailure, InputsLostError, NoWorkerError } from '../../src/scheduler/failures.js';
import { WorkerCallError } from '../../src/scheduler/worker_client.js';

const target = { queryId: 'q', stageId: 2, task: 5, partition: 1, worker: '127.0.0.1:4567', compression: 'none' as const };

describe('classifyFailure', () => {
  it('fails user errors and cancellation at once', () => {
    for (const kind of ['syntax', 'binder', 'type', 'unsupported', 'io', 'execution', 'config', 'cancelled'] as ErrorKind[]) {
      expect(classifyFailure(new SpillwayError(kind, 'x')).kind, kind).toBe('fatal');
      expect(classifyFailure(new WorkerCallError(kind, 'x', false)).kind, kind).toBe('fatal');
    }
    expect(classifyFailure(new Error('a bug')).kind).toBe('fatal');
    const refused = new WorkerCallError('remote', 'worker a:1 (RunTask): malformed task request', false);
    refused.retryable = false;
    expect(classifyFailure(refused).kind).toBe('fatal');
  });

  it('retries lost workers, transport errors, timeouts and resources elsewhere', () => {
    expect(classifyFailure(new WorkerCallError('remote', 'worker a:1 is unreachable', true))).toEqual({ kind: 'retry', workerLost: true });
    // A worker shutting down cancels its tasks: the worker, not the query, went away.
    expect(classifyFailure(new WorkerCallError('cancelled', 'worker a:1: shutting down', true))).toEqual({ kind: 'retry', workerLost: true });
    expect(classifyFailure(new SpillwayError('resources', 'memory exhausted'))).toEqual({ kind: 'retry', workerLost: false });
    expect(classifyFailure(new SpillwayError('timeout', 'deadline'))).toEqual({ kind: 'retry', workerLost: false });
    expect(classifyFailure(new NoWorkerError('no healthy worker'))).toEqual({ kind: 'retry', workerLost: false });
  });

  it('recognises fetch failures, also from their message after crossing a process boundary', () => {
    const f = asFetchFailure(target, new ExchangeError('unavailable', 'connection refused'));
    expect(f).toBeInstanceOf(FetchFailedError);
    const message = (f as Error).message;
    expect(parseFetchFailure(message)).toEqual({ worker: '127.0.0.1:4567', stageId: 2, task: 5 });
    expect(classifyFailure(new WorkerCallError('remote', message, false))).toEqual({ kind: 'inputs_lost', workers: ['127.0.0.1:4567'] });
    expect(classifyFailure(new InputsLostError(['w:1'], 'gone'))).toEqual({ kind: 'inputs_lost', workers: ['w:1'] });
    // A writer that failed is not a fetch failure: its error is the task's.
    const writer = new ExchangeError('writer_failed', 'writer task failed: overflow', { kind: 'execution' });
    expect(asFetchFailure(target, writer)).toBe(writer);
  });

  it('backs off exponentially, capped', () => {
    expect(backoffMs(0, 3)).toBe(0);
    const b1 = backoffMs(100, 1), b3 = backoffMs(100, 3);
    expect(b1).toBeGreaterThanOrEqual(80);
    expect(b1).toBeLessThanOrEqual(120);
    expect(b3).toBeGreaterThanOrEqual(320);
    expect(b3).toBeLessThanOrEqual(480);
    expect(backoffMs(1000, 20)).toBeLessThanOrEqual(12_000);
  });
});
