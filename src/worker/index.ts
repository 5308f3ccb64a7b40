/**
 * Workers: WorkerRuntime (what a worker does), hosted either as a `spillway worker` process
 * serving gRPC (worker_server.ts, cli.ts) or as worker threads serving MessagePorts
 * (thread_host.ts, thread_main.ts, port_transport.ts).
 */
export { WorkerRuntime, type WorkerRuntimeOptions, type WorkerStatusInfo, type TaskOutcome } from './worker_runtime.js';
export { startWorkerServer, workerServiceHandlers, WORKER_SERVICE_RAW, type WorkerServer, type WorkerServerOptions } from './worker_server.js';
export { workerCommand, WORKER_OPTIONS } from './cli.js';
export { ThreadWorkers, ThreadWorker, ThreadLostError, threadEntryUrl, type ThreadWorkersOptions } from './thread_host.js';
export { PortTransport, servePortExchange, type PortTransportOptions, type PortExchangeServer } from './port_transport.js';
export { encodeRunTaskRequest, decodeRunTaskRequest, encodeTaskResult, decodeTaskResult, type TaskAssignment } from './task_codec.js';
