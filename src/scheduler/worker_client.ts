/**
 * WorkerClient: the coordinator's handle on one worker's control plane. Two
 * implementations with the same shape:
 *   - GrpcWorkerClient (grpc_worker_client.ts): the Worker service of a `spillway worker` process;
 *   - ThreadWorker (src/scheduler/thread_workers.ts): a worker thread over a MessagePort.
 *
 * Errors are WorkerCallError: `workerLost` says the worker itself could not be reached or
 * went away (connection refused/reset, deadline, thread exit), as opposed to the task
 * failing there, so the scheduler can mark the worker unhealthy before it retries.
 */
import type { Config } from '../common/config.js';
import type { TaskRequest, TaskResult } from '../exec/task_runner.js';
import { SpillwayError, type ErrorKind } from '../common/errors.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';

export interface WorkerClient {
  /** The address tasks' outputs are read from ("host:port", "thread:0"). */
  readonly address: string;
  /** Run one task; resolves with its result (worker = this.address), rejects on failure. */
  runTask(request: TaskRequest, config: Config, attempt: number, signal: AbortSignal): Promise<TaskResult>;
  cancelQuery(queryId: string, reason: string, timeoutMs: number): Promise<void>;
  releaseQuery(queryId: string, timeoutMs: number): Promise<void>;
  /** Status; `queries` are the coordinator's running queries (their leases on the worker are renewed). */
  heartbeat(timeoutMs: number, queries?: readonly string[]): Promise<WorkerStatusInfo>;
  close(): Promise<void>;
}

export class WorkerCallError extends SpillwayError {
  /** False when the same call would fail the same way on any worker (a refused request). */
  retryable = true;
  constructor(kind: ErrorKind, message: string, readonly workerLost: boolean, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = 'WorkerCallError';
  }
}
