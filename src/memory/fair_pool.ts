/**
 * FairSpillPool: a byte-limited MemoryPool that shares memory fairly between spillable
 * consumers and asks them to spill when the pool runs high.
 *
 *   limit ┌────────────────────────────────────────────────────────────────┐
 *         │ unspillable (joins' hash tables, …): served first, from the    │
 *         │ whole limit, as long as the total stays under it               │
 *         ├────────────────────────────────────────────────────────────────┤
 *         │ limit − unspillable, split equally among ACTIVE spillable      │
 *         │ consumers:  share = (limit − unspillable) / active             │
 *         └────────────────────────────────────────────────────────────────┘
 *
 * Rules:
 * - Unspillable tryGrow succeeds while used + bytes ≤ limit. When refused, the largest
 *   spillable consumers are asked to spill enough to make room (spillRequested).
 * - Spillable tryGrow succeeds while size + bytes ≤ share and used + bytes ≤ limit. A
 *   consumer below its share that is refused only because others hold the memory (they
 *   grew while fewer consumers were active) makes the pool ask those over their share to
 *   spill, largest first.
 * - "Active" = holding bytes, or asked for memory within the last `idleAfterMs`. An idle
 *   consumer (registered, never grown or long quiet at 0 bytes) does not shrink the
 *   others' share; a freed reservation leaves the count at once. The time window keeps a
 *   consumer that just spilled to 0 (and is about to refill) from losing its share.
 * - grow() is for memory a consumer cannot do without (e.g. the one batch it is working
 *   on after spilling): it ignores the fair share and only enforces the limit, throwing a
 *   resources error that names the holders.
 * - Watermarks: whenever used rises above high × limit, spillable consumers that hold
 *   memory are asked to spill until their expected release (their whole size) brings used
 *   down to low × limit. A consumer clears its flag by shrinking.
 * - Whom to ask: consumers registered with onSpillRequest (they spill in the background
 *   as soon as they are told, e.g. exchange buffers) first, then the others; largest
 *   first in each group. Setting the flag calls onSpillRequest in a microtask.
 * - growWait() is grow() for a consumer that can wait: when the limit does not allow the
 *   bytes now, it asks every other spillable holder (whatever its share) to release
 *   enough, and waits for releases, at most `waitTimeoutMs` (or its own bound); then it
 *   throws grow()'s resources error. An abort rejects it at once.
 *
 * Operators: tryGrow before buffering; on refusal (or when spillRequested is set between
 * batches) spill and shrink; then growWait() what the next step strictly needs.
 *
 * limit 0 means unlimited: everything is granted and counted, nothing is requested.
 */
