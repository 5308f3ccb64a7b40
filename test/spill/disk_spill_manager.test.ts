import * as arrow from 'apache-arrow';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyBatch, type Batch } from '../../src/columnar/column.js';
import { batchFromRows, batchRows } from '../../src/columnar/kernels.js';
import { makeConfig } from '../../src/common/config.js';
import { SpillwayError } from '../../src/common/errors.js';
import {
  DiskSpillManager, OWNER_MARKER, createSpillManager, removeStaleSpillDirs, sanitizeFileName,
} from '../../src/spill/disk_spill_manager.js';
import { WHOLE_FILE_BYTES, type SpillFile } from '../../src/spill/spill_manager.js';
import { field, schema, type Scalar, type Schema } from '../../src/common/types.js';

const S: Schema = schema([
  field('id', 'int64', false), field('k', 'int32'), field('v', 'float64'), field('s', 'utf8'), field('b', 'bool'),
  field('d', 'date32'), field('t', 'timestamp'), field('n', 'null'),
]);

function rowsFrom(start: number, n: number): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = start; i < start + n; i++) {
    rows.push([
      BigInt(i), i % 5 === 0 ? null : i % 97, i % 7 === 0 ? null : i * 0.5, i % 6 === 0 ? null : `row ${i} ${'x'.repeat(i % 13)}`,
      i % 4 === 0 ? null : i % 3 === 0, 18000 + (i % 400), i % 9 === 0 ? null : BigInt(i) * 1000n, null,
    ]);
  }
  return rows;
}

/** Batches of varying sizes, with empty and one-row batches among them. */
function makeBatches(count: number): { batches: Batch[]; rows: Scalar[][] } {
  const batches: Batch[] = [];
  const rows: Scalar[][] = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const n = i % 10 === 3 ? 0 : i % 10 === 4 ? 1 : 50 + ((i * 37) % 200);
    const r = rowsFrom(next, n);
    next += n;
    batches.push(n === 0 ? emptyBatch(S) : batchFromRows(S, r));
    rows.push(...r);
  }
  return { batches, rows };
}

async function readAll(f: SpillFile): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of f.read()) out.push(b);
  return out;
}

const openFdCount = () => readdirSync('/proc/self/fd').length;

