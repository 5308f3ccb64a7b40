/** Test pool: records reservations and refuses to go above `limit` bytes (0 = no limit). */
import { SpillwayError } from '../../src/common/errors.js';
import type { MemoryPool, MemoryReservation } from '../../src/memory/pool.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';

export class RecordingPool implements MemoryPool {
  private readonly inner = new UnboundedPool();
  readonly registered: { name: string; spillable: boolean; res: MemoryReservation }[] = [];
  constructor(readonly limit = 0) {}
  get used(): number { return this.inner.used; }
  get peak(): number { return this.inner.peak; }
  resetPeak(): void { this.inner.resetPeak(); }
  describe(): string { return this.inner.describe(); }
  register(name: string, opts?: { spillable?: boolean }): MemoryReservation {
    const res = this.inner.register(name, opts);
    const limit = this.limit;
    const pool = this;
    const guarded: MemoryReservation = {
      get name() { return res.name; },
      get spillable() { return res.spillable; },
      get size() { return res.size; },
      get spillRequested() { return false; },
      tryGrow(bytes) { if (limit > 0 && pool.used + bytes > limit) return false; res.grow(bytes); return true; },
      grow(bytes) {
        if (limit > 0 && pool.used + bytes > limit) throw new SpillwayError('resources', `memory limit reached by ${name}`);
        res.grow(bytes);
      },
      growWait(bytes) { return new Promise<void>((resolve) => { guarded.grow(bytes); resolve(); }); },
      get share() { return limit > 0 ? limit : Infinity; },
      shrink(bytes) { res.shrink(bytes); },
      resize(bytes) { if (bytes > res.size) guarded.grow(bytes - res.size); else res.shrink(res.size - bytes); },
      free() { res.free(); },
    };
    this.registered.push({ name, spillable: opts?.spillable ?? false, res: guarded });
    return guarded;
  }
}

