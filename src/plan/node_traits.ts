/**
 * What each physical node kind is, as data: its inputs, what distribution of its input it
 * needs to give the single-node answer, and what it keeps of its input's partitioning and
 * order. Tree walks (childrenOf, withChildren), the distributed planner (insert_exchanges)
 * and stage cutting read these instead of switching on `kind` themselves.
 *
 *   kind            inputs      requires of its input              keeps partitions  keeps order
 *   …Scan, Values   none        —                                  —                 —
 *   Filter          input       any                                yes               yes
 *   Projection      input       any                                yes (keys remap)  yes
 *   UnionAll        inputs      any                                yes (appended)    no
 *   HashAggregate   input       hash on group keys (partial: any)  no                no
 *   Expand          input       any                                yes               no
 *   HashJoin        left,right  co-hashed keys, or right broadcast no                no
 *   NestedLoopJoin  left,right  right broadcast, or one partition  no                no
 *   Sort            input       range on its keys, or one partition yes              no (it orders)
 *   Window          input       hash on PARTITION BY, or one partition yes             yes (sorted below it)
 *   TopK, Limit     input       one partition (after a local pass) yes               yes
 *   Coalesce        input       — (dropped when distributing)      no                no
 *   Exchange        input       — (it is the boundary)             no                preserveOrder
 *   SharedSubplans  input, each shared plan  — (inlined before distributing)  yes  yes
 *   SharedRead      none        —                                  —                 —
 *   RecursiveCte    anchor,rec  one partition; the recursive term  no                no
 *                               runs in the same task (it reads the
 *                               work table, a WorkTableScan leaf)
 */
import type { PhysicalKind, PhysicalPlan } from './physical.js';

/** The distribution a node needs of its input(s) for a distributed run to equal one thread. */
export type InputRequirement =
  | 'none'          // a leaf
  | 'any'           // works partition by partition on whatever it gets
  | 'hash_keys'     // rows with equal keys in the same partition (aggregation, partitioned join)
  | 'broadcast'     // one input whole in every partition of the other (nested-loop join)
  | 'ordered'       // a total order: range-partitioned by its keys, or one partition (sort)
  | 'single'        // one partition, after a local pass that keeps what it may (top-k, limit)
  | 'boundary';     // the exchange itself, or a gather the planner replaces by one

export interface NodeTraits<N extends PhysicalPlan = PhysicalPlan> {
  /** The node's inputs, in order. */
  children(node: N): PhysicalPlan[];
  /** The node with its inputs replaced (same order as children). */
  withChildren(node: N, children: readonly PhysicalPlan[]): N;
  requires: InputRequirement;
  /** A row stays in the partition its input row came from (partition-wise operators). */
  keepsPartitioning: boolean;
  /** Within a partition, output rows come in their input order. */
  keepsOrder: boolean;
}

type Shape<N extends PhysicalPlan> = Pick<NodeTraits<N>, 'children' | 'withChildren'>;

function leaf<N extends PhysicalPlan>(keepsOrder = false): NodeTraits<N> {
  return { children: () => [], withChildren: (n) => n, requires: 'none', keepsPartitioning: false, keepsOrder };
}
function unary<N extends Extract<PhysicalPlan, { input: PhysicalPlan }>>(): Shape<N> {
  return { children: (n) => [n.input], withChildren: (n, c) => ({ ...n, input: c[0]! }) };
}
function binary<N extends Extract<PhysicalPlan, { left: PhysicalPlan }>>(): Shape<N> {
  return { children: (n) => [n.left, n.right], withChildren: (n, c) => ({ ...n, left: c[0]!, right: c[1]! }) };
}

export const NODE_TRAITS: { readonly [K in PhysicalKind]: NodeTraits<Extract<PhysicalPlan, { kind: K }>> } = {
  ParquetScan: leaf(),
  CsvScan: leaf(),
  Values: leaf(),
  MemoryScan: leaf(),
  ExchangeRead: leaf(),
  MergeGather: leaf(true),
  Filter: { ...unary(), requires: 'any', keepsPartitioning: true, keepsOrder: true },
  Projection: { ...unary(), requires: 'any', keepsPartitioning: true, keepsOrder: true },
  UnionAll: {
    children: (n) => n.inputs,
    withChildren: (n, c) => ({ ...n, inputs: [...c] }),
    requires: 'any', keepsPartitioning: true, keepsOrder: false,
  },
  HashAggregate: { ...unary(), requires: 'hash_keys', keepsPartitioning: false, keepsOrder: false },
  Expand: { ...unary(), requires: 'any', keepsPartitioning: true, keepsOrder: false },
  HashJoin: { ...binary(), requires: 'hash_keys', keepsPartitioning: false, keepsOrder: false },
  NestedLoopJoin: { ...binary(), requires: 'broadcast', keepsPartitioning: false, keepsOrder: false },
  Sort: { ...unary(), requires: 'ordered', keepsPartitioning: true, keepsOrder: false },
  Window: { ...unary(), requires: 'hash_keys', keepsPartitioning: true, keepsOrder: true },
  TopK: { ...unary(), requires: 'single', keepsPartitioning: true, keepsOrder: false },
  Limit: { ...unary(), requires: 'single', keepsPartitioning: true, keepsOrder: true },
  Coalesce: { ...unary(), requires: 'boundary', keepsPartitioning: false, keepsOrder: false },
  Exchange: { ...unary(), requires: 'boundary', keepsPartitioning: false, keepsOrder: false },
  SharedSubplans: {
    children: (n) => [n.input, ...n.shared.map((s) => s.plan)],
    withChildren: (n, c) => ({ ...n, input: c[0]!, shared: n.shared.map((s, i) => ({ ...s, plan: c[i + 1]! })) }),
    requires: 'boundary', keepsPartitioning: true, keepsOrder: true,
  },
  SharedRead: leaf(),
  RecursiveCte: {
    children: (n) => [n.anchor, n.recursive],
    withChildren: (n, c) => ({ ...n, anchor: c[0]!, recursive: c[1]! }),
    requires: 'single', keepsPartitioning: false, keepsOrder: false,
  },
  WorkTableScan: leaf(),
};

export function traitsOf<N extends PhysicalPlan>(node: N): NodeTraits<N> {
  return NODE_TRAITS[node.kind] as unknown as NodeTraits<N>;
}
