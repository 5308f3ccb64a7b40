/**
 * testContext(): a TaskContext for operator tests. Unlimited memory (UnboundedPool, still
 * counting), fresh metrics, a signal that never aborts, no in-memory tables, and a spill
 * manager that throws if an operator tries to spill (tests that spill pass their own).
 * Override fields with spread: `{ ...testContext({ batch_size: 4 }), memory: myPool }`.
 */
import { makeConfig, type Config } from '../../src/common/config.js';
import type { TaskContext } from '../../src/exec/context.js';
import { MetricsSet } from '../../src/common/metrics.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import type { SpillManager } from '../../src/spill/spill_manager.js';

const noSpill: SpillManager = {
  createWriter(owner: string) {
    throw new Error(`testContext has no spill manager, but ${owner} tried to spill`);
  },
  stats: { files: 0, bytes: 0 },
  async cleanup() {},
};

export function testContext(overrides: Partial<Config> = {}): TaskContext {
  // Explicit env: tests must not pick up SPILLWAY_* variables of the shell running them.
  const config = { ...makeConfig({}, {}), ...overrides };
  return {
    queryId: 'test',
    config,
    signal: new AbortController().signal,
    memory: new UnboundedPool(),
    spill: noSpill,
    metrics: new MetricsSet(),
    memoryTables: new Map(),
  };
}
