/**
 * ROLLUP, CUBE and GROUPING SETS → the grouping sets of an Aggregate, and grouping().
 *
 *   GROUP BY a, ROLLUP(b, c)               (a, b, c), (a, b), (a)
 *   GROUP BY CUBE(a, b)                    (a, b), (a), (b), ()
 *   GROUP BY GROUPING SETS ((a, b), a, ())  (a, b), (a), ()
 *   ROLLUP((a, b), c)                      (a, b, c), (a, b), ()   (a parenthesized list is one unit)
 *
 * The items of a GROUP BY multiply: every combination of one set from each item is a set
 * (their union). Sets are kept in order and with repeats, as each one gives its own rows.
 * A GROUP BY without ROLLUP, CUBE or GROUPING SETS has no grouping sets, and `GROUP BY ()`
 * (one empty set) is a plain aggregate without groups.
 *
 * grouping(a, b) (also grouping_id) is a bit mask: the bit of each argument, the last one
 * lowest, is 1 when the row's set does not group by it. It becomes a CASE over the Aggregate's
 * grouping id column (the set's index), or 0 without grouping sets.
 * The pre-parse turns `GROUPING SETS (` into `grouping_sets(` and `()` into a marker call.
 */
import type { LColumn, LExpr } from '../plan/logical.js';
import { colRef } from '../plan/logical_exprs.js';
import type { ExprNode, FuncArgs, IdentNode } from './ast.js';
import type { BindContext } from './bind_context.js';
import { exprKey, type GroupingCall } from './bind_expr.js';
import { EMPTY_GROUPING_SET } from './preparse.js';

/** More sets than this is almost surely a mistake (CUBE of 13 keys gives 8,192). */
const MAX_SETS = 4096;

const CONSTRUCTS = new Set(['rollup', 'cube', 'grouping_sets']);

function callName(n: ExprNode): string {
  if (n.type !== 'function') return '';
  if (typeof n.name === 'string') return n.name.toLowerCase();
  if (n.name && Array.isArray(n.name.name)) return n.name.name.map((p: IdentNode) => p.value).join('.').toLowerCase();
  return '';
}

function callArgs(n: ExprNode): ExprNode[] {
  const a = n.args as FuncArgs | undefined;
  return a && Array.isArray(a.value) ? a.value : [];
}

/**
 * The grouping sets of a GROUP BY (indices from `keyIndex`, which binds one key and returns
 * its index among the Aggregate's group keys), or null for a plain GROUP BY.
 */
export function bindGroupingSets(nodes: readonly ExprNode[], keyIndex: (n: ExprNode) => number, ctx: BindContext): number[][] | null {
  if (!nodes.some((n) => CONSTRUCTS.has(callName(n)))) {
    nodes.forEach(keyIndex);
    return null;
  }
  const unit = (n: ExprNode): number[] => (n.type === 'expr_list' && Array.isArray(n.value) ? (n.value as ExprNode[]).map(keyIndex) : [keyIndex(n)]);
  const limit = (sets: number[][]): number[][] => {
    if (sets.length > MAX_SETS) throw ctx.error('binder', `GROUP BY gives ${sets.length} grouping sets; at most ${MAX_SETS} are allowed${ctx.at(nodes[0]!)}`);
    return sets;
  };
  const itemSets = (n: ExprNode): number[][] => {
    const name = callName(n);
    if (name === EMPTY_GROUPING_SET) return [[]];
    if (name === 'rollup') {
      const units = callArgs(n).map(unit);
      const out: number[][] = [];
      for (let len = units.length; len >= 0; len--) out.push(union(units.slice(0, len)));
      return out;
    }
    if (name === 'cube') {
      const units = callArgs(n).map(unit);
      if (units.length > 12) throw ctx.error('binder', `CUBE of ${units.length} items gives too many grouping sets; at most 12 items${ctx.at(n)}`);
      const out: number[][] = [];
      for (let mask = (1 << units.length) - 1; mask >= 0; mask--) out.push(union(units.filter((_u, i) => (mask >> (units.length - 1 - i)) & 1)));
      return out;
    }
    if (name === 'grouping_sets') return limit(callArgs(n).flatMap((a) => (CONSTRUCTS.has(callName(a)) || callName(a) === EMPTY_GROUPING_SET ? itemSets(a) : [unit(a)])));
    return [unit(n)];
  };
  let sets: number[][] = [[]];
  for (const n of nodes) {
    const item = itemSets(n);
    sets = limit(sets.flatMap((s) => item.map((t) => union([s, t]))));
  }
  if (sets.every((s) => s.length === 0)) {
    if (sets.length === 1) return null;
    throw ctx.error('unsupported', `unsupported: GROUPING SETS made of empty sets only${ctx.at(nodes[0]!)}`);
  }
  return sets;
}

/** The union of some sets of key indices, sorted. */
function union(parts: readonly number[][]): number[] {
  return [...new Set(parts.flat())].sort((a, b) => a - b);
}

/** The value of one grouping() call over the Aggregate's output (see the header). */
export function groupingValue(
  call: GroupingCall, groupKeys: ReadonlyMap<string, number>, sets: number[][] | null, groupingId: LColumn | undefined, ctx: BindContext,
): LExpr {
  const keys = call.args.map((a) => {
    const g = groupKeys.get(exprKey(a));
    if (g === undefined) throw ctx.error('binder', `arguments of ${call.name} must be GROUP BY expressions`);
    return g;
  });
  if (sets === null || groupingId === undefined) return { kind: 'literal', value: 0n, type: 'int64' };
  const masks = sets.map((s) => keys.reduce((m, g) => m * 2 + (s.includes(g) ? 0 : 1), 0));
  if (masks.every((m) => m === masks[0])) return { kind: 'literal', value: BigInt(masks[0]!), type: 'int64' };
  return {
    kind: 'case', operand: colRef(groupingId), type: 'int64', else: null,
    whens: masks.map((m, i) => ({ when: { kind: 'literal', value: i, type: 'int32' }, then: { kind: 'literal', value: BigInt(m), type: 'int64' } })),
  };
}
