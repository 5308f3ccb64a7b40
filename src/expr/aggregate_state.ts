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
 *   bool_and, bool_or   [value bool]                  (NULL: no input)
 *   var_*, stddev_*     [count int64, mean float64, m2 float64]   (Welford; merged with
 *                                                      Chan's formula)
 *   approx_count_distinct [registers utf8]            (HyperLogLog of 4,096 registers as ASCII:
 *                                                      '' no input, 'S' + 3 characters per
 *                                                      non-zero register (sparse), or one
 *                                                      character per register; exec/aggregate/
 *                                                      hll.ts; merged by maximum)
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
 *
 * Holistic aggregates (string_agg, percentile_cont, percentile_disc) need every value of a
 * group and have no partial state either: they are planned like DISTINCT aggregates
 * (`decomposable` is false for both).
 */
import { exprKey, type AggregateExpr, type SortKey } from './expr.js';
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
    case 'bool_and': case 'bool_or':
      return [field(`${agg.name}.${agg.fn}`, 'bool', true)];
    case 'var_samp': case 'var_pop': case 'stddev_samp': case 'stddev_pop':
      return [field(`${agg.name}.count`, 'int64', false), field(`${agg.name}.mean`, 'float64', true), field(`${agg.name}.m2`, 'float64', true)];
    case 'approx_count_distinct':
      return [field(`${agg.name}.registers`, 'utf8', false)];
    case 'string_agg': case 'percentile_cont': case 'percentile_disc': case 'list':
      throw new Error(`${agg.fn} has no partial state (plan it as a single aggregate)`);
  }
}

/** Number of state columns of one aggregate. */
export function partialStateWidth(agg: AggregateExpr): number {
  switch (agg.fn) {
    case 'sum': case 'avg': return 2;
    case 'var_samp': case 'var_pop': case 'stddev_samp': case 'stddev_pop': return 3;
    default: return 1;
  }
}

/** Whether an aggregate needs every value of a group (no partial state). */
export function isHolistic(agg: AggregateExpr): boolean {
  return agg.fn === 'string_agg' || agg.fn === 'percentile_cont' || agg.fn === 'percentile_disc' || agg.fn === 'list';
}

/** Whether partial states of the aggregate can be merged (false: DISTINCT and holistic ones). */
export function decomposable(agg: AggregateExpr): boolean {
  return !(agg.distinct && agg.fn !== 'count_star') && !isHolistic(agg);
}

/**
 * The sort keys an aggregate reads as extra input columns besides its argument:
 * string_agg's ORDER BY, unless it orders by the argument alone (then, as for percentiles,
 * the argument itself is the sort key).
 */
export function orderInputs(agg: AggregateExpr): SortKey[] {
  const keys = agg.orderBy ?? [];
  if (keys.length === 1 && agg.arg !== null && exprKey(keys[0]!.expr) === exprKey(agg.arg)) return [];
  return keys;
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
