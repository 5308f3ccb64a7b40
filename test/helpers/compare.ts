/**
 * Result comparison for differential tests: values are normalised (bigint → number when
 * safe, dates → YYYY-MM-DD), floats compared with the TPC-H README's tolerance
 * abs(a-b) <= 1e-9 * max(1, |a|, |b|), rows compared in order or as bags.
 */
import { cellEqual, type Cell } from '../../src/testing/compare.js';

export { cellEqual, floatEqual, type Cell } from '../../src/testing/compare.js';

function cellKey(c: Cell): string {
  if (typeof c === 'number') return Number.isInteger(c) ? String(c) : c.toPrecision(8);
  return JSON.stringify(c);
}

/** First difference between two row lists, or null when equal. */
export function diffRows(actual: Cell[][], expected: Cell[][], ordered: boolean): string | null {
  if (actual.length !== expected.length) {
    return `row count ${actual.length} != expected ${expected.length}\nfirst actual rows: ${JSON.stringify(actual.slice(0, 3))}\nfirst expected rows: ${JSON.stringify(expected.slice(0, 3))}`;
  }
  let a = actual, e = expected;
  if (!ordered) {
    const key = (r: Cell[]) => r.map(cellKey).join('\u0001');
    a = [...actual].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
    e = [...expected].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  }
  for (let i = 0; i < a.length; i++) {
    const ra = a[i]!, re = e[i]!;
    if (ra.length !== re.length) return `row ${i}: ${ra.length} columns != expected ${re.length}`;
    for (let j = 0; j < ra.length; j++) {
      if (!cellEqual(ra[j]!, re[j]!)) return `row ${i} column ${j}: ${JSON.stringify(ra[j])} != expected ${JSON.stringify(re[j])}\nactual row: ${JSON.stringify(ra)}\nexpected row: ${JSON.stringify(re)}`;
    }
  }
  return null;
}

/** Parse a CSV file as the TPC-H README describes (RFC 4180; empty field = NULL). */
export function parseCsv(text: string): { header: string[]; rows: Cell[][] } {
  const lines: string[][] = [];
  let row: string[] = [], field = '', quoted = false, i = 0, wasQuoted = false;
  const fields: (string | null)[][] = [];
  let frow: (string | null)[] = [];
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      field += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; wasQuoted = true; i++; continue; }
    if (ch === ',') { row.push(field); frow.push(field === '' && !wasQuoted ? null : field); field = ''; wasQuoted = false; i++; continue; }
    if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); frow.push(field === '' && !wasQuoted ? null : field);
      lines.push(row); fields.push(frow);
      row = []; frow = []; field = ''; wasQuoted = false; i++; continue;
    }
    field += ch; i++;
  }
  if (field !== '' || row.length > 0) { row.push(field); frow.push(field === '' && !wasQuoted ? null : field); lines.push(row); fields.push(frow); }
  const header = lines[0] ?? [];
  const rows = fields.slice(1).map((r) => r.map((v): Cell => v));
  return { header, rows };
}

/** Normalise engine values for comparison. */
export function normalise(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}
