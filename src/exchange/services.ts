/**
 * grpc-js definition of the Exchange service (proto/spillway.proto) and the channel and
 * server options of exchange connections.
 *
 * DoExchange passes raw Buffers in both directions: each side decodes FlightData itself,
 * so a malformed message becomes a clear INVALID_ARGUMENT (a throwing deserializer would
 * make grpc-js answer a bare INTERNAL) and the sender knows the exact bytes it wrote.
 */
import type * as grpc from '@grpc/grpc-js';

/**
 * Servers only receive requests (task plans, credits, control calls): 64 MiB bounds what
 * one message can make a worker allocate. Data flows server → client, so a client accepts
 * one batch of up to 1 GiB.
 */
export const MAX_REQUEST_MESSAGE_BYTES = 64 * 1024 * 1024;
export const MAX_BATCH_MESSAGE_BYTES = 1024 * 1024 * 1024;

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

/**
 * Channel options for exchange clients (see LIBRARIES.md): a large client flow-control
 * window is what lets server→client streams run fast; messages may exceed the 4 MiB
 * default (one IPC batch per message, never split); keepalive detects a dead peer while a
 * stream waits.
 */
export const EXCHANGE_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.max_receive_message_length': MAX_BATCH_MESSAGE_BYTES,
  'grpc.max_send_message_length': -1,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 0,
};

export const EXCHANGE_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_REQUEST_MESSAGE_BYTES,
  'grpc.max_send_message_length': -1,
};
