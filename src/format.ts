/**
 * Rendering results as text: CSV (RFC 4180, quoting only where needed), an aligned table,
 * and JSON lines. Floats use the shortest round-trip form, dates YYYY-MM-DD, NULL as an
 * empty CSV field (`NULL` in tables, null in JSON).
 */
import type { Batch, Column } from './columnar/column.js';
import { civilOf } from './common/calendar.js';
import { scalarAt } from './columnar/kernels.js';
import type { DataType, Scalar, Schema } from './common/types.js';

export function formatDate(days: number): string {
  const { year: y, month: m, day: d } = civilOf(days);
  const yy = y < 0 ? '-' + String(-y).padStart(4, '0') : String(y).padStart(4, '0');
  return `${yy}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function formatTimestamp(micros: bigint): string {
  const days = Number(micros / 86_400_000_000n) - (micros % 86_400_000_000n < 0n ? 1 : 0);
  let rem = Number(micros - BigInt(days) * 86_400_000_000n);
  const us = rem % 1_000_000; rem = (rem - us) / 1_000_000;
  const s = rem % 60; rem = (rem - s) / 60;
  const mi = rem % 60; const h = (rem - mi) / 60;
  const frac = us === 0 ? '' : '.' + String(us).padStart(6, '0').replace(/0+$/, '');
  return `${formatDate(days)} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac}`;
}

export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

/** A value as text, or null for SQL NULL. */
export function formatScalar(type: DataType, v: Scalar): string | null {
  if (v === null) return null;
  switch (type) {
    case 'date32': return formatDate(Number(v));
    case 'timestamp': return formatTimestamp(BigInt(v));
    case 'float64': return formatFloat(Number(v));
    case 'bool': return v ? 'true' : 'false';
    default: return String(v);
  }
}

export function formatCell(c: Column, i: number): string | null {
  return formatScalar(c.type, scalarAt(c, i));
}

function csvQuote(s: string): string {
  return /[",\n\r]|^ | $/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function* toCsvLines(schema: Schema, batches: Iterable<Batch>): Generator<string> {
  yield schema.fields.map((f) => csvQuote(f.name)).join(',');
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      yield b.columns.map((c) => { const s = formatCell(c, i); return s === null ? '' : csvQuote(s); }).join(',');
    }
  }
}

export function* toJsonLines(schema: Schema, batches: Iterable<Batch>): Generator<string> {
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const obj: Record<string, unknown> = {};
      schema.fields.forEach((f, j) => {
        const v = scalarAt(b.columns[j]!, i);
        obj[f.name] = v === null ? null
          : f.type === 'date32' || f.type === 'timestamp' ? formatScalar(f.type, v)
          : typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString())
          : typeof v === 'number' && !Number.isFinite(v) ? formatFloat(v)
          : v;
      });
      yield JSON.stringify(obj);
    }
  }
}

/** An aligned text table; at most `maxRows` rows are shown, with a count of the rest. */
export function toTable(schema: Schema, batches: readonly Batch[], maxRows = 1000): string {
  const header = schema.fields.map((f) => f.name);
  const rows: string[][] = [];
  let total = 0;
  for (const b of batches) {
    total += b.length;
    for (let i = 0; i < b.length && rows.length < maxRows; i++) rows.push(b.columns.map((c) => formatCell(c, i) ?? 'NULL'));
  }
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const numeric = schema.fields.map((f) => f.type === 'int32' || f.type === 'int64' || f.type === 'float64');
  const line = (cells: string[]) => cells.map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join(' | ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
  if (total > rows.length) out.push(`… ${total - rows.length} more rows`);
  out.push(`(${total} row${total === 1 ? '' : 's'})`);
  return out.join('\n');
}
