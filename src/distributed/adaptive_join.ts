/**
 * Adaptive joins: a join the cost model (join_strategy.ts) chose by estimate is decided again
 * once its build side has run and its bytes are measured. The stage scheduler holds the
 * stages the decision rewrites until the build side's stage is done, then calls
 * decideAdaptiveJoin, which returns the rewritten DAG.
 *
 * Partitioned → broadcast, when the measured build side is under the broadcast limit:
 *
 *   before (planned partitioned)                 after
 *   stage J (n tasks)                            stage J (m tasks)
 *     … HashJoin partitioned                       … HashJoin broadcast
 *         ExchangeRead P hash(lk; n)                   <stage P's plan, m partitions>
 *         ExchangeRead B hash(rk; n)                   ExchangeRead B hash(rk; n)  (every task reads all n)
 *   stage P (m tasks) ─ held, never runs         stage B as it ran
 *   stage B (k tasks) ─ ran, measured
 *
 *   The probe rows never move: stage P's plan runs inside stage J, and each task reads the
 *   whole build side (a broadcast hash join reads every partition of its right input).
 *
 * Broadcast → partitioned, when the measured build side is at least ADAPTIVE_BACK_FACTOR ×
 * the limit (an estimate far too small; a copy in every task would cost far more):
 *
 *   before (planned broadcast)                   after
 *   stage J (m tasks)                            stage J (n tasks)
 *     … HashJoin broadcast                         … HashJoin partitioned
 *         <probe subtree, m partitions>                ExchangeRead P' hash(lk; n)
 *         ExchangeRead B broadcast                     ExchangeRead B' hash(rk; n)
 *   stage B ─ ran, measured, output unused       stage P' (m tasks): the probe subtree
 *                                                stage B' (k tasks): stage B's plan again, hashed
 *
 *   Stage B wrote one broadcast partition, which cannot be split by key without reading it
 *   all in one place; running its plan again with a hash output costs one more pass over
 *   the build side's input, paid only when the broadcast would move far more.
 *
 * In both directions stage J's consumers then read its new number of tasks. A join is a
 * candidate (adaptiveJoins) when the cost model left it open (strategy.adaptive), its
 * build input is read straight from its stage (and, for the forward switch, its probe input
 * too, from a stage read by this join only), and nothing between the join and its stage's
 * root relies on how the join's output is partitioned: only Filter, Projection, partial
 * aggregates, Limit, TopK and the probe side of broadcast joins may sit above it (a final
 * aggregate or a window computed in place would be wrong once partitions change). The
 * topmost open join of a stage is its candidate; going through the stages producers first,
 * a candidate that rewrites or measures a stage an earlier kept one rewrites (or rewrites the
 * stage it measures) is left alone: one decision per stage. Skewed partitions are split by
 * the scheduler (scheduler/skew_split.ts), never in a stage an adaptive join rewrites.
 */
import type { PhysicalExpr } from '../expr/expr.js';
import type { ExchangeReadNode, HashJoinNode, Partitioning, PhysicalPlan } from '../plan/physical.js';
import { ADAPTIVE_BACK_FACTOR, childrenOf } from '../plan/physical.js';
import { maxNodeId, planNodes, withChildren } from '../plan/physical_tree.js';
import { bytesText } from './join_strategy.js';
import type { Stage, StageDag } from './stage.js';

export interface AdaptiveJoin {
  /** The strategy it was planned with (the switch goes to the other one). */
  planned: 'partitioned' | 'broadcast';
  /** The HashJoin node's id. */
  joinId: number;
  joinStage: number;
  /** Planned partitioned: the stage that shuffles the probe (left) side, held until the decision. */
  probeStage: number | null;
  /** The stage that writes the build (right) side: measured. */
  buildStage: number;
  limitBytes: number;
  limitReason: string;
  /** Partitions of the join if it is (or becomes) partitioned. */
  partitions: number;
}

