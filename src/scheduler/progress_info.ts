/**
 * What the progress tracker (observe/progress.ts) needs to know of a stage before it runs,
 * read off its plan: tasks, inputs, a one-line label, the scans (rows expected, bytes per
 * task) and the exchange readers (which stage each reads). A local run is one stage made
 * of the whole plan.
 */
import type { Stage } from '../distributed/stage.js';
import type { StagePlanInfo } from '../observe/progress.js';
import { formatPartitioning } from '../plan/explain.js';
import type { PhysicalPlan } from '../plan/physical.js';
import { planNodes } from '../plan/physical_tree.js';

export function stageInfoOf(stage: Stage): StagePlanInfo {
  return {
    ...figuresOf(stage.plan), id: stage.id, tasks: stage.tasks, inputs: stage.inputs,
    output: formatPartitioning(stage.output), writerId: stage.exchangeId,
  };
}

/** The whole plan as the one stage of a run in this thread. */
export function localStageInfo(plan: PhysicalPlan): StagePlanInfo {
  return { ...figuresOf(plan), id: 0, tasks: 1, inputs: [], output: 'result', writerId: -1, rootNodeId: plan.id };
}

type PlanFigures = Pick<StagePlanInfo, 'label' | 'scanNodeIds' | 'scanBytesPerTask' | 'rowsToScan' | 'readers'>;

/** What the progress needs of a plan; a plan it cannot walk (a node kind without traits) gets no figures, never an error. */
function figuresOf(plan: PhysicalPlan): PlanFigures {
  try {
    return walk(plan);
  } catch {
    return { label: String(plan.kind), scanNodeIds: [], scanBytesPerTask: [], rowsToScan: 0, readers: [] };
  }
}

function walk(plan: PhysicalPlan): PlanFigures {
  const nodes = planNodes(plan);
  const scanNodeIds: number[] = [];
  const scanBytesPerTask: number[] = [];
  let rowsToScan = 0;
  const readers: { nodeId: number; stage: number }[] = [];
  for (const n of nodes) {
    if (n.kind === 'ParquetScan' || n.kind === 'CsvScan') {
      scanNodeIds.push(n.id);
      rowsToScan += n.estimatedRows ?? 0;
      // A local run reads every partition in its one task.
      n.slices.forEach((slices, t) => {
        const task = plan.partitions === 1 ? 0 : t;
        scanBytesPerTask[task] = (scanBytesPerTask[task] ?? 0) + slices.reduce((a, s) => a + s.bytes, 0);
      });
    } else if (n.kind === 'ExchangeRead' || n.kind === 'MergeGather') {
      readers.push({ nodeId: n.id, stage: n.stageId });
    }
  }
  const label = nodes.filter((n) => n.kind !== 'ExchangeRead' && n.kind !== 'MergeGather')
    .map((n) => (n.kind === 'ParquetScan' || n.kind === 'CsvScan' ? `${n.kind} ${n.table}` : n.kind)).join(' ← ') || nodes.map((n) => n.kind).join(' ← ');
  return { label, scanNodeIds, scanBytesPerTask: Array.from(scanBytesPerTask, (b) => b ?? 0), rowsToScan, readers };
}
