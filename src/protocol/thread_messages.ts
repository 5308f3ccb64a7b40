/**
 * Control messages between the coordinator (main thread, scheduler/thread_workers.ts) and a worker
 * thread (thread_main.ts), on the same MessagePort as that thread's exchange (whose
 * messages are typed 'x-…', port_transport.ts). Plain objects: structured clone carries
 * bigints (range bounds, samples) as they are.
 *
 *   host ──{c-run id, request, config, attempt}──▶ thread ──{c-reply id, ok, value | error}──▶ host
 *   host ──{c-abort id}                       (the coordinator gave up on that task)
 *   host ──{c-cancel queryId, reason}         (CancelQuery)
 *   host ──{c-release id, queryId} / {c-status id, queries} / {c-close id} ──▶ c-reply
 *   (c-status is the heartbeat: `queries` renew their leases on the thread)
 *   thread ──{c-ready address}──▶ host         once it serves
 */
import type { Config } from '../common/config.js';
import type { TaskRequest } from '../exec/task_runner.js';
import type { ErrorKind } from '../common/errors.js';
import type { MessagePort } from 'node:worker_threads';

export type HostMessage =
  | { t: 'c-run'; id: number; request: TaskRequest; config: Config; attempt: number }
  | { t: 'c-abort'; id: number }
  | { t: 'c-cancel'; queryId: string; reason: string }
  | { t: 'c-release'; id: number; queryId: string }
  | { t: 'c-status'; id: number; queries?: string[] }
  | { t: 'c-close'; id: number }
  /** The thread's Prometheus metrics as registry JSON (folded into the coordinator's /metrics). */
  | { t: 'c-metrics'; id: number };

export type ThreadMessage =
  | { t: 'c-ready'; address: string }
  | { t: 'c-reply'; id: number; ok: true; value: unknown }
  | { t: 'c-reply'; id: number; ok: false; message: string; kind: ErrorKind };

/** What a worker thread is started with (workerData). */
export interface ThreadWorkerData {
  address: string;
  config: Config;
  quiet: boolean;
  /** Level of the thread's logs (observe/log.ts); absent: info, or silent when quiet. */
  logLevel?: string;
  /** Control + exchange with the host. */
  control: MessagePort;
  /** Exchange with each other thread, by its address. */
  peers: [string, MessagePort][];
}
