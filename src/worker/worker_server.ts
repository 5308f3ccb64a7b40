/**
 * The `spillway worker` server: one gRPC port hosting the Exchange service (its
 * ExchangeBuffer served to remote readers, src/exchange/grpc_server.ts) and the Worker
 * control service (proto/spillway.proto) over one WorkerRuntime.
 *
 *   coordinator ──RunTask / CancelQuery / ReleaseQuery / Heartbeat──▶ worker (this file)
 *   other workers, coordinator ──DoExchange──▶ worker's ExchangeBuffer
 *   worker's tasks ──DoExchange (GrpcTransport)──▶ other workers
 *
 * The Worker service is registered with pass-through (identity) deserializers and decodes
 * each request itself, so bytes that are not our protobuf, or a request that is (query id,
 * plan, settings, locations checked in task_codec.ts), fail only that call with
 * INVALID_ARGUMENT and a message saying what was wrong; the worker keeps serving.
 * A RunTask whose caller goes away (cancel, deadline, lost connection) aborts its task.
 */
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { GrpcTransport } from '../exchange/grpc_transport.js';
import { startExchangeServer, type ExchangeServer } from '../exchange/grpc_server.js';
import { ACK, CANCEL_QUERY_REQUEST, HEARTBEAT_REQUEST, RELEASE_QUERY_REQUEST, RUN_TASK_REQUEST, RUN_TASK_RESPONSE, TaskState, WORKER_STATUS, type RunTaskResponse } from '../protocol/worker_messages.js';
import { decodeMessage, encodeMessage, ProtoDecodeError, type Spec } from '../common/protobuf.js';
import { ERROR_KIND_METADATA } from '../exchange/services.js';
import { NO_SECURITY, type GrpcSecurity } from '../exchange/security.js';
import { HEALTH_SERVICE, healthHandlers } from '../exchange/health_service.js';
import { ExchangeError } from '../exchange/transport.js';
import { decodeRunTaskRequest, encodeTaskResult, validQueryId } from '../protocol/task_codec.js';
import { DataRoots } from './data_roots.js';
import { WorkerRuntime } from './worker_runtime.js';
import type { Logger } from '../observe/log.js';

export interface WorkerServerOptions {
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** This worker's settings (memory_limit, spill_dir, network_timeout_ms, …). */
  config: Config;
  /** Token and TLS callers must present, also used to dial peers (default none). */
  security?: GrpcSecurity;
  /** Folders tasks may read files from (default: the working folder). */
  dataRoots?: DataRoots;
  quiet?: boolean;
  /** Structured logs (default: JSON on stderr at level info, silent when quiet). */
  logger?: Logger;
  log?: (line: string) => void;
}

