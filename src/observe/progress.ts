/**
 * Query progress: what a running query has done so far, per stage, for the command line's
 * progress bar, the library's onProgress callback and the web page.
 *
 *   runStageDag ──QueryObserver events (stages planned, task started/finished/failed)──┐
 *   a local run ──the task's live MetricsSet and spill figures (read when asked)────────┤
 *                                                                                      ▼
 *                          QueryTracker ──snapshot()──▶ QueryProgress (plain JSON data)
 *                               └── onProgress(snapshot): after each task, every intervalMs
 *                                   while something changed, and once at the end
 *
 * Figures per stage: tasks done of total; rows the stage's Parquet scans produced, of the
 * planner's estimate (from the files' metadata); bytes read from storage of the slices'
 * size; rows and bytes in (exchange reads) and out (the writer); spill. A distributed stage
 * moves when its tasks finish (a task reports its figures once, at its end); a local run
 * (`--workers 0`, or a query the guards keep in one thread) is one stage of one task whose
 * figures move batch by batch. A task run again (lost output, retry) replaces its figures,
 * so nothing is counted twice.
 */
import type { MetricsSet, OperatorMetrics } from '../common/metrics.js';
import type { SpillwayMetrics } from './prometheus.js';
import type { Logger } from './log.js';

/** What the scheduler knows of a stage before it runs (plain data: no plan types here). */
export interface StagePlanInfo {
  id: number;
  tasks: number;
  /** Stages this one reads. */
  inputs: number[];
  /** The stage's operators, root first ("HashAggregate ← Filter ← ParquetScan lineitem"). */
  label: string;
  /** How the stage's output is split ("hash(l_orderkey; 4)", "single"). */
  output: string;
  /** Ids of the stage's ParquetScan nodes. */
  scanNodeIds: number[];
  /** Per task, the bytes of the file slices it scans. */
  scanBytesPerTask: number[];
  /** Rows the stage's scans are expected to produce (planner's estimate). */
  rowsToScan: number;
  /** Node id the writer's figures are recorded under (-1: a local run, no writer). */
  writerId: number;
  /** A local run: the plan root's id (its output rows are the rows out). */
  rootNodeId?: number;
  /** Exchange readers in the stage: node id → the stage it reads. */
  readers: { nodeId: number; stage: number }[];
}

export type StageState = 'waiting' | 'running' | 'done' | 'failed';
export type QueryState = 'running' | 'finished' | 'failed';

export interface StageProgress {
  stageId: number;
  label: string;
  output: string;
  inputs: number[];
  state: StageState;
  tasks: number;
  tasksDone: number;
  tasksRunning: number;
  rowsScanned: number;
  rowsToScan: number;
  bytesScanned: number;
  bytesToScan: number;
  rowsIn: number;
  bytesIn: number;
  rowsOut: number;
  bytesOut: number;
  spillBytes: number;
  spillFiles: number;
  elapsedMs: number;
}

/** One edge of the stage DAG: what the producer wrote and what its consumer read of it. */
export interface EdgeProgress {
  from: number;
  to: number;
  rowsOut: number;
  bytesOut: number;
  rowsIn: number;
  bytesIn: number;
}

export interface QueryProgress {
  queryId: string;
  sql: string;
  state: QueryState;
  /** 'local': one stage in this thread; 'distributed': a stage DAG on workers. */
  mode: 'local' | 'distributed';
  startedAt: number;
  elapsedMs: number;
  stages: StageProgress[];
  edges: EdgeProgress[];
  rootStageId: number;
  tasks: number;
  tasksDone: number;
  rowsScanned: number;
  rowsToScan: number;
  bytesScanned: number;
  bytesToScan: number;
  spillBytes: number;
  error: string | null;
}

/** The events a scheduler reports about one query (all optional to act on). */
export interface QueryObserver {
  /** The query runs as this stage DAG (replaces the local stage). */
  stagesPlanned(stages: readonly StagePlanInfo[], rootStageId: number): void;
  taskStarted(stageId: number, task: number, worker: string | null): void;
  /** A copy of the task succeeded first after `ms`; `metrics` are its figures (MetricsSet.toJSON()). */
  taskFinished(stageId: number, task: number, worker: string | null, metrics: Record<string, OperatorMetrics>, ms: number): void;
  /** A copy of the task failed or was cancelled (another copy may still succeed). */
  taskFailed(stageId: number, task: number, worker: string | null, error: unknown, ms: number): void;
  /** The coordinator read the root stage's output: its bytes (Arrow in-memory size). */
  resultRead(rawBytes: number): void;
}

interface StageTrack {
  info: StagePlanInfo;
  /** Figures of each task's winning copy. */
  readonly taskMetrics: Map<number, Record<string, OperatorMetrics>>;
  running: number;
  failed: boolean;
  firstStart: number;
  lastEnd: number;
  /** Tasks the stage runs: its planned ones, more when a skewed partition was split (task numbers after them). */
  tasks: number;
}