/** The joins of `dag` whose strategy the scheduler decides again at run time (either way). */
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
    const right = join.right as ExchangeReadNode;
    const open = join.strategy!.adaptive!;
    const base = { joinId: join.id, joinStage: s.id, buildStage: right.stageId, limitBytes: open.limitBytes, limitReason: open.limitReason, partitions: open.partitions };
    if (join.distribution === 'broadcast') {
      found.push({ ...base, planned: 'broadcast', probeStage: null });
      continue;
    }
    const left = join.left as ExchangeReadNode;
    if (left.stageId === right.stageId || readers.get(left.stageId) !== 1) continue;
    found.push({ ...base, planned: 'partitioned', probeStage: left.stageId });
  }
  // One decision per stage: producers first (stage order), a candidate is kept unless it
  // rewrites or measures a stage a kept one rewrites, or rewrites one a kept one measures.
  const rewrites = (c: AdaptiveJoin): number[] => (c.probeStage === null ? [c.joinStage] : [c.joinStage, c.probeStage]);
  const kept: AdaptiveJoin[] = [];
  for (const c of found) {
    const clash = kept.some((k) => rewrites(k).some((id) => [...rewrites(c), c.buildStage].includes(id)) || rewrites(c).includes(k.buildStage));
    if (!clash) kept.push(c);
  }
  return kept;
}

