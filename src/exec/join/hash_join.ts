/**
 * HashJoin: equi-join of a probe side (left) against a hashed build side (right), for
 * inner, left, right, full, semi and anti joins (and semi/anti with the kept side as the build
 * side: right_semi, right_anti), with an optional residual filter over
 * (left columns ++ right columns) that decides which key matches count.
 *
 *   build: all batches of the right input ─concat─▶ JoinHashTable (open addressing over packed
 *          integer keys, or hash chains for other keys: join_table.ts)
 *          partition p reads right partition p ('single', 'partitioned'),
 *          or every right partition ('broadcast': each left partition builds the same table)
 *   probe: each left batch ─ProbeCursor─▶ ≤ batch_size candidate pairs ─PairJoiner─▶ output
 *   end:   unmatched build rows (right/full/right_anti), matched build rows (right_semi)
 *
 * NULL keys never match. A null-aware anti join (NOT IN) returns nothing when the build
 * side has a NULL key, and drops probe rows with a NULL key unless the build side is empty.
 *
 * Buffers: the build side under a spillable reservation `HashJoin[p<partition>]`; each
 * batch is reserved with room for its concatenated copy and the hash table (buildCost).
 * When the pool refuses (or asks it to spill), the join turns into a grace hash join
 * (grace_hash_join.ts): both sides are split by key hash into spill files and joined part
 * by part, recursively, falling back to a block join for a part that does not shrink.
 * A build side that fitted is also given up if the pool asks it to spill while probing,
 * for joins whose output per probe batch is final (inner, left, semi, anti): the table goes
 * to the grace path's build files and the rest of the probe input joins there. Right and
 * full joins keep their table (its matched flags must survive to the end).
 * Broadcast joins spill the same way (each partition reads the whole build side).
 * Output batches hold at most batch_size rows.
 * Metrics: extra.buildRows, extra.probeRows; when spilling also spillCount/spillBytes/
 * spillRows, extra.spillLevels and extra.blockJoins (see grace_hash_join.ts); extra.probeSpills
 * = 1 when the table was given up while probing.
 */