let root: string;
beforeEach(async () => { root = await fs.mkdtemp(path.join(tmpdir(), 'spillway-spill-test-')); });
afterEach(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('DiskSpillManager write and read', () => {
  it('reads messages larger than its read-ahead buffer between small ones, each batch intact', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q-big' });
    const sizes = [3, 12_000, 1, 40, 9_000, 0, 7, 15_000, 2];
    const rows: Scalar[][] = [];
    const w = m.createWriter('HashAggregate[p0]', S);
    let next = 0;
    for (const n of sizes) {
      const r = rowsFrom(next, n);
      next += n;
      rows.push(...r);
      await w.write(n === 0 ? emptyBatch(S) : batchFromRows(S, r));
    }
    const f = await w.finish();
    expect(f.bytes).toBeGreaterThan(3 * 256 * 1024);
    const back = await readAll(f);
    expect(back.map((b) => b.length)).toEqual(sizes);
    expect(back.flatMap(batchRows)).toEqual(rows);
  });

  for (const compression of ['none', 'lz4'] as const) {
    it(`round-trips many batches in write order (${compression})`, async () => {
      const m = new DiskSpillManager({ spillDir: root, queryId: 'q-1', compression });
      const { batches, rows } = makeBatches(25);
      const w = m.createWriter('Sort[p0]', S);
      for (const b of batches) await w.write(b);
      const f = await w.finish();
      expect(f.path).toBe(path.join(root, 'q-1', 'Sort_p0-1.arrow'));
      expect(f.rows).toBe(rows.length);
      expect(f.schema).toBe(S);
      expect(f.bytes).toBe((await fs.stat(f.path)).size);
      expect(m.stats.files).toBe(1);
      expect(m.stats.bytes).toBe(f.bytes);
      expect(m.stats.rows).toBe(rows.length);
      if (compression === 'lz4') expect(m.stats.uncompressedBytes).toBeGreaterThan(f.bytes);

      const back = await readAll(f);
      expect(back.map((b) => b.length)).toEqual(batches.map((b) => b.length));
      expect(back.flatMap(batchRows)).toEqual(rows);
      // Reading again gives the same batches (each read opens its own cursor).
      expect((await readAll(f)).flatMap(batchRows)).toEqual(rows);

      // The file is a standard Arrow IPC stream.
      const table = arrow.tableFromIPC(await fs.readFile(f.path));
      expect(table.numRows).toBe(rows.length);
      expect(table.getChild('s')!.get(1)).toBe('row 1 x');
    });
  }

  it('reads one batch at a time into its own buffer, and closes the file on early exit', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('Sort[p0]', S);
    for (let i = 0; i < 20; i++) await w.write(batchFromRows(S, rowsFrom(i * 500, 500)));
    const f = await w.finish();
    const before = openFdCount();
    let seen = 0;
    for await (const b of f.read()) {
      const id = b.columns[0]!;
      if (id.type !== 'int64') throw new Error('bad type');
      // The column views a buffer the size of one batch body, not the whole file.
      expect(id.values.buffer.byteLength).toBeLessThan(f.bytes / 10);
      expect(id.values[0]).toBe(BigInt(seen * 500));
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    expect(openFdCount()).toBe(before);
  });

  it('read whole: the same batches as views of one buffer, the file closed on early exit; truncation is an io error', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const { batches, rows } = makeBatches(40);
    const w = m.createWriter('HashAggregate[p0]', S);
    for (const b of batches) await w.write(b);
    const f = await w.finish();
    expect(f.bytes).toBeLessThanOrEqual(WHOLE_FILE_BYTES);
    const got: Batch[] = [];
    for await (const b of f.read({ whole: true })) got.push(b);
    expect(got.flatMap(batchRows)).toEqual(rows);
    const buffers = new Set(got.filter((b) => b.length > 0).flatMap((b) => b.columns.flatMap((c) => (c.type === 'int64' || c.type === 'float64' ? [c.values.buffer] : []))));
    expect(buffers.size).toBe(1); // every number column views the one file buffer (booleans are unpacked from bits)
    expect([...buffers][0]!.byteLength).toBe(f.bytes);
    const before = openFdCount();
    for await (const b of f.read({ whole: true })) { expect(b.length).toBeGreaterThanOrEqual(0); break; }
    expect(openFdCount()).toBe(before);
    await fs.truncate(f.path, f.bytes - 40);
    const err = await (async () => { for await (const b of f.read({ whole: true })) void b; })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('io');
    expect((err as SpillwayError).message).toMatch(/HashAggregate_p0-1\.arrow.*truncated/);
  });

  it('read whole: a file larger than WHOLE_FILE_BYTES is streamed as without it', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('HashAggregate[p0]', S);
    for (let i = 0; i < 40; i++) await w.write(batchFromRows(S, rowsFrom(i * 2000, 2000)));
    const f = await w.finish();
    expect(f.bytes).toBeGreaterThan(WHOLE_FILE_BYTES);
    let rows = 0;
    for await (const b of f.read({ whole: true })) {
      expect(b.columns[0]!.type === 'int64' && b.columns[0]!.values.buffer.byteLength).toBeLessThan(f.bytes / 10);
      rows += b.length;
    }
    expect(rows).toBe(80_000);
  });

  it('interleaves several writers and concurrent readers', async () => {
    const m = createSpillManager(makeConfig({ spill_dir: root, spill_compression: 'lz4' }, {}), 'query/7');
    const ws = [0, 1, 2].map((p) => m.createWriter(`HashJoin[p${p}]`, S));
    await Promise.all(ws.map(async (w, p) => { for (let i = 0; i < 5; i++) await w.write(batchFromRows(S, rowsFrom(p * 1000 + i * 10, 10))); }));
    const files = await Promise.all(ws.map((w) => w.finish()));
    expect(files.map((f) => path.basename(f.path))).toEqual(['HashJoin_p0-1.arrow', 'HashJoin_p1-2.arrow', 'HashJoin_p2-3.arrow']);
    expect(path.basename(path.dirname(files[0]!.path))).toBe('query_7');
    const all = await Promise.all(files.map(readAll));
    all.forEach((bs, p) => expect(bs.flatMap(batchRows)).toEqual(rowsFrom(p * 1000, 50)));
    expect(m.stats.files).toBe(3);
  });

  it('does not await-order writes: unawaited writes still land in call order', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('Sort[p0]', S);
    const pending = [0, 1, 2, 3].map((i) => w.write(batchFromRows(S, rowsFrom(i * 3, 3))));
    const f = await w.finish();
    await Promise.all(pending);
    expect((await readAll(f)).flatMap(batchRows)).toEqual(rowsFrom(0, 12));
  });

  it('copies a batch before write() returns: its buffers may be reused at once', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('HashAggregate[p0]', S);
    const b = batchFromRows(S, rowsFrom(0, 40));
    const pending = w.write(b);
    for (const c of b.columns) if ('values' in c) new Uint8Array(c.values.buffer).fill(0xff); // overwritten before the file write
    await pending;
    expect((await readAll(await w.finish())).flatMap(batchRows)).toEqual(rowsFrom(0, 40));
  });

  it('a batch that cannot be encoded fails its write with an io error and removes the partial file', async () => {
    const T = schema([field('t', 'time')]);
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('Sort[p0]', T);
    await w.write(batchFromRows(T, [[1000], [2000]]));
    const partial = path.join(root, 'q', 'Sort_p0-1.arrow');
    expect(existsSync(partial)).toBe(true);
    // TIME holds whole microseconds: 1.5 does not convert to Arrow's int64.
    const bad = { schema: T, length: 1, columns: [{ type: 'time' as const, length: 1, validity: null, values: Float64Array.of(1.5) }] };
    const e = await w.write(bad).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe('io');
    expect((e as Error).message).toMatch(/^cannot write spill file .*Sort_p0-1\.arrow: /);
    expect(existsSync(partial)).toBe(false);
    await expect(w.write(batchFromRows(T, [[1]]))).rejects.toThrow(/after abort/);
  });

  it('writes a valid empty file when finished without batches', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const f = await m.createWriter('Sort[p0]', S).finish();
    expect(f.rows).toBe(0);
    expect(await readAll(f)).toEqual([]);
    expect(arrow.tableFromIPC(await fs.readFile(f.path)).numRows).toBe(0);
  });

  it('rejects writes after finish, and abort removes a partial file', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('Sort[p0]', S);
    await w.write(batchFromRows(S, rowsFrom(0, 5)));
    await w.finish();
    await expect(w.write(batchFromRows(S, rowsFrom(0, 5)))).rejects.toThrow(/after finish/);

    const w2 = m.createWriter('Sort[p0]', S);
    await w2.write(batchFromRows(S, rowsFrom(0, 5)));
    const partial = path.join(root, 'q', 'Sort_p0-2.arrow');
    expect(existsSync(partial)).toBe(true);
    const onDisk = m.diskBytes;
    await w2.abort();
    expect(existsSync(partial)).toBe(false);
    expect(m.diskBytes).toBeLessThan(onDisk);
    await w2.abort(); // idempotent
  });

  it('reports a truncated spill file as an io error', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const w = m.createWriter('Sort[p0]', S);
    await w.write(batchFromRows(S, rowsFrom(0, 100)));
    const f = await w.finish();
    await fs.truncate(f.path, f.bytes - 40);
    const err = await readAll(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('io');
    expect((err as SpillwayError).message).toMatch(/Sort_p0-1\.arrow.*truncated/);
  });

  it('sanitizes owner names for file names', () => {
    expect(sanitizeFileName('Sort[p0]')).toBe('Sort_p0');
    expect(sanitizeFileName('../../etc/passwd')).toBe('etc_passwd');
    expect(sanitizeFileName('HashAggregate(final) #3')).toBe('HashAggregate_final_3');
    expect(sanitizeFileName('..')).toBe('spill');
    expect(sanitizeFileName('')).toBe('spill');
  });
});

