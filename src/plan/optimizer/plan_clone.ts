/**
 * A copy of a logical plan whose every defined column has a fresh id.
 *
 * Column ids must be unique within a plan (expressions refer to columns by id), so a
 * subtree that is needed twice — the general decorrelation reads the outer input once
 * as itself and once to compute the domain of its correlated values — is copied with new
 * ids. References to columns defined outside the subtree (correlated references of an
 * enclosing query) are kept as they are.
 */
import type { IdGenerator, LColumn, LExpr, LogicalPlan } from '../logical.js';
import { colRef, substitute } from '../logical_exprs.js';
import { mapNodeExprs, transformUp } from '../logical_tree.js';

export interface ClonedPlan {
  plan: LogicalPlan;
  /** Old column id → the column that replaces it in the copy. */
  columns: Map<number, LColumn>;
}

export function cloneWithFreshIds(plan: LogicalPlan, ids: IdGenerator): ClonedPlan {
  const columns = new Map<number, LColumn>();
  const refs = new Map<number, LExpr>();
  const renew = (c: LColumn): LColumn => {
    const fresh: LColumn = { ...c, id: ids.fresh() };
    columns.set(c.id, fresh);
    refs.set(c.id, colRef(fresh));
    return fresh;
  };
  const rewrite = (e: LExpr): LExpr => substitute(e, refs);
  const out = transformUp(plan, (node) => {
    switch (node.kind) {
      case 'Scan': {
        // A scan's filters read its own columns: new ids first.
        const cols = node.columns.map(renew);
        return { ...node, columns: cols, filters: node.filters.map(rewrite) };
      }
      case 'Values': {
        const cols = node.columns.map(renew);
        return { ...node, columns: cols, rows: node.rows.map((r) => r.map(rewrite)) };
      }
      case 'Project': {
        // Expressions read the input (already renamed); outputs get new ids after.
        const exprs = node.exprs.map(rewrite);
        return { ...node, exprs, columns: node.columns.map(renew) };
      }
      case 'Aggregate': {
        const rewritten = mapNodeExprs(node, rewrite) as Extract<LogicalPlan, { kind: 'Aggregate' }>;
        const groupColumns = node.groupColumns.map(renew);
        const aggregates = rewritten.aggregates.map((a) => {
          const fresh = renew({ id: a.id, name: a.name, type: a.type, nullable: true });
          return { ...a, id: fresh.id };
        });
        return { ...rewritten, groupColumns, aggregates, ...(node.groupingId ? { groupingId: renew(node.groupingId) } : {}) };
      }
      case 'Window': {
        const rewritten = mapNodeExprs(node, rewrite) as Extract<LogicalPlan, { kind: 'Window' }>;
        const functions = rewritten.functions.map((f) => ({ ...f, id: renew({ id: f.id, name: f.name, type: f.type, nullable: true }).id }));
        return { ...rewritten, functions };
      }
      case 'Union': case 'RecursiveCte': case 'WorkTable': return { ...node, columns: node.columns.map(renew) };
      // Another reader of the same WITH query, with its own column ids.
      case 'SharedScan': return { ...node, columns: node.columns.map(renew) };
      default: return mapNodeExprs(node, rewrite);
    }
  });
  return { plan: out, columns };
}
