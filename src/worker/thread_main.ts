/**
 * Entry of a worker thread (embedded `--workers N`): one WorkerRuntime serving its exchange
 * on every port it was given (the host's and each peer thread's) and taking control
 * messages (protocol/thread_messages.ts) from the host. Loaded from dist/ by scheduler/thread_workers.ts.
 *
 *   host port  ──control──▶ runtime.runTask / cancelQuery / releaseQuery / status
 *              ◀─exchange── servePortExchange(runtime.buffer)   (the host reads results)
 *   peer ports ◀─exchange─▶ servePortExchange + PortTransport    (threads read each other)
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { SpillwayError } from '../common/errors.js';
import { servePortExchange, PortTransport } from '../exchange/port_transport.js';
import type { HostMessage, ThreadMessage, ThreadWorkerData } from '../protocol/thread_messages.js';
import { WorkerRuntime } from './worker_runtime.js';
import { createLogger, parseLogLevel } from '../observe/log.js';

async function main(data: ThreadWorkerData): Promise<void> {
  const { config, control } = data;
  const level = data.logLevel !== undefined ? parseLogLevel(data.logLevel) : data.quiet ? 'silent' : 'info';
  const logger = createLogger({ level, base: { role: 'worker' } });
  const runtime = await WorkerRuntime.start({ config, address: data.address, logger, storage: 'none' });
  // Folded into the coordinator's metrics: the thread's series keep apart by this label.
  runtime.metrics.registry.setDefaultLabels({ runtime: data.address });
  const peers = new Map<string, MessagePort>(data.peers);
  runtime.peers = new PortTransport(peers, { credits: config.exchange_credits, networkTimeoutMs: config.network_timeout_ms });
  const serveOpts = {
    networkTimeoutMs: config.network_timeout_ms,
    onBatchSent: (rawBytes: number) => runtime.metrics.exchangeSentBytes.inc(rawBytes),
  };
  const servers = [servePortExchange(control, runtime.buffer, serveOpts), ...[...peers.values()].map((p) => servePortExchange(p, runtime.buffer, serveOpts))];
  runtime.metrics.watchStreams(() => servers.reduce((n, s) => n + s.active, 0));
  const running = new Map<number, AbortController>();

  const reply = (m: ThreadMessage) => control.postMessage(m);
  const answer = (id: number, work: () => Promise<unknown>) => {
    work().then(
      (value) => reply({ t: 'c-reply', id, ok: true, value }),
      (e: unknown) => reply({
        t: 'c-reply', id, ok: false,
        message: e instanceof Error ? e.message : String(e), kind: e instanceof SpillwayError ? e.kind : 'execution',
      }),
    );
  };

  control.on('message', (raw: unknown) => {
    const m = raw as HostMessage;
    if (typeof m !== 'object' || m === null || typeof m.t !== 'string' || !m.t.startsWith('c-')) return;
    switch (m.t) {
      case 'c-run': {
        const abort = new AbortController();
        running.set(m.id, abort);
        answer(m.id, async () => {
          try {
            return (await runtime.runTask(m.request, m.config, m.attempt, abort.signal)).result;
          } finally {
            running.delete(m.id);
          }
        });
        break;
      }
      case 'c-abort':
        running.get(m.id)?.abort(new SpillwayError('cancelled', 'the coordinator gave up on this task'));
        break;
      case 'c-cancel':
        runtime.cancelQuery(m.queryId, m.reason);
        break;
      case 'c-release':
        answer(m.id, () => runtime.releaseQuery(m.queryId));
        break;
      case 'c-status':
        runtime.renewLeases(m.queries ?? []);
        answer(m.id, async () => runtime.status());
        break;
      case 'c-metrics':
        answer(m.id, () => runtime.metrics.registry.getMetricsAsJSON());
        break;
      case 'c-close':
        answer(m.id, async () => {
          await runtime.close();
          for (const s of servers) s.close();
        });
        break;
    }
  });
  reply({ t: 'c-ready', address: data.address });
}

main(workerData as ThreadWorkerData).catch((e: unknown) => {
  process.stderr.write(`spillway worker thread: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