/** The topmost open adaptive join reached from `root` through partition-wise nodes only, if any. */
function openJoinOnPath(root: PhysicalPlan): HashJoinNode | null {
  let node = root;
  for (;;) {
    if (node.kind === 'HashJoin' && node.strategy?.adaptive !== undefined && node.partitions > 1 && node.right.kind === 'ExchangeRead') {
      const right = node.right.partitioning.kind;
      if (node.distribution === 'partitioned' && right === 'hash' && node.left.kind === 'ExchangeRead' && node.left.partitioning.kind === 'hash') return node;
      if (node.distribution === 'broadcast' && right === 'broadcast') return node;
    }
    if (node.kind === 'HashJoin' && node.distribution !== 'broadcast') return null;
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
 * The DAG after measuring the build side of `c`: switched to the other strategy when the
 * measurement says so, else as planned (the join's strategy then notes the measurement).
 */
export function decideAdaptiveJoin(dag: StageDag, c: AdaptiveJoin, measuredBytes: number): { dag: StageDag; switched: boolean } {
  const joinStage = stageOf(dag, c.joinStage);
  const B = bytesText(measuredBytes);
  const switched = c.planned === 'partitioned' ? measuredBytes < c.limitBytes : measuredBytes >= ADAPTIVE_BACK_FACTOR * c.limitBytes;
  if (!switched) {
    const note = c.planned === 'partitioned'
      ? `adaptive: stayed partitioned (measured B=${B} ≥ ${c.limitReason})`
      : `adaptive: stayed broadcast (measured B=${B} < ${ADAPTIVE_BACK_FACTOR} × ${c.limitReason})`;
    const plan = onPath(joinStage.plan, c.joinId, (j) => ({ ...j, strategy: { ...j.strategy!, switched: note } }), null);
    return { dag: replaceStages(dag, new Map([[joinStage.id, { ...joinStage, plan }]]), [], null), switched };
  }
  return { dag: c.planned === 'partitioned' ? toBroadcast(dag, c, joinStage, B) : toPartitioned(dag, c, joinStage, B), switched };
}

function toBroadcast(dag: StageDag, c: AdaptiveJoin, joinStage: Stage, B: string): StageDag {
  const probe = stageOf(dag, c.probeStage!);
  const m = probe.tasks;
  const note = `adaptive: partitioned → broadcast (measured B=${B} < ${c.limitReason})`;
  const plan = onPath(joinStage.plan, c.joinId, (j) => ({
    ...j, left: probe.plan, partitions: m, distribution: 'broadcast',
    strategy: { kind: 'broadcast', reason: j.strategy!.reason, switched: note },
  }), m);
  return withJoinStage(dag, { ...joinStage, plan, tasks: m, inputs: stagesRead(plan) }, [], probe.id);
}

function toPartitioned(dag: StageDag, c: AdaptiveJoin, joinStage: Stage, B: string): StageDag {
  const build = stageOf(dag, c.buildStage);
  const n = c.partitions;
  let nextStage = Math.max(...dag.stages.map((s) => s.id)) + 1;
  let nextNode = Math.max(...dag.stages.map((s) => Math.max(maxNodeId(s.plan), s.exchangeId))) + 1;
  const note = `adaptive: broadcast → partitioned (measured B=${B} ≥ ${ADAPTIVE_BACK_FACTOR} × ${c.limitReason})`;
  const added: Stage[] = [];
  /** A new stage writing `plan` hashed on `keys`, and the reader of it that replaces the input. */
  const shuffled = (plan: PhysicalPlan, keys: PhysicalExpr[], inputs: number[]): ExchangeReadNode => {
    const output: Partitioning = { kind: 'hash', keys, partitions: n };
    const stage: Stage = { id: nextStage++, plan, output, tasks: plan.partitions, inputs, exchangeId: nextNode++ };
    added.push(stage);
    return {
      kind: 'ExchangeRead', id: stage.exchangeId, schema: plan.schema, partitions: n, stageId: stage.id, partitioning: output,
      producerTasks: stage.tasks, ...(plan.estimatedRows !== undefined ? { estimatedRows: plan.estimatedRows } : {}),
    };
  };
  const plan = onPath(joinStage.plan, c.joinId, (j) => ({
    ...j,
    left: shuffled(j.left, j.leftKeys, stagesRead(j.left)),
    right: shuffled(renumbered(build.plan, () => nextNode++), j.rightKeys, build.inputs),
    partitions: n, distribution: 'partitioned',
    strategy: { kind: 'partitioned', reason: j.strategy!.reason, switched: note },
  }), n);
  return withJoinStage(dag, { ...joinStage, plan, tasks: n, inputs: stagesRead(plan) }, added, null);
}

/** The DAG with the join stage replaced (new stages listed before it, `removed` dropped), its consumers re-tasked. */
function withJoinStage(dag: StageDag, joinStage: Stage, added: readonly Stage[], removed: number | null): StageDag {
  const changed = new Map<number, Stage>([[joinStage.id, joinStage]]);
  for (const s of dag.stages) {
    if (!s.inputs.includes(joinStage.id)) continue;
    const retasked = mapReaders(s.plan, joinStage.id, joinStage.tasks);
    if (retasked !== s.plan) changed.set(s.id, { ...s, plan: retasked });
  }
  return replaceStages(dag, changed, added, removed);
}

/** A copy of `plan` with fresh node ids (readers keep theirs), so its run's metrics stay apart from the first run's. */
function renumbered(plan: PhysicalPlan, next: () => number): PhysicalPlan {
  const kids = childrenOf(plan).map((k) => renumbered(k, next));
  const out = kids.length === 0 ? plan : withChildren(plan, kids);
  return out.kind === 'ExchangeRead' || out.kind === 'MergeGather' ? out : { ...out, id: next() };
}

/** Stages a plan reads, ascending. */
function stagesRead(plan: PhysicalPlan): number[] {
  const ids = new Set<number>();
  for (const n of planNodes(plan)) if (n.kind === 'ExchangeRead' || n.kind === 'MergeGather') ids.add(n.stageId);
  return [...ids].sort((a, b) => a - b);
}

function stageOf(dag: StageDag, id: number): Stage {
  const s = dag.stages.find((x) => x.id === id);
  if (s === undefined) throw new Error(`adaptive join: stage ${id} is not in the DAG`);
  return s;
}

function replaceStages(dag: StageDag, changed: ReadonlyMap<number, Stage>, added: readonly Stage[], removed: number | null): StageDag {
  const stages: Stage[] = [];
  for (const s of dag.stages) {
    if (s.id === removed) continue;
    const next = changed.get(s.id) ?? s;
    // New stages run before the join stage that reads them (ascending order = a valid run order).
    if (next.inputs.some((i) => added.some((a) => a.id === i))) stages.push(...added);
    stages.push(next);
  }
  return { ...dag, stages };
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
