/**
 * Exchange throughput: how fast one DoExchange stream moves lineitem-like Arrow batches
 * from a writer process to a reader process over loopback, with and without LZ4, against
 * the same bytes pushed through a bare TCP socket (the ceiling of the machine).
 *
 *   parent (reader: GrpcTransport, decodes every batch)      child (writer, --writer)
 *        │  spawn ───────────────────────────────────────▶  build ~256 MiB, 64 Ki-row batches
 *        │  ◀──────────────── {"ports": …} on stdout ──────  two ExchangeBuffers (stored as
 *        │  DoExchange (none) ─────────────────────────────▶   IPC 'none' and IPC 'lz4'),
 *        │  DoExchange (lz4)  ─────────────────────────────▶   two exchange servers,
 *        │  TCP connect ───────────────────────────────────▶   one net server writing the
 *        │  "usage" lines on stdin ────────────────────────▶   'none' frames back to back
 *        │  ◀──────────────── {cpuMs, pageFaults} ─────────
 *        │  stdin closed ──────────────────────────────────▶
 *
 * Each path reports, besides its speed, the CPU time and minor page faults of the writer
 * and the reader per 100 MB on the wire: on a shared machine these say more than seconds.
 *
 * Run: npx tsc -p . && node dist/bench/exchange_throughput.js [--mib 256] [--reps 2] [--credits 8] [--lz4 0]
 *   [--window MiB] (the reader's HTTP/2 flow-control window; default services.ts's)
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { batchBytes, fixedColumn, makeBatch, type Batch } from '../src/columnar/column.js';
import { frameMessage } from '../src/columnar/ipc.js';
import { UnboundedPool } from '../src/memory/unbounded_pool.js';
import { ExchangeBuffer } from '../src/exchange/exchange_buffer.js';
import { startExchangeServer } from '../src/exchange/grpc_server.js';
import { GrpcTransport } from '../src/exchange/grpc_transport.js';
import type { ExchangeCompression } from '../src/exchange/batch_codec.js';
import type { Schema } from '../src/common/types.js';

const ROWS_PER_BATCH = 64 * 1024;
const KEY = { queryId: 'bench', stageId: 0, task: 0, partition: 0 };

const SCHEMA: Schema = {
  fields: [
    { name: 'l_orderkey', type: 'int32', nullable: false },
    { name: 'l_partkey', type: 'int32', nullable: false },
    { name: 'l_quantity', type: 'float64', nullable: false },
    { name: 'l_extendedprice', type: 'float64', nullable: false },
    { name: 'l_discount', type: 'float64', nullable: false },
    { name: 'l_shipmode', type: 'utf8', nullable: false },
    { name: 'l_comment', type: 'utf8', nullable: false },
  ],
};

interface ChildReady {
  grpcNone: number;
  grpcLz4: number;
  tcp: number;
  batches: number;
  rows: number;
  rawBytes: number;
  storedNone: number;
  storedLz4: number;
  encodeNoneMs: number;
  encodeLz4Ms: number;
}

/** CPU time and minor page faults of this process so far. */
interface Usage { cpuMs: number; pageFaults: number }

function usage(): Usage {
  const u = process.resourceUsage();
  return { cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, pageFaults: u.minorPageFault };
}

const minus = (a: Usage, b: Usage): Usage => ({ cpuMs: a.cpuMs - b.cpuMs, pageFaults: a.pageFaults - b.pageFaults });

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

// ---------------------------------------------------------------------------------------
// Data: lineitem-like columns, deterministic pseudo-random
// ---------------------------------------------------------------------------------------

const SHIPMODES = ['AIR', 'TRUCK', 'MAIL', 'SHIP', 'RAIL', 'FOB', 'REG AIR'].map((s) => Buffer.from(s));
const WORDS = ('carefully final deposits sleep quickly ironic packages haggle furiously regular requests ' +
  'blithely express accounts nag slyly pending theodolites boost even pinto beans wake bold foxes')
  .split(' ').map((s) => Buffer.from(s));

function utf8Col(n: number, pick: (i: number, out: Uint8Array, pos: number) => number, maxLen: number) {
  const offsets = new Int32Array(n + 1);
  const scratch = new Uint8Array(n * maxLen);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    pos = pick(i, scratch, pos);
    offsets[i + 1] = pos;
  }
  return { type: 'utf8' as const, length: n, validity: null, offsets, data: scratch.slice(0, pos) };
}