import { batchBytes, columnBytes, emptyBatch, type Batch, type Column } from '../../columnar/column.js';
import { concatBatches } from '../../columnar/kernels.js';
import { evaluate } from '../../expr/evaluate.js';
import type { HashJoinNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';
import { JoinHashTable, ProbeCursor } from './join_table.js';
import { keepsBuildOnly, PairJoiner, tracksBuild } from './join_output.js';
import { buildCost, GraceHashJoin } from './grace_hash_join.js';
import { coalesceBatches } from '../../columnar/coalesce_batches.js';
import { SpillFiles } from '../spill/spill_files.js';
import { dropsUnmatchedProbeRows, findKeyFilterScans, KeyFilter, MAX_KEY_FILTER_ROWS, publishKeyFilter, withdrawKeyFilters } from './key_filter.js';

export async function* hashJoin(node: HashJoinNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const { joinType } = node;
  if (node.distribution === 'broadcast' && tracksBuild(joinType) && node.partitions > 1) {
    // Every partition sees the whole build side: unmatched build rows would repeat.
    throw new Error(`HashJoin#${node.id}: a ${joinType} join cannot broadcast its build side over ${node.partitions} partitions`);
  }
  if (node.leftKeys.length !== node.rightKeys.length) {
    throw new Error(`HashJoin#${node.id}: ${node.leftKeys.length} left keys but ${node.rightKeys.length} right keys`);
  }
  node.leftKeys.forEach((lk, i) => {
    const a = lk.type, b = node.rightKeys[i]!.type;
    const intPair = (a === 'int32' || a === 'int64') && (b === 'int32' || b === 'int64');
    // Keys of different types would hash apart and silently never match: the planner must cast.
    if (a !== b && !intPair && a !== 'null' && b !== 'null') {
      throw new Error(`HashJoin#${node.id}: join key ${i} compares ${a} with ${b}; cast one side first`);
    }
  });
  const batchSize = Math.max(1, ctx.config.batch_size);
  const name = `HashJoin[p${partition}]`;
  const reservation = ctx.memory.register(name, { spillable: true });
  const files = new SpillFiles(ctx, node.id, name);
  // a set from an earlier run of this join in this task (a recursive CTE's next round) is stale
  if (node.keyFilter !== undefined) withdrawKeyFilters(ctx, findKeyFilterScans(node.left, node.id), partition, node.id);
  try {
    // ---- build ----
    const parts: Batch[] = [];
    let grace: GraceHashJoin | null = null;
    const buildPartitions = node.distribution === 'broadcast' ? [...Array(node.right.partitions).keys()] : [partition];
    for (const q of buildPartitions) {
      for await (const b of executePlan(node.right, q, ctx)) {
        if (b.length === 0) continue;
        if (grace !== null) { await grace.addBuild(b); continue; }
        const cost = buildCost(b);
        if (reservation.tryGrow(cost) && !reservation.spillRequested) { parts.push(b); continue; }
        // Does not fit: from here on both sides go to disk by key hash.
        grace = new GraceHashJoin(node, ctx, reservation, files);
        for (const p of parts) await grace.addBuild(p);
        parts.length = 0;
        reservation.shrink(reservation.size);
        await grace.addBuild(b);
      }
    }
    if (grace !== null) {
      yield* coalesceBatches(grace.run(executePlan(node.left, partition, ctx)), node.schema, ctx.config.batch_size);
      return;
    }
    let build: Batch | null = parts.length === 0 ? emptyBatch(node.right.schema) : concatBatches(node.right.schema, parts);
    parts.length = 0;
    const buildKeys = node.rightKeys.map((e) => evaluate(e, build!));
    let table: JoinHashTable | null = new JoinHashTable(build, buildKeys);
    let keyBytes = 0;
    for (const k of buildKeys) keyBytes += columnBytes(k);
    reservation.resize(batchBytes(build) + keyBytes + table.structureBytes() + (tracksBuild(joinType) ? build.length : 0));
    ctx.metrics.add(node.id, 'buildRows', build.length);

    if (build.length === 0 && (joinType === 'inner' || joinType === 'semi' || joinType === 'right' || keepsBuildOnly(joinType))) return;
    if (node.nullAware && joinType === 'anti' && table.hasNullKey) return;
    if (node.keyFilter !== undefined) publishKeyFilters(node, node.keyFilter, partition, ctx, buildKeys);

    // ---- probe ----
    let joiner: PairJoiner | null = new PairJoiner(
      { joinType, filter: node.filter, schema: node.schema, leftFields: node.left.schema.fields, rightFields: node.right.schema.fields },
      build, batchSize,
    );
    const firstOnly = (joinType === 'semi' || joinType === 'anti') && node.filter === null;
    const probeIdx = new Int32Array(batchSize);
    const buildIdx = new Int32Array(batchSize);
    ctx.metrics.add(node.id, 'probeRows', 0);
    const probeInput = executePlan(node.left, partition, ctx)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await probeInput.next();
        if (next.done === true) break;
        const probe = next.value;
        const n = probe.length;
        if (n === 0) continue;
        if (reservation.spillRequested && !tracksBuild(joinType) && build.length > 0) {
          // Give the table up: the build rows go to the grace path's files, and this batch and
          // the rest of the probe input join there (earlier probe batches are complete).
          const g = new GraceHashJoin(node, ctx, reservation, files);
          await g.addBuild(build);
          ctx.metrics.add(node.id, 'buildRows', -build.length); // the grace path counts them again
          ctx.metrics.add(node.id, 'probeSpills', 1);
          build = null; table = null; joiner = null;
          reservation.shrink(reservation.size);
          yield* coalesceBatches(g.run(prepend(probe, probeInput)), node.schema, ctx.config.batch_size);
          return;
        }
        ctx.metrics.add(node.id, 'probeRows', n);
        const probeMatched = new Uint8Array(n);
        if (build.length > 0) {
          const cursor = new ProbeCursor(table, node.leftKeys.map((e) => evaluate(e, probe)), n, firstOnly);
          for (;;) {
            const count = cursor.fill(probeIdx, buildIdx, batchSize);
            if (count === 0) break;
            const out = joiner.pairs(probe, probeIdx, buildIdx, count, probeMatched);
            if (out !== null) yield out;
          }
          // NOT IN: a probe row with a NULL key is unknown against a non-empty build side.
          const nulls = cursor.nullKeys;
          if (node.nullAware && joinType === 'anti' && nulls !== null) {
            for (let i = 0; i < n; i++) if (nulls[i] === 1) probeMatched[i] = 1;
          }
        }
        yield* joiner.finishProbe(probe, probeMatched);
      }
    } finally {
      // Stopped early (LIMIT, error): close the probe input as for-await would.
      await probeInput.return?.(undefined);
    }
    yield* joiner.finishBuild();
  } finally {
    reservation.free();
    await files.close();
  }
}

/**
 * Hand the build values of join key `k` to the scans of the probe side that take them
 * (key_filter.ts), when the build side is small.
 */
function publishKeyFilters(node: HashJoinNode, k: number, partition: number, ctx: TaskContext, buildKeys: readonly Column[]): void {
  if (!dropsUnmatchedProbeRows(node.joinType) || node.nullAware === true) return;
  const keys = buildKeys[k];
  if (keys === undefined || (keys.type !== 'int32' && keys.type !== 'date32') || keys.type !== node.leftKeys[k]?.type) return;
  if (keys.length > MAX_KEY_FILTER_ROWS) return;
  const scans = findKeyFilterScans(node.left, node.id);
  if (scans.length === 0) return;
  const filter = new KeyFilter(keys);
  for (const scan of scans) publishKeyFilter(ctx, scan, partition, node.id, filter);
}

/** `first`, then the rest of `rest`; closing it closes `rest`. */
async function* prepend(first: Batch, rest: AsyncIterator<Batch>): AsyncGenerator<Batch> {
  try {
    yield first;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    await rest.return?.();
  }
}
