/**
 * The standard gRPC health service (grpc.health.v1.Health/Check), so that orchestrators
 * probe a worker the usual way: Kubernetes' `grpc:` liveness and readiness probes, and
 * grpc_health_probe.
 *
 *   HealthCheckRequest  { string service = 1; }
 *   HealthCheckResponse { ServingStatus status = 1; }   SERVING = 1, NOT_SERVING = 2, SERVICE_UNKNOWN = 3
 *
 * The messages are one field each, encoded by hand. Probes cannot send the worker's token,
 * so Check is the one method the token interceptor lets through (grpc_security.ts): it says
 * only whether the process serves, nothing about queries or files.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type Spec } from '../common/protobuf.js';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const STATUS_CODE: Record<ServingStatus, number> = { SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };
const STATUS_NAME = new Map(Object.entries(STATUS_CODE).map(([k, v]) => [v, k as ServingStatus]));

interface HealthCheckRequest { service: string }
interface HealthCheckResponse { status: number }
const REQUEST: Spec<HealthCheckRequest> = { service: { no: 1, kind: 'string' } };
const RESPONSE: Spec<HealthCheckResponse> = { status: { no: 1, kind: 'enum' } };

export const HEALTH_SERVICE = {
  Check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: HealthCheckRequest) => encodeMessage(REQUEST, m),
    requestDeserialize: (b: Buffer) => decodeMessage(REQUEST, b),
    responseSerialize: (m: HealthCheckResponse) => encodeMessage(RESPONSE, m),
    responseDeserialize: (b: Buffer) => decodeMessage(RESPONSE, b),
  },
} satisfies grpc.ServiceDefinition;

/** Service names a worker answers for: the whole server (""), and its two services. */
const KNOWN_SERVICES = new Set(['', 'spillway.Worker', 'spillway.Exchange']);

/** Check answers `status()` for the server and its services, SERVICE_UNKNOWN (NOT_FOUND) for others. */
export function healthHandlers(status: () => ServingStatus): grpc.UntypedServiceImplementation {
  const check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
    const service = call.request?.service ?? '';
    if (!KNOWN_SERVICES.has(service)) {
      callback({ code: 5 /* NOT_FOUND, as the standard service answers */, details: `unknown service "${service}"` });
      return;
    }
    callback(null, { status: STATUS_CODE[status()] });
  };
  return { Check: check };
}

/** A response's status by name (for clients and tests). */
export function servingStatusName(code: number): ServingStatus | 'UNKNOWN' {
  return STATUS_NAME.get(code) ?? 'UNKNOWN';
}
