/**
 * Adaptive joins: a partitioned join becomes a broadcast join once its build side has run
 * and measures under the broadcast limit (join_strategy.ts). The stage scheduler holds the
 * probe side's stage until the build side's stage is done, measures the bytes its writers
 * sent, and calls decideAdaptiveJoin, which rewrites the DAG:
 *
 *   before (planned partitioned)                 after (measured B < limit)
 *   stage J (n tasks)                            stage J (m tasks)
 *     … HashJoin partitioned                       … HashJoin broadcast
 *         ExchangeRead P hash(lk; n)                   <stage P's plan, m partitions>
 *         ExchangeRead B hash(rk; n)                   ExchangeRead B hash(rk; n)  (every task reads all n)
 *   stage P (m tasks) ─ never runs               stage B as it ran
 *   stage B (k tasks) ─ ran, measured
 *
 * The probe rows then never move: stage P's plan runs inside stage J, and each of its tasks
 * reads the whole build side (a broadcast hash join reads every partition of its right
 * input). Stage J's consumers read m tasks instead of n.
 *
 * A join is a candidate (adaptiveJoins) when insert_exchanges left it open (strategy.adaptive:
 * auto chose partitioned, the join type may broadcast, both inputs were shuffled for it),
 * stage P is read by this join only, and nothing between the join and its stage's root
 * relies on the join's output being hash-partitioned: only Filter, Projection, partial
 * aggregates, Limit, TopK and the probe side of broadcast joins may sit above it (a final
 * aggregate or a window computed in place would be wrong on broadcast output).
 * A join whose stage P or J is another candidate's stage is left alone (one decision per stage).
 *
 * Not done: the reverse switch (a planned broadcast whose build side turns out large going
 * back to partitioned) and splitting skewed partitions.
 */
import type { ExchangeReadNode, HashJoinNode, PhysicalPlan } from '../plan/physical.js';
import { childrenOf } from '../plan/physical.js';
import { planNodes, withChildren } from '../plan/physical_tree.js';
import { bytesText } from './join_strategy.js';
import type { Stage, StageDag } from './stage.js';

export interface AdaptiveJoin {
  /** The HashJoin node's id. */
  joinId: number;
  joinStage: number;
  /** The stage that shuffles the probe (left) side: held until the decision. */
  probeStage: number;
  /** The stage that shuffles the build (right) side: measured. */
  buildStage: number;
  limitBytes: number;
  limitReason: string;
}

/** The joins of `dag` that the scheduler may switch to broadcast at run time. */
export function adaptiveJoins(dag: StageDag): AdaptiveJoin[] {
  const readers = new Map<number, number>();
  for (const s of dag.stages) {
    for (const n of planNodes(s.plan)) {
      if (n.kind === 'ExchangeRead' || n.kind === 'MergeGather') readers.set(n.stageId, (readers.get(n.stageId) ?? 0) + 1);
    }
  }
  const found: AdaptiveJoin[] = [];
  for (const s of dag.stages) {
    const join = openJoinOnPath(s.plan);
    if (join === null) continue;
    const left = join.left as ExchangeReadNode;
    const right = join.right as ExchangeReadNode;
    if (left.stageId === right.stageId || readers.get(left.stageId) !== 1) continue;
    found.push({
      joinId: join.id, joinStage: s.id, probeStage: left.stageId, buildStage: right.stageId,
      limitBytes: join.strategy!.adaptive!.limitBytes, limitReason: join.strategy!.adaptive!.limitReason,
    });
  }
  // One decision per stage: drop candidates whose stages another candidate rewrites.
  return found.filter((c) => !found.some((o) => o !== c && [o.joinStage, o.probeStage].some((id) => id === c.joinStage || id === c.probeStage)));
}

/** The open adaptive join reached from `root` through partition-wise nodes only, if any. */
function openJoinOnPath(root: PhysicalPlan): HashJoinNode | null {
  let node = root;
  for (;;) {
    if (node.kind === 'HashJoin') {
      const open = node.distribution === 'partitioned' && node.strategy?.adaptive !== undefined && node.partitions > 1
        && node.left.kind === 'ExchangeRead' && node.left.partitioning.kind === 'hash'
        && node.right.kind === 'ExchangeRead' && node.right.partitioning.kind === 'hash';
      if (open) return node;
      if (node.distribution !== 'broadcast') return null;
    }
    const next = probeChild(node);
    if (next === null || next.partitions !== node.partitions) return null;
    node = next;
  }
}

