/**
 * Pass: insert_exchanges — turn a single-node plan whose scans are split (split_scans) into a
 * distributed plan: drop the Coalesce nodes and put an Exchange wherever an operator needs a
 * distribution its input lacks. Bottom-up; `n` = the hash/range partition count.
 *
 *   GROUP BY (decomposable)   partial agg ─▶ Exchange hash(group keys, n) ─▶ final agg
 *   global aggregate          partial agg ─▶ Exchange single ─▶ final agg
 *   DISTINCT or holistic agg  Exchange hash(group keys, n) | single ─▶ agg 'single'
 *   input already hashed on a subset of the group keys  → agg 'single' in place
 *   HashJoin                  the strategy comes from join_strategy.ts (forced, or the cost model):
 *     broadcast               build (right) ─▶ Exchange broadcast; probe stays put
 *     partitioned             Exchange hash(left keys, n) ⋈ Exchange hash(right keys, n);
 *                             a side already hashed on its keys keeps its partitions
 *     colocated               both sides already hashed on their keys (same n): no exchange
 *     (adaptive: distributed/adaptive_join.ts may turn a partitioned join into a broadcast one at run time)
 *   NestedLoopJoin            inner/left/semi/anti: broadcast right; right/full: single both
 *   ORDER BY                  Exchange range(keys, n) ─▶ Sort ─▶ Exchange single (order-preserving)
 *   Window                    Exchange hash(PARTITION BY keys, n) ─▶ Sort ─▶ Window; no keys: Exchange single
 *                             (input already hashed on a subset of the keys: no exchange)
 *   ORDER BY … LIMIT          TopK ─▶ Exchange single ─▶ TopK
 *   LIMIT                     Limit(skip + fetch) ─▶ Exchange single ─▶ Limit
 *   WITH RECURSIVE            anchor ─▶ Exchange single ─▶ RecursiveCte; the recursive term runs
 *                             whole in the RecursiveCte's task (its scans unsplit, no exchange:
 *                             it reads the work table each iteration)
 *   root                      Exchange single when it has more than one partition
 *
 * A node whose input already has one partition needs no exchange. New nodes get ids above
 * the plan's; rewritten nodes keep theirs (metrics stay keyed as EXPLAIN shows them).
 */
import type { Config } from '../common/config.js';
import type { PhysicalExpr } from '../expr/expr.js';
import { decomposable, partialSchema } from '../expr/aggregate_state.js';
import type {
  ExchangeNode, HashAggregateNode, HashJoinNode, HashJoinType, NestedLoopJoinNode, Partitioning, PhysicalPlan, WindowNode,
} from '../plan/physical.js';
import { traitsOf } from '../plan/node_traits.js';
import { exprKey, sameExprs } from '../expr/expr.js';
import { mapPlan, maxNodeId } from '../plan/physical_tree.js';
import { BROADCASTABLE, chooseJoinStrategy, type Utf8Widths } from './join_strategy.js';

export interface InsertExchangesOptions {
  config: Config;
  /** Partitions of hash and range exchanges. */
  partitions: number;
  /** Workers the query runs on (the memory share of a broadcast copy); default `partitions`. */
  workers?: number;
  /** utf8 column widths from Parquet metadata, for the join cost model (join_strategy.ts). */
  utf8Widths?: Utf8Widths;
}

/** Rows of this node are hash-partitioned on `keys` (over its output) into `partitions`. */
interface HashDistribution {
  keys: PhysicalExpr[];
  partitions: number;
}

/** Consumer-side partitions of an exchange. */
export function exchangePartitions(p: Partitioning): number {
  return p.kind === 'hash' || p.kind === 'range' || p.kind === 'round_robin' ? p.partitions : 1;
}

/** Joins whose output keeps the probe (left) rows where they were. */
const KEEPS_LEFT: ReadonlySet<HashJoinType> = BROADCASTABLE;

export function insertExchanges(plan: PhysicalPlan, opts: InsertExchangesOptions): PhysicalPlan {
  return new ExchangeInserter(plan, opts).run(plan);
}

