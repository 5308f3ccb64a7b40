/**
 * Figures of one task, measured where it runs and returned with its result
 * (TaskResult.figures): wall time, CPU time and the peak memory of its operators.
 *
 *   CPU   what this thread used while the task ran. A worker runs several tasks at once,
 *         so the meter splits each interval between two task starts or ends equally among
 *         the tasks running in it: the tasks' figures add up to the thread's busy CPU.
 *           main thread (a `spillway worker` process, or --workers 0): process.cpuUsage()
 *           worker thread: the thread's own CPU time from /proc/thread-self/schedstat on
 *             Linux (process.cpuUsage() there counts the whole process, every other thread
 *             included); elsewhere its event-loop active time, which also counts the time
 *             the thread waited for a core, so on a busy machine it reads high
 *   peak  the highest sum of the task's own reservations (its operators and shuffle
 *         writer), tracked by a pool view that delegates to the real pool; the exchange
 *         output the task leaves behind is the buffer's, not counted here.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import type { GrowWaitOptions, MemoryPool, MemoryReservation, RegisterOptions } from '../memory/pool.js';

export interface TaskFigures {
  /** Wall time of the task on the worker, from start to its output complete. */
  wallMs: number;
  /** CPU time the task used (see the header for how concurrent tasks share it). */
  cpuMs: number;
  /** Highest memory the task's operators held at once. */
  peakMemoryBytes: number;
}

/** This thread's own CPU time in ms from /proc (Linux): "<ns on a CPU> <ns waiting for one> <slices>". */
function schedstatMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1e6;
}

/** A worker thread reads its CPU from /proc when it can, decided once so the two clocks never mix. */
const threadClock: (() => number) | null = isMainThread ? null : (() => {
  try {
    return Number.isFinite(schedstatMs()) ? schedstatMs : null;
  } catch {
    return null;
  }
})();

/** Busy CPU of this thread so far, in ms. */
function cpuNowMs(): number {
  if (isMainThread) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  return threadClock !== null ? threadClock() : performance.eventLoopUtilization().active;
}

interface CpuAccount { ms: number }

/** Splits this thread's CPU among the tasks running on it. One per thread (module state). */
class CpuMeter {
  private last = cpuNowMs();
  private readonly running = new Set<CpuAccount>();

  start(): CpuAccount {
    this.settle();
    const a: CpuAccount = { ms: 0 };
    this.running.add(a);
    return a;
  }

  stop(a: CpuAccount): number {
    this.settle();
    this.running.delete(a);
    return a.ms;
  }

  private settle(): void {
    const now = cpuNowMs();
    const used = now - this.last;
    this.last = now;
    if (this.running.size === 0 || used <= 0) return;
    const share = used / this.running.size;
    for (const a of this.running) a.ms += share;
  }
}

const threadMeter = new CpuMeter();

/** A view of a pool that tracks the reservations registered through it. */
class TrackedPool implements MemoryPool {
  held = 0;
  peakHeld = 0;

  constructor(private readonly inner: MemoryPool) {}

  get limit(): number { return this.inner.limit; }
  get used(): number { return this.inner.used; }
  get peak(): number { return this.inner.peak; }

  register(name: string, opts?: RegisterOptions): MemoryReservation {
    return new TrackedReservation(this.inner.register(name, opts), this);
  }

  resetPeak(): void {
    this.peakHeld = this.held;
  }

  describe(): string {
    return this.inner.describe();
  }

  /** @internal */
  add(delta: number): void {
    this.held += delta;
    if (this.held > this.peakHeld) this.peakHeld = this.held;
  }
}

class TrackedReservation implements MemoryReservation {
  constructor(private readonly inner: MemoryReservation, private readonly owner: TrackedPool) {}

  get name(): string { return this.inner.name; }
  get spillable(): boolean { return this.inner.spillable; }
  get size(): number { return this.inner.size; }
  get spillRequested(): boolean { return this.inner.spillRequested; }
  get share(): number { return this.inner.share; }

  tryGrow(bytes: number): boolean {
    const ok = this.inner.tryGrow(bytes);
    if (ok) this.owner.add(bytes);
    return ok;
  }

  grow(bytes: number): void {
    this.inner.grow(bytes);
    this.owner.add(bytes);
  }

  async growWait(bytes: number, opts?: GrowWaitOptions): Promise<void> {
    await this.inner.growWait(bytes, opts);
    this.owner.add(bytes);
  }

  shrink(bytes: number): void {
    this.track(() => this.inner.shrink(bytes));
  }

  resize(bytes: number): void {
    this.track(() => this.inner.resize(bytes));
  }

  free(): void {
    this.track(() => this.inner.free());
  }

  private track(change: () => void): void {
    const before = this.inner.size;
    try {
      change();
    } finally {
      this.owner.add(this.inner.size - before);
    }
  }
}

/** Measures one task: run it with `memory` as its pool, then call finish() once. */
export interface TaskMeasure {
  readonly memory: MemoryPool;
  finish(): TaskFigures;
}

export function measureTask(pool: MemoryPool): TaskMeasure {
  const tracked = new TrackedPool(pool);
  const t0 = performance.now();
  const cpu = threadMeter.start();
  let figures: TaskFigures | null = null;
  return {
    memory: tracked,
    finish: () => {
      figures ??= { wallMs: performance.now() - t0, cpuMs: threadMeter.stop(cpu), peakMemoryBytes: tracked.peakHeld };
      return figures;
    },
  };
}
