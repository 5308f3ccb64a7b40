/**
 * Row and distinct-value estimates for logical plans. Used by join reordering (which
 * relation to join next), the build-side choice of hash joins, and EXPLAIN.
 *
 * Distinct values (ndv) per column start at the scans: the binder sets LColumn.ndv from the
 * table's Parquet statistics (distinctFromStatistics: min(rows, max − min + 1) for integer
 * and date columns). Every node then derives its output columns' ndv from its input:
 *
 *   filter keeping m of n rows   col = const → 1;  col IN (k consts) → min(ndv, k);
 *                                other columns d → d·(1 − (1 − m/n)^(n/d))  (never below 1)
 *   inner join                   each equi key pair → min(ndv l, ndv r) (the smaller set of
 *                                keys is contained in the larger); other columns as a filter
 *   every node                   ndv ≤ output rows
 *
 * The filter rule is the expected number of distinct values left when m of n rows survive
 * at random: proportional (d·m/n) for a key (d = n), but a 25-value column keeps its 25
 * values when 10% of 1500 rows survive.
 *
 * Selectivity guesses when no ndv is known:
 *
 *   a = b 0.1   a <> b 0.9   range 0.33   LIKE 0.25   IN (n items) min(0.5, 0.1·n)
 *   IS NULL 0.1   AND: product   OR: s1 + s2 − s1·s2   NOT: 1 − s   other 0.5
 *
 * With a known ndv: col = const 1/ndv; col IN (k consts) min(1, k/ndv).
 *
 * Equi joins:  |L|·|R| / max(ndv(l), ndv(r)) per key pair `l = r`; a pair whose ndv is not
 * known on both sides falls back to max(|L|, |R|) (key = foreign key: each row of the larger
 * side meets about one row of the smaller). A column that was unique in its table (ndv =
 * rows) is taken for a key the other column references, so the other column's ndv is capped
 * at the key's table-wide ndv: min/max overstate the ndv of a foreign key into a sparse key
 * range (TPC-H l_orderkey spans 1..60000 but holds the 15000 o_orderkey values), and
 * lineitem ⋈ orders would otherwise look four times more selective than it is. With several pairs the smallest pair estimate
 * wins: multiplying the pairs' selectivities assumes independent keys, and composite keys
 * (partkey, suppkey) are anything but, so that product underestimates badly. Non-equi terms
 * multiply by their selectivity; a join without any equi pair is |L|·|R|·0.1 (cross: |L|·|R|).
 */
import { outputColumns, type LExpr, type LogicalPlan } from './logical.js';
import { columnRefs, conjuncts, idSet } from './logical_exprs.js';
import type { ColumnStatistics } from '../storage/parquet_metadata.js';
import type { DataType } from '../common/types.js';

export const SELECTIVITY = {
  equality: 0.1,
  inequality: 0.9,
  range: 0.33,
  like: 0.25,
  isNull: 0.1,
  other: 0.5,
} as const;

/** Known distinct-value counts by column id. */
export type NdvLookup = (id: number) => number | undefined;

/** Rows of a recursive CTE: its anchor's rows times this. */
const RECURSIVE_ITERATIONS_GUESS = 10;

const NO_NDV: NdvLookup = () => undefined;

/**
 * Estimated number of distinct non-NULL values of a table column from its table-level
 * statistics: min(non-NULL rows, max − min + 1) for integer and date columns, 1 or 2 for
 * booleans; undefined for other types or without both bounds.
 */
export function distinctFromStatistics(type: DataType, stats: ColumnStatistics | undefined, rows: number): number | undefined {
  if (!stats || stats.min === undefined || stats.max === undefined || stats.min === null || stats.max === null) return undefined;
  const nonNull = Math.max(0, rows - (stats.nullCount ?? 0));
  let span: number;
  switch (type) {
    case 'int32': case 'int64': case 'date32': {
      const { min, max } = stats;
      if (typeof min === 'bigint' && typeof max === 'bigint') span = Number(max - min) + 1;
      else if (typeof min === 'number' && typeof max === 'number') span = max - min + 1;
      else return undefined;
      break;
    }
    case 'bool': span = stats.min === stats.max ? 1 : 2; break;
    default: return undefined;
  }
  if (!Number.isFinite(span) || span < 1) return undefined;
  return Math.max(1, Math.min(nonNull, span));
}

