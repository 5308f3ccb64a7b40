/**
 * grpc-js service definitions for proto/spillway.proto, with the hand-written codec as
 * (de)serializers. Usable both by `Server.addService` and by `makeGenericClientConstructor`.
 *
 * DoExchange passes raw Buffers in both directions: each side decodes FlightData itself,
 * so a malformed message becomes a clear INVALID_ARGUMENT (a throwing deserializer would
 * make grpc-js answer a bare INTERNAL) and the sender knows the exact bytes it wrote.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  ACK,
  CANCEL_QUERY_REQUEST,
  decodeMessage,
  encodeMessage,
  HEARTBEAT_REQUEST,
  RELEASE_QUERY_REQUEST,
  RUN_TASK_REQUEST,
  RUN_TASK_RESPONSE,
  WORKER_STATUS,
  type Ack,
  type CancelQueryRequest,
  type HeartbeatRequest,
  type ReleaseQueryRequest,
  type RunTaskRequest,
  type RunTaskResponse,
  type Spec,
  type WorkerStatus,
} from './proto_codec.js';

const identity = (b: Buffer): Buffer => b;

/** Trailer carrying SpillwayError.kind, so the reader rethrows the same kind. */
export const ERROR_KIND_METADATA = 'spillway-error-kind';

export const DO_EXCHANGE_PATH = '/spillway.Exchange/DoExchange';

export const EXCHANGE_SERVICE = {
  DoExchange: {
    path: DO_EXCHANGE_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'doExchange',
  },
} satisfies grpc.ServiceDefinition;

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

/**
 * Channel options for exchange clients (see LIBRARIES.md): a large client flow-control
 * window is what lets server→client streams run fast; messages may exceed the 4 MiB
 * default (one IPC batch per message, never split); keepalive detects a dead peer while a
 * stream waits.
 */
export const EXCHANGE_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
};

export const EXCHANGE_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
};
