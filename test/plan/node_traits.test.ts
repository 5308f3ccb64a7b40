/** node_traits: every node kind's inputs round-trip through children/withChildren. */
import { describe, expect, it } from 'vitest';
import { NODE_TRAITS, traitsOf } from '../../src/plan/node_traits.js';
import type { PhysicalKind, PhysicalPlan } from '../../src/plan/physical.js';
import { childrenOf } from '../../src/plan/physical.js';
import { mapPlan, planNodes, withChildren } from '../../src/plan/physical_tree.js';

const schema = { fields: [{ name: 'a', type: 'int32' as const, nullable: true }] };
let nextId = 1;
const base = () => ({ id: nextId++, schema, partitions: 1 });
const leaf = (): PhysicalPlan => ({ ...base(), kind: 'Values', rows: [] } as unknown as PhysicalPlan);
const col = { kind: 'column', index: 0, type: 'int32' } as const;

function everyKind(): PhysicalPlan[] {
  const input = leaf();
  return [
    leaf(),
    { ...base(), kind: 'Filter', input, predicate: col },
    { ...base(), kind: 'Projection', input, exprs: [col] },
    { ...base(), kind: 'Sort', input, keys: [] },
    { ...base(), kind: 'Window', input, partitionBy: [], orderBy: [], functions: [] },
    { ...base(), kind: 'TopK', input, keys: [], fetch: 1 },
    { ...base(), kind: 'Limit', input, skip: 0, fetch: 1 },
    { ...base(), kind: 'Coalesce', input },
    { ...base(), kind: 'UnionAll', inputs: [leaf(), leaf(), leaf()] },
    { ...base(), kind: 'HashJoin', left: leaf(), right: leaf() },
    { ...base(), kind: 'NestedLoopJoin', left: leaf(), right: leaf() },
    { ...base(), kind: 'HashAggregate', input },
    { ...base(), kind: 'Exchange', input, partitioning: { kind: 'single' } },
    { ...base(), kind: 'ExchangeRead', stageId: 1, partitioning: { kind: 'single' }, producerTasks: 1 },
    { ...base(), kind: 'MergeGather', stageId: 1, keys: [], producerTasks: 1 },
    { ...base(), kind: 'SharedRead', shareId: 7, name: 'g' },
    { ...base(), kind: 'SharedSubplans', input, shared: [{ id: 7, name: 'g', plan: leaf(), readers: 2 }, { id: 8, name: 'h', plan: leaf(), readers: 2 }] },
    { ...base(), kind: 'RecursiveCte', name: 't', workTable: 1, anchor: leaf(), recursive: leaf(), distinct: false },
    { ...base(), kind: 'WorkTableScan', name: 't', workTable: 1 },
  ] as unknown as PhysicalPlan[];
}

describe('node traits', () => {
  it('children and withChildren agree for every kind', () => {
    for (const node of everyKind()) {
      const kids = childrenOf(node);
      const fresh = kids.map(() => leaf());
      const rebuilt = withChildren(node, fresh);
      expect(rebuilt.kind).toBe(node.kind);
      expect(childrenOf(rebuilt)).toEqual(fresh);
      expect(withChildren(rebuilt, kids)).toEqual(node);
    }
  });

  it('leaves have no inputs and require nothing; unary and binary nodes have one and two', () => {
    const arity: Record<string, number> = {};
    for (const node of everyKind()) arity[node.kind] = childrenOf(node).length;
    expect(arity).toMatchObject({ Values: 0, ExchangeRead: 0, MergeGather: 0, Filter: 1, Sort: 1, HashJoin: 2, NestedLoopJoin: 2, UnionAll: 3, SharedRead: 0, SharedSubplans: 3, RecursiveCte: 2, WorkTableScan: 0 });
    for (const kind of Object.keys(NODE_TRAITS) as PhysicalKind[]) {
      expect(NODE_TRAITS[kind].requires === 'none').toBe(['ParquetScan', 'CsvScan', 'Values', 'MemoryScan', 'ExchangeRead', 'MergeGather', 'SharedRead', 'WorkTableScan'].includes(kind));
    }
  });

  it('mapPlan rebuilds only what changed and planNodes lists parents first', () => {
    const a = leaf(), b = leaf();
    const join = { ...base(), kind: 'HashJoin', left: a, right: b } as unknown as PhysicalPlan;
    const top = { ...base(), kind: 'Filter', input: join, predicate: col } as unknown as PhysicalPlan;
    expect(planNodes(top).map((n) => n.id)).toEqual([top.id, join.id, a.id, b.id]);
    expect(mapPlan(top, (n) => n)).toBe(top);
    const renamed = mapPlan(top, (n) => (n.id === b.id ? { ...n, id: 999 } : n));
    expect(planNodes(renamed).map((n) => n.id)).toEqual([top.id, join.id, a.id, 999]);
    expect(traitsOf(renamed).keepsPartitioning).toBe(true);
  });
});