describe('DiskSpillManager quota and cleanup', () => {
  it('fails with a resources error naming the owner, removes the partial file, keeps the others', async () => {
    const quota = 64 * 1024;
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q', diskQuota: quota });
    const keep = m.createWriter('Sort[p0]', S);
    await keep.write(batchFromRows(S, rowsFrom(0, 100)));
    const kept = await keep.finish();

    const w = m.createWriter('HashJoin[p1]', S);
    let err: unknown;
    for (let i = 0; i < 100 && err === undefined; i++) {
      try { await w.write(batchFromRows(S, rowsFrom(i * 100, 100))); } catch (e) { err = e; }
    }
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('resources');
    expect((err as SpillwayError).message).toBe('spill disk quota of 64.0 KiB exceeded by HashJoin[p1]');
    expect(existsSync(path.join(root, 'q', 'HashJoin_p1-2.arrow'))).toBe(false);
    expect(m.diskBytes).toBe(kept.bytes);
    expect(m.diskBytes).toBeLessThanOrEqual(quota);
    expect((await readAll(kept)).flatMap(batchRows)).toEqual(rowsFrom(0, 100));
    await expect(w.write(batchFromRows(S, rowsFrom(0, 1)))).rejects.toThrow(/after abort/);
    await expect(w.finish()).rejects.toThrow(/after abort/);
  });

  it('gives deleted files\' bytes back to the quota', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q', diskQuota: 30 * 1024 });
    for (let round = 0; round < 3; round++) {
      const w = m.createWriter('Sort[p0]', S);
      for (let i = 0; i < 3; i++) await w.write(batchFromRows(S, rowsFrom(i * 100, 100)));
      const f = await w.finish();
      expect(f.bytes).toBeGreaterThan(15 * 1024); // two of these would not fit
      await f.delete();
      expect(existsSync(f.path)).toBe(false);
      expect(m.diskBytes).toBe(0);
    }
    expect(m.stats.files).toBe(3);
  });

  it('cleanup removes the query folder, aborts open writers, and is idempotent', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'q' });
    const done = m.createWriter('Sort[p0]', S);
    await done.write(batchFromRows(S, rowsFrom(0, 10)));
    const doneFile = await done.finish();
    const open = m.createWriter('Sort[p1]', S);
    await open.write(batchFromRows(S, rowsFrom(0, 10)));
    const other = new DiskSpillManager({ spillDir: root, queryId: 'other' });
    const ow = other.createWriter('Sort[p0]', S);
    await ow.write(batchFromRows(S, rowsFrom(0, 10)));
    const otherFile = await ow.finish();

    await m.cleanup();
    expect(existsSync(path.join(root, 'q'))).toBe(false);
    expect(m.diskBytes).toBe(0);
    await expect(open.write(batchFromRows(S, rowsFrom(0, 1)))).rejects.toThrow(/after abort/);
    await m.cleanup();
    expect(existsSync(otherFile.path)).toBe(true);

    // The manager is usable after cleanup; a file from before it gives nothing back twice.
    const again = m.createWriter('Sort[p0]', S);
    await again.write(batchFromRows(S, rowsFrom(0, 10)));
    const againFile = await again.finish();
    await doneFile.delete();
    expect(m.diskBytes).toBe(againFile.bytes);
    expect((await readAll(againFile)).flatMap(batchRows)).toEqual(rowsFrom(0, 10));
  });

  it('cleanup is safe when nothing was ever spilled, and after a failed write', async () => {
    const never = new DiskSpillManager({ spillDir: path.join(root, 'does-not-exist'), queryId: 'q' });
    await never.cleanup();
    expect(existsSync(path.join(root, 'does-not-exist'))).toBe(false);

    const m = new DiskSpillManager({ spillDir: root, queryId: 'q', diskQuota: 1024 });
    const w = m.createWriter('Sort[p0]', S);
    await expect(w.write(batchFromRows(S, rowsFrom(0, 500)))).rejects.toThrow(/quota/);
    await m.cleanup();
    expect(existsSync(path.join(root, 'q'))).toBe(false);
  });

  it('reports an unusable spill folder as an io error', async () => {
    const blocker = path.join(root, 'a-file');
    await fs.writeFile(blocker, 'x');
    const m = new DiskSpillManager({ spillDir: blocker, queryId: 'q' });
    const err = await m.createWriter('Sort[p0]', S).write(batchFromRows(S, rowsFrom(0, 1))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('io');
    expect((err as SpillwayError).message).toContain('cannot create spill folder');
  });
});

