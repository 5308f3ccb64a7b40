/**
 * The figures of a finished stage DAG run (common/figures.ts), from what the tasks
 * reported and what the coordinator measured itself:
 *
 *   stage S   tasks, wall (scheduler), cpu / peak memory (TaskResult.figures of each task),
 *             spills (the tasks' metrics), rows/batches/bytes out (writer metrics)
 *   edge S→C  the metrics of C's reader node for S (ExchangeRead or MergeGather), task by
 *             task: rows, batches, wire and raw bytes, streams, the writers' credit wait
 *             (told at end of stream) and the reader's data wait; one partition per task of C
 *             (what it received; for a range exchange, what it kept)
 *   edge R→∅  the root stage's output as the coordinator read it (its stream's counters)
 *
 * Only the winning attempt of each task counts (the one whose output the query used).
 */
import type { EdgeFigures, QueryFigures, StageFigures } from '../common/figures.js';
import type { OperatorMetrics } from '../common/metrics.js';
import type { Stage, StageDag } from '../distributed/stage.js';
import type { StreamCounters } from '../exchange/transport.js';
import type { TaskResult } from '../exec/task_runner.js';
import { planNodes } from '../plan/physical_tree.js';

/** What runStageDag knows of each stage when the query is done. */
export interface StageOutcome {
  stage: Stage;
  /** The winning result of each task, by task index. */
  results: readonly (TaskResult | undefined)[];
  wallMs: number;
  /** Skewed partitions split across tasks (their pieces' results follow the stage's tasks). */
  skewSplits?: StageFigures['skewSplits'];
}

/** The coordinator's read of the root stage's output. */
export interface ResultRead {
  counters: Readonly<StreamCounters>;
  waitMs: number;
}

export function queryFigures(dag: StageDag, outcomes: ReadonlyMap<number, StageOutcome>, result: ResultRead): QueryFigures {
  const stages: StageFigures[] = [];
  const edges: EdgeFigures[] = [];
  for (const s of dag.stages) {
    const o = outcomes.get(s.id);
    if (o === undefined) continue;
    stages.push(stageFigures(s, s.id === dag.rootStageId, o));
    for (const input of s.inputs) edges.push(edgeFigures(dag, input, o));
  }
  const root = dag.stages.find((s) => s.id === dag.rootStageId)!;
  const c = result.counters;
  edges.push(withPartitions({
    producerStage: root.id, consumerStage: null, exchangeId: root.exchangeId, partitioning: 'result', streams: 1,
    rows: c.rows, batches: c.batches, wireBytes: c.wireBytes, rawBytes: c.rawBytes,
    writerCreditWaitMs: c.writerCreditWaitMs, readerWaitMs: result.waitMs,
  }, [c.rawBytes], [c.rows]));
  return { stages, edges };
}

function stageFigures(s: Stage, isRoot: boolean, o: StageOutcome): StageFigures {
  const f: StageFigures = {
    stageId: s.id, tasks: o.results.length, output: isRoot ? 'result' : s.output.kind, inputs: [...s.inputs], wallMs: o.wallMs,
    cpuMs: 0, peakMemoryBytes: 0, spillFiles: 0, spillBytes: 0, rowsOut: 0, batchesOut: 0, bytesOut: 0,
    ...(o.skewSplits !== undefined && o.skewSplits.length > 0 ? { skewSplits: o.skewSplits } : {}),
  };
  for (const r of o.results) {
    if (r === undefined) continue;
    f.cpuMs += r.figures?.cpuMs ?? 0;
    f.peakMemoryBytes = Math.max(f.peakMemoryBytes, r.figures?.peakMemoryBytes ?? 0);
    for (const m of Object.values(r.metrics)) {
      f.spillFiles += m.spillCount;
      f.spillBytes += m.spillBytes;
    }
    const w = r.metrics[String(s.exchangeId)]?.extra;
    f.rowsOut += w?.rowsSent ?? 0;
    f.batchesOut += w?.batchesSent ?? 0;
    f.bytesOut += w?.bytesSent ?? 0;
  }
  return f;
}

/** Edge producer → the consumer stage of `o`, from its reader node's metrics, task by task. */
function edgeFigures(dag: StageDag, producer: number, o: StageOutcome): EdgeFigures {
  const readers = planNodes(o.stage.plan)
    .filter((n) => (n.kind === 'ExchangeRead' || n.kind === 'MergeGather') && n.stageId === producer)
    .map((n) => String(n.id));
  const p = dag.stages.find((s) => s.id === producer)!;
  const e = {
    producerStage: producer, consumerStage: o.stage.id, exchangeId: p.exchangeId, partitioning: p.output.kind,
    streams: 0, rows: 0, batches: 0, wireBytes: 0, rawBytes: 0, writerCreditWaitMs: 0, readerWaitMs: 0,
  };
  const perTask: number[] = [];
  const rowsPerTask: number[] = [];
  // A range reader's partition is what it kept (its range, which is all it fetches).
  const kept = p.output.kind === 'range';
  for (const r of o.results) {
    let raw = 0, partBytes = 0, partRows = 0;
    for (const id of readers) {
      const x = (r?.metrics[id] as OperatorMetrics | undefined)?.extra;
      if (x === undefined) continue;
      e.streams += x.streamsReceived ?? 0;
      e.rows += x.rowsReceived ?? 0;
      e.batches += x.batchesReceived ?? 0;
      e.wireBytes += x.bytesReceivedWire ?? 0;
      raw += x.bytesReceived ?? 0;
      partBytes += (kept ? x.bytesKept : x.bytesReceived) ?? 0;
      partRows += (kept ? x.rowsKept : x.rowsReceived) ?? 0;
      e.writerCreditWaitMs += x.writerCreditWaitMs ?? 0;
      e.readerWaitMs += x.readWaitMs ?? 0;
    }
    e.rawBytes += raw;
    perTask.push(partBytes);
    rowsPerTask.push(partRows);
  }
  return withPartitions(e, perTask, rowsPerTask);
}

function withPartitions(
  e: Omit<EdgeFigures, 'partitionBytes' | 'partitionRows' | 'maxPartitionBytes' | 'medianPartitionBytes' | 'skew'>,
  partitionBytes: number[], partitionRows: number[],
): EdgeFigures {
  const sorted = [...partitionBytes].sort((a, b) => a - b);
  const max = sorted.length > 0 ? sorted[sorted.length - 1]! : 0;
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const skew = max === 0 ? 0 : median === 0 ? null : max / median;
  return { ...e, partitionBytes, partitionRows, maxPartitionBytes: max, medianPartitionBytes: median, skew };
}