export interface QueryTrackerOptions {
  onProgress?: (p: QueryProgress) => void;
  /** How often onProgress may be called while figures change (default 200 ms). */
  intervalMs?: number;
  /** The runtime's Prometheus metrics (tasks, exchange bytes read). */
  metrics?: SpillwayMetrics;
  /** The coordinator's log: stages planned and tasks finished (debug), tasks failed (info). */
  logger?: Logger;
}

export class QueryTracker implements QueryObserver {
  readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  private endedMs: number | null = null;
  state: QueryState = 'running';
  error: string | null = null;
  private mode: 'local' | 'distributed' = 'local';
  private stages = new Map<number, StageTrack>();
  private rootStageId = 0;
  private local: { metrics: MetricsSet; spill: () => { bytes: number; files: number } } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = '';
  /** The EXPLAIN ANALYZE text, once the query ended (made when first asked). */
  private explainText: (() => string) | null = null;

  constructor(readonly queryId: string, readonly sql: string, private readonly opts: QueryTrackerOptions = {}) {
    if (opts.onProgress !== undefined) {
      this.timer = setInterval(() => this.emit(), Math.max(10, opts.intervalMs ?? 200));
      this.timer.unref();
    }
  }

  /** The query runs in this thread as one stage of one task, whose figures are `metrics`. */
  runLocal(info: StagePlanInfo, metrics: MetricsSet, spill: () => { bytes: number; files: number }): void {
    this.mode = 'local';
    this.local = { metrics, spill };
    this.rootStageId = info.id;
    this.stages = new Map([[info.id, newTrack(info)]]);
    this.taskStarted(info.id, 0, null);
  }

  stagesPlanned(stages: readonly StagePlanInfo[], rootStageId: number): void {
    this.mode = 'distributed';
    this.local = null;
    this.rootStageId = rootStageId;
    this.stages = new Map(stages.map((s) => [s.id, newTrack(s)]));
    this.opts.logger?.debug({ queryId: this.queryId, stages: stages.length, tasks: stages.reduce((n, s) => n + s.tasks, 0) }, `query ${this.queryId}: ${stages.length} stages`);
    this.emit();
  }

  taskStarted(stageId: number, task: number, _worker: string | null): void {
    const s = this.stages.get(stageId);
    if (s === undefined) return;
    s.tasks = Math.max(s.tasks, task + 1);
    if (s.firstStart === 0) s.firstStart = performance.now();
    s.running++;
    if (this.mode === 'distributed') this.opts.metrics?.tasksStarted.inc();
  }

  taskFinished(stageId: number, task: number, worker: string | null, metrics: Record<string, OperatorMetrics>, ms: number): void {
    const s = this.stages.get(stageId);
    if (s === undefined) return;
    this.opts.logger?.debug({ queryId: this.queryId, stageId, task, worker, ms }, `query ${this.queryId} stage ${stageId} task ${task}: done in ${ms} ms`);
    this.opts.metrics?.taskEnded(ms / 1000, null);
    s.running = Math.max(0, s.running - 1);
    s.taskMetrics.set(task, metrics);
    s.lastEnd = performance.now();
    this.emit();
  }

