/**
 * The memory-tuned runtime. glibc's malloc arenas and thresholds and V8's young generation
 * size are fixed when a process starts, and their defaults keep 50–70 MiB of freed memory
 * resident under a steady stream of large typed arrays (what a spilling query allocates).
 * So `spillway sql|explain|worker` given a memory limit runs its command in a child node
 * process started with
 *
 *   MALLOC_ARENA_MAX=2  MALLOC_MMAP_THRESHOLD_=131072   (environment; values already set win)
 *   node --max-semi-space-size=4 --expose-gc              (unless the node flags set them;
 *                                                          gc paces collections, memory/gc_pacer.ts)
 *        --initial-old-space-size=¾ of the limit in MiB   (24–128, none below; unless the node flags set a heap size)
 *
 * The old-generation headroom: with a small young generation, the few objects each batch
 * leaves alive are promoted early, and V8 sized a ~20 MiB old generation's limit so
 * tightly that it ran a full collection every ~1 MiB of promotions (88 of them in the SF 1
 * GROUP BY at 64 MB with a 1 MiB semi-space, their concurrent marking ~30% of its CPU).
 * With the headroom it runs ~17; the dead buffers that then wait longer for a collection
 * are what the GC pacer collects.
 *
 *   bin/spillway.js ──spawn, stdio inherited──▶ bin/spillway.js (SPILLWAY_TUNED_RUNTIME=1) ─▶ main()
 *        │ SIGTERM, SIGHUP: passed on                     exits with the child's code, or dies of
 *        │ SIGINT: left to the terminal, which signals     the same signal
 *        │ the whole foreground job (child included)
 *        └ an IPC channel: when the launcher dies (even of SIGKILL), the child sees it close
 *          and stops as on SIGTERM (its query's spill files are removed), never an orphan
 *
 * The launcher imports node built-ins and the settings' size parser only, so it stays
 * small. Setting SPILLWAY_TUNED_RUNTIME (to anything, e.g. 0) in the environment turns the
 * relaunch off.
 */
import { spawn } from 'node:child_process';
import { parseSize } from '../common/config.js';

/** The heap flag the tuned runtime added, in the child's environment (thread_workers.ts's TUNED_HEAP_FLAG_ENV; the launcher imports nothing of the engine). */
const TUNED_HEAP_FLAG_ENV = 'SPILLWAY_TUNED_HEAP_FLAG';

/** Set in the child's environment (and honoured when already set): no further relaunch. */
export const TUNED_ENV = 'SPILLWAY_TUNED_RUNTIME';

/** glibc settings of the tuned runtime: two malloc arenas; blocks from 128 KiB up are mmap-ed and unmapped when freed. */
export const TUNED_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** V8 settings of the tuned runtime: a 4 MiB semi-space (young generation), and gc() for the GC pacer. */
export const TUNED_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--expose-gc'];

/** Largest old-generation headroom of the tuned runtime, MiB (what worker threads get, thread_workers.ts). */
const MAX_OLD_SPACE_HEADROOM_MB = 128;
/** Smallest headroom worth setting, MiB: the engine's own old generation is ~20 MiB. */
const MIN_OLD_SPACE_HEADROOM_MB = 24;

/**
 * The tuned runtime's old-generation headroom for a memory limit given as text ("64MB",
 * "1.5GiB", "4096" bytes): three quarters of it in MiB, at most MAX_OLD_SPACE_HEADROOM_MB;
 * 0 (V8's default) below MIN_OLD_SPACE_HEADROOM_MB, where it would not spare a collection,
 * or when the limit does not parse (the command then reports the bad limit itself).
 */
export function oldSpaceHeadroomMb(limit: string): number {
  let bytes: number;
  try {
    bytes = parseSize(limit);
  } catch {
    return 0;
  }
  const mb = Math.min(MAX_OLD_SPACE_HEADROOM_MB, Math.floor((bytes * 0.75) / (1 << 20)));
  return mb < MIN_OLD_SPACE_HEADROOM_MB ? 0 : mb;
}

/** The memory limit a command line gives (--memory-limit SIZE, --memory-limit=SIZE, [--set] memory_limit=SIZE), or null. */
export function memoryLimitArg(argv: readonly string[]): string | null {
  let found: string | null = null;
  argv.forEach((a, i) => {
    if (a === '--memory-limit' && i + 1 < argv.length) found = argv[i + 1]!;
    else if (a.startsWith('--memory-limit=')) found = a.slice('--memory-limit='.length);
    else {
      const m = /^(?:--set=)?memory_limit=(.*)$/.exec(a);
      if (m) found = m[1]!;
    }
  });
  return found;
}

/** Commands that hold a memory pool for long enough to be worth a tuned process. */
const TUNED_COMMANDS = new Set(['sql', 'explain', 'worker']);

/** Signals passed on to the child; SIGINT reaches it from the terminal directly. */
const FORWARDED = ['SIGTERM', 'SIGHUP'] as const;

/** Whether the command line asks for a memory limit and this process is not the tuned one yet. */
export function wantsTunedRuntime(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[TUNED_ENV] !== undefined) return false;
  if (!TUNED_COMMANDS.has(argv[0] ?? '')) return false;
  return argv.some((a) => a === '--memory-limit' || a.startsWith('--memory-limit=') || /^(--set=)?memory_limit=/.test(a));
}

/**
 * When the command wants the tuned runtime, run it in a tuned child process and return
 * true: this process then only waits for the child and leaves with its exit code or
 * signal. False: run the command here.
 */
export function relaunchTuned(argv: readonly string[], script: string): boolean {
  if (!wantsTunedRuntime(argv)) return false;
  const env: NodeJS.ProcessEnv = { ...TUNED_MALLOC_ENV, ...process.env, [TUNED_ENV]: '1' };
  const flags = TUNED_NODE_FLAGS.filter((flag) => !process.execArgv.some((f) => f.startsWith(flag.split('=')[0]!)));
  const limit = memoryLimitArg(argv);
  const headroom = limit === null ? 0 : oldSpaceHeadroomMb(limit);
  const heapGiven = process.execArgv.some((f) => /^--(initial-old-space-size|initial-heap-size|initial_old_space_size|initial_heap_size)\b/.test(f));
  if (headroom > 0 && !heapGiven) {
    const flag = `--initial-old-space-size=${headroom}`;
    flags.push(flag);
    // Named so that worker threads tell it from a heap size the user chose (thread_workers.ts).
    env[TUNED_HEAP_FLAG_ENV] = flag;
  }
  const child = spawn(process.execPath, [...flags, ...process.execArgv, script, ...argv], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env });
  const forward = (sig: NodeJS.Signals) => (): void => { child.kill(sig); };
  const handlers = FORWARDED.map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  const ignoreInterrupt = (): void => {};
  process.on('SIGINT', ignoreInterrupt);
  child.on('error', (e) => {
    process.stderr.write(`spillway: cannot start the query process: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('SIGINT', ignoreInterrupt);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  return true;
}

/**
 * In the tuned child: stop as on SIGTERM when the launcher goes away (its IPC channel
 * closes). The channel does not keep the process alive.
 */
export function followLauncher(): void {
  if (process.env[TUNED_ENV] !== '1' || process.channel === undefined) return;
  process.channel.unref();
  process.once('disconnect', () => { process.kill(process.pid, 'SIGTERM'); });
}
