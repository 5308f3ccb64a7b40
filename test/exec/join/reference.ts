/**
 * Oracle and builders for the join tests: a naive join over JS rows, plan-node builders,
 * and row sorting for unordered comparison.
 */
import { col, type PhysicalExpr } from '../../../src/expr/expr.js';
import type { HashJoinNode, HashJoinType, JoinType, NestedLoopJoinNode, PhysicalPlan } from '../../../src/plan/physical.js';
import { schema, type Scalar, type Schema } from '../../../src/common/types.js';

export const JOIN_TYPES: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
/** The hash join also runs semi/anti joins that keep build rows. */
export const HASH_JOIN_TYPES: HashJoinType[] = [...JOIN_TYPES, 'right_semi', 'right_anti'];

let nextId = 1;

export function joinSchema(left: Schema, right: Schema, t: HashJoinType): Schema {
  if (t === 'right_semi' || t === 'right_anti') return right;
  return t === 'semi' || t === 'anti' ? left : schema([...left.fields, ...right.fields]);
}

export function hashJoinNode(
  left: PhysicalPlan, right: PhysicalPlan, joinType: HashJoinType, leftKeys: number[], rightKeys: number[],
  filter: PhysicalExpr | null = null, extra: Partial<HashJoinNode> = {},
): HashJoinNode {
  return {
    kind: 'HashJoin', id: nextId++, schema: joinSchema(left.schema, right.schema, joinType), partitions: left.partitions,
    left, right, joinType,
    leftKeys: leftKeys.map((k) => col(k, left.schema.fields[k]!.type)),
    rightKeys: rightKeys.map((k) => col(k, right.schema.fields[k]!.type)),
    filter, distribution: 'single', ...extra,
  };
}

export function nestedLoopJoinNode(
  left: PhysicalPlan, right: PhysicalPlan, joinType: JoinType, filter: PhysicalExpr | null, partitions = left.partitions,
): NestedLoopJoinNode {
  return {
    kind: 'NestedLoopJoin', id: nextId++, schema: joinSchema(left.schema, right.schema, joinType), partitions,
    left, right, joinType, filter,
  };
}

/** `left.a op right.b` over the pair batch (left columns then right columns). */
export function cmp(op: '=' | '<' | '<>' | '>=', leftSchema: Schema, a: number, rightSchema: Schema, b: number): PhysicalExpr {
  const nl = leftSchema.fields.length;
  return {
    kind: 'binary', op, type: 'bool',
    left: col(a, leftSchema.fields[a]!.type), right: col(nl + b, rightSchema.fields[b]!.type),
  };
}

export function and(...terms: PhysicalExpr[]): PhysicalExpr {
  return terms.reduce((x, y) => ({ kind: 'binary', op: 'and', left: x, right: y, type: 'bool' }));
}

export type RowPredicate = (l: readonly Scalar[], r: readonly Scalar[]) => boolean;

/** SQL comparison of two scalars; NULL → false (as a WHERE/ON condition treats it). */
export function sqlCmp(op: '=' | '<' | '<>' | '>=', x: Scalar, y: Scalar): boolean {
  if (x === null || y === null) return false;
  const a = typeof x === 'bigint' || typeof y === 'bigint' ? BigInt(x as number) : x;
  const b = typeof x === 'bigint' || typeof y === 'bigint' ? BigInt(y as number) : y;
  switch (op) {
    case '=': return a === b;
    case '<>': return a !== b;
    case '<': return (a as number) < (b as number);
    case '>=': return (a as number) >= (b as number);
  }
}

/** Naive join: every pair tested with `on` (keys equal and residual). */
export function referenceJoin(
  left: readonly Scalar[][], right: readonly Scalar[][], leftWidth: number, rightWidth: number, t: HashJoinType, on: RowPredicate,
): Scalar[][] {
  const out: Scalar[][] = [];
  const rightMatched = new Uint8Array(right.length);
  const nullsRight = new Array<Scalar>(rightWidth).fill(null);
  for (const l of left) {
    let matched = false;
    right.forEach((r, j) => {
      if (!on(l, r)) return;
      matched = true;
      rightMatched[j] = 1;
      if (t === 'inner' || t === 'left' || t === 'right' || t === 'full') out.push([...l, ...r]);
    });
    if (t === 'semi' && matched) out.push([...l]);
    if (t === 'anti' && !matched) out.push([...l]);
    if ((t === 'left' || t === 'full') && !matched) out.push([...l, ...nullsRight]);
  }
  if (t === 'right' || t === 'full') {
    right.forEach((r, j) => {
      if (rightMatched[j] === 0) out.push([...new Array<Scalar>(leftWidth).fill(null), ...r]);
    });
  }
  if (t === 'right_semi' || t === 'right_anti') {
    const want = t === 'right_semi' ? 1 : 0;
    right.forEach((r, j) => { if (rightMatched[j] === want) out.push([...r]); });
  }
  return out;
}

export { keyOf, sortRows, toBatches } from '../../helpers/rows.js';
