/**
 * grpc-js definition of the Worker service (proto/spillway.proto), with the hand-written
 * codec as (de)serializers. Usable both by `Server.addService` and by
 * `makeGenericClientConstructor`.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type Spec } from '../common/protobuf.js';
import {
  ACK, CANCEL_QUERY_REQUEST, HEARTBEAT_REQUEST, RELEASE_QUERY_REQUEST, RUN_TASK_REQUEST, RUN_TASK_RESPONSE, WORKER_STATUS,
  type Ack, type CancelQueryRequest, type HeartbeatRequest, type ReleaseQueryRequest, type RunTaskRequest, type RunTaskResponse, type WorkerStatus,
} from './worker_messages.js';

function unary<Req, Res>(service: string, method: string, req: Spec<Req>, res: Spec<Res>): grpc.MethodDefinition<Req, Res> {
  return {
    path: `/spillway.${service}/${method}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => encodeMessage(req, m),
    requestDeserialize: (b: Buffer) => decodeMessage(req, b),
    responseSerialize: (m: Res) => encodeMessage(res, m),
    responseDeserialize: (b: Buffer) => decodeMessage(res, b),
  };
}

/** The control service a worker hosts (implemented by the worker, not here). */
export const WORKER_SERVICE = {
  RunTask: unary<RunTaskRequest, RunTaskResponse>('Worker', 'RunTask', RUN_TASK_REQUEST, RUN_TASK_RESPONSE),
  CancelQuery: unary<CancelQueryRequest, Ack>('Worker', 'CancelQuery', CANCEL_QUERY_REQUEST, ACK),
  ReleaseQuery: unary<ReleaseQueryRequest, Ack>('Worker', 'ReleaseQuery', RELEASE_QUERY_REQUEST, ACK),
  Heartbeat: unary<HeartbeatRequest, WorkerStatus>('Worker', 'Heartbeat', HEARTBEAT_REQUEST, WORKER_STATUS),
} satisfies grpc.ServiceDefinition;

/** What the Worker service implementation must provide. */
export interface WorkerServiceHandlers extends grpc.UntypedServiceImplementation {
  RunTask: grpc.handleUnaryCall<RunTaskRequest, RunTaskResponse>;
  CancelQuery: grpc.handleUnaryCall<CancelQueryRequest, Ack>;
  ReleaseQuery: grpc.handleUnaryCall<ReleaseQueryRequest, Ack>;
  Heartbeat: grpc.handleUnaryCall<HeartbeatRequest, WorkerStatus>;
}