/**
 * Expected distinct values left of `ndv` when `m` of `n` rows survive at random:
 * ndv·(1 − (1 − m/n)^(n/ndv)), between m·ndv/n and ndv, never below 1 (unless m is 0).
 */
export function scaleNdv(ndv: number, n: number, m: number): number {
  if (m <= 0) return 0;
  if (n <= 0 || m >= n || ndv <= 0) return Math.min(ndv, Math.max(m, 1));
  const kept = ndv * (1 - Math.pow(1 - m / n, n / ndv));
  return Math.max(1, Math.min(ndv, m, kept));
}

/** Fraction of rows a predicate keeps; `ndv` supplies known distinct counts of the columns it reads. */
export function selectivity(pred: LExpr | null, ndv: NdvLookup = NO_NDV): number {
  if (pred === null) return 1;
  switch (pred.kind) {
    case 'literal': return pred.value === true ? 1 : 0;
    case 'binary':
      switch (pred.op) {
        case 'and': return selectivity(pred.left, ndv) * selectivity(pred.right, ndv);
        case 'or': { const a = selectivity(pred.left, ndv); const b = selectivity(pred.right, ndv); return a + b - a * b; }
        case '=': case 'is_not_distinct_from': {
          const d = pinnedColumn(pred, ndv);
          return d === undefined ? SELECTIVITY.equality : 1 / d.ndv;
        }
        case '<>': case 'is_distinct_from': {
          const d = pinnedColumn(pred, ndv);
          return d === undefined ? SELECTIVITY.inequality : 1 - 1 / d.ndv;
        }
        case '<': case '<=': case '>': case '>=': return SELECTIVITY.range;
        default: return SELECTIVITY.other;
      }
    case 'unary':
      switch (pred.op) {
        case 'not': return 1 - selectivity(pred.arg, ndv);
        case 'is_null': return SELECTIVITY.isNull;
        case 'is_not_null': return 1 - SELECTIVITY.isNull;
        default: return SELECTIVITY.other;
      }
    case 'like': return pred.negated ? 1 - SELECTIVITY.like : SELECTIVITY.like;
    case 'in_list': {
      const id = keyColumn(pred.arg);
      const d = id === undefined || !pred.list.every(isConstant) ? undefined : ndv(id);
      const s = d === undefined ? Math.min(0.5, SELECTIVITY.equality * pred.list.length) : Math.min(1, pred.list.length / d);
      return pred.negated ? 1 - s : s;
    }
    default: return SELECTIVITY.other;
  }
}

/** `col = constant` (either way round) with a known ndv of col. */
function pinnedColumn(pred: Extract<LExpr, { kind: 'binary' }>, ndv: NdvLookup): { id: number; ndv: number } | undefined {
  const id = constantComparison(pred);
  if (id === undefined) return undefined;
  const d = ndv(id);
  return d === undefined ? undefined : { id, ndv: Math.max(1, d) };
}

/** The column of `col = constant` / `constant = col`, else undefined. */
function constantComparison(pred: Extract<LExpr, { kind: 'binary' }>): number | undefined {
  const l = keyColumn(pred.left);
  if (l !== undefined && isConstant(pred.right)) return l;
  const r = keyColumn(pred.right);
  if (r !== undefined && isConstant(pred.left)) return r;
  return undefined;
}

/** The column an expression is (possibly under casts), else undefined. */
function keyColumn(e: LExpr): number | undefined {
  let x = e;
  while (x.kind === 'cast') x = x.arg;
  return x.kind === 'column' ? x.id : undefined;
}

function isConstant(e: LExpr): boolean {
  let x = e;
  while (x.kind === 'cast') x = x.arg;
  return x.kind === 'literal';
}

