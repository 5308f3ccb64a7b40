/**
 * The stage cutter: a distributed plan → a DAG of stages, cut at every Exchange.
 *
 *   Projection                          stage 2 (1 task, output single)
 *     HashAggregate[final]                Projection
 *       Exchange hash(k; 4)      ──cut──▶   HashAggregate[final]
 *         HashAggregate[partial]              ExchangeRead stage=1 hash(k; 4)
 *           ParquetScan (4 parts)          stage 1 (4 tasks, output hash(k; 4)) ← root Exchange
 *                                             HashAggregate[partial]
 *                                               ParquetScan
 *
 * Each Exchange's input becomes a stage whose output partitioning is the exchange's; the
 * Exchange itself is replaced in its consumer by a leaf: ExchangeRead, or MergeGather for an
 * order-preserving single exchange. A stage's tasks = its root's partitions; a task is
 * (stage, partition). Stage ids are assigned producers first, so ascending id order is a
 * valid run order and the root stage (the query result, output single, one task) is last.
 * Stage plans hold no run-time state, so serializePlan ships them to workers as they are.
 */
import { explainPhysical, formatPartitioning } from '../plan/explain.js';
import { childrenOf, type ExchangeNode, type Partitioning, type PhysicalPlan } from '../plan/physical.js';
import type { GuardDecision } from './guards.js';
import type { MetricsSet } from '../common/metrics.js';
import { maxNodeId, withChildren } from '../plan/physical_tree.js';

export interface Stage {
  id: number;
  /** Root = the cut Exchange's input; leaves are scans, ExchangeRead or MergeGather nodes. */
  plan: PhysicalPlan;
  /** How the stage's tasks split their output (the cut Exchange's partitioning). */
  output: Partitioning;
  /** Tasks = plan.partitions. */
  tasks: number;
  /** Stages this one reads, ascending. */
  inputs: number[];
  /** Node id the writer metrics go under: the cut Exchange's id (root stage: a fresh id). */
  exchangeId: number;
}

export interface StageDag {
  /** By ascending id: every stage after the stages it reads. */
  stages: Stage[];
  /** The stage whose single output partition is the query result. */
  rootStageId: number;
  decision: GuardDecision;
}

export function cutStages(plan: PhysicalPlan, decision: GuardDecision): StageDag {
  const stages: Stage[] = [];

  const cut = (root: PhysicalPlan, output: Partitioning, exchangeId: number): Stage => {
    const inputs: number[] = [];
    // Top-down, stopping at each Exchange: its input is cut into its own stage first.
    const replace = (p: PhysicalPlan): PhysicalPlan => {
      if (p.kind === 'Exchange') {
        const producer = cut(p.input, p.partitioning, p.id);
        inputs.push(producer.id);
        return readerFor(p, producer);
      }
      const kids = childrenOf(p);
      const mapped = kids.map(replace);
      return mapped.every((c, i) => c === kids[i]) ? p : withChildren(p, mapped);
    };
    const body = replace(root);
    const stage: Stage = {
      id: stages.length, plan: body, output, tasks: body.partitions,
      inputs: [...new Set(inputs)].sort((a, b) => a - b), exchangeId,
    };
    stages.push(stage);
    return stage;
  };

  // A root Exchange (the final gather) becomes a reader in a one-task result stage.
  const root = cut(plan, { kind: 'single' }, maxNodeId(plan) + 1);
  if (root.tasks !== 1) throw new Error(`stage cutter: the root stage has ${root.tasks} tasks; the plan needs a single gather at its root`);
  return { stages, rootStageId: root.id, decision };
}

function readerFor(ex: ExchangeNode, producer: Stage): PhysicalPlan {
  const base = { id: ex.id, schema: ex.schema, ...(ex.estimatedRows !== undefined ? { estimatedRows: ex.estimatedRows } : {}) };
  if (ex.preserveOrder) {
    if (producer.output.kind !== 'single' || producer.plan.kind !== 'Sort') {
      throw new Error(`stage cutter: order-preserving Exchange#${ex.id} must gather a sorted, range-partitioned stage`);
    }
    return { ...base, kind: 'MergeGather', partitions: 1, stageId: producer.id, keys: producer.plan.keys, producerTasks: producer.tasks };
  }
  return { ...base, kind: 'ExchangeRead', partitions: ex.partitions, stageId: producer.id, partitioning: ex.partitioning, producerTasks: producer.tasks };
}

/** Per-stage totals as the runner reports them (scheduler/stage_scheduler.ts StageRunStats). */
export interface StageStatsLine { stageId: number; rowsOut: number; batchesOut: number; bytesOut: number; elapsedMs: number }

/**
 * The stages, their exchanges and task counts, and the guard decision — for EXPLAIN; with
 * metrics (EXPLAIN ANALYZE), each node's figures and each stage's totals.
 */
export function explainStageDag(dag: StageDag, metrics?: MetricsSet, stats?: readonly StageStatsLine[]): string {
  const d = dag.decision;
  const lines: string[] = [];
  lines.push(d.distribute
    ? `Distributed plan: ${dag.stages.length} stages; ${d.reason}`
    : `Local plan (guard ${d.guard} fired): ${d.reason}`);
  for (const s of [...dag.stages].reverse()) {
    const from = s.inputs.length > 0 ? ` reads stage${s.inputs.length > 1 ? 's' : ''} ${s.inputs.join(', ')}` : '';
    const out = s.id === dag.rootStageId ? 'result' : formatPartitioning(s.output, s.plan.schema);
    const st = stats?.find((x) => x.stageId === s.id);
    const figures = st ? ` — rows=${st.rowsOut} batches=${st.batchesOut} bytes=${st.bytesOut} time=${st.elapsedMs.toFixed(1)}ms` : '';
    lines.push(`Stage ${s.id}: ${s.tasks} task${s.tasks === 1 ? '' : 's'}, output ${out}${from}${figures}`);
    lines.push(explainPhysical(s.plan, metrics).split('\n').map((l) => `  ${l}`).join('\n'));
  }
  return lines.join('\n');
}