export { estimatedBytes } from './join_strategy.js';

class ExchangeInserter {
  private nextId: number;
  private readonly n: number;
  /** Hash distributions established by this pass (aggregates, joins). */
  private readonly known = new WeakMap<PhysicalPlan, HashDistribution>();

  constructor(plan: PhysicalPlan, private readonly opts: InsertExchangesOptions) {
    this.nextId = maxNodeId(plan) + 1;
    this.n = Math.max(1, opts.partitions);
  }

  run(plan: PhysicalPlan): PhysicalPlan {
    const out = this.rewrite(plan);
    return out.partitions > 1 ? this.exchange(out, { kind: 'single' }) : out;
  }

  private id(): number {
    return this.nextId++;
  }

  private exchange(input: PhysicalPlan, partitioning: Partitioning, preserveOrder = false): ExchangeNode {
    const node: ExchangeNode = {
      kind: 'Exchange', id: this.id(), schema: input.schema, partitions: exchangePartitions(partitioning), input, partitioning,
      ...(input.estimatedRows !== undefined ? { estimatedRows: input.estimatedRows } : {}),
      ...(preserveOrder ? { preserveOrder: true } : {}),
    };
    if (partitioning.kind === 'hash') this.known.set(node, { keys: partitioning.keys, partitions: partitioning.partitions });
    return node;
  }

  private gather(input: PhysicalPlan): PhysicalPlan {
    return input.partitions > 1 ? this.exchange(input, { kind: 'single' }) : input;
  }

  private rewrite(p: PhysicalPlan): PhysicalPlan {
    switch (p.kind) {
      case 'ParquetScan': case 'CsvScan': case 'MemoryScan': case 'Values':
      case 'Exchange': case 'ExchangeRead': case 'MergeGather':
        return p;
      case 'SharedSubplans': case 'SharedRead':
        throw new Error(`${p.kind}#${p.id}: shared subplans are inlined before distributing (distributed/inline_shared.ts)`);
      case 'Coalesce':
        // The consumer decides what distribution it needs.
        return this.rewrite(p.input);
      case 'Filter': case 'Projection': case 'Expand': {
        // Partition-wise: any input distribution will do.
        const input = this.rewrite(p.input);
        return { ...p, input, partitions: input.partitions };
      }
      case 'UnionAll': {
        const inputs = p.inputs.map((i) => this.rewrite(i));
        return { ...p, inputs, partitions: inputs.reduce((s, i) => s + i.partitions, 0) };
      }
      case 'HashAggregate': return this.aggregate(p);
      case 'HashJoin': return this.hashJoin(p);
      case 'NestedLoopJoin': return this.nestedLoopJoin(p);
      case 'Sort': {
        const input = this.rewrite(p.input);
        if (input.partitions === 1) return { ...p, input, partitions: 1 };
        const ranged = this.exchange(input, { kind: 'range', keys: p.keys, partitions: this.n });
        const sorted: PhysicalPlan = { ...p, input: ranged, partitions: ranged.partitions };
        return this.exchange(sorted, { kind: 'single' }, true);
      }
      case 'Window': return this.window(p);
      case 'RecursiveCte':
        return { ...p, anchor: this.gather(this.rewrite(p.anchor)), recursive: unsplit(p.recursive), partitions: 1 };
      case 'WorkTableScan':
        return p;
      case 'TopK': {
        const input = this.rewrite(p.input);
        if (input.partitions === 1) return { ...p, input, partitions: 1 };
        const local: PhysicalPlan = { ...p, id: this.id(), input, partitions: input.partitions };
        return { ...p, input: this.exchange(local, { kind: 'single' }), partitions: 1 };
      }
      case 'Limit': {
        const input = this.rewrite(p.input);
        if (input.partitions === 1) return { ...p, input, partitions: 1 };
        const local: PhysicalPlan = p.fetch === null ? input : {
          kind: 'Limit', id: this.id(), schema: p.schema, partitions: input.partitions, input, skip: 0, fetch: p.skip + p.fetch,
        };
        return { ...p, input: this.exchange(local, { kind: 'single' }), partitions: 1 };
      }
    }
  }