  taskFailed(stageId: number, task: number, worker: string | null, error: unknown, ms: number): void {
    const s = this.stages.get(stageId);
    if (s === undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    this.opts.logger?.info({ queryId: this.queryId, stageId, task, worker, ms, kind: errorKind(error), error: message },
      `query ${this.queryId} stage ${stageId} task ${task}${worker !== null ? ` on worker ${worker}` : ''} failed: ${message}`);
    this.opts.metrics?.taskEnded(ms / 1000, errorKind(error));
    s.running = Math.max(0, s.running - 1);
  }

  resultRead(rawBytes: number): void {
    this.opts.metrics?.exchangeReceivedBytes.inc(rawBytes);
  }

  /** The query ended: final figures, one last onProgress. */
  finish(error: unknown | null, explain?: () => string): void {
    if (this.state !== 'running') return;
    if (this.local !== null) {
      const s = this.stages.get(this.rootStageId)!;
      s.running = 0;
      if (error === null) s.taskMetrics.set(0, this.local.metrics.toJSON());
      else s.failed = true;
      s.lastEnd = performance.now();
    }
    this.endedMs = performance.now() - this.t0;
    this.state = error === null ? 'finished' : 'failed';
    if (error !== null) this.error = error instanceof Error ? error.message : String(error);
    if (explain !== undefined) this.explainText = explain;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.emit();
  }

  /** EXPLAIN ANALYZE of the finished query; null while it runs or when it failed. */
  explain(): string | null {
    return this.explainText?.() ?? null;
  }

  snapshot(): QueryProgress {
    const now = performance.now();
    const stages: StageProgress[] = [];
    const edges = new Map<string, EdgeProgress>();
    const outOf = new Map<number, { rows: number; bytes: number }>();
    for (const s of this.stages.values()) {
      const p = this.stageProgress(s, now);
      stages.push(p);
      outOf.set(s.info.id, { rows: p.rowsOut, bytes: p.bytesOut });
    }
    for (const s of this.stages.values()) {
      for (const r of s.info.readers) {
        const key = `${r.stage}>${s.info.id}`;
        const e = edges.get(key) ?? { from: r.stage, to: s.info.id, rowsOut: 0, bytesOut: 0, rowsIn: 0, bytesIn: 0 };
        for (const m of this.figuresOf(s)) {
          const x = m[String(r.nodeId)];
          if (x !== undefined) { e.rowsIn += x.extra.rowsReceived ?? 0; e.bytesIn += x.extra.bytesReceived ?? 0; }
        }
        edges.set(key, e);
      }
    }
    for (const e of edges.values()) {
      const o = outOf.get(e.from);
      if (o !== undefined) { e.rowsOut = o.rows; e.bytesOut = o.bytes; }
    }
    const sum = (k: keyof StageProgress) => stages.reduce((n, s) => n + (s[k] as number), 0);
    return {
      queryId: this.queryId, sql: this.sql, state: this.state, mode: this.mode, startedAt: this.startedAt,
      elapsedMs: this.endedMs ?? now - this.t0, stages, edges: [...edges.values()], rootStageId: this.rootStageId,
      tasks: sum('tasks'), tasksDone: sum('tasksDone'), rowsScanned: sum('rowsScanned'), rowsToScan: sum('rowsToScan'),
      bytesScanned: sum('bytesScanned'), bytesToScan: sum('bytesToScan'), spillBytes: sum('spillBytes'), error: this.error,
    };
  }

  /** The figures of each task of a stage (a local run: the live set). */
  private figuresOf(s: StageTrack): Record<string, OperatorMetrics>[] {
    if (this.local !== null && this.state === 'running') return [this.local.metrics.toJSON()];
    return [...s.taskMetrics.values()];
  }

  private stageProgress(s: StageTrack, now: number): StageProgress {
    const info = s.info;
    const scans = new Set(info.scanNodeIds.map(String));
    const readers = new Set(info.readers.map((r) => String(r.nodeId)));
    const writer = String(info.writerId);
    let rowsScanned = 0, bytesScanned = 0, rowsIn = 0, bytesIn = 0, rowsOut = 0, bytesOut = 0, spillBytes = 0, spillFiles = 0;
    for (const m of this.figuresOf(s)) {
      for (const [id, x] of Object.entries(m)) {
        spillBytes += x.spillBytes;
        spillFiles += x.spillCount;
        if (scans.has(id)) { rowsScanned += x.outputRows; bytesScanned += x.extra.bytesScanned ?? 0; }
        if (readers.has(id)) { rowsIn += x.extra.rowsReceived ?? 0; bytesIn += x.extra.bytesReceived ?? 0; }
        if (id === writer) { rowsOut += x.extra.rowsSent ?? 0; bytesOut += x.extra.bytesSent ?? 0; }
        if (info.rootNodeId !== undefined && id === String(info.rootNodeId)) rowsOut += x.outputRows;
      }
    }
    if (this.local !== null) {
      // Spill files of a local run are written by the query's spill manager, counted there.
      const sp = this.local.spill();
      spillBytes = Math.max(spillBytes, sp.bytes);
      spillFiles = Math.max(spillFiles, sp.files);
    }
    const tasksDone = s.taskMetrics.size;
    const bytesToScan = Math.max(info.scanBytesPerTask.reduce((a, b) => a + b, 0), bytesScanned);
    const state: StageState = s.failed || (this.state === 'failed' && tasksDone < s.tasks) ? 'failed'
      : tasksDone >= s.tasks ? 'done' : s.firstStart > 0 ? 'running' : 'waiting';
    const end = state === 'running' ? now : s.lastEnd;
    return {
      stageId: info.id, label: info.label, output: info.output, inputs: info.inputs, state,
      // A speculative copy that lost reports no end: a done or failed stage runs nothing.
      tasks: s.tasks, tasksDone, tasksRunning: state === 'running' ? s.running : 0,
      rowsScanned, rowsToScan: Math.max(info.rowsToScan, rowsScanned), bytesScanned, bytesToScan,
      rowsIn, bytesIn, rowsOut, bytesOut, spillBytes, spillFiles,
      elapsedMs: s.firstStart > 0 ? Math.max(0, end - s.firstStart) : 0,
    };
  }

  /** Call onProgress when the figures changed since the last call. */
  private emit(): void {
    const cb = this.opts.onProgress;
    if (cb === undefined) return;
    const p = this.snapshot();
    const key = JSON.stringify({ ...p, elapsedMs: 0, stages: p.stages.map((s) => ({ ...s, elapsedMs: 0 })) });
    if (key === this.lastSent) return;
    this.lastSent = key;
    try {
      cb(p);
    } catch {
      // A failing progress callback must not fail the query.
    }
  }
}

/** The error's kind (SpillwayError.kind) for metric labels; 'execution' for anything else. */
export function errorKind(e: unknown): string {
  const k = (e as { kind?: unknown } | null)?.kind;
  return typeof k === 'string' ? k : 'execution';
}

function newTrack(info: StagePlanInfo): StageTrack {
  return { info, taskMetrics: new Map(), running: 0, failed: false, firstStart: 0, lastEnd: 0, tasks: info.tasks };
}
