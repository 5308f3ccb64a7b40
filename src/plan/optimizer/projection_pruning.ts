/**
 * Projection pruning: removes columns nobody reads. Walks top-down with the set of column
 * ids the parent needs; each node keeps what it is asked for plus what its own
 * expressions read, and asks its children for exactly that:
 *
 *   Scan       reads only the needed columns (at least one, the narrowest, so rows can
 *              still be counted) — this is what makes Parquet reads narrow
 *   Project    drops unneeded expressions (keeps one if none is needed); an identity
 *              Project (same columns, same order) disappears
 *   Aggregate  drops unneeded aggregates (group columns always stay: they define groups)
 *   Window     drops unneeded functions; with none left the Window disappears
 *   Join       needed ∪ condition columns, split by side (semi/anti: the right side only
 *              needs the condition's columns)
 *   Union      drops the same positions in every input (a Project per input if needed)
 *   Distinct, Values  keep every column (they define the rows)
 *   SharedScan reads only the needed columns of its WITH query (at least one)
 *
 * A node's output keeps its original order and may keep more than was asked (e.g. a
 * Filter's own columns); the root keeps exactly its columns.
 */
import type { DataType } from '../../common/types.js';
import { outputColumns, type LColumn, type LogicalPlan } from '../logical.js';
import { columnRefs, idSet, nodeExprs } from '../logical_exprs.js';
import { projectColumns, sameColumns } from '../logical_tree.js';

function isUnnestCall(e: { kind: string; name?: string }): boolean {
  return e.kind === 'call' && e.name === 'unnest';
}

export function projectionPruning(plan: LogicalPlan): LogicalPlan {
  const original = outputColumns(plan);
  const pruned = prune(plan, idSet(original));
  return sameColumns(outputColumns(pruned), original) ? pruned : projectColumns(pruned, original);
}

function withRefs(required: ReadonlySet<number>, p: LogicalPlan): Set<number> {
  const out = new Set(required);
  for (const e of nodeExprs(p)) columnRefs(e, out);
  return out;
}

/** Bytes per value, to pick the cheapest column when a scan needs none. */
/** NULL ranks widest: in a Parquet scan it is a column of a type that cannot be read (storage/parquet_metadata.ts). */
const WIDTH: Record<DataType, number> = { null: 32, bool: 1, int32: 4, date32: 4, int64: 8, float64: 8, timestamp: 8, utf8: 16,
  time: 8, interval: 16, blob: 16 };

function prune(p: LogicalPlan, required: ReadonlySet<number>): LogicalPlan {
  switch (p.kind) {
    case 'Scan': {
      const need = withRefs(required, p);
      let columns = p.columns.filter((c) => need.has(c.id));
      if (columns.length === 0 && p.columns.length > 0) {
        columns = [p.columns.reduce((best, c) => (WIDTH[c.type] < WIDTH[best.type] ? c : best))];
      }
      return { ...p, columns };
    }
    case 'Values': case 'WorkTable':
      return p;
    case 'SharedScan': {
      // Read only the needed columns (at least one, so rows can be counted); the CTE's
      // plan is pruned to what all its readers read (optimizer/shared_subplans.ts).
      let keep = p.columns.map((_, i) => i).filter((i) => required.has(p.columns[i]!.id));
      if (keep.length === 0 && p.columns.length > 0) keep = [0];
      return { ...p, columns: keep.map((i) => p.columns[i]!), sources: keep.map((i) => p.sources[i]!) };
    }
    case 'RecursiveCte':
      // Every column feeds the next iteration (and UNION compares whole rows): keep them all.
      return { ...p, anchor: prune(p.anchor, idSet(outputColumns(p.anchor))), recursive: prune(p.recursive, idSet(outputColumns(p.recursive))) };
    case 'Filter': case 'Sort': case 'Limit':
      return { ...p, input: prune(p.input, withRefs(required, p)) };
    case 'Distinct':
      return { ...p, input: prune(p.input, idSet(outputColumns(p.input))) };
    case 'Project': {
      // an unnest item stays even when unread: it sets how many rows come out
      let keep = p.columns.map((_, i) => i).filter((i) => required.has(p.columns[i]!.id) || isUnnestCall(p.exprs[i]!));
      if (keep.length === 0 && p.columns.length > 0) {
        const plain = p.exprs.findIndex((e) => e.kind === 'column' || e.kind === 'literal');
        keep = [plain >= 0 ? plain : 0];
      }
      const exprs = keep.map((i) => p.exprs[i]!);
      const columns = keep.map((i) => p.columns[i]!);
      const need = new Set<number>();
      for (const e of exprs) columnRefs(e, need);
      const input = prune(p.input, need);
      const identity = exprs.every((e, i) => e.kind === 'column' && e.id === columns[i]!.id)
        && sameColumns(outputColumns(input), columns);
      return identity ? input : { kind: 'Project', input, exprs, columns };
    }
    case 'Window': {
      const functions = p.functions.filter((f) => required.has(f.id));
      if (functions.length === 0) return prune(p.input, required);
      const next = { ...p, functions };
      return { ...next, input: prune(p.input, withRefs(required, next)) };
    }
    case 'Aggregate': {
      const aggregates = p.aggregates.filter((a) => required.has(a.id));
      const next = { ...p, aggregates };
      return { ...next, input: prune(p.input, withRefs(new Set(), next)) };
    }
    case 'Join': {
      const need = withRefs(required, p);
      const leftIds = idSet(outputColumns(p.left));
      const rightIds = idSet(outputColumns(p.right));
      const rightNeed = p.joinType === 'semi' || p.joinType === 'anti' ? withRefs(new Set(), p) : need;
      return {
        ...p,
        left: prune(p.left, new Set([...need].filter((id) => leftIds.has(id)))),
        right: prune(p.right, new Set([...rightNeed].filter((id) => rightIds.has(id)))),
      };
    }
    case 'Union': {
      let keep = p.columns.map((_, i) => i).filter((i) => required.has(p.columns[i]!.id));
      if (keep.length === 0 && p.columns.length > 0) keep = [0];
      const inputs = p.inputs.map((input) => {
        const cols = outputColumns(input);
        const want: LColumn[] = keep.map((i) => cols[i]!);
        const pruned = prune(input, idSet(want));
        return sameColumns(outputColumns(pruned), want) ? pruned : projectColumns(pruned, want);
      });
      return { ...p, inputs, columns: keep.map((i) => p.columns[i]!) };
    }
  }
}