  // ---- aggregation ----

  private aggregate(p: HashAggregateNode): PhysicalPlan {
    const input = this.rewrite(p.input);
    const k = p.groupBy.length;
    if (p.mode !== 'single' || input.partitions === 1) return { ...p, input, partitions: input.partitions };
    const groupCols = p.groupBy.map((e, i): PhysicalExpr => ({ kind: 'column', index: i, type: e.type }));

    // Already spread by some of the group keys: every group lives in one partition.
    const have = this.distribution(input);
    if (have !== null && k > 0) {
      const positions = have.keys.map((key) => p.groupBy.findIndex((g) => exprKey(g) === exprKey(key)));
      if (positions.every((i) => i >= 0)) {
        const out: PhysicalPlan = { ...p, input, partitions: input.partitions };
        this.known.set(out, { keys: positions.map((i) => groupCols[i]!), partitions: have.partitions });
        return out;
      }
    }

    if (!p.aggregates.every(decomposable)) {
      // DISTINCT or holistic: move the raw rows.
      if (k === 0) return { ...p, input: this.exchange(input, { kind: 'single' }), partitions: 1 };
      const ex = this.exchange(input, { kind: 'hash', keys: p.groupBy, partitions: this.n });
      const out: PhysicalPlan = { ...p, input: ex, partitions: ex.partitions };
      this.known.set(out, { keys: groupCols, partitions: ex.partitions });
      return out;
    }

    const partial: HashAggregateNode = {
      kind: 'HashAggregate', id: this.id(), mode: 'partial', input, partitions: input.partitions,
      schema: partialSchema(p.schema.fields.slice(0, k), p.aggregates), groupBy: p.groupBy, aggregates: p.aggregates,
    };
    const ex = k === 0
      ? this.exchange(partial, { kind: 'single' })
      : this.exchange(partial, { kind: 'hash', keys: groupCols, partitions: this.n });
    const final: HashAggregateNode = { ...p, mode: 'final', input: ex, groupBy: groupCols, partitions: ex.partitions };
    if (k > 0) this.known.set(final, { keys: groupCols, partitions: ex.partitions });
    return final;
  }

  // ---- window functions ----

  /** Rows of one window partition must meet in one task; the Sort the planner put below stays local. */
  private window(p: WindowNode): PhysicalPlan {
    const sort = p.input.kind === 'Sort' ? p.input : null;
    const below = this.rewrite(sort ? sort.input : p.input);
    let input = below;
    if (below.partitions > 1) {
      const have = this.distribution(below);
      const colocated = have !== null && p.partitionBy.length > 0
        && have.keys.every((key) => p.partitionBy.some((k) => exprKey(k) === exprKey(key)));
      if (!colocated) {
        input = p.partitionBy.length === 0
          ? this.exchange(below, { kind: 'single' })
          : this.exchange(below, { kind: 'hash', keys: p.partitionBy, partitions: this.n });
      }
    }
    const sorted: PhysicalPlan = sort ? { ...sort, input, partitions: input.partitions } : input;
    const out: PhysicalPlan = { ...p, input: sorted, partitions: input.partitions };
    const d = this.distribution(input);
    if (d !== null) this.known.set(out, d);
    return out;
  }

  // ---- joins ----

