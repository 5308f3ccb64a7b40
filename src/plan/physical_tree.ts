/** Small helpers the distributed planning passes share: rebuilding trees, ids, expression equality. */
import type { PhysicalExpr } from '../expr/expr.js';
import { childrenOf, type PhysicalPlan } from './physical.js';

/** `p` with its children replaced (same order as childrenOf). */
export function withChildren(p: PhysicalPlan, children: readonly PhysicalPlan[]): PhysicalPlan {
  switch (p.kind) {
    case 'ParquetScan': case 'Values': case 'MemoryScan': case 'ExchangeRead': case 'MergeGather': return p;
    case 'HashJoin': case 'NestedLoopJoin': return { ...p, left: children[0]!, right: children[1]! };
    case 'UnionAll': return { ...p, inputs: [...children] };
    default: return { ...p, input: children[0]! };
  }
}

/** Bottom-up rewrite: children first, then `fn` on the node with its new children. */
export function mapPlan(p: PhysicalPlan, fn: (p: PhysicalPlan) => PhysicalPlan): PhysicalPlan {
  const kids = childrenOf(p);
  const mapped = kids.map((c) => mapPlan(c, fn));
  const same = mapped.every((c, i) => c === kids[i]);
  return fn(same ? p : withChildren(p, mapped));
}

/** Every node of the plan, parents before children. */
export function planNodes(p: PhysicalPlan): PhysicalPlan[] {
  const out: PhysicalPlan[] = [];
  const visit = (n: PhysicalPlan): void => { out.push(n); for (const c of childrenOf(n)) visit(c); };
  visit(p);
  return out;
}

export function maxNodeId(p: PhysicalPlan): number {
  let m = 0;
  for (const n of planNodes(p)) if (n.id > m) m = n.id;
  return m;
}

/** Structural identity of an expression, ignoring column display names. */
export function exprKey(e: PhysicalExpr): string {
  return JSON.stringify(e, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'column') {
      const c = v as Extract<PhysicalExpr, { kind: 'column' }>;
      return { kind: 'column', index: c.index, type: c.type };
    }
    return v;
  });
}

export function sameExprs(a: readonly PhysicalExpr[], b: readonly PhysicalExpr[]): boolean {
  return a.length === b.length && a.every((e, i) => exprKey(e) === exprKey(b[i]!));
}

/** Rough bytes per row of a schema, for broadcast and size decisions (utf8 counted as 24). */
export function rowWidth(fields: readonly { type: string }[]): number {
  let w = 0;
  for (const f of fields) {
    switch (f.type) {
      case 'bool': w += 2; break;
      case 'int32': case 'date32': w += 5; break;
      case 'int64': case 'timestamp': case 'float64': w += 9; break;
      case 'utf8': w += 24; break;
      default: w += 1;
    }
  }
  return Math.max(1, w);
}
