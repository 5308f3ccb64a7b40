/**
 * Per-operator metrics, keyed by plan node id. Every operator gets the baseline set
 * (output rows and batches, elapsed time including its inputs); buffering operators add
 * the spill set; exchanges add bytes. EXPLAIN ANALYZE prints them beside each node.
 */
export interface OperatorMetrics {
  outputRows: number;
  outputBatches: number;
  /** Wall time spent inside this operator's stream, including time pulling from inputs. */
  elapsedMs: number;
  spillCount: number;
  spillBytes: number;
  spillRows: number;
  /** Operator-specific figures: bytesSent, bytesReceived, peakMemory, buildRows, runs … */
  extra: Record<string, number>;
}

export function emptyMetrics(): OperatorMetrics {
  return { outputRows: 0, outputBatches: 0, elapsedMs: 0, spillCount: 0, spillBytes: 0, spillRows: 0, extra: {} };
}

export class MetricsSet {
  readonly byNode = new Map<number, OperatorMetrics>();

  forNode(id: number): OperatorMetrics {
    let m = this.byNode.get(id);
    if (!m) { m = emptyMetrics(); this.byNode.set(id, m); }
    return m;
  }

  add(id: string | number, key: string, amount: number): void {
    const m = this.forNode(Number(id));
    m.extra[key] = (m.extra[key] ?? 0) + amount;
  }

  /** Fold another set in (tasks on workers report theirs back). */
  merge(other: MetricsSet | Record<string, OperatorMetrics>): void {
    const entries = other instanceof MetricsSet ? [...other.byNode.entries()] : Object.entries(other).map(([k, v]) => [Number(k), v] as const);
    for (const [id, m] of entries) {
      const t = this.forNode(id);
      t.outputRows += m.outputRows; t.outputBatches += m.outputBatches; t.elapsedMs += m.elapsedMs;
      t.spillCount += m.spillCount; t.spillBytes += m.spillBytes; t.spillRows += m.spillRows;
      for (const [k, v] of Object.entries(m.extra)) t.extra[k] = (t.extra[k] ?? 0) + v;
    }
  }

  toJSON(): Record<string, OperatorMetrics> {
    return Object.fromEntries([...this.byNode.entries()].map(([k, v]) => [String(k), v]));
  }
}
