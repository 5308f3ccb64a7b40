/**
 * Result comparison: values normalised (int64 → number, dates → YYYY-MM-DD), floats equal
 * within abs(a-b) <= 1e-9 · max(1, |a|, |b|), rows compared as bags or in the order a query
 * demands (ResultSemantics).
 */
import type { DataType, Scalar } from '../common/types.js';
import { formatScalar } from '../format.js';
import type { QueryResult } from '../result.js';
import type { ResultSemantics } from './query.js';

export type Cell = string | number | boolean | null;

export function floatEqual(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Numbers within tolerance; a number equals a string that spells it (DuckDB's HUGEINT, DECIMAL). */
export function cellEqual(a: Cell, b: Cell): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') return floatEqual(a, b);
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b))) return floatEqual(a, Number(b));
  if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a))) return floatEqual(Number(a), b);
  return String(a) === String(b);
}

/** An engine value as a comparable cell. */
export function normalise(v: unknown, type?: DataType): Cell {
  if (v === null || v === undefined) return null;
  if ((type === 'date32' || type === 'timestamp') && (typeof v === 'number' || typeof v === 'bigint')) return formatScalar(type, v as Scalar);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}

/** A Spillway result as rows of cells. */
export function resultCells(res: QueryResult): Cell[][] {
  const types = res.schema.fields.map((f) => f.type);
  return res.rows().map((r) => r.map((v, j) => normalise(v, types[j])));
}

function cellKey(c: Cell): string {
  // Numbers are keyed coarsely so that values equal within tolerance sort together.
  if (typeof c === 'number') return Number.isInteger(c) ? `n${c}` : `n${c.toPrecision(8)}`;
  if (typeof c === 'string' && c.trim() !== '' && !Number.isNaN(Number(c))) return cellKey(Number(c));
  return JSON.stringify(c);
}

function sortedAsBag(rows: readonly Cell[][]): Cell[][] {
  const keyed = rows.map((r) => ({ r, k: r.map(cellKey).join('\u0001') }));
  keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
  return keyed.map((x) => x.r);
}

function firstDifference(a: readonly Cell[][], e: readonly Cell[][], what: string): string | null {
  if (a.length !== e.length) {
    return `${what}: ${a.length} rows != expected ${e.length}\n  first actual rows:   ${JSON.stringify(a.slice(0, 3))}\n  first expected rows: ${JSON.stringify(e.slice(0, 3))}`;
  }
  for (let i = 0; i < a.length; i++) {
    const ra = a[i]!, re = e[i]!;
    if (ra.length !== re.length) return `${what}: row ${i} has ${ra.length} columns, expected ${re.length}`;
    for (let j = 0; j < ra.length; j++) {
      if (!cellEqual(ra[j]!, re[j]!)) {
        return `${what}: row ${i} column ${j}: ${JSON.stringify(ra[j])} != expected ${JSON.stringify(re[j])}\n  actual row:   ${JSON.stringify(ra)}\n  expected row: ${JSON.stringify(re)}`;
      }
    }
  }
  return null;
}

/**
 * The first difference between two answers, or null when they agree. Without ORDER BY keys
 * rows are a bag. With keys, the key columns must agree in order; the whole rows must agree
 * in order when the keys cover every column, and as a bag otherwise unless a LIMIT may have
 * cut between rows tied on the keys.
 */
export function diffResults(actual: readonly Cell[][], expected: readonly Cell[][], semantics: ResultSemantics = { orderKeys: [], limited: false }): string | null {
  const keys = semantics.orderKeys;
  if (keys.length === 0) return firstDifference(sortedAsBag(actual), sortedAsBag(expected), 'as bags');
  const project = (rows: readonly Cell[][]) => rows.map((r) => keys.map((k) => r[k] ?? null));
  const ordered = firstDifference(project(actual), project(expected), 'ORDER BY keys in order');
  if (ordered !== null) return ordered;
  const width = Math.max(actual[0]?.length ?? 0, expected[0]?.length ?? 0);
  if (new Set(keys).size >= width) return firstDifference(actual, expected, 'in order');
  return semantics.limited ? null : firstDifference(sortedAsBag(actual), sortedAsBag(expected), 'as bags');
}
