/**
 * INTERVAL column kernels: an IntervalColumn is three parallel arrays (months, days,
 * micros), so each kernel runs the plain typed-array loop once per array. Equality, order
 * and hashing use DuckDB's normalised form (common/interval.ts), so `1 month` = `30 days`
 * in comparisons, GROUP BY and joins alike.
 */
import { formatInterval, intervalInRange, normal, normalizeInterval, parseIntervalText } from '../common/interval.js';
import { SpillwayError } from '../common/errors.js';
import { intervalColumn, type IntervalColumn } from './column.js';

export function takeInterval(c: IntervalColumn, indices: Int32Array, count: number, validity: Uint8Array | null): IntervalColumn {
  const m = new Int32Array(count), d = new Int32Array(count), u = new Float64Array(count);
  const sm = c.months, sd = c.days, su = c.micros;
  for (let i = 0; i < count; i++) {
    const j = indices[i]!;
    if (j >= 0) { m[i] = sm[j]!; d[i] = sd[j]!; u[i] = su[j]!; }
  }
  return intervalColumn(m, d, u, validity);
}

export function sliceInterval(c: IntervalColumn, start: number, end: number, validity: Uint8Array | null): IntervalColumn {
  return intervalColumn(c.months.subarray(start, end), c.days.subarray(start, end), c.micros.subarray(start, end), validity);
}

export function concatIntervals(cols: readonly IntervalColumn[], length: number, validity: Uint8Array | null): IntervalColumn {
  const m = new Int32Array(length), d = new Int32Array(length), u = new Float64Array(length);
  let pos = 0;
  for (const c of cols) { m.set(c.months, pos); d.set(c.days, pos); u.set(c.micros, pos); pos += c.length; }
  return intervalColumn(m, d, u, validity);
}

/** Whether row i of a equals row j of b (normalised). */
export function intervalsEqual(a: IntervalColumn, i: number, b: IntervalColumn, j: number): boolean {
  if (a.months[i] === b.months[j] && a.days[i] === b.days[j] && a.micros[i] === b.micros[j]) return true;
  return compareIntervalRows(a, i, b, j) === 0;
}

/** -1, 0 or 1: row i of a against row j of b (normalised). */
export function compareIntervalRows(a: IntervalColumn, i: number, b: IntervalColumn, j: number): number {
  normalizeInterval(a.months[i]!, a.days[i]!, a.micros[i]!);
  const m = normal.months, d = normal.days, u = normal.micros;
  normalizeInterval(b.months[j]!, b.days[j]!, b.micros[j]!);
  if (m !== normal.months) return m < normal.months ? -1 : 1;
  if (d !== normal.days) return d < normal.days ? -1 : 1;
  if (u !== normal.micros) return u < normal.micros ? -1 : 1;
  return 0;
}

/**
 * The normalised parts of every row, as three arrays: what hashing reads, so that equal
 * intervals (`1 month`, `30 days`) hash alike.
 */
export function normalizedParts(c: IntervalColumn): { months: Float64Array; days: Float64Array; micros: Float64Array } {
  const n = c.length;
  const months = new Float64Array(n), days = new Float64Array(n), micros = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    normalizeInterval(c.months[i]!, c.days[i]!, c.micros[i]!);
    months[i] = normal.months; days[i] = normal.days; micros[i] = normal.micros;
  }
  return { months, days, micros };
}

/** Text of row i (DuckDB's). */
export function intervalAt(c: IntervalColumn, i: number): string {
  return formatInterval(c.months[i]!, c.days[i]!, c.micros[i]!);
}

/** An interval column from scalars: interval text (or null). */
export function intervalsFromScalars(values: readonly unknown[], validity: Uint8Array | null): IntervalColumn {
  const n = values.length;
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const p = parseIntervalText(String(v));
    if (p === null) throw new SpillwayError('execution', `invalid interval: ${String(v)}`);
    m[i] = p.months; d[i] = p.days; u[i] = p.micros;
  }
  return intervalColumn(m, d, u, validity);
}

/** Check parts written by arithmetic; an out-of-range row is an error naming the interval. */
export function checkIntervalRange(months: number, days: number, micros: number): void {
  if (!intervalInRange({ months, days, micros })) throw new SpillwayError('execution', 'interval out of range');
}