/** The input a node keeps partition by partition (rows of partition p stay in p), else null. */
function probeChild(node: PhysicalPlan): PhysicalPlan | null {
  switch (node.kind) {
    case 'Filter': case 'Projection': case 'Limit': case 'TopK': return node.input;
    case 'HashAggregate': return node.mode === 'partial' ? node.input : null;
    case 'HashJoin': return node.distribution === 'broadcast' ? node.left : null;
    case 'NestedLoopJoin': return node.right.kind === 'ExchangeRead' && node.right.partitioning.kind === 'broadcast' ? node.left : null;
    default: return null;
  }
}

/**
 * The DAG after measuring the build side of `c`: switched to broadcast when `measuredBytes`
 * is under the limit, else as planned (the join's strategy then notes the measurement).
 */
export function decideAdaptiveJoin(dag: StageDag, c: AdaptiveJoin, measuredBytes: number): { dag: StageDag; switched: boolean } {
  const joinStage = stageOf(dag, c.joinStage);
  const switched = measuredBytes < c.limitBytes;
  if (!switched) {
    const note = `adaptive: stayed partitioned (measured B=${bytesText(measuredBytes)} ≥ ${c.limitReason})`;
    const plan = onPath(joinStage.plan, c.joinId, (j) => ({ ...j, strategy: { ...j.strategy!, switched: note } }), null);
    return { dag: replaceStages(dag, new Map([[joinStage.id, { ...joinStage, plan }]]), null), switched };
  }
  const probe = stageOf(dag, c.probeStage);
  const m = probe.tasks;
  const note = `adaptive: partitioned → broadcast (measured B=${bytesText(measuredBytes)} < ${c.limitReason})`;
  const plan = onPath(joinStage.plan, c.joinId, (j) => ({
    ...j, left: probe.plan, partitions: m, distribution: 'broadcast',
    strategy: { kind: 'broadcast', reason: j.strategy!.reason, switched: note },
  }), m);
  const inputs = [...new Set([...joinStage.inputs.filter((i) => i !== probe.id), ...probe.inputs])].sort((a, b) => a - b);
  const changed = new Map<number, Stage>([[joinStage.id, { ...joinStage, plan, tasks: m, inputs }]]);
  // Consumers of the join stage now read m producer tasks.
  for (const s of dag.stages) {
    if (!s.inputs.includes(joinStage.id)) continue;
    const retasked = mapReaders(s.plan, joinStage.id, m);
    if (retasked !== s.plan) changed.set(s.id, { ...s, plan: retasked });
  }
  return { dag: replaceStages(dag, changed, probe.id), switched };
}

function stageOf(dag: StageDag, id: number): Stage {
  const s = dag.stages.find((x) => x.id === id);
  if (s === undefined) throw new Error(`adaptive join: stage ${id} is not in the DAG`);
  return s;
}

function replaceStages(dag: StageDag, changed: ReadonlyMap<number, Stage>, removed: number | null): StageDag {
  return { ...dag, stages: dag.stages.filter((s) => s.id !== removed).map((s) => changed.get(s.id) ?? s) };
}

/** Rebuild the path from `root` to join `joinId` with `f` applied to the join; path nodes get `partitions` when given. */
function onPath(root: PhysicalPlan, joinId: number, f: (j: HashJoinNode) => HashJoinNode, partitions: number | null): PhysicalPlan {
  const go = (node: PhysicalPlan): PhysicalPlan | null => {
    if (node.id === joinId && node.kind === 'HashJoin') return f(node);
    const kids = childrenOf(node);
    for (let i = 0; i < kids.length; i++) {
      const r = go(kids[i]!);
      if (r === null) continue;
      const out = withChildren(node, kids.map((k, j) => (j === i ? r : k)));
      return partitions === null ? out : { ...out, partitions };
    }
    return null;
  };
  const out = go(root);
  if (out === null) throw new Error(`adaptive join: HashJoin#${joinId} is not in its stage's plan`);
  return out;
}

/** `root` with every reader of stage `stageId` expecting `tasks` producer tasks. */
function mapReaders(root: PhysicalPlan, stageId: number, tasks: number): PhysicalPlan {
  if ((root.kind === 'ExchangeRead' || root.kind === 'MergeGather') && root.stageId === stageId) return { ...root, producerTasks: tasks };
  const kids = childrenOf(root);
  const mapped = kids.map((k) => mapReaders(k, stageId, tasks));
  return mapped.every((k, i) => k === kids[i]) ? root : withChildren(root, mapped);
}
