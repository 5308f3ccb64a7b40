/**
 * What a query did, per stage and per exchange edge: the figures EXPLAIN ANALYZE prints,
 * `EXPLAIN (ANALYZE, FORMAT JSON)` returns and `QueryResult.stats` carries (README.md,
 * "Query figures"). Plain JSON-friendly data; the scheduler fills it in
 * (scheduler/query_figures.ts), the plan layer prints it (plan/explain.ts).
 *
 *   stage 0 (scan, 4 tasks) ──edge 0→2 hash──┐
 *   stage 1 (scan, 4 tasks) ──edge 1→2 hash──┴▶ stage 2 (join, 4 tasks) ──edge 2→3──▶ stage 3 ──edge 3→result──▶ coordinator
 */

export interface StageFigures {
  stageId: number;
  tasks: number;
  /** How the stage's output is split: hash, range, broadcast, single, round_robin; "result" for the root. */
  output: string;
  /** Stages it reads. */
  inputs: number[];
  /**
   * From the first of its tasks starting on a worker to the last one finishing, as the
   * scheduler saw it (waiting for input stages and for a task slot not included).
   */
  wallMs: number;
  /** CPU time of its tasks, added up (measured on the workers). */
  cpuMs: number;
  /** The largest memory any one of its tasks' operators held at once. */
  peakMemoryBytes: number;
  /** Spill files and bytes its tasks wrote (operators and their exchange output). */
  spillFiles: number;
  spillBytes: number;
  /** What its writers appended to their exchange output (in-memory bytes). */
  rowsOut: number;
  batchesOut: number;
  bytesOut: number;
  /** Skewed partitions run as several tasks (scheduler/skew_split.ts); `tasks` counts the pieces. */
  skewSplits?: { input: number; partition: number; bytes: number; medianBytes: number; pieces: number }[];
}

/** One exchange: the output of `producerStage` read by `consumerStage`'s tasks (or the coordinator). */
export interface EdgeFigures {
  producerStage: number;
  /** null: the coordinator reading the query result. */
  consumerStage: number | null;
  /** The Exchange node id (the producer's writer metrics id). */
  exchangeId: number;
  /** The producer's output partitioning kind, or "result". */
  partitioning: string;
  /** Streams read (one per producer task and consumer task). */
  streams: number;
  /** What the readers received (a broadcast is counted once per consumer task). */
  rows: number;
  batches: number;
  /** Bytes on the wire as the transport counted them, after compression; reads within one worker count 0. */
  wireBytes: number;
  /** In-memory bytes of the batches received (before encoding and compression). */
  rawBytes: number;
  /**
   * Bytes (in memory) per consumer partition (= consumer task), in task order: what it
   * received (for a range exchange: its range, split once at the writers).
   */
  partitionBytes: number[];
  /** Rows per consumer partition, counted the same way. */
  partitionRows: number[];
  maxPartitionBytes: number;
  medianPartitionBytes: number;
  /**
   * maxPartitionBytes / medianPartitionBytes: 1 when even; 0 when nothing was read; null
   * when more than half the partitions are empty but one is not.
   */
  skew: number | null;
  /** Time the writers held a ready batch but no credit from these readers, added over streams. */
  writerCreditWaitMs: number;
  /** Time the reading tasks waited for data from this exchange, added over consumer tasks. */
  readerWaitMs: number;
}

export interface QueryFigures {
  stages: StageFigures[];
  edges: EdgeFigures[];
}
