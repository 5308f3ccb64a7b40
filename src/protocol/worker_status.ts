/** What a worker reports about itself (heartbeats, `spillway worker` status, EXPLAIN ANALYZE). */
export interface WorkerStatusInfo {
  address: string;
  runningTasks: number;
  memoryUsed: number;
  memoryLimit: number;
  exchangeBufferedBytes: number;
  uptimeMs: number;
  /** Queries with state on this worker (running or holding output). */
  queries: number;
  /** Bytes its exchange servers put on the wire since it started (gRPC or MessagePort, as counted there). */
  exchangeWireBytesSent: number;
}
