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
 * of right, right_semi and right_anti joins). A join with a build side estimated above
 * MAX_KEY_FILTER_ROWS is skipped; the join checks the real size again before it publishes.
 */
import type { PhysicalExpr } from '../expr/expr.js';
import type { HashJoinNode, PhysicalPlan, ScanKeyFilter } from './physical.js';
import { mapPlan, planNodes } from './physical_tree.js';

/** Build sides estimated above this many rows get no filter (mirrors exec's MAX_KEY_FILTER_ROWS). */
const MAX_BUILD_ROWS = 1 << 18;

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
    if (node.right.estimatedRows !== undefined && node.right.estimatedRows > MAX_BUILD_ROWS) continue;
    if (node.left.estimatedRows !== undefined && node.right.estimatedRows !== undefined && node.right.estimatedRows * 2 > node.left.estimatedRows) continue;
    for (let k = 0; k < node.leftKeys.length; k++) {
      const lk = node.leftKeys[k]!, rk = node.rightKeys[k]!;
      if (lk.kind !== 'column' || !isIntKey(lk) || rk.type !== lk.type) continue;
      const scan = traceToScan(node.left, lk.index);
      if (scan === null) continue;
      const list = marks.get(scan.scan) ?? [];
      list.push({ join: node.id, column: scan.column });
      marks.set(scan.scan, list);
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

/** The scan and its output column that output column `index` of `p` comes from unchanged, or null. */
function traceToScan(p: PhysicalPlan, index: number): { scan: number; column: number } | null {
  switch (p.kind) {
    case 'ParquetScan': {
      const t = p.schema.fields[index]?.type;
      return t === 'int32' || t === 'date32' ? { scan: p.id, column: index } : null;
    }
    case 'Filter':
      return traceToScan(p.input, index);
    case 'Projection': {
      const e = p.exprs[index];
      return e?.kind === 'column' ? traceToScan(p.input, e.index) : null;
    }
    case 'HashAggregate': {
      if (p.emptyGroupingSets !== undefined || index >= p.groupBy.length) return null;
      const e = p.groupBy[index]!;
      return e.kind === 'column' ? traceToScan(p.input, e.index) : null;
    }
    case 'HashJoin': {
      const leftWidth = p.left.schema.fields.length;
      const t = p.joinType;
      if (t === 'right_semi' || t === 'right_anti') return traceToScan(p.right, index);
      if (index < leftWidth) {
        return t === 'inner' || t === 'left' || t === 'semi' || t === 'anti' ? traceToScan(p.left, index) : null;
      }
      return t === 'inner' || t === 'right' ? traceToScan(p.right, index - leftWidth) : null;
    }
    default:
      return null;
  }
}
