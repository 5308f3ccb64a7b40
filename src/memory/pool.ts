/**
 * Memory accounting contract. Every buffering operator registers a named consumer
 * (`Sort[p3]`) and must `tryGrow` before it buffers; a refused grow means "spill now"
 * (spillable consumers) or "fail with a resources error" (`grow`). Never allocate anyway.
 *
 * A pool may also ask spillable consumers to spill (watermarks, or another consumer
 * waiting in growWait): it sets `spillRequested`, which operators check between batches,
 * and calls the consumer's `onSpillRequest`, so that a consumer that is not running (a
 * finished exchange buffer) can spill in the background at once.
 */
export interface RegisterOptions {
  spillable?: boolean;
  /**
   * Called (in a microtask, not inside the pool call that set it) each time the pool
   * sets spillRequested on this consumer.
   */
  onSpillRequest?: () => void;
}

export interface GrowWaitOptions {
  signal?: AbortSignal;
  /** Give up after this many ms (default: the pool's wait bound) with grow()'s resources error. */
  timeoutMs?: number;
}

export interface MemoryReservation {
  readonly name: string;
  readonly spillable: boolean;
  /** Bytes currently held. */
  readonly size: number;
  /** True when the pool asks this consumer to spill down. */
  readonly spillRequested: boolean;
  /** Try to take `bytes` more; false when the pool refuses (caller should spill). */
  tryGrow(bytes: number): boolean;
  /** Take `bytes` more or throw a resources error naming the holders. */
  grow(bytes: number): void;
  /**
   * Take `bytes` more, the least the consumer needs to make progress: when the limit does
   * not allow it now, ask the other spillable consumers to release enough and wait for them,
   * at most `timeoutMs`; then throw grow()'s resources error naming the holders. Rejects
   * with the abort reason when `signal` aborts.
   */
  growWait(bytes: number, opts?: GrowWaitOptions): Promise<void>;
  /** Bytes this consumer may hold now under the pool's fair sharing (Infinity when unlimited). */
  readonly share: number;
  shrink(bytes: number): void;
  /** Set the held amount to exactly `bytes` (grow may throw). */
  resize(bytes: number): void;
  /** Release everything and unregister. Idempotent. */
  free(): void;
}

export interface MemoryPool {
  /** Byte limit; 0 = unlimited. */
  readonly limit: number;
  readonly used: number;
  /** Highest `used` seen since creation or the last resetPeak(). */
  readonly peak: number;
  register(name: string, opts?: RegisterOptions): MemoryReservation;
  resetPeak(): void;
  /** "Sort[p0] 12.0 MiB, HashJoin[p1] 3.2 MiB" — for errors and EXPLAIN ANALYZE. */
  describe(): string;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
