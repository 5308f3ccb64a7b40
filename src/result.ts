/** The result of one statement: a schema, its batches, and what the engine measured. */
import type * as arrow from 'apache-arrow';
import type { Batch } from './columnar/column.js';
import { batchRows } from './columnar/kernels.js';
import { tableFromBatches } from './columnar/arrow.js';
import { formatScalar, nestedJson, toCsvChunks, toJsonChunks, toTable } from './format.js';
import { isNested } from './common/nested_types.js';
import type { MetricsSet } from './common/metrics.js';
import type { DataType, Scalar, Schema } from './common/types.js';
import type { EdgeFigures, StageFigures } from './common/figures.js';
import { decimalParams, isDecimal } from './common/types.js';
import { decimalText } from './expr/decimal.js';

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

  /**
   * Rows as arrays of JS values (int64 as bigint, dates as day numbers, DECIMAL as the
   * nearest double of its value, TIME as microseconds since midnight, INTERVAL as its text
   * `1 day 02:00:00`, BLOB as its text with `\xHH` escapes, the backslash too). For small
   * results; toArrow() and db.stream give Time64, Interval(MONTH_DAY_NANO) and Binary.
   */
  rows(): Scalar[][] {
    const decimals = this.schema.fields.flatMap((f, j) => (isDecimal(f.type) ? [[j, decimalParams(f.type).scale] as const] : []));
    const rows = this.batches.flatMap((b) => batchRows(b));
    if (decimals.length > 0) {
      for (const r of rows) for (const [j, scale] of decimals) if (r[j] !== null) r[j] = decimalToNumber(r[j] as number | bigint, scale);
    }
    return rows;
  }

  /**
   * Rows as plain objects keyed by column name, ready for JSON.stringify: DATE as
   * 'YYYY-MM-DD' and TIMESTAMP as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (the ISO 8601 text SQL
   * prints), TIME, INTERVAL and BLOB as the text DuckDB prints, BIGINT as a number when it is a safe integer (|v| ≤ 2^53 − 1) and otherwise
   * as a string of its exact digits, DECIMAL likewise (a number when its unscaled value is a
   * safe integer, so the number prints its digits, else its exact text), NaN and ±Infinity as 'NaN', 'Infinity', '-Infinity',
   * NULL as null. For small results.
   */
  toObjects(): Record<string, PlainValue>[] {
    const fields = this.schema.fields;
    return this.batches.flatMap((b) => batchRows(b)).map((r) => {
      const o: Record<string, PlainValue> = {};
      fields.forEach((f, j) => { o[f.name] = plainValue(f.type, r[j]!); });
      return o;
    });
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

/** The nearest double of a decimal's value (its text parsed: one rounding). */
function decimalToNumber(v: number | bigint, scale: number): number {
  return Number(decimalText(v, scale));
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER), MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A value as toObjects gives it (see there); a nested value as arrays and objects of these. */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [field: string]: PlainValue };

/** A value as toObjects gives it (see there). */
function plainValue(type: DataType, v: Scalar): PlainValue {
  if (v === null) return null;
  if (isNested(type)) return nestedJson(type, v) as PlainValue;
  if (type === 'date32' || type === 'timestamp' || type === 'time' || type === 'interval' || type === 'blob') return formatScalar(type, v);
  if (isDecimal(type)) return typeof v === 'number' ? decimalToNumber(v, decimalParams(type).scale) : formatScalar(type, v);
  if (typeof v === 'bigint') return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
  // JSON has no NaN or Infinity: text, as --format json writes them.
  if (typeof v === 'number' && !Number.isFinite(v)) return formatScalar('float64', v);
  return v as PlainValue;
}