function makeLineitemBatch(start: number, n: number): Batch {
  let seed = (start * 2654435761) >>> 0;
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed; };
  const orderkey = new Int32Array(n);
  const partkey = new Int32Array(n);
  const quantity = new Float64Array(n);
  const price = new Float64Array(n);
  const discount = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    orderkey[i] = ((start + i) >> 2) + 1;
    partkey[i] = (rnd() % 200_000) + 1;
    quantity[i] = (rnd() % 50) + 1;
    price[i] = Math.round(quantity[i]! * (900 + (rnd() % 100_000) / 100) * 100) / 100;
    discount[i] = (rnd() % 11) / 100;
  }
  const shipmode = utf8Col(n, (_i, out, pos) => { const w = SHIPMODES[rnd() % SHIPMODES.length]!; out.set(w, pos); return pos + w.length; }, 8);
  const comment = utf8Col(n, (_i, out, pos) => {
    const target = 10 + (rnd() % 34);
    let len = 0;
    while (len < target) {
      const w = WORDS[rnd() % WORDS.length]!;
      const take = Math.min(w.length, target - len);
      out.set(w.subarray(0, take), pos + len);
      len += take;
      if (len < target) out[pos + len++] = 32;
    }
    return pos + len;
  }, 44);
  return makeBatch(SCHEMA, [
    fixedColumn('int32', orderkey), fixedColumn('int32', partkey),
    fixedColumn('float64', quantity), fixedColumn('float64', price), fixedColumn('float64', discount),
    shipmode, comment,
  ], n);
}

// ---------------------------------------------------------------------------------------
// Child: the writer
// ---------------------------------------------------------------------------------------

async function runWriter(): Promise<void> {
  const targetBytes = arg('mib', 256) * 1024 * 1024;
  const none = new ExchangeBuffer({ pool: new UnboundedPool(), storage: 'none' });
  const lz4 = new ExchangeBuffer({ pool: new UnboundedPool(), storage: 'lz4' });
  const wNone = none.openWriter(KEY, SCHEMA, 1);
  const wLz4 = lz4.openWriter(KEY, SCHEMA, 1);
  const withLz4 = arg('lz4', 1) !== 0;
  let rawBytes = 0;
  let rows = 0;
  let batches = 0;
  let encodeNoneMs = 0;
  let encodeLz4Ms = 0;
  while (rawBytes < targetBytes) {
    const b = makeLineitemBatch(rows, ROWS_PER_BATCH);
    let t = performance.now();
    await wNone.append(0, b);
    encodeNoneMs += performance.now() - t;
    if (withLz4) {
      t = performance.now();
      await wLz4.append(0, b);
      encodeLz4Ms += performance.now() - t;
    }
    rows += b.length;
    batches++;
    rawBytes += batchBytes(b);
  }
  wNone.finish();
  wLz4.finish();

  const sNone = await startExchangeServer({ port: 0, buffers: none });
  const sLz4 = await startExchangeServer({ port: 0, buffers: lz4 });
  const part = none.lookup(KEY)!;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < part.length; i++) {
    const m = part.readEncoded(i, 'none');
    frames.push(...frameMessage(m.header, m.body));
  }
  const tcp = net.createServer((sock) => {
    let i = 0;
    const pump = () => {
      while (i < frames.length) if (!sock.write(frames[i++]!)) { sock.once('drain', pump); return; }
      sock.end();
    };
    pump();
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const ready: ChildReady = {
    grpcNone: sNone.port, grpcLz4: sLz4.port, tcp: (tcp.address() as net.AddressInfo).port,
    batches, rows, rawBytes, storedNone: none.bufferedBytes, storedLz4: lz4.bufferedBytes, encodeNoneMs, encodeLz4Ms,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  // Answer each line on stdin with our usage; serve until the parent closes stdin.
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => process.stdout.write(`${JSON.stringify(usage())}\n`));
  await new Promise((r) => lines.once('close', r));
  await sNone.close();
  await sLz4.close();
  tcp.close();
}

// ---------------------------------------------------------------------------------------
// Parent: the reader
// ---------------------------------------------------------------------------------------

interface Run { label: string; seconds: number; wireBytes: number; rawBytes: number; batches: number; writer: Usage; reader: Usage }

/** Lines the writer prints, one at a time. */
class LineQueue {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  constructor(input: NodeJS.ReadableStream) {
    createInterface({ input }).on('line', (l) => {
      const w = this.waiting;
      this.waiting = null;
      if (w) w(l);
      else this.lines.push(l);
    });
  }
  next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => { this.waiting = r; });
  }
}

/** Run `read`, measuring the writer's and this reader's CPU and page faults meanwhile. */
async function measured(writerUsage: () => Promise<Usage>, read: () => Promise<Omit<Run, 'writer' | 'reader'>>): Promise<Run> {
  const w0 = await writerUsage();
  const r0 = usage();
  const run = await read();
  const reader = minus(usage(), r0);
  return { ...run, writer: minus(await writerUsage(), w0), reader };
}

async function readGrpc(port: number, compression: ExchangeCompression, credits: number): Promise<Omit<Run, 'writer' | 'reader'>> {
  const windowMiB = arg('window', 0);
  const channelOptions = windowMiB > 0 ? { 'grpc-node.flow_control_window': windowMiB * 1024 * 1024 } : undefined;
  const transport = new GrpcTransport({ credits, networkTimeoutMs: 30_000, channelOptions });
  const t = performance.now();
  const stream = transport.open({ ...KEY, worker: `127.0.0.1:${port}`, compression }, new AbortController().signal);
  let rows = 0;
  for await (const b of stream) rows += b.length;
  const seconds = (performance.now() - t) / 1000;
  await transport.close();
  if (rows === 0) throw new Error('no rows received');
  return { label: `gRPC DoExchange, ${compression}`, seconds, wireBytes: stream.counters.wireBytes, rawBytes: stream.counters.rawBytes, batches: stream.counters.batches };
}

