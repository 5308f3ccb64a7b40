/**
 * Embedded workers: N worker threads in this process, so one embedded query uses every
 * core. Each thread hosts a WorkerRuntime (thread_main.ts); the main thread is the
 * coordinator. Everything between them goes over MessagePorts:
 *
 *                 main thread (coordinator: scheduler, result reader)
 *                  │ control+exchange   │ control+exchange
 *                  ▼                    ▼
 *             thread:0 ◀──exchange──▶ thread:1 ◀──▶ …   (one channel per pair of threads)
 *
 * The thread entry is the compiled dist/src/worker/thread_main.js, found relative to this
 * file (from dist/ itself, or from src/ when run from sources by the test runner).
 * Each thread gets memory_limit / N of the session's memory limit (0 stays unlimited).
 * A thread that exits fails its pending calls and every exchange stream to it at once.
 *
 * Each thread's V8 heap starts with an old-generation headroom (threadHeapHeadroomMb): the
 * columns are ArrayBuffers outside the JS heap, and V8 counts every promoted-then-dropped
 * buffer against a small default limit, so a scan ran a full GC every ~8 MB of decoded
 * columns (~40 per TPC-H Q1 at SF 1, a third of a thread's CPU with their helper threads).
 * With the headroom, V8 collects when 64 MB of buffers piled up instead (its fixed
 * external-memory trigger): ~4× fewer full GCs. Node has no per-Worker option for it, so
 * the V8 flag is set while the threads create their heaps and reset afterwards: the
 * calling thread's heap and isolates created later keep V8's defaults.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Config } from '../common/config.js';
import type { TaskRequest, TaskResult } from '../exec/task_runner.js';
import { SpillwayError } from '../common/errors.js';
import { PortTransport } from '../exchange/port_transport.js';
import type { HostMessage, ThreadMessage, ThreadWorkerData } from '../protocol/thread_messages.js';
import type { WorkerStatusInfo } from '../protocol/worker_status.js';

export interface ThreadWorkersOptions {
  count: number;
  /** The session's settings; each thread's memory_limit is memory_limit / count. */
  config: Config;
  /** No per-task log lines. */
  quiet?: boolean;
  /** Level of the threads' logs (overrides quiet). */
  logLevel?: string;
  /** Override the compiled thread entry (tests). */
  entry?: URL;
  /** Stop starting: the threads started so far are terminated and start() rejects. */
  signal?: AbortSignal;
}

/** The compiled thread entry: dist/src/worker/thread_main.js, seen from dist/src/scheduler/ or from src/scheduler/. */
export function threadEntryUrl(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/src/worker/thread_main.js', here) : new URL('../worker/thread_main.js', here);
  if (!existsSync(fileURLToPath(url))) {
    throw new SpillwayError('config', `the compiled worker thread entry ${fileURLToPath(url)} is missing: build first (npm run build)`);
  }
  return url;
}

/** The thread is gone (exit, crash, stopped): the worker, not the task, failed. */
export class ThreadLostError extends SpillwayError {
  readonly workerLost = true;
  constructor(message: string) {
    super('remote', message);
    this.name = 'ThreadLostError';
  }
}

const MiB = 1024 * 1024;

/** Old-generation headroom of each worker thread's heap, MiB; 0 = V8's default. */
export const THREAD_HEAP_HEADROOM_MB = 128;

/**
 * The headroom for a thread whose pool gets `memoryLimitPerThread` bytes (0 = unlimited):
 * garbage up to the headroom may wait for a full GC, so under a memory limit it is at most
 * half the thread's share, and none (V8's default) when that is too small to help (below
 * 64 MB, V8's own trigger on external memory comes first anyway).
 */
export function threadHeapHeadroomMb(memoryLimitPerThread: number): number {
  if (memoryLimitPerThread <= 0) return THREAD_HEAP_HEADROOM_MB;
  const half = Math.floor(memoryLimitPerThread / 2 / MiB);
  return half < 64 ? 0 : Math.min(THREAD_HEAP_HEADROOM_MB, half);
}

