/**
 * Join key filters (physical pass, setting join_key_filters): for each hash join whose probe
 * rows without a matching key add nothing to its output, follow one integer probe key down
 * the probe side to the Parquet scan that reads it, and mark that scan: at run time the join
 * hands it the set of its build keys once built (exec/join/key_filter.ts), and the scan drops
 * the rows that cannot match before they reach an aggregate, a sort or another join.
 *
 *   Q17:  HashJoin l_partkey = p_partkey                 build: 206 parts
 *           └ HashAggregate group=[l_partkey] avg(…)      runs over ~6 K rows, not 6 M
 *               └ ParquetScan lineitem keyFilters=[l_partkey ∈ keys of HashJoin#n]
 *
 * The walk goes only through nodes that keep each row whole and where dropping an input row
 * drops only output rows that carry the same key value: Projection and Filter, an aggregate
 * grouped by the key (dropping a group's rows drops the group), and the kept side of a join
 * (both sides of an inner join, the probe side of left, semi and anti joins, the build side
 * of right, right_semi and right_anti joins); where an inner join equates the key with the
 * other side's key, the other side's scan takes the set too (TPC-H Q18: the 60 order keys of
 * the IN subquery reach both the orders and the lineitem scans). Estimates do not decide: the
 * join publishes only when its real build side is small (exec's MAX_KEY_FILTER_ROWS), and a
 * scan stops checking a set that keeps most rows.
 */
import type { PhysicalExpr } from '../expr/expr.js';
import type { HashJoinNode, PhysicalPlan, ScanKeyFilter } from './physical.js';
import { mapPlan, planNodes } from './physical_tree.js';

/** Join types where a probe row whose key matches no build row adds nothing to the output. */
function dropsUnmatchedProbe(j: HashJoinNode): boolean {
  if (j.nullAware === true) return false;
  const t = j.joinType;
  return t === 'inner' || t === 'semi' || t === 'right' || t === 'right_semi' || t === 'right_anti';
}

function isIntKey(e: PhysicalExpr): boolean {
  return e.type === 'int32' || e.type === 'date32';
}

/** The plan with its eligible Parquet scans marked. */
export function addJoinKeyFilters(plan: PhysicalPlan): PhysicalPlan {
  const marks = new Map<number, ScanKeyFilter[]>();
  const joinKey = new Map<number, number>();
  for (const node of planNodes(plan)) {
    if (node.kind !== 'HashJoin' || !dropsUnmatchedProbe(node)) continue;
    for (let k = 0; k < node.leftKeys.length; k++) {
      const lk = node.leftKeys[k]!, rk = node.rightKeys[k]!;
      if (lk.kind !== 'column' || !isIntKey(lk) || rk.type !== lk.type) continue;
      const scans = traceToScans(node.left, lk.index);
      if (scans.length === 0) continue;
      for (const scan of scans) {
        const list = marks.get(scan.scan) ?? [];
        list.push({ join: node.id, column: scan.column });
        marks.set(scan.scan, list);
      }
      joinKey.set(node.id, k);
      break; // one key per join: any one is a necessary condition for a match
    }
  }
  if (marks.size === 0) return plan;
  return mapPlan(plan, (p) => {
    const key = p.kind === 'HashJoin' ? joinKey.get(p.id) : undefined;
    if (p.kind === 'HashJoin' && key !== undefined) return { ...p, keyFilter: key };
    if (p.kind !== 'ParquetScan') return p;
    const m = marks.get(p.id);
    return m === undefined ? p : { ...p, keyFilters: [...(p.keyFilters ?? []), ...m] };
  });
}

/**
 * The scans and their output columns that output column `index` of `p` comes from unchanged:
 * one, or more where an inner join equates the column with the other side's key.
 */
function traceToScans(p: PhysicalPlan, index: number): { scan: number; column: number }[] {
  switch (p.kind) {
    case 'ParquetScan': {
      const t = p.schema.fields[index]?.type;
      return t === 'int32' || t === 'date32' ? [{ scan: p.id, column: index }] : [];
    }
    case 'Filter':
      return traceToScans(p.input, index);
    case 'Projection': {
      const e = p.exprs[index];
      return e?.kind === 'column' ? traceToScans(p.input, e.index) : [];
    }
    case 'HashAggregate': {
      if (p.emptyGroupingSets !== undefined || index >= p.groupBy.length) return [];
      const e = p.groupBy[index]!;
      return e.kind === 'column' ? traceToScans(p.input, e.index) : [];
    }
    case 'HashJoin': {
      const leftWidth = p.left.schema.fields.length;
      const t = p.joinType;
      if (t === 'right_semi' || t === 'right_anti') return traceToScans(p.right, index);
      const fromLeft = index < leftWidth;
      const side = fromLeft ? index : index - leftWidth;
      if (fromLeft ? !(t === 'inner' || t === 'left' || t === 'semi' || t === 'anti') : !(t === 'inner' || t === 'right')) return [];
      const out = fromLeft ? traceToScans(p.left, side) : traceToScans(p.right, side);
      if (t === 'inner') {
        // every output row has equal keys on both sides: the other side's key takes the set too
        const mine = fromLeft ? p.leftKeys : p.rightKeys;
        const other = fromLeft ? p.rightKeys : p.leftKeys;
        const k = mine.findIndex((e) => e.kind === 'column' && e.index === side);
        const o = other[k];
        if (k >= 0 && o !== undefined && o.kind === 'column' && o.type === mine[k]!.type) {
          out.push(...(fromLeft ? traceToScans(p.right, o.index) : traceToScans(p.left, o.index)));
        }
      }
      return out;
    }
    default:
      return [];
  }
}