/** Estimated output rows of a logical plan (at least 1 unless provably empty). */
export function estimateRows(plan: LogicalPlan): number {
  return new Estimator().rows(plan);
}

/** Estimated distinct non-NULL values of output column `id` of `plan`, if known. */
export function estimateNdv(plan: LogicalPlan, id: number): number | undefined {
  return new Estimator().ndv(plan, id);
}

interface Estimate {
  rows: number;
  /** Known ndv by output column id (columns without statistics are absent). */
  ndv: Map<number, number>;
  /**
   * Columns that were unique where they were read (ndv = rows in their table, or the only
   * key of an aggregate), with that distinct count: the key domain that values of a column
   * joined to them are assumed to reference.
   */
  keys: Map<number, number>;
}

const NO_COLUMNS = (): Map<number, number> => new Map();

type JoinPlan = Extract<LogicalPlan, { kind: 'Join' }>;

/**
 * Estimates memoized per plan node, so that join reordering can estimate many candidate
 * joins over the same inputs cheaply. Plans are treated as immutable.
 */
export class Estimator {
  private readonly memo = new Map<LogicalPlan, Estimate>();

  rows(plan: LogicalPlan): number {
    return this.estimate(plan).rows;
  }

  ndv(plan: LogicalPlan, id: number): number | undefined {
    return this.estimate(plan).ndv.get(id);
  }

  private estimate(plan: LogicalPlan): Estimate {
    let e = this.memo.get(plan);
    if (!e) {
      e = this.compute(plan);
      this.memo.set(plan, e);
    }
    return e;
  }

  private compute(plan: LogicalPlan): Estimate {
    switch (plan.kind) {
      case 'Scan': {
        const ndv = new Map<number, number>();
        const keys = new Map<number, number>();
        for (const c of plan.columns) {
          if (c.ndv === undefined) continue;
          const d = Math.min(c.ndv, plan.rowEstimate);
          ndv.set(c.id, d);
          if (d === plan.rowEstimate && d > 1) keys.set(c.id, d);
        }
        return applyFilter({ rows: plan.rowEstimate, ndv, keys }, plan.filters);
      }
      case 'Values': return { rows: plan.rows.length, ndv: NO_COLUMNS(), keys: NO_COLUMNS() };
      case 'SharedScan': {
        // The CTE's own estimate, its columns renamed to this reader's.
        const body = this.estimate(plan.cte.plan);
        const ndv = new Map<number, number>();
        const keys = new Map<number, number>();
        plan.sources.forEach((id, i) => {
          const d = body.ndv.get(id);
          if (d !== undefined) ndv.set(plan.columns[i]!.id, d);
          const k = body.keys.get(id);
          if (k !== undefined) keys.set(plan.columns[i]!.id, k);
        });
        return { rows: body.rows, ndv, keys };
      }
      case 'Filter': return applyFilter(this.estimate(plan.input), conjuncts(plan.predicate));
      case 'Project': {
        const input = this.estimate(plan.input);
        const ndv = new Map<number, number>();
        const keys = new Map<number, number>();
        plan.exprs.forEach((e, i) => {
          const id = keyColumn(e);
          if (id === undefined) return;
          const d = input.ndv.get(id);
          if (d !== undefined) ndv.set(plan.columns[i]!.id, d);
          const k = input.keys.get(id);
          if (k !== undefined) keys.set(plan.columns[i]!.id, k);
        });
        return { rows: input.rows, ndv, keys };
      }
      case 'Sort': case 'Window': return this.estimate(plan.input);
      case 'Aggregate': {
        if (plan.groupBy.length === 0) return { rows: 1, ndv: NO_COLUMNS(), keys: NO_COLUMNS() };
        const input = this.estimate(plan.input);
        // Groups: the product of the keys' ndv when all are known, else a tenth of the input.
        let groups = 1;
        let known = true;
        const keyNdv = plan.groupBy.map((e) => {
          const id = keyColumn(e);
          const d = id === undefined ? undefined : input.ndv.get(id);
          if (d === undefined) known = false;
          else groups *= d;
          return d;
        });
        const rows = known ? atLeastOne(Math.min(groups, input.rows), input.rows) : atLeastOne(input.rows * 0.1, input.rows);
        const ndv = new Map<number, number>();
        keyNdv.forEach((d, i) => { if (d !== undefined) ndv.set(plan.groupColumns[i]!.id, Math.min(d, rows)); });
        const keys = new Map<number, number>();
        if (plan.groupBy.length === 1 && known) keys.set(plan.groupColumns[0]!.id, rows);
        return { rows, ndv, keys };
      }
      case 'Distinct': {
        const input = this.estimate(plan.input);
        return capped(input, atLeastOne(input.rows * 0.5, input.rows));
      }
      case 'Limit': {
        const input = this.estimate(plan.input);
        const n = Math.max(0, input.rows - plan.skip);
        return capped(input, plan.fetch === null ? n : Math.min(n, plan.fetch));
      }
      case 'Union': return { rows: plan.inputs.reduce((acc, p) => acc + this.rows(p), 0), ndv: NO_COLUMNS(), keys: NO_COLUMNS() };
      // Unknown before it runs: guess a few iterations of the anchor's size.
      case 'RecursiveCte': return { rows: this.rows(plan.anchor) * RECURSIVE_ITERATIONS_GUESS, ndv: NO_COLUMNS(), keys: NO_COLUMNS() };
      case 'WorkTable': return { rows: 1, ndv: NO_COLUMNS(), keys: NO_COLUMNS() };
      case 'Join': return this.join(plan);
    }
  }

