/**
 * A TaskContext for spill tests: a FairSpillPool with a small limit, a DiskSpillManager
 * under a fresh temporary folder, and helpers to check that no spill file is left behind.
 */
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TaskContext } from '../../src/exec/context.js';
import { FairSpillPool } from '../../src/memory/fair_pool.js';
import { DiskSpillManager } from '../../src/spill/disk_spill_manager.js';
import { afterEach } from 'vitest';
import { testContext } from '../helpers/context.js';

export interface SpillTestContext {
  readonly ctx: TaskContext;
  readonly pool: FairSpillPool;
  readonly spill: DiskSpillManager;
  readonly dir: string;
  /** Spill files (not the owner marker) currently in the query folder. */
  files(): string[];
  /** Remove the query folder and the temporary root. */
  dispose(): Promise<void>;
}

export function tempSpillDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'spillway-spill-test-'));
}

export function spillContext(opts: { limit: number; batchSize: number; diskQuota?: number; signal?: AbortSignal }): SpillTestContext {
  const dir = tempSpillDir();
  const pool = new FairSpillPool({ limit: opts.limit });
  const spill = new DiskSpillManager({ spillDir: dir, queryId: 'q', diskQuota: opts.diskQuota ?? 0 });
  const base = testContext({ batch_size: opts.batchSize, memory_limit: opts.limit, spill_dir: dir });
  const ctx: TaskContext = { ...base, memory: pool, spill, signal: opts.signal ?? base.signal };
  return {
    ctx, pool, spill, dir,
    files: () => (existsSync(spill.queryDir) ? readdirSync(spill.queryDir).filter((f) => f.endsWith('.arrow')) : []),
    dispose: async () => { await spill.cleanup(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/**
 * A factory of spill contexts that are all disposed after each test of the calling file
 * (call once at the top level of a test file).
 */
export function spillContexts(): (limit: number, batchSize: number, extra?: { diskQuota?: number; signal?: AbortSignal }) => SpillTestContext {
  let open: SpillTestContext[] = [];
  afterEach(async () => { for (const t of open) await t.dispose(); open = []; });
  return (limit, batchSize, extra = {}) => {
    const t = spillContext({ limit, batchSize, ...extra });
    open.push(t);
    return t;
  };
}
