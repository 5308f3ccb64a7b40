/**
 * Predicate pushdown: moves each AND term of every Filter as close to the scans as it can
 * go without changing the result. Walks top-down carrying the terms still to be placed:
 *
 *   Filter      its terms join the carried ones (Filters merge)
 *   Project     terms pass below with the projected expressions substituted for columns
 *   Sort, Distinct  pass through;   Limit: stop (filtering before a LIMIT changes it)
 *   Window      terms reading only plain PARTITION BY columns pass below; others stay above
 *   Aggregate   terms reading only group columns pass below (group expressions substituted)
 *   Union       each input gets the terms with its own columns substituted
 *   Scan        terms become Scan.filters (a scan returns only rows passing its filters;
 *               the physical planner keeps them as a Filter and also uses them to prune
 *               row groups)
 *   Join        inner: terms of one side go to that side, the others join the condition;
 *               left: WHERE terms on the left side go left; a term on the right
 *               (null-supplying) side stays above, unless it rejects NULLs, in which case
 *               the left join becomes an inner join (rows it would null-extend are dropped
 *               anyway). ON terms reading only the right side go right. right: mirrored.
 *               full: nothing moves. semi: WHERE terms and left-only ON terms go left,
 *               right-only ON terms go right. anti: WHERE terms go left, right-only ON
 *               terms go right.
 */
import { outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { colRef, columnRefs, conjoin, conjuncts, exprKey, idSet, someExpr, substitute } from '../logical_exprs.js';

export function predicatePushdown(plan: LogicalPlan): LogicalPlan {
  return push(plan, []);
}

function wrap(p: LogicalPlan, terms: LExpr[]): LogicalPlan {
  const pred = conjoin(dedupe(terms));
  return pred === null ? p : { kind: 'Filter', input: p, predicate: pred };
}

function dedupe(terms: LExpr[]): LExpr[] {
  const seen = new Set<string>();
  return terms.filter((t) => { const k = exprKey(t); if (seen.has(k)) return false; seen.add(k); return true; });
}

function within(t: LExpr, ids: ReadonlySet<number>): boolean {
  for (const id of columnRefs(t)) if (!ids.has(id)) return false;
  return true;
}

const VOLATILE = new Set(['random', 'now', 'uuid', 'raise_error', /* a row per element: not a value of the row */ 'unnest']);
function isVolatile(e: LExpr): boolean {
  return someExpr(e, (x) => x.kind === 'call' && VOLATILE.has(x.name.toLowerCase()));
}

function push(p: LogicalPlan, terms: LExpr[]): LogicalPlan {
  switch (p.kind) {
    case 'Filter':
      return push(p.input, [...terms, ...conjuncts(p.predicate)]);
    case 'Project': {
      const map = new Map<number, LExpr>(p.columns.map((c, i) => [c.id, p.exprs[i]!]));
      const down: LExpr[] = [];
      const stay: LExpr[] = [];
      for (const t of terms) {
        const s = substitute(t, map);
        if (isVolatile(s)) stay.push(t); else down.push(s);
      }
      return wrap({ ...p, input: push(p.input, down) }, stay);
    }
    case 'Sort': case 'Distinct':
      return { ...p, input: push(p.input, terms) };
    case 'Window': {
      // Only terms on PARTITION BY columns pass below: they keep or drop whole partitions.
      const keys = new Set(p.partitionBy.flatMap((e) => (e.kind === 'column' ? [e.id] : [])));
      const down: LExpr[] = [];
      const stay: LExpr[] = [];
      for (const t of terms) {
        const refs = columnRefs(t);
        (refs.size > 0 && [...refs].every((id) => keys.has(id)) && !isVolatile(t) ? down : stay).push(t);
      }
      return wrap({ ...p, input: push(p.input, down) }, stay);
    }
    case 'Limit':
      return wrap({ ...p, input: push(p.input, []) }, terms);
    case 'Aggregate': {
      // A grouping set without a key has NULL there: a filter on it must stay above.
      if (p.groupingSets) return wrap({ ...p, input: push(p.input, []) }, terms);
      const map = new Map<number, LExpr>(p.groupColumns.map((c, i) => [c.id, p.groupBy[i]!]));
      const down: LExpr[] = [];
      const stay: LExpr[] = [];
      for (const t of terms) {
        const refs = columnRefs(t);
        if (refs.size > 0 && [...refs].every((id) => map.has(id))) down.push(substitute(t, map));
        else stay.push(t);
      }
      return wrap({ ...p, input: push(p.input, down) }, stay);
    }
    case 'Union': {
      const inputs = p.inputs.map((input) => {
        const cols = outputColumns(input);
        const map = new Map<number, LExpr>(p.columns.map((c, i) => [c.id, colRef(cols[i]!)]));
        return push(input, terms.map((t) => substitute(t, map)));
      });
      return { ...p, inputs };
    }
    case 'Scan':
      return terms.length === 0 ? p : { ...p, filters: dedupe([...p.filters, ...terms]) };
    case 'Values': case 'WorkTable': case 'SharedScan':
      // A shared WITH query is computed once for all its readers: filters stay above.
      return wrap(p, terms);
    case 'RecursiveCte':
      // A filter on the result is not a filter on each iteration: it stays above.
      return wrap({ ...p, anchor: push(p.anchor, []), recursive: push(p.recursive, []) }, terms);
    case 'Join':
      return pushJoin(p, terms);
  }
}

function pushJoin(p: Extract<LogicalPlan, { kind: 'Join' }>, terms: LExpr[]): LogicalPlan {
  const leftIds = idSet(outputColumns(p.left));
  const rightIds = idSet(outputColumns(p.right));
  const cond = conjuncts(p.condition);
  const toLeft: LExpr[] = [];
  const toRight: LExpr[] = [];
  const newCond: LExpr[] = [];
  const above: LExpr[] = [];

  let joinType = p.joinType;
  if (joinType === 'left' && terms.some((t) => !within(t, leftIds) && rejectsNulls(t, rightIds))) joinType = 'inner';
  if (joinType === 'right' && terms.some((t) => !within(t, rightIds) && rejectsNulls(t, leftIds))) joinType = 'inner';

  switch (joinType) {
    case 'inner':
      for (const t of [...terms, ...cond]) {
        if (within(t, leftIds)) toLeft.push(t);
        else if (within(t, rightIds)) toRight.push(t);
        else newCond.push(t);
      }
      break;
    case 'left':
      for (const t of terms) (within(t, leftIds) ? toLeft : above).push(t);
      for (const t of cond) (columnRefs(t).size > 0 && within(t, rightIds) ? toRight : newCond).push(t);
      break;
    case 'right':
      for (const t of terms) (within(t, rightIds) ? toRight : above).push(t);
      for (const t of cond) (columnRefs(t).size > 0 && within(t, leftIds) ? toLeft : newCond).push(t);
      break;
    case 'full':
      above.push(...terms);
      newCond.push(...cond);
      break;
    case 'semi':
      toLeft.push(...terms);
      for (const t of cond) {
        if (columnRefs(t).size > 0 && within(t, leftIds)) toLeft.push(t);
        else if (columnRefs(t).size > 0 && within(t, rightIds)) toRight.push(t);
        else newCond.push(t);
      }
      break;
    case 'anti':
      toLeft.push(...terms);
      for (const t of cond) (!p.nullAware && columnRefs(t).size > 0 && within(t, rightIds) ? toRight : newCond).push(t);
      break;
  }
  const join: LogicalPlan = {
    ...p,
    joinType,
    left: push(p.left, toLeft),
    right: push(p.right, toRight),
    condition: conjoin(newCond),
  };
  return wrap(join, above);
}

/**
 * True when `t` is NULL or false whenever every column in `nullSide` is NULL, so a row
 * null-extended on that side can never pass it. Conservative: comparisons, LIKE, IN lists
 * and IS NOT NULL over strict expressions (columns, arithmetic, casts, negation), and AND.
 */
export function rejectsNulls(t: LExpr, nullSide: ReadonlySet<number>): boolean {
  switch (t.kind) {
    case 'binary':
      switch (t.op) {
        case 'and': return rejectsNulls(t.left, nullSide) || rejectsNulls(t.right, nullSide);
        case '=': case '<>': case '<': case '<=': case '>': case '>=':
          return strictOn(t.left, nullSide) || strictOn(t.right, nullSide);
        default: return false;
      }
    case 'like': return strictOn(t.arg, nullSide) || strictOn(t.pattern, nullSide);
    case 'in_list': return strictOn(t.arg, nullSide);
    case 'unary': return t.op === 'is_not_null' && strictOn(t.arg, nullSide);
    default: return false;
  }
}

/** The expression is NULL whenever the `nullSide` columns it reads are NULL (and it reads one). */
function strictOn(e: LExpr, nullSide: ReadonlySet<number>): boolean {
  switch (e.kind) {
    case 'column': return nullSide.has(e.id);
    case 'binary':
      if (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%' || e.op === '||') {
        return strictOn(e.left, nullSide) || strictOn(e.right, nullSide);
      }
      return false;
    case 'unary': return e.op === 'neg' && strictOn(e.arg, nullSide);
    case 'cast': return strictOn(e.arg, nullSide);
    default: return false;
  }
}
