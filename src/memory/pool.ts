/**
 * Memory accounting contract. Every buffering operator registers a named consumer
 * (`Sort[p3]`) and must `tryGrow` before it buffers; a refused grow means "spill now"
 * (spillable consumers) or "fail with a resources error" (`grow`). Never allocate anyway.
 *
 * A pool may also ask spillable consumers to spill (watermarks): it sets
 * `spillRequested`, which operators check between batches.
 */
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
  register(name: string, opts?: { spillable?: boolean }): MemoryReservation;
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
