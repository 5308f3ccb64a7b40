/**
 * Differential harness for the distributed planner: build in-memory tables, plan a query the
 * single-node way (bind → optimize → createPhysicalPlan), run it once with executePlan and
 * once as a stage DAG (planStageDag with force_distribution + runStageDag), compare.
 */
import { Catalog, type InMemoryTable } from '../../src/catalog.js';
import type { Batch } from '../../src/columnar/column.js';
import { batchFromRows, scalarAt } from '../../src/columnar/kernels.js';
import { makeConfig, type Config } from '../../src/common/config.js';
import type { TaskContext } from '../../src/exec/context.js';
import { collect } from '../../src/exec/execute.js';
import { MetricsSet } from '../../src/common/metrics.js';
import { UnboundedPool } from '../../src/memory/unbounded_pool.js';
import { IdGenerator } from '../../src/plan/logical.js';
import { optimize } from '../../src/plan/optimizer/index.js';
import { createPhysicalPlan } from '../../src/plan/physical_planner.js';
import type { PhysicalPlan } from '../../src/plan/physical.js';
import { planQuery } from '../../src/sql/index.js';
import { resolveParquetPath } from '../../src/storage/table_discovery.js';
import type { Field, Scalar } from '../../src/common/types.js';
import { planStageDag } from '../../src/distributed/distribute.js';
import { runStageDag, type StageDagResult } from '../../src/scheduler/stage_scheduler.js';
import type { StageDag } from '../../src/distributed/stage.js';
import { formatScalar } from '../../src/format.js';
import { normalise, type Cell } from '../helpers/compare.js';
import type { GeneratedTable } from '../../src/testing/index.js';
import { field } from '../../src/common/types.js';

export interface TableSpec {
  name: string;
  fields: Field[];
  rows: Scalar[][];
}

/** Rows split into batches of the given sizes (cycled), as INSERTs would store them. */
export function memoryTable(spec: TableSpec, batchSizes: readonly number[] = [3]): InMemoryTable {
  const schema = { fields: spec.fields };
  const batches: Batch[] = [];
  let k = 0;
  for (let i = 0; i < spec.rows.length;) {
    const n = Math.max(1, batchSizes[k++ % batchSizes.length]!);
    batches.push(batchFromRows(schema, spec.rows.slice(i, i + n)));
    i += n;
  }
  return { kind: 'memory', name: spec.name, schema, batches };
}

/** A table from the `spillway/testing` generators, stored in batches of `batchRows` rows. */
export function generatedTable(t: GeneratedTable, batchRows: number): InMemoryTable {
  return memoryTable({ name: t.name, fields: t.columns.map((c) => field(c.name, c.type)), rows: t.rows.map((r) => [...r]) }, [batchRows]);
}

export function catalogOf(tables: readonly InMemoryTable[], base = new Catalog()): Catalog {
  for (const t of tables) base.set(t);
  return base;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...makeConfig({}, {}), ...overrides };
}

export function contextFor(catalog: Catalog, config: Config, queryId = 'q1'): TaskContext {
  const noSpill = {
    createWriter(owner: string): never { throw new Error(`no spill manager in this test, but ${owner} tried to spill`); },
    stats: { files: 0, bytes: 0 },
    async cleanup() {},
  };
  return {
    queryId, config, signal: new AbortController().signal, memory: new UnboundedPool(), spill: noSpill,
    metrics: new MetricsSet(), memoryTables: catalog.memoryTables(),
  };
}

export async function singleNodePlan(sql: string, catalog: Catalog, config: Config): Promise<PhysicalPlan> {
  const ids = new IdGenerator();
  const q = await planQuery(sql, catalog, { ids, resolveParquet: resolveParquetPath });
  return createPhysicalPlan(optimize(q.plan, ids), { config, memoryTables: catalog.memoryTables() });
}

export function cells(batches: readonly Batch[]): Cell[][] {
  const out: Cell[][] = [];
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(b.columns.map((c, j) => {
        const v = scalarAt(c, i);
        const t = b.schema.fields[j]!.type;
        return v !== null && (t === 'date32' || t === 'timestamp') ? formatScalar(t, v) : normalise(v);
      }));
    }
  }
  return out;
}

export interface DistributedRun {
  dag: StageDag;
  result: StageDagResult;
}

export async function runDistributed(
  plan: PhysicalPlan, catalog: Catalog, config: Config, workers: number, opts: { maxConcurrentTasks?: number; maxStreams?: number } = {},
): Promise<DistributedRun> {
  const dag = await planStageDag(plan, { config, workers, memoryTables: catalog.memoryTables() });
  const result = await runStageDag(dag, { ctx: contextFor(catalog, config, `q${workers}`), ...opts });
  return { dag, result };
}

export async function runSingle(plan: PhysicalPlan, catalog: Catalog, config: Config): Promise<Batch[]> {
  return collect(plan, contextFor(catalog, config));
}
