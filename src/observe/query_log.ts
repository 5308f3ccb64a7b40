/**
 * QueryLog: the queries of one session, running and recent, for the web page. Running
 * queries stay until they end; then the last `keep` ended ones are kept (oldest dropped).
 */
import type { QueryTracker } from './progress.js';

export class QueryLog {
  private readonly running = new Map<string, QueryTracker>();
  private readonly ended: QueryTracker[] = [];

  constructor(private readonly keep = 50) {}

  started(t: QueryTracker): void {
    this.running.set(t.queryId, t);
  }

  /** Call after the tracker's finish(). */
  finished(t: QueryTracker): void {
    this.running.delete(t.queryId);
    this.ended.push(t);
    if (this.ended.length > this.keep) this.ended.shift();
  }

  /** Running queries first (oldest first), then ended ones (newest first). */
  list(): QueryTracker[] {
    return [...this.running.values(), ...[...this.ended].reverse()];
  }

  get(queryId: string): QueryTracker | undefined {
    return this.running.get(queryId) ?? this.ended.find((t) => t.queryId === queryId);
  }
}