  private join(plan: JoinPlan): Estimate {
    const left = this.estimate(plan.left);
    const right = this.estimate(plan.right);
    const l = left.rows;
    const r = right.rows;
    const leftIds = idSet(outputColumns(plan.left));
    const rightIds = idSet(outputColumns(plan.right));
    const pairs: { l: number | undefined; r: number | undefined }[] = [];
    let residual = 1;
    const both: NdvLookup = (id) => left.ndv.get(id) ?? right.ndv.get(id);
    for (const c of conjuncts(plan.condition)) {
      const pair = isEquiEdge(c, leftIds, rightIds) ? equiKeys(c as Extract<LExpr, { kind: 'binary' }>, leftIds) : null;
      if (pair) pairs.push(pair);
      else residual *= selectivity(c, both);
    }
    let inner: number;
    if (plan.condition === null) inner = l * r;
    else if (pairs.length === 0) inner = l * r * SELECTIVITY.equality * residual;
    else {
      let best = Infinity;
      for (const p of pairs) {
        const d = pairNdv(p, left, right);
        best = Math.min(best, d === undefined ? Math.max(l, r) : (l * r) / Math.max(d.l, d.r, 1));
      }
      inner = best * residual;
    }
    inner = l === 0 || r === 0 ? 0 : Math.max(1, Math.round(inner));
    let rows: number;
    switch (plan.joinType) {
      case 'inner': rows = inner; break;
      case 'left': rows = Math.max(inner, l); break;
      case 'right': rows = Math.max(inner, r); break;
      case 'full': rows = Math.max(inner, l + r); break;
      case 'semi': case 'anti': rows = l === 0 ? 0 : Math.max(1, Math.round(l * 0.5)); break;
    }
    const ndv = new Map<number, number>();
    const keys = new Map<number, number>();
    const keep = (side: Estimate): void => {
      for (const [id, d] of side.ndv) ndv.set(id, scaleNdv(d, side.rows, Math.min(rows, side.rows)));
      for (const [id, k] of side.keys) keys.set(id, k);
    };
    keep(left);
    if (plan.joinType === 'semi' || plan.joinType === 'anti') return { rows, ndv, keys };
    keep(right);
    if (plan.joinType === 'inner') {
      // Containment: the matched keys are the smaller side's keys.
      for (const p of pairs) {
        const d = pairNdv(p, left, right);
        if (d === undefined) continue;
        const m = Math.min(d.l, d.r, ndv.get(p.l!)!, ndv.get(p.r!)!);
        ndv.set(p.l!, m);
        ndv.set(p.r!, m);
      }
    }
    return { rows, ndv, keys };
  }
}

