/**
 * The partial-state layout of two-phase aggregation. The distributed planner relies on it.
 *
 * A 'partial' HashAggregate outputs, per group:
 *
 *   [ group key 0 … group key k-1 | state of aggregate 0 | state of aggregate 1 | … ]
 *
 * where k = groupBy.length, the group keys have the types of the groupBy expressions, and
 * the state of each aggregate is `partialStateFields(agg)`, in aggregate order:
 *
 *   count_star, count   [count int64]
 *   sum                 [sum (agg.type: int64 for integer input, float64 otherwise), count int64]
 *   avg                 [sum float64, count int64]
 *   min, max            [value (agg.type)]
 *
 * `count` is the number of non-NULL inputs (all rows for count_star); a sum state with
 * count 0 has a NULL or zero sum and stands for "no input". A partial aggregate with no
 * GROUP BY emits exactly one state row even on empty input (count 0).
 *
 * A 'final' HashAggregate takes that layout as input: its `groupBy` expressions are
 * evaluated over the input (the planner passes column refs 0..k-1), aggregate i reads
 * the state columns that start at k + (state widths of aggregates 0..i-1), and
 * `AggregateExpr.arg` is ignored.
 *
 * DISTINCT aggregates (count(DISTINCT x), sum(DISTINCT x), …) do not decompose: partial
 * states cannot be merged without the values themselves. The distributed planner must
 * hash-partition the raw rows by the group keys (or gather them into one partition when
 * there is no GROUP BY) and run mode 'single' for any aggregation with a DISTINCT aggregate.
 * Partial and final modes reject DISTINCT aggregates.
 */
import type { AggregateExpr } from './expr.js';
import { field, schema, type Field, type Schema } from '../common/types.js';

/** The partial-state columns of one aggregate, named after it. */
export function partialStateFields(agg: AggregateExpr): Field[] {
  switch (agg.fn) {
    case 'count_star': case 'count':
      return [field(`${agg.name}.count`, 'int64', false)];
    case 'sum':
      return [field(`${agg.name}.sum`, agg.type, true), field(`${agg.name}.count`, 'int64', false)];
    case 'avg':
      return [field(`${agg.name}.sum`, 'float64', true), field(`${agg.name}.count`, 'int64', false)];
    case 'min': case 'max':
      return [field(`${agg.name}.${agg.fn}`, agg.type, true)];
  }
}

/** Number of state columns of one aggregate. */
export function partialStateWidth(agg: AggregateExpr): number {
  return agg.fn === 'sum' || agg.fn === 'avg' ? 2 : 1;
}

/** Output schema of a partial aggregate (= input schema of the matching final aggregate). */
export function partialSchema(groupFields: readonly Field[], aggs: readonly AggregateExpr[]): Schema {
  const fields: Field[] = [...groupFields];
  for (const a of aggs) fields.push(...partialStateFields(a));
  return schema(fields);
}

/** Position of aggregate i's first state column in a final aggregate's input. */
export function stateOffset(groupCount: number, aggs: readonly AggregateExpr[], i: number): number {
  let off = groupCount;
  for (let k = 0; k < i; k++) off += partialStateWidth(aggs[k]!);
  return off;
}
