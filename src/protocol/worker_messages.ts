/** The Worker service's messages (proto/spillway.proto): tasks, cancel/release, heartbeats. */
import type { Spec } from '../common/protobuf.js';

export interface RunTaskRequest {
  queryId: string;
  stageId: number;
  partition: number;
  attempt: number;
  plan: Uint8Array;
  config: Uint8Array;
  inputLocations: Uint8Array;
}

export const TaskState = { UNKNOWN: 0, SUCCEEDED: 1, FAILED: 2, CANCELLED: 3 } as const;

export interface RunTaskResponse {
  queryId: string;
  stageId: number;
  partition: number;
  attempt: number;
  state: number;
  error: string;
  errorKind: string;
  metrics: Uint8Array;
  partitionRows: number[];
}

export interface CancelQueryRequest { queryId: string; reason: string }
export interface ReleaseQueryRequest { queryId: string }
export type Ack = Record<string, never>;
/** `queries`: the coordinator's running queries; each renews its lease on the worker (query_lease_ms). */
export interface HeartbeatRequest { coordinatorId: string; sentAtMs: number; queries: string[] }
export interface WorkerStatus {
  workerId: string;
  address: string;
  runningTasks: number;
  memoryUsed: number;
  memoryLimit: number;
  exchangeBufferedBytes: number;
  uptimeMs: number;
  sentAtMs: number;
  exchangeWireBytesSent: number;
}

export const RUN_TASK_REQUEST: Spec<RunTaskRequest> = {
  queryId: { no: 1, kind: 'string' },
  stageId: { no: 2, kind: 'uint32' },
  partition: { no: 3, kind: 'uint32' },
  attempt: { no: 4, kind: 'uint32' },
  plan: { no: 5, kind: 'bytes' },
  config: { no: 6, kind: 'bytes' },
  inputLocations: { no: 7, kind: 'bytes' },
};

export const RUN_TASK_RESPONSE: Spec<RunTaskResponse> = {
  queryId: { no: 1, kind: 'string' },
  stageId: { no: 2, kind: 'uint32' },
  partition: { no: 3, kind: 'uint32' },
  attempt: { no: 4, kind: 'uint32' },
  state: { no: 5, kind: 'enum' },
  error: { no: 6, kind: 'string' },
  errorKind: { no: 7, kind: 'string' },
  metrics: { no: 8, kind: 'bytes' },
  partitionRows: { no: 9, kind: 'uint64', repeated: true },
};

export const CANCEL_QUERY_REQUEST: Spec<CancelQueryRequest> = {
  queryId: { no: 1, kind: 'string' },
  reason: { no: 2, kind: 'string' },
};

export const RELEASE_QUERY_REQUEST: Spec<ReleaseQueryRequest> = {
  queryId: { no: 1, kind: 'string' },
};

export const ACK: Spec<Ack> = {};

export const HEARTBEAT_REQUEST: Spec<HeartbeatRequest> = {
  coordinatorId: { no: 1, kind: 'string' },
  sentAtMs: { no: 2, kind: 'uint64' },
  queries: { no: 3, kind: 'string', repeated: true },
};

export const WORKER_STATUS: Spec<WorkerStatus> = {
  workerId: { no: 1, kind: 'string' },
  address: { no: 2, kind: 'string' },
  runningTasks: { no: 3, kind: 'uint32' },
  memoryUsed: { no: 4, kind: 'uint64' },
  memoryLimit: { no: 5, kind: 'uint64' },
  exchangeBufferedBytes: { no: 6, kind: 'uint64' },
  uptimeMs: { no: 7, kind: 'uint64' },
  sentAtMs: { no: 8, kind: 'uint64' },
  exchangeWireBytesSent: { no: 9, kind: 'uint64' },
};