/**
 * The ndv of both key columns of an equi pair, or undefined unless both are known. A column
 * joined to a unique key is assumed to reference it (foreign key): its distinct values are
 * at most the key's whole domain, however sparse the range its own min/max suggested.
 */
function pairNdv(p: { l: number | undefined; r: number | undefined }, left: Estimate, right: Estimate): { l: number; r: number } | undefined {
  if (p.l === undefined || p.r === undefined) return undefined;
  let dl = left.ndv.get(p.l);
  let dr = right.ndv.get(p.r);
  if (dl === undefined || dr === undefined) return undefined;
  const kl = left.keys.get(p.l);
  const kr = right.keys.get(p.r);
  if (kr !== undefined && kl === undefined) dl = Math.min(dl, kr);
  if (kl !== undefined && kr === undefined) dr = Math.min(dr, kl);
  return { l: dl, r: dr };
}

/** The left and right key columns of an equi edge (undefined where a side is an expression). */
function equiKeys(c: Extract<LExpr, { kind: 'binary' }>, leftIds: ReadonlySet<number>): { l: number | undefined; r: number | undefined } {
  const a = keyColumn(c.left);
  const b = keyColumn(c.right);
  const leftFirst = [...columnRefs(c.left)].every((id) => leftIds.has(id));
  return leftFirst ? { l: a, r: b } : { l: b, r: a };
}

/** A filter of conjuncts over an input estimate: rows by selectivity, ndv per the rules atop. */
function applyFilter(input: Estimate, terms: readonly LExpr[]): Estimate {
  if (terms.length === 0) return input;
  const lookup: NdvLookup = (id) => input.ndv.get(id);
  let s = 1;
  for (const t of terms) s *= selectivity(t, lookup);
  const rows = atLeastOne(input.rows * s, input.rows);
  const ndv = new Map<number, number>();
  for (const [id, d] of input.ndv) ndv.set(id, scaleNdv(d, input.rows, rows));
  for (const t of terms) {
    if (t.kind === 'binary' && (t.op === '=' || t.op === 'is_not_distinct_from')) {
      const id = constantComparison(t);
      if (id !== undefined && ndv.has(id)) ndv.set(id, Math.min(1, rows));
    } else if (t.kind === 'in_list' && !t.negated && t.list.every(isConstant)) {
      const id = keyColumn(t.arg);
      const d = id === undefined ? undefined : input.ndv.get(id);
      if (d !== undefined) ndv.set(id!, Math.min(d, t.list.length, rows));
    }
  }
  return { rows, ndv, keys: input.keys };
}

/** The input's ndv limited to `rows` output rows. */
function capped(input: Estimate, rows: number): Estimate {
  if (rows >= input.rows) return { rows, ndv: input.ndv, keys: input.keys };
  const ndv = new Map<number, number>();
  for (const [id, d] of input.ndv) ndv.set(id, scaleNdv(d, input.rows, rows));
  return { rows, ndv, keys: input.keys };
}

function atLeastOne(x: number, from: number): number {
  return from <= 0 ? 0 : Math.max(1, Math.round(x));
}

/** `a = b` with one side reading only `leftIds` and the other only `rightIds`. */
export function isEquiEdge(c: LExpr, leftIds: ReadonlySet<number>, rightIds: ReadonlySet<number>): boolean {
  if (c.kind !== 'binary' || c.op !== '=') return false;
  const a = columnRefs(c.left);
  const b = columnRefs(c.right);
  if (a.size === 0 || b.size === 0) return false;
  const within = (s: Set<number>, ids: ReadonlySet<number>): boolean => [...s].every((id) => ids.has(id));
  return (within(a, leftIds) && within(b, rightIds)) || (within(a, rightIds) && within(b, leftIds));
}
