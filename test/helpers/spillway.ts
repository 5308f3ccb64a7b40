/** Run SQL through Spillway and get rows normalised for comparison (dates as YYYY-MM-DD). */
import type { QueryResult } from '../../src/result.js';
import { formatScalar } from '../../src/format.js';
import { normalise, type Cell } from './compare.js';

export function resultCells(res: QueryResult): Cell[][] {
  const types = res.schema.fields.map((f) => f.type);
  return res.rows().map((r) => r.map((v, j) => {
    const t = types[j]!;
    if (v !== null && (t === 'date32' || t === 'timestamp' || t === 'time' || t === 'interval' || t === 'blob')) return formatScalar(t, v);
    return normalise(v);
  }));
}