  private hashJoin(p: HashJoinNode): PhysicalPlan {
    const left = this.rewrite(p.left);
    const right = this.rewrite(p.right);
    if (left.partitions === 1 && right.partitions === 1) return { ...p, left, right, partitions: 1, distribution: 'single' };
    const l = this.distribution(left);
    const r = this.distribution(right);
    const leftHashed = l !== null && sameExprs(l.keys, p.leftKeys);
    const rightHashed = r !== null && sameExprs(r.keys, p.rightKeys);
    const colocated = leftHashed && rightHashed && l.partitions === r.partitions;
    const strategy = chooseJoinStrategy(p, left, right, {
      leftHashed, rightHashed, colocated, n: this.n, workers: this.opts.workers ?? this.n, config: this.opts.config,
      ...(this.opts.utf8Widths ? { utf8: this.opts.utf8Widths } : {}),
    });
    if (strategy.kind === 'broadcast') {
      const out: PhysicalPlan = {
        ...p, left, right: this.exchange(right, { kind: 'broadcast' }), partitions: left.partitions, distribution: 'broadcast', strategy,
      };
      if (l !== null) this.known.set(out, l);
      return out;
    }
    let newLeft = left, newRight = right, n = this.n;
    if (colocated) {
      n = l.partitions; // no exchange
    } else if (leftHashed) {
      n = l.partitions;
      newRight = this.exchange(right, { kind: 'hash', keys: p.rightKeys, partitions: n });
    } else if (rightHashed) {
      n = r!.partitions;
      newLeft = this.exchange(left, { kind: 'hash', keys: p.leftKeys, partitions: n });
    } else {
      newLeft = this.exchange(left, { kind: 'hash', keys: p.leftKeys, partitions: n });
      newRight = this.exchange(right, { kind: 'hash', keys: p.rightKeys, partitions: n });
    }
    if (strategy.kind === 'partitioned' && (leftHashed || rightHashed)) {
      strategy.reason += `; the ${leftHashed ? 'left' : 'right'} input is already hash-partitioned on its keys, only the other one moves`;
    }
    const out: PhysicalPlan = { ...p, left: newLeft, right: newRight, partitions: n, distribution: 'partitioned', strategy };
    if (KEEPS_LEFT.has(p.joinType)) this.known.set(out, { keys: p.leftKeys, partitions: n });
    return out;
  }

  private nestedLoopJoin(p: NestedLoopJoinNode): PhysicalPlan {
    const left = this.rewrite(p.left);
    const right = this.rewrite(p.right);
    if (left.partitions === 1 && right.partitions === 1) return { ...p, left, right, partitions: 1 };
    if (BROADCASTABLE.has(p.joinType)) {
      const out: PhysicalPlan = { ...p, left, right: this.exchange(right, { kind: 'broadcast' }), partitions: left.partitions };
      const l = this.distribution(left);
      if (l !== null) this.known.set(out, l);
      return out;
    }
    return { ...p, left: this.gather(left), right: this.gather(right), partitions: 1 };
  }

  // ---- what distribution a node's output has ----

  private distribution(p: PhysicalPlan): HashDistribution | null {
    const k = this.known.get(p);
    if (k !== undefined) return k.partitions === p.partitions ? k : null;
    switch (p.kind) {
      case 'Filter': case 'Limit': case 'TopK': case 'Sort': case 'Window': {
        // Rows stay in their input's partition (node_traits: keepsPartitioning), columns too.
        const d = this.distribution(p.input);
        return d !== null && traitsOf(p).keepsPartitioning && p.partitions === p.input.partitions ? d : null;
      }
      case 'Projection': {
        const d = this.distribution(p.input);
        if (d === null || p.partitions !== p.input.partitions) return null;
        const keys: PhysicalExpr[] = [];
        for (const key of d.keys) {
          const j = p.exprs.findIndex((e) => exprKey(e) === exprKey(key));
          if (j < 0) return null;
          keys.push({ kind: 'column', index: j, type: key.type });
        }
        return { keys, partitions: d.partitions };
      }
      default: return null;
    }
  }
}

/** A subtree run in one task as the single-node planner made it: split scans read all their files again. */
function unsplit(plan: PhysicalPlan): PhysicalPlan {
  return mapPlan(plan, (p) => {
    if (p.kind === 'ParquetScan' && p.partitions > 1) return { ...p, slices: [p.slices.flat()], partitions: 1 };
    if (p.kind === 'MemoryScan' && p.partitions > 1) return { ...p, partitions: 1 };
    return p;
  });
}
