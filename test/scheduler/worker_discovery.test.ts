/**
 * Workers found through DNS (`--workers dns:NAME:PORT`), against a DNS server started here
 * on loopback and real worker processes: the set is resolved at the first query, and a
 * changed set (a worker added or replaced) is used by the next query.
 *
 * Two workers share one port on two loopback addresses (127.0.0.1 and 127.0.0.2), as pods
 * behind a headless Service share the container port on their own addresses.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { parseWorkersFlag, type DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { dnsServerResolver, WorkerDiscovery } from '../../src/scheduler/worker_discovery.js';
import { Session } from '../../src/session.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, startWorkerProcess, stopCluster, tempDir, type WorkerProcess } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

/** A DNS server answering A queries from `records` (NXDOMAIN for other names, no AAAA). */
async function startDnsServer(records: Map<string, string[]>): Promise<{ server: Socket; address: string; queries: () => number }> {
  const server = createSocket('udp4');
  let queries = 0;
  server.on('message', (msg, peer) => {
    queries++;
    let pos = 12;
    const labels: string[] = [];
    while (msg[pos]! !== 0) { labels.push(msg.subarray(pos + 1, pos + 1 + msg[pos]!).toString('ascii')); pos += msg[pos]! + 1; }
    const question = msg.subarray(12, pos + 5);
    const qtype = msg.readUInt16BE(pos + 1);
    const ips = records.get(labels.join('.').toLowerCase());
    const answers = ips && qtype === 1 ? ips : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(ips ? 0x8180 : 0x8183, 2); // response, recursion available; NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records_ = answers.map((ip) => {
      const r = Buffer.alloc(16);
      r.writeUInt16BE(0xc00c, 0); r.writeUInt16BE(1, 2); r.writeUInt16BE(1, 4); r.writeUInt32BE(0, 6); r.writeUInt16BE(4, 10);
      ip.split('.').forEach((b, i) => { r[12 + i] = Number(b); });
      return r;
    });
    server.send(Buffer.concat([header, question, ...records_]), peer.port, peer.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${server.address().port}`, queries: () => queries };
}

describe('dns:NAME:PORT worker entries', () => {
  it('are parsed and checked like addresses', () => {
    expect(parseWorkersFlag('dns:spillway-workers:7070,10.0.0.1:7070')).toEqual(['dns:spillway-workers:7070', '10.0.0.1:7070']);
    expect(() => parseWorkersFlag('dns:spillway-workers')).toThrow(/dns:spillway-workers.*expected dns:NAME:PORT/);
    expect(() => parseWorkersFlag('dns:bad_name:70000')).toThrow(SpillwayError);
  });

  it('resolve to every address of the name, sorted, next to fixed addresses', async () => {
    const d = new WorkerDiscovery(['dns:w:7070', '10.9.9.9:1'], async () => ['10.0.0.2', '10.0.0.1', 'fd00::1']);
    expect(await d.addresses()).toEqual(['10.0.0.1:7070', '10.0.0.2:7070', '10.9.9.9:1', '[fd00::1]:7070']);
    expect(await d.changed()).toBe(false);
  });

  it('name the entry that does not resolve', async () => {
    const d = new WorkerDiscovery(['dns:nowhere.invalid:7070'], async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); });
    await expect(d.addresses()).rejects.toThrow('--workers dns:nowhere.invalid:7070: nowhere.invalid does not resolve (ENOTFOUND)');
  });
});

describe.skipIf(!HAVE_DIST)('workers discovered through a DNS server on loopback', () => {
  const records = new Map<string, string[]>();
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  const workers: WorkerProcess[] = [];
  let session: Session | undefined;
  let tables = '';
  let port = 0;

  beforeAll(async () => {
    dns = await startDnsServer(records);
    const first = await startWorkerProcess();
    port = Number(first.address.split(':')[1]);
    workers.push(first, await startWorkerProcess(['--listen', '127.0.0.2', '--port', String(port)]));
    tables = tempDir('spillway-dns-tables-');
    const local = await Session.create();
    const values = (n: number) => Array.from({ length: n }, (_, i) => `(${i})`).join(',');
    // Four files, so the scan has four tasks to spread.
    mkdirSync(`${tables}/t`);
    for (let f = 0; f < 4; f++) {
      await local.sql(`copy (select (a.x * 200 + b.y) % 97 as k, a.x * 200 + b.y + ${f} as v from (values ${values(25)}) a(x), (values ${values(200)}) b(y)) to '${tables}/t/part-${f}.parquet'`);
    }
    await local.close();
  }, 60_000);

  afterAll(async () => {
    await stopCluster(session, workers);
    dns?.server.close();
    if (tables !== '') rmSync(tables, { recursive: true, force: true });
  }, 30_000);

  it('runs on the resolved set and follows it when it changes', async () => {
    records.set('workers.spillway.test', ['127.0.0.1']);
    session = await Session.create({
      tables, workers: [`dns:workers.spillway.test:${port}`], resolveHost: dnsServerResolver([dns.address]),
      config: { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500 },
    });
    const sql = 'select k, count(*) c, sum(v) s from t group by k order by k';
    const reference = await Session.create({ tables });
    const want = await reference.sql(sql);
    await reference.close();
    const executor = session.executor as DistributedExecutor;

    const one = await session.sql(sql);
    expect(one.rows()).toEqual(want.rows());
    expect(Object.keys(executor.lastRun!.tasksPerWorker)).toEqual([`127.0.0.1:${port}`]);

    // A second pod becomes ready: the next query runs on both.
    records.set('workers.spillway.test', ['127.0.0.1', '127.0.0.2']);
    const two = await session.sql(sql);
    expect(two.rows()).toEqual(want.rows());
    expect(Object.keys(executor.lastRun!.tasksPerWorker).sort()).toEqual([`127.0.0.1:${port}`, `127.0.0.2:${port}`]);

    // The first is replaced by the second alone.
    records.set('workers.spillway.test', ['127.0.0.2']);
    const three = await session.sql(sql);
    expect(three.rows()).toEqual(want.rows());
    expect(Object.keys(executor.lastRun!.tasksPerWorker)).toEqual([`127.0.0.2:${port}`]);
    expect(dns.queries()).toBeGreaterThan(0);
  }, 60_000);

  it('fails with one line naming the entry when the name does not resolve', async () => {
    const s = await Session.create({
      tables, workers: ['dns:missing.spillway.test:7070'], resolveHost: dnsServerResolver([dns.address]),
      config: { force_distribution: true },
    });
    try {
      await expect(s.sql('select count(*) from t')).rejects.toThrow(/--workers dns:missing\.spillway\.test:7070: missing\.spillway\.test does not resolve \(ENOTFOUND\)/);
    } finally {
      await s.close();
    }
  }, 30_000);
});
