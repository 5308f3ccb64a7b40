/** A pool with no limit that still counts (embedded default when no --memory-limit is set). */
import type { MemoryPool, MemoryReservation, RegisterOptions } from './pool.js';
import { formatBytes } from './pool.js';

export class UnboundedPool implements MemoryPool {
  readonly limit = 0;
  used = 0;
  peak = 0;
  private readonly live = new Set<Reservation>();

  register(name: string, opts?: RegisterOptions): MemoryReservation {
    const r = new Reservation(this, name, opts?.spillable ?? false);
    this.live.add(r);
    return r;
  }

  resetPeak(): void { this.peak = this.used; }

  describe(): string {
    return [...this.live].filter((r) => r.size > 0).map((r) => `${r.name} ${formatBytes(r.size)}`).join(', ');
  }

  /** @internal */
  change(delta: number): void {
    this.used += delta;
    if (this.used > this.peak) this.peak = this.used;
  }

  /** @internal */
  drop(r: Reservation): void { this.live.delete(r); }
}

class Reservation implements MemoryReservation {
  size = 0;
  readonly spillRequested = false;
  readonly share = Infinity;
  constructor(private readonly pool: UnboundedPool, readonly name: string, readonly spillable: boolean) {}
  tryGrow(bytes: number): boolean { this.grow(bytes); return true; }
  grow(bytes: number): void { this.size += bytes; this.pool.change(bytes); }
  growWait(bytes: number): Promise<void> { this.grow(bytes); return Promise.resolve(); }
  shrink(bytes: number): void { const b = Math.min(bytes, this.size); this.size -= b; this.pool.change(-b); }
  resize(bytes: number): void { if (bytes > this.size) this.grow(bytes - this.size); else this.shrink(this.size - bytes); }
  free(): void { this.shrink(this.size); this.pool.drop(this); }
}
