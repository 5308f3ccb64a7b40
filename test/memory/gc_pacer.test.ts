/**
 * The GC pacer in a real Node process started with and without --expose-gc: batch-sized
 * buffers that live a few event-loop turns (long enough to leave the young generation) and
 * then die are collected when ArrayBuffer memory grew by the pace, not at V8's own ~64 MiB.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST } from '../scheduler/helpers.js';

const MiB = 1024 * 1024;
const PACER = join(REPO_ROOT, 'dist', 'src', 'memory', 'gc_pacer.js');

/**
 * Churn 512 MiB of 256 KiB buffers, 32 alive at a time, yielding to timers between them;
 * the short-lived objects made meanwhile run scavenges, which move the live buffers to the
 * old generation, where only a full collection frees them once they die.
 */
const churnScript = (levelMiB: number): string => `
const { startGcPacer, gcPacerCollections } = await import(${JSON.stringify(PACER)});
const on = startGcPacer({ level: ${levelMiB} * 1024 * 1024 });
const live = [];
let maxAb = 0, sink = 0;
for (let i = 0; i < 2048; i++) {
  const b = new Float64Array(32768);
  b[i % 32768] = i;
  live.push(b);
  if (live.length > 32) live.shift();
  for (let j = 0; j < 20000; j++) sink += [j, i].length;
  await new Promise((r) => setTimeout(r, 1));
  maxAb = Math.max(maxAb, process.memoryUsage().arrayBuffers);
}
console.log(JSON.stringify({ on, collections: gcPacerCollections(), maxAb, sink: sink > 0 }));
`;

function churn(flags: string[], levelMiB = 24): { on: boolean; collections: number; maxAb: number } {
  const r = spawnSync(process.execPath, ['--max-semi-space-size=1', ...flags, '--input-type=module', '-e', churnScript(levelMiB)], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { on: boolean; collections: number; maxAb: number };
}

describe.skipIf(!HAVE_DIST)('GC pacer', () => {
  it.skipIf(!HAVE_DIST)(DIST_MISSING_MESSAGE ?? 'dist is built', () => undefined);

  it('collects dead buffers once they reach the level when gc is exposed', () => {
    const r = churn(['--expose-gc']);
    expect(r.on).toBe(true);
    expect(r.collections).toBeGreaterThan(0);
    // The 24 MiB level (8 live MiB + 16 dead) + the growth between two checks (~5 MiB);
    // without pacing V8 lets this reach 40–45 MiB.
    expect(r.maxAb).toBeLessThan(36 * MiB);
  });

  it('collects every 4 MiB of growth at least, however close the live buffers are to the level', () => {
    const r = churn(['--expose-gc'], 9);
    // 8 live MiB + 4 dead + the growth between two checks; the 24 MiB level ran fewer collections.
    expect(r.maxAb).toBeLessThan(22 * MiB);
    expect(r.collections).toBeGreaterThan(churn(['--expose-gc']).collections);
  });

  it('is off without --expose-gc', () => {
    const r = churn([]);
    expect(r.on).toBe(false);
    expect(r.collections).toBe(0);
  });
});