import type { Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import type { GrowWaitOptions, MemoryPool, MemoryReservation, RegisterOptions } from './pool.js';
import { formatBytes } from './pool.js';
import { UnboundedPool } from './unbounded_pool.js';
import { gcPaceFor, startGcPacer } from './gc_pacer.js';

export interface FairSpillPoolOptions {
  /** Byte limit; 0 = unlimited. */
  readonly limit: number;
  /** Fraction of the limit above which spillable consumers are asked to spill (default 0.9). */
  readonly highWatermark?: number;
  /** Fraction they are asked to spill down to (default 0.7). */
  readonly lowWatermark?: number;
  /** How long (ms) a spillable consumer at 0 bytes still counts as active after its last request. */
  readonly idleAfterMs?: number;
  /** Monotonic clock in ms (tests inject one). */
  readonly now?: () => number;
  /** How long growWait waits for others to release memory before failing (default 5000). */
  readonly waitTimeoutMs?: number;
}

const DEFAULT_IDLE_AFTER_MS = 1000;
const DEFAULT_WAIT_TIMEOUT_MS = 5000;
/** Holders listed in errors and describe(); the rest are summarised. */
const MAX_LISTED_HOLDERS = 10;

export class FairSpillPool implements MemoryPool {
  readonly limit: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  private usedBytes = 0;
  private peakBytes = 0;
  private unspillableBytes = 0;
  private readonly idleAfterMs: number;
  private readonly now: () => number;
  readonly waitTimeoutMs: number;
  /** growWait callers waiting for a release: woken (all) on every shrink or free. */
  private readonly waiters = new Set<() => void>();
  /** Registration order, for stable listings. */
  private readonly live = new Set<FairReservation>();

  constructor(opts: FairSpillPoolOptions) {
    const high = opts.highWatermark ?? 0.9;
    const low = opts.lowWatermark ?? 0.7;
    if (!(opts.limit >= 0) || !Number.isFinite(opts.limit)) throw new SpillwayError('config', `invalid memory limit ${opts.limit}: expected a non-negative number of bytes`);
    if (!(high > 0 && high <= 1)) throw new SpillwayError('config', `invalid memory_high_watermark ${high}: expected a fraction in (0, 1]`);
    if (!(low > 0 && low <= high)) throw new SpillwayError('config', `invalid memory_low_watermark ${low}: expected a fraction in (0, memory_high_watermark]`);
    this.limit = Math.floor(opts.limit);
    this.highWatermark = high;
    this.lowWatermark = low;
    this.idleAfterMs = opts.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS;
    this.now = opts.now ?? (() => performance.now());
    this.waitTimeoutMs = opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  }

  get used(): number { return this.usedBytes; }
  get peak(): number { return this.peakBytes; }
  get unspillableUsed(): number { return this.unspillableBytes; }
  get spillableUsed(): number { return this.usedBytes - this.unspillableBytes; }

  /** growWait calls waiting right now. */
  get waiting(): number { return this.waiters.size; }

  register(name: string, opts?: RegisterOptions): MemoryReservation {
    const r = new FairReservation(this, name, opts?.spillable ?? false, opts?.onSpillRequest);
    this.live.add(r);
    return r;
  }

  resetPeak(): void { this.peakBytes = this.usedBytes; }

  /** Holders, largest first: "Sort[p0] 12.0 MiB, HashJoin[p1] 3.2 MiB". */
  describe(): string {
    const holders = [...this.live].filter((r) => r.size > 0).sort((a, b) => b.size - a.size);
    const listed = holders.slice(0, MAX_LISTED_HOLDERS).map((r) => `${r.name} ${formatBytes(r.size)}`);
    if (holders.length > MAX_LISTED_HOLDERS) {
      let rest = 0;
      for (const r of holders.slice(MAX_LISTED_HOLDERS)) rest += r.size;
      listed.push(`${holders.length - MAX_LISTED_HOLDERS} more ${formatBytes(rest)}`);
    }
    return listed.join(', ');
  }

  /** Spillable consumers counted in the fair share right now (plus `including`, if given). */
  activeSpillableCount(including?: MemoryReservation): number {
    const t = this.now();
    let n = 0;
    for (const r of this.live) if (r.spillable && (r === including || this.isActive(r, t))) n++;
    return n;
  }

  /** Bytes each active spillable consumer may hold (the limit when unlimited). */
  fairShare(including?: MemoryReservation): number {
    if (this.limit === 0) return Infinity;
    const available = Math.max(0, this.limit - this.unspillableBytes);
    return Math.floor(available / Math.max(1, this.activeSpillableCount(including)));
  }

  private isActive(r: FairReservation, t: number): boolean {
    return r.size > 0 || (r.lastRequestAt !== undefined && t - r.lastRequestAt <= this.idleAfterMs);
  }

  /** @internal */
  tryGrowFor(r: FairReservation, bytes: number): boolean {
    if (this.limit === 0) { this.take(r, bytes); return true; }
    const fitsLimit = this.usedBytes + bytes <= this.limit;
    if (!r.spillable) {
      if (!fitsLimit) { this.requestSpill(this.limit - bytes, null, r); return false; }
      this.take(r, bytes);
      return true;
    }
    const share = this.fairShare(r);
    if (r.size + bytes > share) return false;
    if (!fitsLimit) { this.requestSpill(this.limit - bytes, share, r); return false; }
    this.take(r, bytes);
    return true;
  }

  /** @internal */
  growFor(r: FairReservation, bytes: number): void {
    if (this.tryGrowFor(r, bytes)) return;
    if (this.usedBytes + bytes <= this.limit) { this.take(r, bytes); return; }
    throw this.limitError(r, bytes);
  }

  /** @internal See MemoryReservation.growWait. */
  async growWaitFor(r: FairReservation, bytes: number, opts: GrowWaitOptions | undefined): Promise<void> {
    if (this.tryGrowFor(r, bytes)) return;
    if (this.usedBytes + bytes <= this.limit) { this.take(r, bytes); return; }
    // More than the whole limit (with what it holds): no release by others can help.
    if (r.size + bytes > this.limit) throw this.limitError(r, bytes);
    const signal = opts?.signal;
    const deadline = this.now() + (opts?.timeoutMs ?? this.waitTimeoutMs);
    for (;;) {
      if (signal?.aborted) throw abortError(signal, r.name);
      // Everyone else who can spill is asked, whatever their share: this is a minimum.
      this.requestSpill(this.limit - bytes, null, r);
      const left = deadline - this.now();
      if (left <= 0) break;
      const woken = await this.waitForRelease(left, signal);
      if (signal?.aborted) throw abortError(signal, r.name);
      r.checkLive();
      if (this.usedBytes + bytes <= this.limit) { this.take(r, bytes); return; }
      if (!woken) break;
    }
    throw this.limitError(r, bytes, ` after waiting ${Math.round(opts?.timeoutMs ?? this.waitTimeoutMs)} ms for others to spill`);
  }

  /** Resolve true on the next release, false after `ms` or on abort. */
  private waitForRelease(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (woken: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(wake);
        resolve(woken);
      };
      const wake = (): void => done(true);
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), Math.max(1, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(wake);
    });
  }

  private limitError(r: FairReservation, bytes: number, detail = ''): SpillwayError {
    const holders = this.describe();
    return new SpillwayError('resources',
      `memory limit of ${formatBytes(this.limit)} exceeded${detail}: ${r.name} wanted ${formatBytes(bytes)} more; holders: ${holders === '' ? 'none' : holders}`);
  }

  /** @internal */
  release(r: FairReservation, bytes: number): void {
    this.usedBytes -= bytes;
    if (!r.spillable) this.unspillableBytes -= bytes;
    if (this.waiters.size > 0) for (const w of [...this.waiters]) w();
  }

  /** @internal */
  drop(r: FairReservation): void { this.live.delete(r); }

  private take(r: FairReservation, bytes: number): void {
    r.size += bytes;
    this.usedBytes += bytes;
    if (!r.spillable) this.unspillableBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    if (this.limit > 0 && this.usedBytes > this.highWatermark * this.limit) {
      this.requestSpill(this.lowWatermark * this.limit, null, null);
    }
  }

  /**
   * Ask spillable consumers (largest first) to spill until used minus everything already
   * requested is at most `targetUsed`. With `overShare`, only consumers holding more than
   * that many bytes are asked. `requester` is never asked (it was just refused and will
   * spill or fail on its own).
   */
  private requestSpill(targetUsed: number, overShare: number | null, requester: FairReservation | null): void {
    let expected = 0;
    const candidates: FairReservation[] = [];
    for (const r of this.live) {
      if (!r.spillable || r.size === 0) continue;
      if (r.spillRequested) expected += r.size;
      else if (r !== requester && (overShare === null || r.size > overShare)) candidates.push(r);
    }
    if (this.usedBytes - expected <= targetUsed) return;
    // Background spillers first (they act at once), then the largest.
    candidates.sort((a, b) => (a.onSpillRequest === undefined ? 1 : 0) - (b.onSpillRequest === undefined ? 1 : 0) || b.size - a.size);
    for (const c of candidates) {
      c.requestSpill();
      expected += c.size;
      if (this.usedBytes - expected <= targetUsed) return;
    }
  }

  /** @internal */
  touch(r: FairReservation): void { r.lastRequestAt = this.now(); }
}

