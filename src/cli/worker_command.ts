/**
 * `spillway worker`: run one worker process until SIGTERM or SIGINT.
 *
 *   spillway worker --port P [--listen H] [--data-root DIR]… [--token-file F] [--tls-cert F --tls-key F [--tls-ca F]]
 *                   [--memory-limit SIZE] [--spill-dir DIR] [--set NAME=VALUE] [--quiet]
 *
 * Prints `spillway worker listening on H:P` on stdout once it serves (P is the real port
 * when --port 0 asked for any free one); task log lines go to stderr. On SIGTERM/SIGINT it
 * cancels running tasks, releases every query (buffers and spill folders), closes the port
 * and returns 0.
 *
 * Trust: a worker runs whatever tasks its callers send and reads files for them, so it
 * reads only below its data roots, and without a token it listens on loopback only unless
 * --listen names another interface.
 */
import { makeConfig, type Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { flag, hasFlag, parseArgs, portFlag } from './args.js';
import { startMetricsServer, type HttpEndpoint } from '../observe/metrics_server.js';
import { createLogger, parseLogLevel } from '../observe/log.js';
import { metricsText } from '../observe/prometheus.js';
import { loadSecurity } from '../exchange/security.js';
import { DataRoots } from '../worker/data_roots.js';
import { startWorkerServer } from '../worker/worker_server.js';

export const WORKER_OPTIONS = {
  value: ['port', 'listen', 'host', 'data-root', 'token-file', 'tls-cert', 'tls-key', 'tls-ca', 'memory-limit', 'spill-dir', 'set', 'metrics-port', 'log-level'],
  boolean: ['quiet', 'help', 'verbose'],
};

const HELP = `usage: spillway worker --port P [options]

  --port P              port to serve on (0 = any free port; the chosen one is printed)
  --listen H            interface to bind (default 127.0.0.1; 0.0.0.0 with a token)
  --data-root DIR       tasks may read files only below DIR (repeatable; default .)
  --token-file F        shared secret every caller must send (also SPILLWAY_TOKEN_FILE)
  --tls-cert F --tls-key F   serve TLS with this certificate and key
  --tls-ca F            with TLS: demand client certificates signed by this CA (mutual TLS)
  --memory-limit SIZE   this worker's memory pool limit, e.g. 2GB; operators spill beyond it
  --spill-dir DIR       where this worker's spill files go (default $TMPDIR/spillway)
  --set NAME=VALUE      any other setting (network_timeout_ms, exchange_credits, …)
  --metrics-port M      serve Prometheus metrics at http://H:M/metrics (H: the --listen interface)
  --log-level LEVEL     structured logs on stderr from this level up (default info): fatal,
                        error, warn, info, debug, trace, silent (JSON; readable on a terminal)
  --quiet               no per-task log lines (only warnings and errors of tasks)`;

export async function workerCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, WORKER_OPTIONS);
  if (hasFlag(args, 'help')) { process.stdout.write(HELP + '\n'); return 0; }
  if (args.positionals.length > 0) throw new SpillwayError('config', `spillway worker takes no arguments, got "${args.positionals[0]}"`);
  const portText = flag(args, 'port');
  if (portText === undefined) throw new SpillwayError('config', 'spillway worker needs --port P (0 = any free port)');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SpillwayError('config', `invalid --port "${portText}": expected 0..65535`);
  const metricsPort = portFlag(args, 'metrics-port');
  const logger = createLogger({ level: parseLogLevel(flag(args, 'log-level') ?? 'info'), base: { role: 'worker' } });
  // --quiet: no per-task lines; the worker's own (listening, shutting down) stay.
  const taskLogger = hasFlag(args, 'quiet') && logger.isLevelEnabled('info') ? logger.child({}, { level: 'warn' }) : logger;
  const settings: Partial<Record<keyof Config, string>> = {};
  for (const s of args.flags.get('set') ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SpillwayError('config', `--set expects NAME=VALUE, got "${s}"`);
    settings[s.slice(0, eq).trim() as keyof Config] = s.slice(eq + 1).trim();
  }
  const memoryLimit = flag(args, 'memory-limit');
  const spillDir = flag(args, 'spill-dir');
  if (memoryLimit !== undefined) settings.memory_limit = memoryLimit;
  if (spillDir !== undefined) settings.spill_dir = spillDir;
  const config = makeConfig(settings);
  const security = loadSecurity({
    tokenFile: flag(args, 'token-file') ?? (process.env.SPILLWAY_TOKEN_FILE || undefined),
    tlsCert: flag(args, 'tls-cert'), tlsKey: flag(args, 'tls-key'), tlsCa: flag(args, 'tls-ca'),
  });
  const dataRoots = new DataRoots(args.flags.get('data-root') ?? [process.cwd()]);
  const host = flag(args, 'listen') ?? flag(args, 'host') ?? (security.token === null ? '127.0.0.1' : '0.0.0.0');
  if (security.token === null && !isLoopback(host)) {
    logger.warn({ host }, `no --token-file, so anyone who reaches ${host} can run tasks on this worker`);
  }

  let server;
  try {
    server = await startWorkerServer({ host, port, config, security, dataRoots, logger: taskLogger });
  } catch (e) {
    throw new SpillwayError('config', `cannot start the worker on ${host}:${port}: ${(e as Error).message}`, { cause: e });
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  let metrics: HttpEndpoint | null = null;
  if (metricsPort !== undefined) {
    const runtime = server.runtime;
    try {
      metrics = await startMetricsServer({ host, port: metricsPort, source: () => metricsText(runtime.metrics) });
    } catch (e) {
      await server.close();
      throw new SpillwayError('config', `cannot serve metrics on ${host}:${metricsPort}: ${(e as Error).message}`, { cause: e });
    }
  }
  process.stdout.write(`spillway worker listening on ${shown}:${server.port}\n`);
  if (metrics !== null) process.stdout.write(`spillway worker metrics on http://${metrics.address}/metrics\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.removeListener('SIGTERM', on);
      process.removeListener('SIGINT', on);
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  logger.info({ worker: server.address, signal }, `${signal}, shutting down`);
  await metrics?.close();
  await server.close();
  return 0;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
