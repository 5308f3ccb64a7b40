/**
 * Shared fixtures for the exchange tests: sample batches, a memory pool with a limit, and
 * a harness that runs the same scenario over the in-process and the gRPC transport.
 */
import { batchRows, batchFromRows } from '../../src/columnar/kernels.js';
import type { Batch } from '../../src/columnar/column.js';
import type { MemoryPool, MemoryReservation } from '../../src/memory/pool.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { ExchangeBuffer, type ExchangeStorage } from '../../src/exchange/exchange_buffer.js';
import { startExchangeServer, type ExchangeServer } from '../../src/exchange/grpc_server.js';
import { GrpcTransport } from '../../src/exchange/grpc_transport.js';
import { InProcessTransport } from '../../src/exchange/in_process_transport.js';
import type { ExchangeStreamEvent, ExchangeTransport } from '../../src/exchange/transport.js';
import type { Scalar, Schema } from '../../src/common/types.js';
import { routeByRange } from '../../src/exec/shuffle/range_bounds.js';

export const SCHEMA: Schema = {
  fields: [
    { name: 'id', type: 'int32', nullable: true },
    { name: 'price', type: 'float64', nullable: false },
    { name: 'flag', type: 'bool', nullable: true },
    { name: 'comment', type: 'utf8', nullable: true },
    { name: 'big', type: 'int64', nullable: true },
  ],
};

/** Rows start..start+n with NULLs sprinkled in every nullable column. */
export function sampleBatch(start: number, n: number): Batch {
  const rows: Scalar[][] = [];
  for (let i = start; i < start + n; i++) {
    rows.push([
      i % 7 === 3 ? null : i,
      i * 1.25,
      i % 5 === 0 ? null : i % 2 === 0,
      i % 4 === 1 ? null : `row ${i} ${'x'.repeat(i % 13)}`,
      i % 9 === 0 ? null : BigInt(i) * 1_000_000_007n,
    ]);
  }
  return batchFromRows(SCHEMA, rows);
}

export function rowsOf(batches: readonly Batch[]): Scalar[][] {
  return batches.flatMap((b) => batchRows(b));
}

export async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

/** A pool that refuses growth beyond `limit` bytes (the real fair pool lives elsewhere). */
export class LimitedPool implements MemoryPool {
  used = 0;
  peak = 0;
  private readonly live = new Set<MemoryReservation>();
  constructor(readonly limit: number) {}
  register(name: string, opts?: { spillable?: boolean }): MemoryReservation {
    const pool = this;
    const r: MemoryReservation & { size: number } = {
      name, spillable: opts?.spillable ?? false, size: 0, spillRequested: false,
      tryGrow(bytes) {
        if (pool.used + bytes > pool.limit) return false;
        this.size += bytes; pool.used += bytes; pool.peak = Math.max(pool.peak, pool.used);
        return true;
      },
      grow(bytes) { if (!this.tryGrow(bytes)) throw new Error('refused'); },
      growWait(bytes) { return new Promise<void>((resolve) => { r.grow(bytes); resolve(); }); },
      share: pool.limit,
      shrink(bytes) { const b = Math.min(bytes, this.size); this.size -= b; pool.used -= b; },
      resize(bytes) { if (bytes > this.size) this.grow(bytes - this.size); else this.shrink(this.size - bytes); },
      free() { this.shrink(this.size); pool.live.delete(r); },
    };
    this.live.add(r);
    return r;
  }
  resetPeak(): void { this.peak = this.used; }
  describe(): string { return [...this.live].map((r) => `${r.name} ${r.size} B`).join(', '); }
}

export interface Harness {
  readonly name: string;
  readonly buffers: ExchangeBuffer;
  readonly transport: ExchangeTransport;
  /** What targets name as the worker. */
  readonly worker: string | null;
  /** Sending-side events, in order. */
  readonly events: ExchangeStreamEvent[];
  /** Resolve with the first event (past or future) matching `pred`. */
  waitForEvent(pred: (e: ExchangeStreamEvent) => boolean): Promise<ExchangeStreamEvent>;
  /** Call `fn` synchronously on every later event. */
  onEvent(fn: (e: ExchangeStreamEvent) => void): void;
  readonly server: ExchangeServer | null;
  close(): Promise<void>;
}

export interface HarnessOptions {
  credits?: number;
  networkTimeoutMs?: number;
  storage?: ExchangeStorage;
  pool?: MemoryPool;
}

interface EventLog {
  events: ExchangeStreamEvent[];
  push(e: ExchangeStreamEvent): void;
  waitFor(p: (e: ExchangeStreamEvent) => boolean): Promise<ExchangeStreamEvent>;
  onEvent(fn: (e: ExchangeStreamEvent) => void): void;
}

function eventLog(): EventLog {
  const events: ExchangeStreamEvent[] = [];
  const listeners: ((e: ExchangeStreamEvent) => void)[] = [];
  const waiters: { p: (e: ExchangeStreamEvent) => boolean; resolve: (e: ExchangeStreamEvent) => void }[] = [];
  return {
    events,
    push(e) {
      const copy = { ...e, counters: { ...e.counters } };
      events.push(copy);
      for (const l of listeners) l(copy);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.p(copy)) { waiters[i]!.resolve(copy); waiters.splice(i, 1); }
    },
    waitFor(p) {
      const found = events.find(p);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ p, resolve }));
    },
    onEvent(fn) { listeners.push(fn); },
  };
}

export async function inProcessHarness(o: HarnessOptions = {}): Promise<Harness> {
  const log = eventLog();
  const buffers = new ExchangeBuffer({ pool: o.pool ?? new UnboundedPool(), storage: o.storage ?? 'batches', rangeRouter: routeByRange });
  const transport = new InProcessTransport({
    buffers, credits: o.credits ?? 8, networkTimeoutMs: o.networkTimeoutMs ?? 5_000, onStreamEvent: (e) => log.push(e),
  });
  return {
    name: 'in-process', buffers, transport, worker: null, events: log.events, waitForEvent: log.waitFor, onEvent: log.onEvent, server: null,
    close: () => transport.close(),
  };
}

export async function grpcHarness(o: HarnessOptions = {}): Promise<Harness> {
  const log = eventLog();
  const timeout = o.networkTimeoutMs ?? 5_000;
  const buffers = new ExchangeBuffer({ pool: o.pool ?? new UnboundedPool(), storage: o.storage ?? 'none', rangeRouter: routeByRange });
  const server = await startExchangeServer({ port: 0, buffers, networkTimeoutMs: timeout, onStreamEvent: (e) => log.push(e) });
  const transport = new GrpcTransport({ credits: o.credits ?? 8, networkTimeoutMs: timeout });
  return {
    name: 'gRPC', buffers, transport, worker: server.address, events: log.events, waitForEvent: log.waitFor, onEvent: log.onEvent, server,
    close: async () => { await transport.close(); await server.close(); },
  };
}

export const HARNESSES: readonly [string, (o?: HarnessOptions) => Promise<Harness>][] = [
  ['in-process', inProcessHarness],
  ['gRPC', grpcHarness],
];