class FairReservation implements MemoryReservation {
  size = 0;
  spillRequested = false;
  /** Clock time of the last tryGrow/grow (marks the consumer active). */
  lastRequestAt: number | undefined = undefined;
  private freed = false;

  constructor(
    private readonly pool: FairSpillPool, readonly name: string, readonly spillable: boolean,
    readonly onSpillRequest: (() => void) | undefined,
  ) {}

  get share(): number {
    if (this.pool.limit === 0) return Infinity;
    return this.spillable ? this.pool.fairShare(this) : this.pool.limit;
  }

  /** @internal Set the flag and tell the consumer (after the current pool call). */
  requestSpill(): void {
    this.spillRequested = true;
    const cb = this.onSpillRequest;
    if (cb !== undefined) queueMicrotask(() => { if (this.spillRequested && !this.freed) cb(); });
  }

  growWait(bytes: number, opts?: GrowWaitOptions): Promise<void> {
    try {
      this.check(bytes);
      this.pool.touch(this);
    } catch (e) {
      return Promise.reject(e);
    }
    if (bytes === 0) return Promise.resolve();
    return this.pool.growWaitFor(this, bytes, opts);
  }

  /** @internal Throws when the reservation was freed (e.g. while waiting). */
  checkLive(): void {
    if (this.freed) throw new SpillwayError('cancelled', `memory reservation ${this.name} was freed while it waited for memory`);
  }

