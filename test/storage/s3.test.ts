/**
 * S3 end to end against s3rver, an S3-compatible server started here on loopback: TPC-H
 * SF 0.01 uploaded, queries in one thread and on 2 worker threads reading S3 themselves,
 * read_parquet globs, CREATE EXTERNAL TABLE, COPY TO s3:// and back, and the failures a user
 * meets (missing bucket or key, wrong credentials, a server that stops mid-read), and hive
 * partition folders written by COPY … PARTITION_BY read back as columns.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { S3Store, type S3Settings } from '../../src/storage/s3_store.js';
import { diffRows, parseCsv } from '../helpers/compare.js';
import { HAVE_SHARED, SHARED_MISSING_MESSAGE, TPCH_DIR, TPCH_SF001 } from '../helpers/paths.js';
import { resultCells } from '../helpers/spillway.js';

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

const QUERIES = ['q01', 'q03', 'q05', 'q06', 'q10', 'q12'];

function settingsFor(endpoint: string, key = 'S3RVER'): Record<string, string> {
  return { s3_endpoint: endpoint, s3_url_style: 'path', s3_region: 'us-east-1', s3_access_key_id: key, s3_secret_access_key: key };
}

function storeSettings(endpoint: string): S3Settings {
  return {
    s3_region: 'us-east-1', s3_endpoint: endpoint, s3_url_style: 'path', s3_access_key_id: 'S3RVER', s3_secret_access_key: 'S3RVER',
    s3_session_token: '', s3_use_ssl: false, network_timeout_ms: 10_000,
  };
}

async function expectTpch(db: Spillway, q: string): Promise<void> {
  const sql = readFileSync(join(TPCH_DIR, 'queries', `${q}.sql`), 'utf8');
  const expected = parseCsv(readFileSync(join(TPCH_DIR, 'expected/sf0.01', `${q}.csv`), 'utf8'));
  const res = await db.sql(sql);
  const diff = diffRows(resultCells(res), expected.rows, true);
  expect(diff, diff ?? '').toBeNull();
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe.skipIf(!HAVE_SHARED)('S3 on a loopback s3rver', () => {
  let dir: string;
  let s3rver: S3rver;
  let endpoint: string;
  let store: S3Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-s3-'));
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'tpch' }, { name: 'out' }] });
    const addr = await s3rver.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    store = new S3Store(storeSettings(endpoint), { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    for (const f of readdirSync(TPCH_SF001).filter((n) => n.endsWith('.parquet'))) {
      await store.upload(join(TPCH_SF001, f), `s3://tpch/sf0.01/${f}`);
    }
  }, 30_000);

  afterAll(async () => {
    store?.destroy();
    await s3rver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stat, list, ranged reads and a multipart upload through the store', async () => {
    expect(await store.stat('s3://tpch/sf0.01')).toEqual({ kind: 'directory', size: 0 });
    expect(await store.stat('s3://tpch/sf0.01/nope.parquet')).toBeNull();
    const files = await store.list('s3://tpch/sf0.01');
    expect(files).toContain('s3://tpch/sf0.01/lineitem.parquet');
    const local = readFileSync(join(TPCH_SF001, 'nation.parquet'));
    const obj = await store.open('s3://tpch/sf0.01/nation.parquet');
    expect(obj.byteLength).toBe(local.length);
    expect(Buffer.from(await obj.slice(4, 20))).toEqual(local.subarray(4, 20));
    expect(obj.bytesRead).toBe(16);
    // 11 MiB: three parts of at most 5 MiB.
    const big = Buffer.alloc(11 * 1024 * 1024, 7);
    big.write('end', big.length - 3);
    const bigFile = join(dir, 'big.bin');
    writeFileSync(bigFile, big);
    await store.upload(bigFile, 's3://out/big.bin');
    expect(await store.stat('s3://out/big.bin')).toMatchObject({ kind: 'file', size: big.length, version: expect.stringMatching(new RegExp(`^${big.length}:`)) });
    expect(Buffer.from(await store.read('s3://out/big.bin', big.length - 3, big.length)).toString()).toBe('end');
    await store.remove(['s3://out/big.bin']);
    expect(await store.stat('s3://out/big.bin')).toBeNull();
  });

  describe.each([
    { mode: 'one thread', workers: 0 },
    { mode: '2 worker threads', workers: 2 },
  ])('TPC-H from s3:// ($mode)', ({ workers }) => {
    let db: Spillway;
    beforeAll(async () => {
      db = await Spillway.create({ tables: 's3://tpch/sf0.01', workers, settings: { ...settingsFor(endpoint), force_distribution: workers > 0 } });
    }, 30_000);
    afterAll(async () => { await db?.close(); });

    it('discovers the tables', () => {
      expect(db.tables()).toEqual(['customer', 'lineitem', 'nation', 'orders', 'part', 'partsupp', 'region', 'supplier']);
    });
    for (const q of QUERIES) it(q, () => expectTpch(db, q), 30_000);
  });

  it('read_parquet with a glob, CREATE EXTERNAL TABLE, and COPY TO s3:// read back', async () => {
    const db = await Spillway.create({ workers: 0, settings: settingsFor(endpoint) });
    try {
      const r = await db.sql("select count(*) from read_parquet('s3://tpch/sf0.01/n*.parquet')");
      expect(r.rows()).toEqual([[25n]]);
      await db.sql("create external table orders stored as parquet location 's3://tpch/sf0.01/orders.parquet'");
      expect((await db.sql('select count(*) from orders')).rows()).toEqual([[15000n]]);

      await db.sql("copy (select o_orderkey, o_orderstatus, o_totalprice from orders where o_orderkey < 1000) to 's3://out/copy/o.parquet'");
      const back = await db.sql("select count(*), sum(o_orderkey) from read_parquet('s3://out/copy/o.parquet')");
      const local = await db.sql('select count(*), sum(o_orderkey) from orders where o_orderkey < 1000');
      expect(back.rows()).toEqual(local.rows());
      await expect(db.sql("copy (select 1 as a) to 's3://out/copy/o.parquet'")).rejects.toThrow(/already exists/);
      await db.sql("copy (select 2 as a) to 's3://out/copy/o.parquet' (overwrite)");
      expect((await db.sql("select a from read_parquet('s3://out/copy/o.parquet')")).rows()).toEqual([[2]]);

      // Partitioned: one object per folder; the table reads them all.
      await db.sql("copy (select o_orderstatus, o_orderkey from orders) to 's3://out/parts' (format parquet, partition_by (o_orderstatus))");
      const keys = await store.list('s3://out/parts');
      expect(keys.length).toBe(3);
      expect(keys.every((k) => /^s3:\/\/out\/parts\/o_orderstatus=[FOP]\/part-0\.parquet$/.test(k))).toBe(true);
      expect((await db.sql("select count(*) from read_parquet('s3://out/parts/**/*.parquet')")).rows()).toEqual([[15000n]]);
      // The folders are hive partitions: o_orderstatus is a column again, and prunes objects.
      const f = await db.sql("select count(*), min(o_orderstatus) from read_parquet('s3://out/parts/**/*.parquet') where o_orderstatus = 'F'");
      expect(f.rows()).toEqual((await db.sql("select count(*), min(o_orderstatus) from orders where o_orderstatus = 'F'")).rows());
      let pruned = 0;
      for (const m of f.metrics?.byNode.values() ?? []) pruned += m.extra.filesPruned ?? 0;
      expect(pruned).toBe(2);

      // A large CSV goes up as a multipart upload.
      await db.sql("copy (select * from read_parquet('s3://tpch/sf0.01/lineitem.parquet')) to 's3://out/lineitem.csv' (format csv)");
      const info = await store.stat('s3://out/lineitem.csv');
      expect(info!.size).toBeGreaterThan(5 * 1024 * 1024);
    } finally {
      await db.close();
    }
  }, 40_000);

  it('a missing bucket or key and wrong credentials each give one clear line', async () => {
    const db = await Spillway.create({ workers: 0, settings: settingsFor(endpoint) });
    try {
      await expect(db.sql("select * from read_parquet('s3://tpch/sf0.01/missing.parquet')")).rejects.toThrow(/no such file or directory/);
      await expect(db.sql("select * from read_parquet('s3://nosuchbucket/x.parquet')")).rejects.toThrow(/bucket "nosuchbucket" does not exist/);
      await expect(db.sql("create external table m stored as parquet location 's3://tpch/sf0.01/*.csv'")).rejects.toThrow(/no Parquet files match/);
      expect(await new S3Store(storeSettings(endpoint)).stat('s3://tpch/none/x.parquet')).toBeNull();
      await expect(new S3Store(storeSettings(endpoint)).open('s3://tpch/none/x.parquet')).rejects.toThrow('S3 "s3://tpch/none/x.parquet": no such object');
    } finally {
      await db.close();
    }
    const wrong = await Spillway.create({ workers: 0, settings: settingsFor(endpoint, 'WRONGKEY') }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(Spillway);
    const w = wrong as Spillway;
    try {
      const err = await w.sql("select count(*) from read_parquet('s3://tpch/sf0.01/nation.parquet')").catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^S3 "s3:\/\/tpch\/sf0.01\/nation.parquet": access denied \(InvalidAccessKeyId\)/);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await w.close();
    }
  });

  it('an unreachable endpoint and a server that stops mid-read fail with one line', async () => {
    // A second front for the same data that dies at the second ranged GET: the first reads
    // the footer when the query binds, the scan reuses it (footer_cache.ts) and then reads
    // data. The object is one no other test read, so its footer is not cached yet.
    await store.upload(join(TPCH_SF001, 'lineitem.parquet'), 's3://tpch/stops/lineitem.parquet');
    let gets = 0;
    const handle = s3rver.callback();
    const front: Server = createServer((req, res) => {
      if (req.method === 'GET' && req.headers.range !== undefined && ++gets > 1) {
        front.close();
        front.closeAllConnections();
        req.socket.destroy();
        return;
      }
      handle(req, res);
    });
    const port = await listen(front);
    const db = await Spillway.create({ workers: 0, settings: settingsFor(`http://127.0.0.1:${port}`) });
    try {
      const err = await db.sql("select sum(l_extendedprice), count(*) from read_parquet('s3://tpch/stops/lineitem.parquet')").catch((e: Error) => e);
      expect(gets).toBeGreaterThan(1);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`^S3 "s3://tpch/stops/lineitem.parquet": cannot reach the S3 endpoint http://127.0.0.1:${port}: .*\\(after 4 attempts\\)$`));
      // Nothing listening at all.
      const again = await db.sql("select * from read_parquet('s3://tpch/sf0.01/nation.parquet')").catch((e: Error) => e);
      expect((again as Error).message).toMatch(/cannot reach the S3 endpoint .*ECONNREFUSED.*\(after 4 attempts\)$/);
    } finally {
      await db.close();
      front.close();
    }
  });
});
