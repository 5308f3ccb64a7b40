/**
 * A small HTTP server for Prometheus to scrape: GET /metrics answers the runtime's metrics in
 * the text exposition format; anything else is 404. `spillway worker --metrics-port M` and
 * `spillway sql --metrics-port M` start one (the --ui page serves /metrics as well).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The metrics text and its content type, made anew for each scrape. */
export type MetricsSource = () => Promise<{ text: string; contentType: string }>;

export interface HttpEndpoint {
  readonly port: number;
  /** "host:port" as bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** Answer GET /metrics from `source`; false when the request is not for /metrics. */
export function serveMetrics(req: IncomingMessage, res: ServerResponse, source: MetricsSource): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET' }).end();
    return true;
  }
  source().then(
    ({ text, contentType }) => { res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : text); },
    (e: unknown) => { res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${e instanceof Error ? e.message : String(e)}\n`); },
  );
  return true;
}

/** Listen on host:port (0 = any free port) until close(). */
export function listen(server: Server, host: string, port: number): Promise<HttpEndpoint> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({
        port: a.port,
        address: `${host.includes(':') ? `[${host}]` : host}:${a.port}`,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

export function startMetricsServer(opts: { host?: string; port: number; source: MetricsSource }): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    if (!serveMetrics(req, res, opts.source)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
  });
  return listen(server, opts.host ?? '127.0.0.1', opts.port);
}