  tryGrow(bytes: number): boolean {
    this.check(bytes);
    this.pool.touch(this);
    if (bytes === 0) return true;
    return this.pool.tryGrowFor(this, bytes);
  }

  grow(bytes: number): void {
    this.check(bytes);
    this.pool.touch(this);
    if (bytes > 0) this.pool.growFor(this, bytes);
  }

  shrink(bytes: number): void {
    const b = Math.min(Math.max(0, bytes), this.size);
    if (b === 0) return;
    this.size -= b;
    this.pool.release(this, b);
    this.spillRequested = false;
  }

  resize(bytes: number): void {
    if (bytes > this.size) this.grow(bytes - this.size);
    else this.shrink(this.size - bytes);
  }

  free(): void {
    if (this.freed) return;
    this.shrink(this.size);
    this.spillRequested = false;
    this.freed = true;
    this.pool.drop(this);
  }

  private check(bytes: number): void {
    if (this.freed) throw new Error(`memory reservation ${this.name} used after free()`);
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`memory reservation ${this.name}: invalid byte count ${bytes}`);
  }
}

function abortError(signal: AbortSignal, name: string): SpillwayError {
  const reason: unknown = signal.reason;
  if (reason instanceof SpillwayError) return reason;
  return new SpillwayError('cancelled', `${name}: cancelled while waiting for memory${reason instanceof Error ? `: ${reason.message}` : ''}`);
}

/**
 * The pool a worker process (or embedded engine) uses: a FairSpillPool when
 * memory_limit is set (and this isolate's collections then paced, gc_pacer.ts), otherwise
 * an UnboundedPool that only counts.
 */
export function createMemoryPool(config: Pick<Config, 'memory_limit' | 'memory_high_watermark' | 'memory_low_watermark'>): MemoryPool {
  if (config.memory_limit === 0) return new UnboundedPool();
  startGcPacer(gcPaceFor(config.memory_limit));
  return new FairSpillPool({ limit: config.memory_limit, highWatermark: config.memory_high_watermark, lowWatermark: config.memory_low_watermark });
}
