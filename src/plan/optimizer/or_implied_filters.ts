/**
 * OR-implied filters: from an OR whose branches each constrain the same input, derive a
 * filter on that input alone and add it next to the OR (which stays, unchanged):
 *
 *   (n1.n_name = 'FRANCE' AND n2.n_name = 'GERMANY') OR (n1.n_name = 'GERMANY' AND n2.n_name = 'FRANCE')
 *     ──▶  <the OR>  AND  n1.n_name IN ('FRANCE', 'GERMANY')  AND  n2.n_name IN ('GERMANY', 'FRANCE')
 *
 * For each input L below the node (the leaves of its join tree: scans, projections, …), if
 * every branch of the OR has AND terms reading only L's columns, the OR of those terms
 * (per branch, their AND) is implied by the OR. Equalities (and IN lists) of one expression
 * with literals become one IN list; anything else stays an OR of the branch terms. Nothing
 * is derived when an input's terms are the whole OR (it is pushable as it is) or when a
 * term is volatile.
 *
 * Runs on Filter predicates and join conditions, after OR factoring and before join
 * extraction, so the derived filters reach the scans through predicate pushdown (TPC-H Q7:
 * the nation scans return 2 rows instead of 25; Q19: part and lineitem are filtered before
 * the join). Only whether a predicate is TRUE matters in those places, so adding an implied
 * conjunct changes no result; null-aware anti joins (NOT IN), whose condition's NULLs
 * matter, are left alone.
 */
import { logicalChildren, outputColumns, type LExpr, type LogicalPlan } from '../logical.js';
import { columnRefs, conjoin, conjuncts, exprKey, someExpr } from '../logical_exprs.js';
import { transformUp } from '../logical_tree.js';

export function orImpliedFilters(plan: LogicalPlan): LogicalPlan {
  return transformUp(plan, (p) => {
    if (p.kind === 'Filter') {
      const pred = withImplied(p.predicate, inputsOf(p.input));
      return pred === p.predicate ? p : { ...p, predicate: pred };
    }
    if (p.kind === 'Join' && p.condition !== null && p.nullAware !== true) {
      const cond = withImplied(p.condition, [...inputsOf(p.left), ...inputsOf(p.right)]);
      return cond === p.condition ? p : { ...p, condition: cond };
    }
    return p;
  });
}

/** Column-id sets of the inputs of a join tree (the plan itself when it is not a join). */
function inputsOf(p: LogicalPlan): Set<number>[] {
  if (p.kind === 'Join') return logicalChildren(p).flatMap(inputsOf);
  if (p.kind === 'Filter') return inputsOf(p.input);
  return [new Set(outputColumns(p).map((c) => c.id))];
}

/** `pred` with the filters its ORs imply added at the end (the same object when none). */
export function withImplied(pred: LExpr, inputs: readonly Set<number>[]): LExpr {
  const terms = conjuncts(pred);
  const seen = new Set(terms.map(exprKey));
  const added: LExpr[] = [];
  for (const t of terms) {
    if (!(t.kind === 'binary' && t.op === 'or')) continue;
    for (const d of implied(t, inputs)) {
      const k = exprKey(d);
      if (seen.has(k)) continue;
      seen.add(k);
      added.push(d);
    }
  }
  return added.length === 0 ? pred : conjoin([...terms, ...added])!;
}

function disjuncts(e: LExpr): LExpr[] {
  return e.kind === 'binary' && e.op === 'or' ? [...disjuncts(e.left), ...disjuncts(e.right)] : [e];
}

const VOLATILE = new Set(['random', 'now', 'uuid', 'raise_error']);

function within(t: LExpr, ids: ReadonlySet<number>): boolean {
  const refs = columnRefs(t);
  if (refs.size === 0) return false;
  for (const id of refs) if (!ids.has(id)) return false;
  return true;
}

/** The filters one OR implies, one per input that every branch constrains. */
function implied(or: LExpr, inputs: readonly Set<number>[]): LExpr[] {
  if (someExpr(or, (x) => x.kind === 'call' && VOLATILE.has(x.name.toLowerCase()))) return [];
  const branches = disjuncts(or).map((d) => conjuncts(d));
  const out: LExpr[] = [];
  for (const ids of inputs) {
    const parts: LExpr[][] = [];
    let whole = true;
    for (const terms of branches) {
      const mine = terms.filter((t) => within(t, ids));
      if (mine.length === 0) break;
      if (mine.length !== terms.length) whole = false;
      parts.push(mine);
    }
    if (parts.length !== branches.length || whole) continue;
    out.push(asInList(parts) ?? orOf(parts));
  }
  return out;
}

function orOf(parts: readonly LExpr[][]): LExpr {
  const seen = new Set<string>();
  const branches: LExpr[] = [];
  for (const p of parts) {
    const b = conjoin(p)!;
    const k = exprKey(b);
    if (!seen.has(k)) { seen.add(k); branches.push(b); }
  }
  return branches.reduce((a, b): LExpr => ({ kind: 'binary', op: 'or', left: a, right: b, type: 'bool' }));
}

/**
 * `x IN (v1, v2, …)` when every branch is one term `x = literal` (either way round) or
 * `x IN (literals)` over the same expression x and literals of x's type; null otherwise.
 */
function asInList(parts: readonly LExpr[][]): LExpr | null {
  let arg: LExpr | null = null;
  let argKey = '';
  const values: LExpr[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (p.length !== 1) return null;
    const got = literalsOf(p[0]!);
    if (got === null) return null;
    const k = exprKey(got.arg);
    if (arg === null) { arg = got.arg; argKey = k; } else if (k !== argKey) return null;
    for (const v of got.values) {
      if (v.kind !== 'literal' || v.value === null || v.type !== arg.type) return null;
      const vk = exprKey(v);
      if (!seen.has(vk)) { seen.add(vk); values.push(v); }
    }
  }
  if (arg === null) return null;
  if (values.length === 1) return { kind: 'binary', op: '=', left: arg, right: values[0]!, type: 'bool' };
  return { kind: 'in_list', arg, list: values, negated: false, type: 'bool' };
}

function literalsOf(t: LExpr): { arg: LExpr; values: LExpr[] } | null {
  if (t.kind === 'binary' && t.op === '=') {
    if (t.right.kind === 'literal' && t.left.kind !== 'literal') return { arg: t.left, values: [t.right] };
    if (t.left.kind === 'literal' && t.right.kind !== 'literal') return { arg: t.right, values: [t.left] };
    return null;
  }
  if (t.kind === 'in_list' && !t.negated && t.list.every((v) => v.kind === 'literal')) return { arg: t.arg, values: t.list };
  return null;
}
