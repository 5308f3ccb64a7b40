/**
 * GrpcWorkerClient: the WorkerClient (worker_client.ts) of a `spillway worker` process, over
 * its gRPC Worker service. Loaded only by sessions whose workers are processes.
 */
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../common/config.js';
import type { TaskRequest, TaskResult } from '../exec/task_runner.js';
import { ERROR_KINDS, SpillwayError, type ErrorKind } from '../common/errors.js';
import { TaskState, type RunTaskResponse, type WorkerStatus } from '../protocol/worker_messages.js';
import { EXCHANGE_CHANNEL_OPTIONS } from '../exchange/services.js';
import { channelCredentials, clientInterceptors } from '../exchange/grpc_security.js';
import { NO_SECURITY, type GrpcSecurity } from '../exchange/security.js';
import { WORKER_SERVICE } from '../protocol/worker_service.js';
import { decodeTaskResult, encodeRunTaskRequest } from '../protocol/task_codec.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';
import { WorkerCallError, type WorkerClient } from './worker_client.js';

/** Errors that mean the worker, not the task, is the problem. */
const LOST: ReadonlySet<grpc.status> = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED, grpc.status.UNKNOWN]);

/** Refusals of the request itself: another worker would refuse it too. */
const DETERMINISTIC: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED, grpc.status.UNIMPLEMENTED, grpc.status.FAILED_PRECONDITION, grpc.status.OUT_OF_RANGE,
]);

export class GrpcWorkerClient implements WorkerClient {
  private readonly client: grpc.Client;

  constructor(readonly address: string, security: GrpcSecurity = NO_SECURITY, channelOptions: grpc.ChannelOptions = {}) {
    this.client = new grpc.Client(address, channelCredentials(security), {
      ...EXCHANGE_CHANNEL_OPTIONS, ...channelOptions, interceptors: clientInterceptors(security),
    });
  }

  private fromStatus(e: grpc.ServiceError, what: string): WorkerCallError {
    const lost = LOST.has(e.code);
    const details = e.details || e.message;
    if (e.code === grpc.status.UNAUTHENTICATED) {
      return new WorkerCallError('config', `worker ${this.address} refused the connection: ${details}`, false, { cause: e });
    }
    const message = e.code === grpc.status.UNAVAILABLE
      ? `worker ${this.address} is unreachable (${what}): ${details}`
      : `worker ${this.address} (${what}): ${details}`;
    const err = new WorkerCallError(e.code === grpc.status.DEADLINE_EXCEEDED ? 'timeout' : 'remote', message, lost, { cause: e });
    if (DETERMINISTIC.has(e.code)) err.retryable = false;
    return err;
  }

  private unary<Req, Res>(
    method: grpc.MethodDefinition<Req, Res>, name: string, request: Req, deadlineMs: number | null, signal?: AbortSignal,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const options: grpc.CallOptions = deadlineMs === null ? {} : { deadline: Date.now() + deadlineMs };
      let onAbort: (() => void) | null = null;
      const call = this.client.makeUnaryRequest(
        method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), options,
        (err, res) => {
          if (onAbort) signal!.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(signal.reason instanceof Error ? signal.reason : new SpillwayError('cancelled', `${name} on worker ${this.address} cancelled`));
          else if (err) reject(this.fromStatus(err, name));
          else resolve(res!);
        },
      );
      if (signal) {
        onAbort = () => call.cancel();
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  async runTask(request: TaskRequest, config: Config, attempt: number, signal: AbortSignal): Promise<TaskResult> {
    const msg = encodeRunTaskRequest({ request, config, attempt });
    // No deadline: a task runs as long as it needs; heartbeats catch a dead worker (scheduler.ts).
    const res: RunTaskResponse = await this.unary(WORKER_SERVICE.RunTask, 'RunTask', msg, null, signal);
    if (res.state === TaskState.SUCCEEDED) return { ...decodeTaskResult(res.metrics, this.address), worker: this.address };
    const kind: ErrorKind = ERROR_KINDS.has(res.errorKind) ? (res.errorKind as ErrorKind) : 'remote';
    if (res.state === TaskState.CANCELLED) {
      // Cancelled there although the coordinator did not ask: the worker is shutting down.
      throw new WorkerCallError('cancelled', `worker ${this.address}: ${res.error || 'task cancelled'}`, true);
    }
    throw new WorkerCallError(kind, res.error || `worker ${this.address} reported a failure without a message`, false);
  }

  async cancelQuery(queryId: string, reason: string, timeoutMs: number): Promise<void> {
    await this.unary(WORKER_SERVICE.CancelQuery, 'CancelQuery', { queryId, reason }, timeoutMs);
  }

  async releaseQuery(queryId: string, timeoutMs: number): Promise<void> {
    await this.unary(WORKER_SERVICE.ReleaseQuery, 'ReleaseQuery', { queryId }, timeoutMs);
  }

  async heartbeat(timeoutMs: number, queries: readonly string[] = []): Promise<WorkerStatusInfo> {
    const s: WorkerStatus = await this.unary(WORKER_SERVICE.Heartbeat, 'Heartbeat', { coordinatorId: 'coordinator', sentAtMs: Date.now(), queries: [...queries] }, timeoutMs);
    return {
      address: this.address, runningTasks: s.runningTasks, memoryUsed: s.memoryUsed, memoryLimit: s.memoryLimit,
      exchangeBufferedBytes: s.exchangeBufferedBytes, uptimeMs: s.uptimeMs, queries: 0, exchangeWireBytesSent: s.exchangeWireBytesSent,
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