describe('removeStaleSpillDirs', () => {
  /** A pid above Linux's pid_max (at most 2^22), so no process can have it. */
  const DEAD_PID = 2 ** 30;

  async function queryDir(name: string, marker: object | null): Promise<string> {
    const dir = path.join(root, name);
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'Sort_p0-1.arrow'), 'data');
    if (marker) await fs.writeFile(path.join(dir, OWNER_MARKER), JSON.stringify(marker));
    return dir;
  }

  it('removes folders of dead processes and keeps live, foreign and unmarked ones', async () => {
    const dead = await queryDir('dead', { pid: DEAD_PID, host: hostname() });
    const live = await queryDir('live', { pid: process.pid, host: hostname() });
    const foreign = await queryDir('foreign', { pid: DEAD_PID, host: `${hostname()}-elsewhere` });
    const unmarked = await queryDir('unmarked', null);
    await fs.writeFile(path.join(root, 'loose-file'), 'x');
    expect(await removeStaleSpillDirs(root)).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    for (const d of [live, foreign, unmarked, path.join(root, 'loose-file')]) expect(existsSync(d)).toBe(true);
  });

  it('removes the folder a real manager wrote once its process is gone', async () => {
    const m = new DiskSpillManager({ spillDir: root, queryId: 'crashed' });
    const w = m.createWriter('Sort[p0]', S);
    await w.write(batchFromRows(S, rowsFrom(0, 3)));
    await w.finish();
    expect(await removeStaleSpillDirs(root)).toEqual([]); // we are alive
    const markerPath = path.join(root, 'crashed', OWNER_MARKER);
    const marker = JSON.parse(await fs.readFile(markerPath, 'utf8')) as { pid: number; host: string };
    expect(marker).toEqual({ pid: process.pid, host: hostname() });
    await fs.writeFile(markerPath, JSON.stringify({ ...marker, pid: DEAD_PID }));
    expect(await removeStaleSpillDirs(root)).toEqual([path.join(root, 'crashed')]);
  });

  it('counts a zombie process (exited, not yet reaped) as dead', async () => {
    // The background sleep exits after its parent has exec'd into another sleep, which never reaps it.
    const sh = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => sh.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      let state = '';
      for (let i = 0; i < 100 && state !== 'Z'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const stat = await fs.readFile(`/proc/${zombie}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }
      expect(state).toBe('Z');
      const dir = await queryDir('zombie', { pid: zombie, host: hostname() });
      expect(await removeStaleSpillDirs(root)).toEqual([dir]);
    } finally {
      sh.kill('SIGKILL');
    }
  });

  it('returns nothing when the spill folder does not exist', async () => {
    expect(await removeStaleSpillDirs(path.join(root, 'missing'))).toEqual([]);
  });
});
