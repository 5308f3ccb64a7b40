/**
 * The standard gRPC health service on a worker process: what Kubernetes' `grpc:` probes and
 * grpc_health_probe call. It answers without the token (probes cannot send one); every
 * other method still demands it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_SERVICE, servingStatusName } from '../../src/exchange/health_service.js';
import { WORKER_SERVICE_RAW } from '../../src/worker/worker_server.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, killAll, startWorkerProcess, tempDir, type WorkerProcess } from '../scheduler/helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const Client = grpc.makeGenericClientConstructor({ ...HEALTH_SERVICE, ...WORKER_SERVICE_RAW }, 'Probe');

function call(client: grpc.Client, method: 'Check' | 'Heartbeat', request: unknown): Promise<{ err: grpc.ServiceError | null; res: unknown }> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>)[method]!(request, (err, res) => resolve({ err, res }));
  });
}

describe.skipIf(!HAVE_DIST)('grpc.health.v1.Health on a worker with a token', () => {
  let worker: WorkerProcess | undefined;
  let client: grpc.Client;

  beforeAll(async () => {
    const dir = tempDir('spillway-health-');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'health-test-token\n', { mode: 0o600 });
    worker = await startWorkerProcess(['--token-file', tokenFile]);
    client = new Client(worker.address, grpc.credentials.createInsecure());
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await killAll([worker]);
  });

  it('answers SERVING without a token, for the server and its services', async () => {
    for (const service of ['', 'spillway.Worker', 'spillway.Exchange']) {
      const { err, res } = await call(client, 'Check', { service });
      expect(err).toBeNull();
      expect(servingStatusName((res as { status: number }).status)).toBe('SERVING');
    }
  });

  it('answers NOT_FOUND for a service it does not serve', async () => {
    const { err } = await call(client, 'Check', { service: 'grpc.reflection.v1.ServerReflection' });
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
  });

  it('still refuses every other method without the token', async () => {
    const { err } = await call(client, 'Heartbeat', Buffer.alloc(0));
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});