/**
 * The process was started with its own heap sizing: the threads inherit it untouched. The
 * headroom the tuned runtime gives its own process (cli/relaunch.ts, named in
 * TUNED_HEAP_FLAG_ENV) is not such a choice: the threads keep their rule.
 */
function heapFlagsGiven(): boolean {
  return heapFlagsIn([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)], process.env[TUNED_HEAP_FLAG_ENV]);
}

/** Whether these node flags size the heap, leaving out `tuned`, the tuned runtime's own flag. */
export function heapFlagsIn(flags: readonly string[], tuned: string | undefined): boolean {
  return flags.some((a) => a !== tuned && /^--(initial-old-space-size|initial-heap-size|initial_old_space_size|initial_heap_size)\b/.test(a));
}

/** Set by the tuned runtime (cli/relaunch.ts) to the heap flag it started the process with. */
export const TUNED_HEAP_FLAG_ENV = 'SPILLWAY_TUNED_HEAP_FLAG';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

/** The coordinator's handle on one worker thread (the WorkerClient shape of src/coordinator). */
export class ThreadWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exitReason: string | null = null;

  constructor(readonly address: string, readonly thread: Worker, private readonly port: MessagePort) {
    port.on('message', (raw: unknown) => {
      const m = raw as ThreadMessage;
      if (typeof m !== 'object' || m === null || m.t !== 'c-reply') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(new SpillwayError(m.kind, m.message));
    });
  }

  get alive(): boolean { return this.exitReason === null; }

  /** @internal The thread is gone: fail whatever waits on it. */
  exited(reason: string): void {
    if (this.exitReason !== null) return;
    this.exitReason = reason;
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new ThreadLostError(`worker ${this.address}: ${reason}`)); }
    this.pending.clear();
  }

  private call<T>(make: (id: number) => HostMessage, timeoutMs?: number, what = 'call'): { id: number; done: Promise<T> } {
    const id = this.nextId++;
    const done = new Promise<T>((resolve, reject) => {
      if (this.exitReason !== null) { reject(new ThreadLostError(`worker ${this.address}: ${this.exitReason}`)); return; }
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject };
      if (timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new ThreadLostError(`worker ${this.address} did not answer ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.port.postMessage(make(id));
    });
    return { id, done };
  }

  async runTask(request: TaskRequest, config: Config, attempt: number, signal: AbortSignal): Promise<TaskResult> {
    if (signal.aborted) throw new SpillwayError('cancelled', `query ${request.queryId} cancelled`);
    const { id, done } = this.call<TaskResult>((i) => ({ t: 'c-run', id: i, request, config, attempt }));
    const onAbort = () => { if (this.alive) this.port.postMessage({ t: 'c-abort', id } satisfies HostMessage); };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return { ...(await done), worker: this.address };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async cancelQuery(queryId: string, reason: string): Promise<void> {
    if (this.alive) this.port.postMessage({ t: 'c-cancel', queryId, reason } satisfies HostMessage);
  }

  releaseQuery(queryId: string, timeoutMs: number): Promise<void> {
    return this.call<void>((id) => ({ t: 'c-release', id, queryId }), timeoutMs, 'ReleaseQuery').done;
  }

  heartbeat(timeoutMs: number, queries: readonly string[] = []): Promise<WorkerStatusInfo> {
    return this.call<WorkerStatusInfo>((id) => ({ t: 'c-status', id, queries: [...queries] }), timeoutMs, 'Heartbeat').done;
  }

  /** The thread's Prometheus metrics (registry JSON, for AggregatorRegistry). */
  metrics(timeoutMs = 5000): Promise<unknown[]> {
    return this.call<unknown[]>((id) => ({ t: 'c-metrics', id }), timeoutMs, 'metrics').done;
  }

  /** Release everything on the thread, then stop it. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.alive) await this.call<void>((id) => ({ t: 'c-close', id }), timeoutMs, 'close').done.catch(() => {});
    this.exited('the worker thread was stopped');
    this.port.close();
    await this.thread.terminate();
  }
}

export class ThreadWorkers {
  private constructor(
    readonly workers: ThreadWorker[],
    /** Reads outputs held by the threads (the root stage's result) from the main thread. */
    readonly transport: PortTransport,
  ) {}

  static async start(opts: ThreadWorkersOptions): Promise<ThreadWorkers> {
    const n = Math.max(1, Math.floor(opts.count));
    const entry = opts.entry ?? threadEntryUrl();
    const config: Config = { ...opts.config, memory_limit: opts.config.memory_limit > 0 ? Math.floor(opts.config.memory_limit / n) : 0 };
    const addresses = Array.from({ length: n }, (_x, i) => `thread:${i}`);
    const peers: Map<string, MessagePort>[] = addresses.map(() => new Map());
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ch = new MessageChannel();
        peers[i]!.set(addresses[j]!, ch.port1);
        peers[j]!.set(addresses[i]!, ch.port2);
      }
    }
    const hostPorts = new Map<string, MessagePort>();
    const workers: ThreadWorker[] = [];
    const ready: Promise<void>[] = [];
    // Read by V8 when each thread creates its heap (before it answers c-ready); reset below.
    // Set to 0 (V8's default) too when the tuned runtime sized the process's own heap, which
    // the threads would otherwise inherit.
    const headroom = heapFlagsGiven() ? 0 : threadHeapHeadroomMb(config.memory_limit);
    const setHeap = headroom > 0 || (process.env[TUNED_HEAP_FLAG_ENV] !== undefined && !heapFlagsGiven());
    if (setHeap) setFlagsFromString(`--initial-old-space-size=${headroom}`);
    try {
      for (let i = 0; i < n; i++) {
        const address = addresses[i]!;
        const control = new MessageChannel();
        hostPorts.set(address, control.port1);
        const data: ThreadWorkerData = {
          address, config, quiet: opts.quiet ?? false, control: control.port2, peers: [...peers[i]!], ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
        };
        const thread = new Worker(entry, { workerData: data, transferList: [control.port2, ...peers[i]!.values()] });
        const handle = new ThreadWorker(address, thread, control.port1);
        workers.push(handle);
        ready.push(new Promise<void>((resolve, reject) => {
          const onReady = (m: unknown) => {
            if ((m as ThreadMessage | null)?.t === 'c-ready') { control.port1.off('message', onReady); resolve(); }
          };
          control.port1.on('message', onReady);
          thread.once('error', (e) => reject(new SpillwayError('remote', `worker ${address} failed to start: ${e.message}`)));
          thread.once('exit', (code) => reject(new SpillwayError('remote', `worker ${address} exited with code ${code} while starting`)));
        }));
      }
      const transport = new PortTransport(hostPorts, { credits: config.exchange_credits, networkTimeoutMs: config.network_timeout_ms });
      for (const w of workers) {
        w.thread.on('error', (e) => { w.exited(`the worker thread failed: ${e.message}`); transport.lose(w.address, `worker ${w.address} failed: ${e.message}`); });
        w.thread.on('exit', (code) => { w.exited(`the worker thread exited with code ${code}`); transport.lose(w.address, `worker ${w.address} exited`); });
      }
      const pool = new ThreadWorkers(workers, transport);
      const stop = () => { for (const w of workers) void w.thread.terminate(); };
      opts.signal?.addEventListener('abort', stop, { once: true });
      if (opts.signal?.aborted) stop();
      try {
        await Promise.all(ready);
      } catch (e) {
        await pool.close();
        throw opts.signal?.aborted ? new SpillwayError('cancelled', 'the worker threads were stopped while starting') : e;
      } finally {
        opts.signal?.removeEventListener('abort', stop);
      }
      return pool;
    } finally {
      if (setHeap) setFlagsFromString('--initial-old-space-size=0');
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.transport.close();
  }
}
