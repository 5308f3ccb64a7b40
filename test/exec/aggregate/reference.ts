/**
 * A naive aggregation over JS rows, the oracle for the HashAggregate tests, plus helpers
 * to build aggregate plan nodes and compare unordered results.
 */
import { keyOf } from '../../helpers/rows.js';
import type { AggregateExpr, AggregateFunction, PhysicalExpr } from '../../../src/expr/expr.js';
import { col } from '../../../src/expr/expr.js';
import type { HashAggregateNode, PhysicalPlan } from '../../../src/plan/physical.js';
import { partialSchema } from '../../../src/expr/aggregate_state.js';
import { field, schema, type DataType, type Field, type Scalar } from '../../../src/common/types.js';

export interface AggSpec { fn: AggregateFunction; arg: number | null; distinct?: boolean }

let nextId = 1;

/** Result type of an aggregate over an input of type t (as the binder types it). */
export function aggType(fn: AggregateFunction, t: DataType | null): DataType {
  switch (fn) {
    case 'count_star': case 'count': return 'int64';
    case 'avg': return 'float64';
    case 'sum': return t === 'int32' || t === 'int64' ? 'int64' : 'float64';
    default: return t!;
  }
}

export function aggExprs(input: readonly Field[], specs: readonly AggSpec[]): AggregateExpr[] {
  return specs.map((s, i) => {
    const t = s.arg === null ? null : input[s.arg]!.type;
    return {
      fn: s.fn, arg: s.arg === null ? null : col(s.arg, t!), distinct: s.distinct ?? false,
      type: aggType(s.fn, t), name: `a${i}`,
    };
  });
}

export function aggNode(
  input: PhysicalPlan, mode: HashAggregateNode['mode'], groupCols: readonly number[], aggs: AggregateExpr[],
  groupFields?: readonly Field[],
): HashAggregateNode {
  const gf = groupFields ?? groupCols.map((g) => input.schema.fields[g]!);
  const groupBy: PhysicalExpr[] = groupCols.map((g, i) => col(g, gf[i]!.type));
  const out = mode === 'partial'
    ? partialSchema(gf, aggs)
    : schema([...gf, ...aggs.map((a) => field(a.name, a.type))]);
  return {
    kind: 'HashAggregate', id: nextId++, schema: out, partitions: input.partitions, input, mode, groupBy, aggregates: aggs,
  };
}

function less(a: Scalar, b: Scalar): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b || (Number.isNaN(b) && !Number.isNaN(a));
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  return (a as number | bigint | boolean) < (b as number | bigint | boolean);
}


export function sortRows(rows: Scalar[][]): Scalar[][] {
  return rows.map((r) => [keyOf(r), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** GROUP BY groupCols with the given aggregates, computed row by row. */
export function referenceAggregate(
  rows: readonly (readonly Scalar[])[], types: readonly DataType[], groupCols: readonly number[], specs: readonly AggSpec[],
): Scalar[][] {
  const groups = new Map<string, { key: Scalar[]; rows: (readonly Scalar[])[] }>();
  for (const r of rows) {
    const key = groupCols.map((g) => r[g]!);
    const k = keyOf(key);
    let e = groups.get(k);
    if (!e) { e = { key, rows: [] }; groups.set(k, e); }
    e.rows.push(r);
  }
  if (groupCols.length === 0 && groups.size === 0) groups.set('', { key: [], rows: [] });
  const out: Scalar[][] = [];
  for (const { key, rows: rs } of groups.values()) {
    const row: Scalar[] = [...key];
    for (const s of specs) {
      if (s.fn === 'count_star') { row.push(BigInt(rs.length)); continue; }
      let vals: Scalar[] = rs.map((r) => r[s.arg!]!).filter((v) => v !== null);
      if (s.distinct) {
        const seen = new Map<string, Scalar>();
        for (const v of vals) seen.set(keyOf([v]), v);
        vals = [...seen.values()];
      }
      const t = types[s.arg!]!;
      switch (s.fn) {
        case 'count': row.push(BigInt(vals.length)); break;
        case 'sum':
          if (vals.length === 0) row.push(null);
          else if (t === 'int32' || t === 'int64') row.push(vals.reduce<bigint>((a, v) => a + BigInt(v as number | bigint), 0n));
          else row.push(vals.reduce<number>((a, v) => a + Number(v), 0));
          break;
        case 'avg':
          row.push(vals.length === 0 ? null : vals.reduce<number>((a, v) => a + Number(v), 0) / vals.length);
          break;
        case 'min': case 'max': {
          let best: Scalar = null;
          for (const v of vals) {
            if (best === null || (s.fn === 'min' ? less(v, best) : less(best, v))) best = v;
          }
          row.push(best);
          break;
        }
      }
    }
    out.push(row);
  }
  return out;
}

export { keyOf };