async function readTcp(port: number): Promise<Omit<Run, 'writer' | 'reader'>> {
  const t = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('data', (d: Buffer) => { bytes += d.byteLength; });
    sock.on('end', () => resolve());
    sock.on('error', reject);
  });
  return { label: 'raw TCP socket (same IPC bytes)', seconds: (performance.now() - t) / 1000, wireBytes: bytes, rawBytes: 0, batches: 0 };
}

const MB = 1e6;
const fmt = (x: number, d = 0) => x.toFixed(d).padStart(8);

async function runReader(): Promise<void> {
  const reps = arg('reps', 2);
  const credits = arg('credits', 8);
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...process.execArgv, self, '--writer', ...process.argv.slice(2)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = new LineQueue(child.stdout!);
  const first = await new Promise<string>((resolve, reject) => {
    lines.next().then(resolve, reject);
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
  const info = JSON.parse(first) as ChildReady;
  const writerUsage = async (): Promise<Usage> => {
    child.stdin!.write('usage\n');
    return JSON.parse(await lines.next()) as Usage;
  };
  const withLz4 = arg('lz4', 1) !== 0;
  const setupS = (performance.now() - t0) / 1000;

  const runs: Run[] = [];
  for (let r = 0; r < reps; r++) {
    runs.push(await measured(writerUsage, () => readGrpc(info.grpcNone, 'none', credits)));
    if (withLz4) runs.push(await measured(writerUsage, () => readGrpc(info.grpcLz4, 'lz4', credits)));
    runs.push(await measured(writerUsage, () => readTcp(info.tcp)));
  }
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));

  const best = (label: string) => runs.filter((x) => x.label === label).reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const labels = [...new Set(runs.map((x) => x.label))];
  const tcp = best('raw TCP socket (same IPC bytes)');
  const tcpRate = tcp.wireBytes / tcp.seconds / MB;

  console.log(`Exchange throughput: ${info.batches} batches × ${ROWS_PER_BATCH} rows, ${(info.rawBytes / MB).toFixed(0)} MB in memory, ` +
    `stored IPC ${(info.storedNone / MB).toFixed(0)} MB (none) / ${(info.storedLz4 / MB).toFixed(0)} MB (lz4), credits ${credits}, best of ${reps}`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (1, 5, 15 min) at the end; ${process.version}`);
  console.log(`writer setup ${setupS.toFixed(1)} s; encode: none ${(info.rawBytes / MB / (info.encodeNoneMs / 1000)).toFixed(0)} MB/s, ` +
    `lz4 ${(info.rawBytes / MB / (info.encodeLz4Ms / 1000)).toFixed(0)} MB/s (in-memory MB per second)`);
  console.log('');
  console.log('| path                              | wire MB | seconds | wire MB/s | in-memory MB/s  | vs TCP |');
  console.log('|-----------------------------------|--------:|--------:|----------:|----------------:|-------:|');
  for (const label of labels) {
    const x = best(label);
    const wire = x.wireBytes / x.seconds / MB;
    const raw = x.rawBytes > 0 ? fmt(x.rawBytes / x.seconds / MB) : '       -';
    console.log(`| ${label.padEnd(33)} | ${fmt(x.wireBytes / MB)} | ${fmt(x.seconds, 2)} | ${fmt(wire)}  | ${raw}        | ${(wire / tcpRate).toFixed(2).padStart(6)} |`);
  }
  console.log('');
  const short = (x: Run) => x.label.split(',')[1]?.trim() ?? 'tcp';
  const per100 = (u: Usage, x: Run) => `${(u.cpuMs / x.wireBytes * 1e8).toFixed(0)} ms ${(u.pageFaults / x.wireBytes * 1e8).toFixed(0)} pf`;
  console.log('all runs (s): ' + runs.map((x) => `${short(x)} ${x.seconds.toFixed(2)}`).join(', '));
  const rate = (x: Run) => x.wireBytes / x.seconds;
  const perRep = (label: string) => runs.filter((x) => x.label === label).map((x, i) => (rate(x) / rate(runs.filter((t) => t.label === tcp.label)[i]!)).toFixed(2));
  for (const label of labels.filter((l) => l !== tcp.label)) console.log(`${short(best(label))} / TCP in each repetition: ${perRep(label).join(', ')}`);
  console.log('CPU and page faults per 100 MB on the wire, writer | reader:');
  for (const x of runs) console.log(`  ${short(x).padEnd(5)} ${x.seconds.toFixed(2)} s  writer ${per100(x.writer, x)} | reader ${per100(x.reader, x)}`);
}

if (process.argv.includes('--writer')) await runWriter();
else await runReader();
