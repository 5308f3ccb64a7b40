/**
 * The web page (`spillway sql --ui PORT`): node:http, no framework, loopback by default.
 *
 *   GET /                    the queries of the session, running first (page.ts, polls /api/queries)
 *   GET /query/<id>          one query: its stage DAG as SVG with live per-stage figures, and
 *                            EXPLAIN ANALYZE once it ended (polls /api/queries/<id>)
 *   GET /api/queries         [{queryId, sql, state, elapsedMs, tasks, tasksDone, …}]
 *   GET /api/queries/<id>    {progress, layout (dagre, laid out here), explain}
 *   GET /metrics             the session's Prometheus metrics
 */
import { createServer, type ServerResponse } from 'node:http';
import { listen, serveMetrics, type HttpEndpoint, type MetricsSource } from '../observe/metrics_server.js';
import type { QueryLog } from '../observe/query_log.js';
import { layoutDag } from './dag_layout.js';
import { LIST_PAGE, QUERY_PAGE } from './page.js';

/** What the page shows: a session's queries and metrics (Session has both). */
export interface UiSource {
  readonly queries: QueryLog;
  metricsText: MetricsSource;
}

export interface UiServerOptions {
  source: UiSource;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port. */
  port: number;
}

const QUERY_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function startUiServer(opts: UiServerOptions): Promise<HttpEndpoint> {
  const { source } = opts;
  const server = createServer((req, res) => {
    if (serveMetrics(req, res, () => source.metricsText())) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET' }).end(); return; }
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('malformed URL\n');
      return;
    }
    if (path === '/') { html(res, LIST_PAGE); return; }
    if (path === '/api/queries') {
      json(res, source.queries.list().map((t) => {
        const p = t.snapshot();
        return {
          queryId: p.queryId, sql: p.sql, state: p.state, mode: p.mode, startedAt: p.startedAt, elapsedMs: p.elapsedMs,
          stages: p.stages.length, tasks: p.tasks, tasksDone: p.tasksDone, rowsScanned: p.rowsScanned, rowsToScan: p.rowsToScan, error: p.error,
        };
      }));
      return;
    }
    const page = /^\/query\/([^/]+)$/.exec(path);
    if (page && QUERY_ID.test(page[1]!)) { html(res, QUERY_PAGE); return; }
    const api = /^\/api\/queries\/([^/]+)$/.exec(path);
    if (api && QUERY_ID.test(api[1]!)) {
      const t = source.queries.get(api[1]!);
      if (t === undefined) { json(res, { error: `no query ${api[1]} (only the last ones are kept)` }, 404); return; }
      const progress = t.snapshot();
      json(res, { progress, layout: layoutDag(progress), explain: t.explain() });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
  });
  return listen(server, opts.host ?? '127.0.0.1', opts.port);
}

function html(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

function json(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(value));
}