export interface WorkerServer {
  readonly runtime: WorkerRuntime;
  readonly port: number;
  /** "host:port" as peers dial it (0.0.0.0 becomes 127.0.0.1). */
  readonly address: string;
  /** The interface bound, as given. */
  readonly host: string;
  /**
   * Stop: cancel and release every query (spill folders removed), then close the port,
   * letting in-flight calls finish for at most `graceMs` (default 2 s).
   */
  close(graceMs?: number): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

function passThrough<Res>(method: string, res: Spec<Res>): grpc.MethodDefinition<Buffer, Res> {
  return {
    path: `/spillway.Worker/${method}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (m: Res) => encodeMessage(res, m),
    responseDeserialize: (b: Buffer) => decodeMessage(res, b),
  };
}

/** The Worker service as this server registers it (same paths and wire format as WORKER_SERVICE). */
export const WORKER_SERVICE_RAW = {
  RunTask: passThrough('RunTask', RUN_TASK_RESPONSE),
  CancelQuery: passThrough('CancelQuery', ACK),
  ReleaseQuery: passThrough('ReleaseQuery', ACK),
  Heartbeat: passThrough('Heartbeat', WORKER_STATUS),
} satisfies grpc.ServiceDefinition;

function decode<T>(spec: Spec<T>, buf: Buffer, what: string): T {
  try {
    return decodeMessage(spec, buf);
  } catch (e) {
    if (e instanceof ProtoDecodeError) throw new ExchangeError('invalid_argument', `malformed ${what}: ${e.message}`);
    throw e;
  }
}

function statusOf(err: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (err instanceof ExchangeError && err.failure === 'invalid_argument') {
    metadata.set(ERROR_KIND_METADATA, 'remote');
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message, metadata };
  }
  const message = err instanceof Error ? err.message : String(err);
  metadata.set(ERROR_KIND_METADATA, err instanceof SpillwayError ? err.kind : 'execution');
  return { code: grpc.status.INTERNAL, details: message, metadata };
}

/** Handlers of the Worker service over `runtime`. */
export function workerServiceHandlers(runtime: WorkerRuntime): grpc.UntypedServiceImplementation {
  const unary = <Res>(fn: (buf: Buffer, call: grpc.ServerUnaryCall<Buffer, Res>) => Promise<Res>): grpc.handleUnaryCall<Buffer, Res> =>
    (call, callback) => {
      fn(call.request, call).then(
        (res) => callback(null, res),
        (err: unknown) => callback(statusOf(err)),
      );
    };

  const runTask = async (buf: Buffer, call: grpc.ServerUnaryCall<Buffer, RunTaskResponse>): Promise<RunTaskResponse> => {
    const { request, config, attempt } = decodeRunTaskRequest(decode(RUN_TASK_REQUEST, buf, 'RunTaskRequest'));
    const caller = new AbortController();
    const onGone = () => caller.abort(new SpillwayError('cancelled', `the coordinator cancelled query ${request.queryId} stage ${request.stageId} task ${request.task}`));
    call.on('cancelled', onGone);
    const base = { queryId: request.queryId, stageId: request.stageId, partition: request.task, attempt };
    try {
      const out = await runtime.runTask(request, config, attempt, caller.signal);
      return {
        ...base, state: TaskState.SUCCEEDED, error: '', errorKind: '',
        metrics: encodeTaskResult(out.result), partitionRows: out.partitionRows,
      };
    } catch (e) {
      const kind = e instanceof SpillwayError ? e.kind : 'execution';
      return {
        ...base, state: kind === 'cancelled' ? TaskState.CANCELLED : TaskState.FAILED,
        error: firstLine(e instanceof Error ? e.message : String(e)), errorKind: kind, metrics: new Uint8Array(0), partitionRows: [],
      };
    } finally {
      call.removeListener('cancelled', onGone);
    }
  };

  const queryIdOf = (id: string, what: string): string => {
    if (!validQueryId(id)) throw new ExchangeError('invalid_argument', `malformed ${what}: query id ${JSON.stringify(id)} is missing or not of the form [A-Za-z0-9._-]{1,128}`);
    return id;
  };

  return {
    RunTask: unary(runTask),
    CancelQuery: unary(async (buf) => {
      const m = decode(CANCEL_QUERY_REQUEST, buf, 'CancelQueryRequest');
      runtime.cancelQuery(queryIdOf(m.queryId, 'CancelQueryRequest'), m.reason || 'cancelled by the coordinator');
      return {};
    }),
    ReleaseQuery: unary(async (buf) => {
      const m = decode(RELEASE_QUERY_REQUEST, buf, 'ReleaseQueryRequest');
      await runtime.releaseQuery(queryIdOf(m.queryId, 'ReleaseQueryRequest'));
      return {};
    }),
    Heartbeat: unary(async (buf) => {
      const m = decode(HEARTBEAT_REQUEST, buf, 'HeartbeatRequest');
      runtime.renewLeases(m.queries.filter((q) => validQueryId(q)));
      const s = runtime.status();
      return {
        workerId: s.address, address: s.address, runningTasks: s.runningTasks, memoryUsed: s.memoryUsed, memoryLimit: s.memoryLimit,
        exchangeBufferedBytes: s.exchangeBufferedBytes, uptimeMs: s.uptimeMs, sentAtMs: m.sentAtMs, exchangeWireBytesSent: s.exchangeWireBytesSent,
      };
    }),
  };
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** Start a worker: remove stale spill folders, bind, serve Exchange + Worker. */
export async function startWorkerServer(opts: WorkerServerOptions): Promise<WorkerServer> {
  const config = opts.config;
  const security = opts.security ?? NO_SECURITY;
  const runtime = await WorkerRuntime.start({
    config, quiet: opts.quiet, dataRoots: opts.dataRoots ?? new DataRoots([process.cwd()]), ...(opts.log ? { log: opts.log } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const host = opts.host ?? '127.0.0.1';
  let closing: Promise<void> | null = null;
  const server: ExchangeServer = await startExchangeServer({
    host, port: opts.port ?? 0, buffers: runtime.buffer, networkTimeoutMs: config.network_timeout_ms, security,
    onStreamEvent: (e) => { if (e.type === 'sent') runtime.metrics.streamSent(e.counters); },
    services: [
      { definition: WORKER_SERVICE_RAW, implementation: workerServiceHandlers(runtime) },
      { definition: HEALTH_SERVICE, implementation: healthHandlers(() => (closing === null ? 'SERVING' : 'NOT_SERVING')) },
    ],
  });
  runtime.address = server.address;
  runtime.metrics.watchStreams(() => server.stats.activeStreams);
  runtime.peers = new GrpcTransport({ credits: config.exchange_credits, networkTimeoutMs: config.network_timeout_ms, security });
  return {
    runtime,
    port: server.port,
    address: server.address,
    host,
    close: (graceMs = 2000) => {
      closing ??= (async () => {
        await runtime.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { void server.close().then(resolve); }, graceMs);
          server.server.tryShutdown(() => { clearTimeout(timer); resolve(); });
        });
      })();
      return closing;
    },
  };
}
