/**
 * Workers let no stranger in (real `spillway worker` processes on loopback): a plan may
 * read only below the worker's data roots, hostile sizes are refused before anything is
 * allocated, every call must carry the token, TLS and mutual TLS work, and random bytes
 * thrown at every method leave the worker up and answering.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { SpillwayError } from '../../src/common/errors.js';
import { encodeMessage } from '../../src/common/protobuf.js';
import { loadSecurity, NO_SECURITY, type GrpcSecurity } from '../../src/exchange/security.js';
import { GrpcTransport } from '../../src/exchange/grpc_transport.js';
import type { TaskRequest } from '../../src/exec/task_runner.js';
import { serializePlan, type PhysicalPlan } from '../../src/plan/physical.js';
import { RUN_TASK_REQUEST } from '../../src/protocol/worker_messages.js';
import { encodeRunTaskRequest } from '../../src/protocol/task_codec.js';
import { GrpcWorkerClient } from '../../src/scheduler/grpc_worker_client.js';
import { Session } from '../../src/session.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { killAll, startWorkerProcess, tempDir, type WorkerProcess } from '../scheduler/helpers.js';

const SETTINGS = { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500 };
const TOKEN = 'correct-horse-battery-staple-42';

let data: string, secrets: string, tokenFile: string, wrongTokenFile: string;
const workers: WorkerProcess[] = [];

function scanPlan(path: string): PhysicalPlan {
  const schema = { fields: [{ name: 'a', type: 'int64', nullable: true }] };
  return {
    kind: 'ParquetScan', id: 1, schema, partitions: 1, table: 't', columns: [0], pruning: [],
    slices: [[{ path, bytes: 0 }]],
  } as unknown as PhysicalPlan;
}

function task(plan: PhysicalPlan, queryId: string): TaskRequest {
  return { queryId, stageId: 0, task: 0, plan: serializePlan(plan), output: { kind: 'single' }, writerMetricsId: 1, inputs: {} };
}

async function runTaskOn(address: string, security: GrpcSecurity, req: TaskRequest): Promise<unknown> {
  const c = new GrpcWorkerClient(address, security);
  try {
    return await c.runTask(req, makeConfig({}, {}), 0, new AbortController().signal);
  } catch (e) {
    return e;
  } finally {
    await c.close();
  }
}

async function stillServes(address: string, security: GrpcSecurity): Promise<void> {
  const c = new GrpcWorkerClient(address, security);
  try {
    expect((await c.heartbeat(5000)).runningTasks).toBe(0);
  } finally {
    await c.close();
  }
}

async function countRows(worker: string, security: GrpcSecurity): Promise<number> {
  const s = await Session.create({ tables: data, config: SETTINGS, workers: [worker], security });
  try {
    const res = await s.sql('select count(*), sum(a) from t');
    return Number(res.rows()[0]![0]);
  } finally {
    await s.close();
  }
}

function rawCall(address: string, path: string, bytes: Buffer, creds = grpc.credentials.createInsecure(), metadata = new grpc.Metadata()): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, creds);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, { deadline: Date.now() + 5000 }, (err) => {
      client.close();
      resolve(err);
    });
  });
}

beforeAll(async () => {
  data = tempDir('spillway-trust-data-');
  secrets = tempDir('spillway-trust-secret-');
  const duck = await DuckOracle.open();
  await duck.run(`copy (select range as a from range(1000)) to '${join(data, 't.parquet')}' (format parquet)`);
  await duck.run(`copy (select 'hunter2' as password_column) to '${join(secrets, 'secret.parquet')}' (format parquet)`);
  duck.close();
  chmodSync(join(secrets, 'secret.parquet'), 0o600);
  symlinkSync(join(secrets, 'secret.parquet'), join(data, 'link.parquet'));
  tokenFile = join(secrets, 'token');
  wrongTokenFile = join(secrets, 'wrong-token');
  writeFileSync(tokenFile, TOKEN + '\n');
  writeFileSync(wrongTokenFile, 'not-the-right-token-at-all\n');
  workers.push(await startWorkerProcess(['--data-root', data, '--token-file', tokenFile, '--quiet']));
}, 60_000);

afterAll(async () => {
  await killAll(workers);
});

describe('confinement to the data roots', () => {
  const security = () => loadSecurity({ tokenFile });

  it('refuses a plan naming a file outside the roots, the same way whether it exists or not', async () => {
    const address = workers[0]!.address;
    const errors: unknown[] = [];
    for (const path of [join(secrets, 'secret.parquet'), join(secrets, 'missing.parquet'), join(data, '..', 'x', '..', 'secret.parquet'), 'relative.parquet']) {
      errors.push(await runTaskOn(address, security(), task(scanPlan(path), `attack${errors.length}`)));
    }
    for (const e of errors) {
      expect(e).toBeInstanceOf(SpillwayError);
      expect((e as SpillwayError).kind).toBe('permission');
      expect((e as SpillwayError).message).toMatch(/reads only below its data roots/);
      expect((e as SpillwayError).message).not.toMatch(/password|hunter2|no such file|ENOENT/);
    }
    await stillServes(address, security());
  }, 30_000);

  it('refuses a symbolic link inside a root that leads outside it', async () => {
    const e = await runTaskOn(workers[0]!.address, security(), task(scanPlan(join(data, 'link.parquet')), 'attack-link'));
    expect((e as SpillwayError).kind).toBe('permission');
  }, 30_000);

  it('reads files inside its roots', async () => {
    expect(await countRows(workers[0]!.address, security())).toBe(1000);
  }, 60_000);
});

describe('bounds on what one message can ask for', () => {
  it('refuses a huge partition count before allocating anything', async () => {
    const address = workers[0]!.address;
    const security = loadSecurity({ tokenFile });
    const values = { kind: 'Values', id: 1, partitions: 1, schema: { fields: [] }, rows: [[]] } as unknown as PhysicalPlan;
    const huge = await runTaskOn(address, security, { ...task(values, 'oom1'), output: { kind: 'round_robin', partitions: 100_000_000 } });
    expect(String(huge)).toMatch(/partition count from 1 to 4096/);
    const hugePlan = await runTaskOn(address, security, task({ ...values, partitions: 100_000_000 } as PhysicalPlan, 'oom2'));
    expect(String(hugePlan)).toMatch(/100000000 partitions; expected 1 to 4096/);
    const msg = encodeRunTaskRequest({ request: task(values, 'oom3'), config: makeConfig({}, {}), attempt: 0 });
    const tooBig = await rawCall(address, '/spillway.Worker/RunTask', Buffer.concat([encodeMessage(RUN_TASK_REQUEST, msg), Buffer.alloc(65 * 1024 * 1024, 0x0a)]),
      undefined, tokenMetadata(TOKEN));
    expect(tooBig?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await stillServes(address, security);
  }, 30_000);
});

function tokenMetadata(token: string): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
}

describe('the token', () => {
  it('refuses calls without it or with a wrong one, with one clear line', async () => {
    const address = workers[0]!.address;
    for (const security of [NO_SECURITY, loadSecurity({ tokenFile: wrongTokenFile })]) {
      const c = new GrpcWorkerClient(address, security);
      try {
        const e = await c.heartbeat(5000).then(() => null, (err: unknown) => err);
        expect(e).toBeInstanceOf(SpillwayError);
        expect((e as SpillwayError).kind).toBe('config');
        expect((e as SpillwayError).message).toBe(`worker ${address} refused the connection: missing or wrong token (see --token-file)`);
      } finally {
        await c.close();
      }
    }
    expect((await rawCall(address, '/spillway.Worker/Heartbeat', Buffer.alloc(0)))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await rawCall(address, '/spillway.Worker/Heartbeat', Buffer.alloc(0), undefined, tokenMetadata(TOKEN)))).toBeNull();
  }, 30_000);

  it('guards the exchange too', async () => {
    const transport = new GrpcTransport({ credits: 2, networkTimeoutMs: 5000 });
    const stream = transport.open({ queryId: 'q', stageId: 0, task: 0, partition: 0, worker: workers[0]!.address, compression: 'none' }, new AbortController().signal);
    const e = await (async () => {
      try { for await (const _b of stream) break; return null; } catch (err) { return err; }
    })();
    await transport.close();
    expect((e as SpillwayError).kind).toBe('config');
    expect(String(e)).toMatch(/token/);
  }, 30_000);

  it('lets the right token run queries', async () => {
    expect(await countRows(workers[0]!.address, loadSecurity({ tokenFile }))).toBe(1000);
  }, 60_000);
});

describe('TLS', () => {
  let pki: string;
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });

  beforeAll(() => {
    pki = tempDir('spillway-trust-pki-');
    mkdirSync(pki, { recursive: true });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=spillway-test-ca');
    for (const name of ['server', 'client']) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(pki, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    }
  });

  it('serves TLS to clients that trust its CA, and refuses plaintext', async () => {
    const w = await startWorkerProcess(['--data-root', data, '--token-file', tokenFile, '--tls-cert', join(pki, 'server.pem'), '--tls-key', join(pki, 'server.key'), '--quiet']);
    workers.push(w);
    expect(await countRows(w.address, loadSecurity({ tokenFile, tlsCa: join(pki, 'ca.pem') }))).toBe(1000);
    const plain = new GrpcWorkerClient(w.address, loadSecurity({ tokenFile }));
    try {
      await expect(plain.heartbeat(3000)).rejects.toThrow(SpillwayError);
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('with --tls-ca demands a client certificate (mutual TLS)', async () => {
    const w = await startWorkerProcess(['--data-root', data, '--token-file', tokenFile, '--quiet',
      '--tls-cert', join(pki, 'server.pem'), '--tls-key', join(pki, 'server.key'), '--tls-ca', join(pki, 'ca.pem')]);
    workers.push(w);
    const noCert = new GrpcWorkerClient(w.address, loadSecurity({ tokenFile, tlsCa: join(pki, 'ca.pem') }));
    try {
      await expect(noCert.heartbeat(3000)).rejects.toThrow(SpillwayError);
    } finally {
      await noCert.close();
    }
    const mutual = loadSecurity({ tokenFile, tlsCa: join(pki, 'ca.pem'), tlsCert: join(pki, 'client.pem'), tlsKey: join(pki, 'client.key') });
    expect(await countRows(w.address, mutual)).toBe(1000);
  }, 60_000);
});

describe('hostile bytes', () => {
  it('survives random bytes and mutated messages on every method, then answers a query', async () => {
    const address = workers[0]!.address;
    const security = loadSecurity({ tokenFile });
    let seed = 12345;
    const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const valid = encodeMessage(RUN_TASK_REQUEST, encodeRunTaskRequest({
      request: task(scanPlan(join(data, 't.parquet')), 'fuzz'), config: makeConfig({}, {}), attempt: 0,
    }));
    const methods = ['RunTask', 'CancelQuery', 'ReleaseQuery', 'Heartbeat', 'NoSuchMethod'].map((m) => `/spillway.Worker/${m}`);
    const deadline = Date.now() + 15_000;
    let sent = 0;
    const codes = new Set<number>();
    while (sent < 300 && Date.now() < deadline) {
      let bytes: Buffer;
      if (rand(2) === 0) {
        bytes = Buffer.alloc(rand(200));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rand(256);
      } else {
        bytes = Buffer.from(valid.subarray(0, rand(valid.length + 1)));
        for (let k = rand(8); k >= 0 && bytes.length > 0; k--) bytes[rand(bytes.length)] = rand(256);
      }
      const err = await rawCall(address, methods[rand(methods.length)]!, bytes, undefined, tokenMetadata(TOKEN));
      codes.add(err === null ? grpc.status.OK : err.code);
      sent++;
    }
    // Random bytes on the exchange stream as well.
    for (let i = 0; i < 20; i++) {
      const client = new grpc.Client(address, grpc.credentials.createInsecure());
      const call = client.makeBidiStreamRequest('/spillway.Exchange/DoExchange', (b: Buffer) => b, (b: Buffer) => b, tokenMetadata(TOKEN), {});
      await new Promise<void>((resolve) => {
        call.on('error', () => resolve());
        call.on('end', () => resolve());
        call.on('data', () => {});
        const junk = Buffer.alloc(1 + rand(100));
        for (let j = 0; j < junk.length; j++) junk[j] = rand(256);
        call.write(junk);
        call.end();
      });
      client.close();
    }
    expect(sent).toBeGreaterThan(50);
    expect(codes.has(grpc.status.INVALID_ARGUMENT)).toBe(true);
    expect(codes.has(grpc.status.UNIMPLEMENTED)).toBe(true);
    expect(workers[0]!.proc.exitCode).toBeNull();
    await stillServes(address, security);
    expect(await countRows(address, security)).toBe(1000);
  }, 60_000);
});
