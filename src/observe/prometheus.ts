/**
 * SpillwayMetrics: the Prometheus metrics of one runtime (a session/coordinator or a worker),
 * in a Registry of its own — never prom-client's global one — so several runtimes in one
 * process (tests, embedded worker threads) each count their own.
 *
 *   session / scheduler ──queries, tasks, heartbeats──▶ counters ─┐
 *   exchange servers ─────bytes served─────────────────▶ counters ─┤
 *   task metrics ─────────bytes received───────────────▶ counters ─┼─▶ registry.metrics() ─▶ GET /metrics
 *   spill manager ────────files, bytes─────────────────▶ counters ─┤
 *   memory pools, servers ─read when scraped (collect)─▶ gauges ───┘
 *
 * Every name starts with `spillway_`; the README's table lists names and labels.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the spill manager reports as it writes (DiskSpillManager's `sink`). */
export interface SpillSink {
  spilled(bytes: number, files: number): void;
}

/** A stream's cumulative counters, as exchange servers report them after each batch. */
interface StreamBytes { readonly rawBytes: number }

export class SpillwayMetrics implements SpillSink {
  readonly registry = new Registry();
  private readonly memorySources = new Set<() => { reserved: number; limit: number }>();
  private readonly streamSources = new Set<() => number>();
  /** Bytes of each exchange stream already counted (streams report cumulative figures). */
  private readonly counted = new WeakMap<object, number>();

  readonly queriesStarted = new Counter({ name: 'spillway_queries_started_total', help: 'Queries started', registers: [this.registry] });
  readonly queriesFinished = new Counter({ name: 'spillway_queries_finished_total', help: 'Queries that finished successfully', registers: [this.registry] });
  readonly queriesFailed = new Counter({
    name: 'spillway_queries_failed_total', help: 'Queries that failed or were cancelled, by error kind', labelNames: ['kind'] as const, registers: [this.registry],
  });
  readonly tasksStarted = new Counter({ name: 'spillway_tasks_started_total', help: 'Task attempts started', registers: [this.registry] });
  readonly tasksFinished = new Counter({ name: 'spillway_tasks_finished_total', help: 'Task attempts that succeeded', registers: [this.registry] });
  readonly tasksFailed = new Counter({
    name: 'spillway_tasks_failed_total', help: 'Task attempts that failed or were cancelled, by error kind', labelNames: ['kind'] as const, registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'spillway_task_duration_seconds', help: 'Duration of task attempts, by outcome (ok, failed)', labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  readonly exchangeSentBytes = new Counter({
    name: 'spillway_exchange_sent_bytes_total', help: 'Bytes of exchanged batches served to readers (Arrow in-memory size, before IPC and compression)', registers: [this.registry],
  });
  readonly exchangeReceivedBytes = new Counter({
    name: 'spillway_exchange_received_bytes_total', help: 'Bytes of exchanged batches read by this runtime (Arrow in-memory size, before IPC and compression)', registers: [this.registry],
  });
  readonly spillBytes = new Counter({ name: 'spillway_spill_bytes_total', help: 'Bytes written to spill files', registers: [this.registry] });
  readonly spillFiles = new Counter({ name: 'spillway_spill_files_total', help: 'Spill files created', registers: [this.registry] });
  readonly heartbeats = new Counter({
    name: 'spillway_worker_heartbeats_total',
    help: 'Worker heartbeats: on a coordinator by worker and outcome (ok, failed); on a worker the ones it answered (outcome received)',
    labelNames: ['worker', 'outcome'] as const, registers: [this.registry],
  });

  constructor() {
    const memory = () => {
      let reserved = 0, limit = 0;
      for (const get of this.memorySources) { const m = get(); reserved += m.reserved; limit += m.limit; }
      return { reserved, limit };
    };
    new Gauge({
      name: 'spillway_memory_reserved_bytes', help: 'Bytes reserved in the memory pool(s) now', registers: [this.registry],
      collect() { this.set(memory().reserved); },
    });
    new Gauge({
      name: 'spillway_memory_limit_bytes', help: 'Limit of the memory pool(s); 0 = unlimited', registers: [this.registry],
      collect() { this.set(memory().limit); },
    });
    const streams = this.streamSources;
    new Gauge({
      name: 'spillway_exchange_active_streams', help: 'Exchange streams being served now', registers: [this.registry],
      collect() { let n = 0; for (const get of streams) n += get(); this.set(n); },
    });
  }

  /** Report a memory pool's reservation and limit when scraped; returns the way to stop. */
  watchMemory(get: () => { reserved: number; limit: number }): () => void {
    this.memorySources.add(get);
    return () => { this.memorySources.delete(get); };
  }

  /** Report a server's open streams when scraped; returns the way to stop. */
  watchStreams(get: () => number): () => void {
    this.streamSources.add(get);
    return () => { this.streamSources.delete(get); };
  }

  spilled(bytes: number, files: number): void {
    if (bytes > 0) this.spillBytes.inc(bytes);
    if (files > 0) this.spillFiles.inc(files);
  }

  /** An exchange server sent a batch on a stream: count what the stream added since last time. */
  streamSent(counters: StreamBytes): void {
    const before = this.counted.get(counters) ?? 0;
    if (counters.rawBytes > before) {
      this.exchangeSentBytes.inc(counters.rawBytes - before);
      this.counted.set(counters, counters.rawBytes);
    }
  }

  /** A task attempt ended (`kind`: its error kind when it failed). */
  taskEnded(seconds: number, failedKind: string | null): void {
    this.taskDuration.observe({ outcome: failedKind === null ? 'ok' : 'failed' }, seconds);
    if (failedKind === null) this.tasksFinished.inc();
    else this.tasksFailed.inc({ kind: failedKind });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * One scrape of a runtime's metrics plus other registries' (worker threads, as
 * registry.getMetricsAsJSON() sent over): series with the same labels are summed, so each
 * thread labels its own (runtime="thread:N").
 */
export async function metricsText(own: SpillwayMetrics, others: readonly unknown[][] = []): Promise<{ text: string; contentType: string }> {
  if (others.length === 0) return { text: await own.text(), contentType: own.contentType };
  const all = [await own.registry.getMetricsAsJSON(), ...others] as Parameters<typeof AggregatorRegistry.aggregate>[0];
  return { text: await AggregatorRegistry.aggregate(all).metrics(), contentType: own.contentType };
}
