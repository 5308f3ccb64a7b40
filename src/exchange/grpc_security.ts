/**
 * Who may talk to a worker: a shared secret carried by every call, and optional TLS.
 *
 *   client ──metadata `authorization: Bearer <token>`──▶ server interceptor
 *                                                        compares SHA-256 digests in constant time
 *          ◀── UNAUTHENTICATED "missing or wrong token" ─┘ (before any handler runs)
 *
 * TLS: a server presents --tls-cert/--tls-key; given --tls-ca it also demands a client
 * certificate signed by that CA (mutual TLS). A client verifies servers against --tls-ca
 * (or the system roots) and presents its own --tls-cert/--tls-key when it has them.
 * Workers use both sides: they serve, and they dial their peers for exchange data.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HEALTH_CHECK_PATH } from './health_service.js';
import { SpillwayError } from '../common/errors.js';
import type { GrpcSecurity } from './security.js';

/** Metadata key of the token (lower case, as gRPC metadata keys are). */
export const AUTH_METADATA = 'authorization';

export function serverCredentials(sec: GrpcSecurity): grpc.ServerCredentials {
  if (sec.tls === null) return grpc.ServerCredentials.createInsecure();
  if (sec.tls.cert === null || sec.tls.key === null) throw new SpillwayError('config', 'serving TLS needs --tls-cert and --tls-key');
  return grpc.ServerCredentials.createSsl(sec.tls.ca, [{ cert_chain: sec.tls.cert, private_key: sec.tls.key }], sec.tls.ca !== null);
}

export function channelCredentials(sec: GrpcSecurity): grpc.ChannelCredentials {
  if (sec.tls === null) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(sec.tls.ca, sec.tls.key, sec.tls.cert);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Refuses every call whose token is missing or wrong, before its handler sees it. The one
 * exception is the standard health check (health_service.ts): orchestrators' probes cannot
 * send a token, and it tells only whether the process serves.
 */
export function serverInterceptors(sec: GrpcSecurity): grpc.ServerInterceptor[] {
  if (sec.token === null) return [];
  const want = digest(`Bearer ${sec.token}`);
  const check: grpc.ServerInterceptor = (method, call) => method.path === HEALTH_CHECK_PATH ? new grpc.ServerInterceptingCall(call) : new grpc.ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (metadata, proceed) => {
        const got = metadata.get(AUTH_METADATA)[0];
        if (typeof got === 'string' && timingSafeEqual(digest(got), want)) {
          metadata.remove(AUTH_METADATA);
          proceed(metadata);
        } else {
          call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong token (see --token-file)', metadata: new grpc.Metadata() });
        }
      },
    }),
  });
  return [check];
}

/** Adds the token to every call of a client. */
export function clientInterceptors(sec: GrpcSecurity): grpc.Interceptor[] {
  if (sec.token === null) return [];
  const value = `Bearer ${sec.token}`;
  const add: grpc.Interceptor = (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start: (metadata, listener, next) => {
      metadata.set(AUTH_METADATA, value);
      next(metadata, listener);
    },
  });
  return [add];
}
