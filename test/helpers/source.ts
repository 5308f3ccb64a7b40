/**
 * A test-only leaf operator, 'TestSource', that yields pre-built batches exactly as given
 * (so tests control batch boundaries, including zero-length batches), and records how far
 * it was read and whether it was closed.
 */
import type { Batch } from '../../src/columnar/column.js';
import type { TaskContext } from '../../src/exec/context.js';
import { OPERATORS } from '../../src/exec/operators.js';
import type { PhysicalPlan } from '../../src/plan/physical.js';
import type { Schema } from '../../src/common/types.js';

export interface SourceStats {
  /** Batches handed out, per partition. */
  pulled: number[];
  /** Partitions whose stream was started. */
  started: number;
  /** Partitions whose stream ended (finished, closed early, or failed). */
  closed: number;
}

export interface SourceOptions {
  /** Throw this error instead of the batch at this index (per partition). */
  failAt?: { index: number; error: Error };
  /** Yield to the event loop before each batch (lets concurrent readers interleave). */
  async?: boolean;
}

interface TestSourceNode {
  kind: 'TestSource';
  id: number;
  schema: Schema;
  partitions: number;
  batches: readonly (readonly Batch[])[];
  options: SourceOptions;
  stats: SourceStats;
}

let nextId = 100_000;

async function* testSource(node: TestSourceNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  void ctx;
  node.stats.started++;
  try {
    const batches = node.batches[partition]!;
    for (let i = 0; i < batches.length; i++) {
      if (node.options.async) await new Promise<void>((r) => setImmediate(r));
      if (node.options.failAt && node.options.failAt.index === i) throw node.options.failAt.error;
      node.stats.pulled[partition]!++;
      yield batches[i]!;
    }
  } finally {
    node.stats.closed++;
  }
}

// Test-only: the one entry added to the operator table outside exec/operators.ts.
(OPERATORS as unknown as Record<string, unknown>).TestSource = testSource;

/**
 * A leaf plan node yielding `batches`. With partitions > 1, pass one batch list per
 * partition (`Batch[][]`); a flat list is then dealt round-robin (batch i → partition i % n).
 */
export function sourceNode(
  batches: readonly Batch[] | readonly (readonly Batch[])[], schema: Schema, partitions = 1, options: SourceOptions = {},
): PhysicalPlan {
  let perPartition: Batch[][];
  if (batches.length > 0 && Array.isArray(batches[0])) {
    perPartition = (batches as readonly (readonly Batch[])[]).map((b) => [...b]);
    if (perPartition.length !== partitions && partitions !== 1) {
      throw new Error(`sourceNode: ${perPartition.length} partition lists for ${partitions} partitions`);
    }
  } else {
    perPartition = Array.from({ length: partitions }, () => []);
    (batches as readonly Batch[]).forEach((b, i) => perPartition[i % partitions]!.push(b));
  }
  const node: TestSourceNode = {
    kind: 'TestSource',
    id: nextId++,
    schema,
    partitions: perPartition.length,
    batches: perPartition,
    options,
    stats: { pulled: perPartition.map(() => 0), started: 0, closed: 0 },
  };
  return node as unknown as PhysicalPlan;
}

/** What a source built by sourceNode has seen so far. */
export function sourceStats(node: PhysicalPlan): SourceStats {
  return (node as unknown as TestSourceNode).stats;
}
