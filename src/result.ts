/** The result of one statement: a schema, its batches, and what the engine measured. */
import type * as arrow from 'apache-arrow';
import type { Batch } from './columnar/column.js';
import { batchRows } from './columnar/kernels.js';
import { tableFromBatches } from './columnar/arrow.js';
import { toCsvChunks, toJsonChunks, toTable } from './format.js';
import type { MetricsSet } from './common/metrics.js';
import type { Scalar, Schema } from './common/types.js';
import type { EdgeFigures, StageFigures } from './common/figures.js';

export interface QueryStats {
  queryId: string;
  elapsedMs: number;
  peakMemoryBytes: number;
  spillFiles: number;
  spillBytes: number;
  /** Per stage (README.md, "Query figures"); one stage, 0, when the query ran in this process. */
  stages: StageFigures[];
  /** Per exchange edge, the coordinator's read of the result included; none when it ran in this process. */
  edges: EdgeFigures[];
}

export class QueryResult {
  constructor(
    readonly schema: Schema,
    readonly batches: readonly Batch[],
    /** A one-line status for statements without rows ("CREATE TABLE", "INSERT 3"). */
    readonly status: string | null = null,
    readonly metrics: MetricsSet | null = null,
    readonly stats: QueryStats | null = null,
  ) {}

  get numRows(): number {
    let n = 0;
    for (const b of this.batches) n += b.length;
    return n;
  }

  get columnNames(): string[] {
    return this.schema.fields.map((f) => f.name);
  }

  /** The result as an apache-arrow Table. */
  toArrow(): arrow.Table {
    return tableFromBatches(this.schema, this.batches);
  }

  /** Rows as arrays of JS values (int64 as bigint, dates as day numbers). For small results. */
  rows(): Scalar[][] {
    return this.batches.flatMap((b) => batchRows(b));
  }

  toCsv(): string {
    return textOf(toCsvChunks(this.schema, this.batches));
  }

  toJsonLines(): string {
    return textOf(toJsonChunks(this.schema, this.batches));
  }

  toString(): string {
    return this.status ?? toTable(this.schema, this.batches);
  }
}

/** The text of UTF-8 chunks (a leading U+FEFF is text here, not a byte order mark). */
function textOf(chunks: Iterable<Uint8Array>): string {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let s = '';
  for (const c of chunks) s += decoder.decode(c, { stream: true });
  return s + decoder.decode();
}
