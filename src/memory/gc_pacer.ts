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
 *                    ab − low ≥ pace (gcPaceFor: limit / 8)  ─▶  gc()  and  low = ab after it
 *
 * Each isolate (the calling thread, every worker thread) paces itself. It needs the `gc`
 * function, which Node exposes with --expose-gc (the memory-tuned runtime of the CLI
 * passes it, src/cli/relaunch.ts); without it pacing is off. The timer never keeps the
 * process alive.
 */

/**
 * Growth of ArrayBuffer memory that triggers a full collection: an eighth of the memory
 * limit, 4–48 MiB. The dead buffers a pace lets wait are memory beyond the pool, and freed
 * buffers below malloc's mmap threshold stay in its heap for reuse rather than going back
 * to the system, so the pace sets how far RSS rises above the pool. Measured at SF 1,
 * 64 MB, sorted COPY of lineitem (bench/RESULTS.md): a pace of 48 MiB peaked at 213 MiB,
 * 16 MiB at 196–208, 8 MiB at 179–187; 4 MiB kept no less and cost more collections.
 */
export function gcPaceFor(memoryLimit: number): number {
  return Math.min(MAX_PACE_BYTES, Math.max(MIN_PACE_BYTES, Math.floor(memoryLimit / 8)));
}

const MIN_PACE_BYTES = 4 * 1024 * 1024;
const MAX_PACE_BYTES = 48 * 1024 * 1024;
const CHECK_MS = 20;

type GcFunction = () => void;

let timer: NodeJS.Timeout | null = null;
let pace = MAX_PACE_BYTES;
let collections = 0;

/** The `gc` function when node runs with --expose-gc, else null. */
function gcFunction(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
}

/**
 * Pace this isolate's collections at `paceBytes` (a second call sets the pace of the
 * running pacer: the latest pool's limit holds). Returns whether pacing runs (false
 * without --expose-gc).
 */
export function startGcPacer(paceBytes = MAX_PACE_BYTES): boolean {
  pace = paceBytes;
  if (timer !== null) return true;
  const gc = gcFunction();
  if (gc === null) return false;
  let low = process.memoryUsage().arrayBuffers;
  timer = setInterval(() => {
    const ab = process.memoryUsage().arrayBuffers;
    if (ab < low) low = ab;
    if (ab - low < pace) return;
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
