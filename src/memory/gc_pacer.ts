/**
 * GC pacing under a memory limit: dead batch buffers are collected before V8 would.
 *
 * Columns live in ArrayBuffers outside the JS heap. V8 frees a dead one only when a
 * collection finds it: a scavenge frees young ones, and a full collection, which V8 starts
 * by itself once external memory grew by ~64 MiB since the last one, frees the rest. So
 * under a small memory limit, tens of MiB of dead buffers are resident beyond what the
 * pool accounts (measured at SF 1, 64 MB, sorted COPY of lineitem: peak RSS 232 MiB, 195
 * with the pacer at the same CPU time; bench/RESULTS.md).
 *
 *   every CHECK_MS:  ab = ArrayBuffer bytes of this isolate (live and dead)
 *                    low = min(low, ab)                  (scavenges free young buffers too)
 *                    ab − low ≥ clamp(level − low)  ─▶  gc()  and  low = ab after it
 *                    (level = ⅞ of the memory limit, gcPaceFor)
 *
 * Each isolate (the calling thread, every worker thread) paces itself. It needs the `gc`
 * function, which Node exposes with --expose-gc (the memory-tuned runtime of the CLI
 * passes it, src/cli/relaunch.ts); without it pacing is off. The timer never keeps the
 * process alive.
 */

/**
 * When a full collection runs: once this isolate's ArrayBuffer memory (live and dead) has
 * grown by `max(MIN_PACE, level − low)` since the last one, where `low` is what was live
 * after it and `level` is seven eighths of the memory limit; at most MAX_PACE. The dead
 * buffers that wait for a collection are memory beyond the pool, and freed buffers below
 * malloc's mmap threshold stay in its heap for reuse rather than going back to the system,
 * so the level bounds how far RSS rises above the pool: an operator holding its whole share
 * (a sort filling a run) gets a collection every few MiB, one holding little far fewer,
 * each costing a mark of the JS heap. Measured at SF 1, 64 MB (bench/RESULTS.md): the sorted
 * COPY of lineitem peaked at 208–211 MiB with a fixed pace of 48 MiB, 192–205 with 16,
 * 179–187 with 8, 176–184 with the level at the limit and 174–181 at seven eighths of it
 * (¾: 174–181, slower); the GROUP BY of 6 M groups took 3.1–3.6 s with a fixed 48 MiB,
 * 4.1–4.9 s with 8 and 2.9–3.6 s with this level.
 */
export interface GcPace {
  /** ArrayBuffer bytes (live and dead) the pacer lets the isolate reach. */
  readonly level: number;
}

export function gcPaceFor(memoryLimit: number): GcPace {
  return { level: Math.floor((memoryLimit * 7) / 8) };
}

const MIN_PACE_BYTES = 4 * 1024 * 1024;
const MAX_PACE_BYTES = 48 * 1024 * 1024;
const CHECK_MS = 20;

type GcFunction = () => void;

let timer: NodeJS.Timeout | null = null;
let level = Infinity;
let collections = 0;

/** The `gc` function when node runs with --expose-gc, else null. */
function gcFunction(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
}

/**
 * Pace this isolate's collections (a second call sets the pace of the running pacer: the
 * latest pool's limit holds). Without a pace, a collection runs every MAX_PACE bytes.
 * Returns whether pacing runs (false without --expose-gc).
 */
export function startGcPacer(pace?: GcPace): boolean {
  level = pace?.level ?? Infinity;
  if (timer !== null) return true;
  const gc = gcFunction();
  if (gc === null) return false;
  let low = process.memoryUsage().arrayBuffers;
  timer = setInterval(() => {
    const ab = process.memoryUsage().arrayBuffers;
    if (ab < low) low = ab;
    const allowed = Math.min(MAX_PACE_BYTES, Math.max(MIN_PACE_BYTES, level - low));
    if (ab - low < allowed) return;
    gc();
    collections++;
    low = process.memoryUsage().arrayBuffers;
  }, CHECK_MS);
  timer.unref();
  return true;
}

/** Full collections the pacer ran in this isolate. */
export function gcPacerCollections(): number {
  return collections;
}

/** Stop pacing (tests). */
export function stopGcPacer(): void {
  if (timer !== null) clearInterval(timer);
  timer = null;
}
