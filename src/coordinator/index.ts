/**
 * The coordinator: places a query's stage tasks on workers (remote processes or worker
 * threads), watches their health, retries failed tasks, cancels and releases queries.
 * executor.ts is the entry (createExecutor); scheduler.ts the TaskRunner; worker_client.ts
 * the per-worker control handle.
 */
export { createExecutor, parseWorkersFlag, DistributedExecutor, type ExecutorOptions, type DistributedRunInfo } from './executor.js';
export { ClusterTaskRunner, type ClusterTaskRunnerOptions } from './scheduler.js';
export { GrpcWorkerClient, WorkerCallError, type WorkerClient } from './worker_client.js';
