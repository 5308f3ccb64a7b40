/**
 * GraceHashJoin: the spilling half of HashJoin, used once the build side does not fit.
 *
 *   build rows ─keys NULL?──yes──▶ right/full: null-key file (emitted unmatched at the end);
 *        │                         other joins: dropped (they never match)
 *        └─no─▶ hash(keys, seed 0) ─▶ build part 0 … part 15
 *   probe rows ─keys NULL?──yes──▶ emitted now as unmatched (left/full/anti), else dropped
 *        └─no─▶ hash(keys, seed 0) ─▶ probe part 0 … part 15
 *
 *   for each part pair (b, p), one at a time:
 *     b fits ──────────────────────────────▶ hash table of b, stream p ─▶ output (+ unmatched)
 *     b too big, and it shrank at the last split ─▶ split b and p again (seed level+1), recurse
 *     b too big and did not shrink (one key with more rows than memory), or too deep:
 *        block hash join: load b in blocks that fit; stream p once per block, remembering
 *        which probe rows matched; then stream p once more for the unmatched/semi rows
 *
 * Every equal-key pair meets in exactly one part pair; a probe row's matches all live in its
 * part, so semi/anti/left decide per part; a build row belongs to exactly one part (and one
 * block), so right/full track it there. NULL keys never match, so their rows bypass the parts
 * and cannot pile into one hash bucket. Null-aware anti (NOT IN): any NULL build key empties
 * the result; probe rows with a NULL key are dropped unless the build side is empty.
 *
 * Memory: the reservation of the HashJoin holds one part's table (or one block) at a time,
 * plus, in a block join, one byte per probe row of the part. Spill metrics: SpillFiles.
 * Extra metrics: spillLevels (deepest split level), blockJoins (parts joined in blocks).
 */
import { batchBytes, emptyBatch, type Batch, type Column } from '../../columnar/column.js';
import { anyNullMask } from '../../columnar/hash.js';
import { concatBatches, take, takeBatch } from '../../columnar/kernels.js';
import { evaluate } from '../../expr/evaluate.js';
import type { MemoryReservation } from '../../memory/pool.js';
import type { HashJoinNode } from '../../plan/physical.js';
import type { SpillFile, SpillWriter } from '../../spill/spill_manager.js';
import type { TaskContext } from '../context.js';
import { cancelled } from '../execute.js';
import { HashPartitionWriter, partitionSeed } from '../spill/hash_partitions.js';
import { type SpillFiles } from '../spill/spill_files.js';
import { JoinHashTable, ProbeCursor } from './join_table.js';
import { PairJoiner, tracksBuild, type JoinShape } from './join_output.js';

const FANOUT = 16;
/** Split levels before a part is joined in blocks whatever its size. */
const MAX_LEVELS = 4;
/** Bytes per build row beyond its columns: hash 4, chain 4, bucket heads ≤ 8, matched flag 1, slack. */
const TABLE_BYTES_PER_ROW = 20;

/** What buffering `batch` for a hash table costs: the batch, its concatenated copy, the table. */
export function buildCost(batch: Batch): number {
  return 2 * batchBytes(batch) + TABLE_BYTES_PER_ROW * batch.length;
}

export class GraceHashJoin {
  private readonly buildParts: HashPartitionWriter;
  private nullBuild: SpillWriter | null = null;
  private buildRows = 0;
  private buildHasNullKey = false;
  private readonly shape: JoinShape;
  private readonly batchSize: number;
  private spillLevels = 1;
  private blockJoins = 0;

  constructor(
    private readonly node: HashJoinNode, private readonly ctx: TaskContext, private readonly reservation: MemoryReservation,
    private readonly files: SpillFiles,
  ) {
    this.buildParts = new HashPartitionWriter(files, node.right.schema, FANOUT, partitionSeed(0), 'build');
    this.shape = { joinType: node.joinType, filter: node.filter, schema: node.schema, leftFields: node.left.schema.fields, rightFields: node.right.schema.fields };
    this.batchSize = Math.max(1, ctx.config.batch_size);
  }

  /** Route one build batch to its part files (NULL-key rows aside). */
  async addBuild(batch: Batch): Promise<void> {
    if (batch.length === 0) return;
    this.buildRows += batch.length;
    const keys = this.node.rightKeys.map((e) => evaluate(e, batch));
    const { rest, restKeys, nullRows } = splitNullKeys(batch, keys);
    if (nullRows !== null) {
      this.buildHasNullKey = true;
      if (tracksBuild(this.node.joinType)) {
        this.nullBuild ??= this.files.writer(this.node.right.schema, 'nullkeys');
        await this.nullBuild.write(nullRows);
      }
    }
    await this.buildParts.write(rest, restKeys);
  }

  /** After the whole build side was added: partition the probe side and join part by part. */
  async *run(probe: AsyncIterable<Batch>): AsyncGenerator<Batch> {
    const { node, ctx } = this;
    const t = node.joinType;
    const buildFiles = await this.buildParts.finish();
    const nullBuildFile = this.nullBuild === null ? null : await this.files.finish(this.nullBuild);
    this.nullBuild = null;
    ctx.metrics.add(node.id, 'buildRows', this.buildRows);
    ctx.metrics.add(node.id, 'probeRows', 0);
    const nullAwareEmpty = node.nullAware === true && t === 'anti' && this.buildHasNullKey;
    const probeParts = new HashPartitionWriter(this.files, node.left.schema, FANOUT, partitionSeed(0), 'probe');
    const noBuild = new PairJoiner(this.shape, emptyBatch(node.right.schema), this.batchSize);
    for await (const b of probe) {
      if (b.length === 0) continue;
      ctx.metrics.add(node.id, 'probeRows', b.length);
      if (nullAwareEmpty) continue; // drain the input: NOT IN over a set with NULL is never true
      const keys = node.leftKeys.map((e) => evaluate(e, b));
      const { rest, restKeys, nullRows } = splitNullKeys(b, keys);
      // A probe row with a NULL key matches nothing; NOT IN drops it (the build side is not empty).
      if (nullRows !== null && !(node.nullAware === true && t === 'anti')) {
        yield* noBuild.finishProbe(nullRows, new Uint8Array(nullRows.length));
      }
      await probeParts.write(rest, restKeys);
    }
    const probeFiles = await probeParts.finish();
    if (!nullAwareEmpty) {
      for (let p = 0; p < buildFiles.length; p++) {
        yield* this.joinPart(buildFiles[p]!, probeFiles[p]!, 1, Infinity);
      }
    } else {
      for (const f of [...buildFiles, ...probeFiles]) if (f !== null) await this.files.release(f);
    }
    if (nullBuildFile !== null) {
      if (!nullAwareEmpty) for await (const b of nullBuildFile.read()) yield* new PairJoiner(this.shape, b, this.batchSize).finishBuild();
      await this.files.release(nullBuildFile);
    }
    ctx.metrics.add(node.id, 'spillLevels', this.spillLevels);
    ctx.metrics.add(node.id, 'blockJoins', this.blockJoins);
  }

  /** Join one part pair; `level` = splits so far, `parentRows` = build rows before the last split. */
  private async *joinPart(build: SpillFile | null, probe: SpillFile | null, level: number, parentRows: number): AsyncGenerator<Batch> {
    if (this.ctx.signal.aborted) throw cancelled(this.ctx.signal);
    const t = this.node.joinType;
    if (build === null) {
      // Nothing to match: probe rows are unmatched.
      if (probe !== null) {
        if (t === 'left' || t === 'full' || t === 'anti') {
          const none = new PairJoiner(this.shape, emptyBatch(this.node.right.schema), this.batchSize);
          for await (const b of probe.read()) yield* none.finishProbe(b, new Uint8Array(b.length));
        }
        await this.files.release(probe);
      }
      return;
    }
    if (probe === null) {
      if (tracksBuild(t)) for await (const b of build.read()) yield* new PairJoiner(this.shape, b, this.batchSize).finishBuild();
      await this.files.release(build);
      return;
    }
    const need = 2 * build.bytes + TABLE_BYTES_PER_ROW * build.rows;
    const fits = this.reservation.tryGrow(need);
    if (fits) this.reservation.shrink(need);
    if (!fits && level < MAX_LEVELS && build.rows < parentRows) {
      yield* this.split(build, probe, level);
      return;
    }
    yield* this.blockJoin(build, probe);
  }

  /** Split a part pair with the next level's seed and join the sub-parts. */
  private async *split(build: SpillFile, probe: SpillFile, level: number): AsyncGenerator<Batch> {
    const { node } = this;
    this.spillLevels = Math.max(this.spillLevels, level + 1);
    const seed = partitionSeed(level);
    const subBuild = new HashPartitionWriter(this.files, node.right.schema, FANOUT, seed, 'build');
    for await (const b of build.read()) await subBuild.write(b, node.rightKeys.map((e) => evaluate(e, b)));
    const subProbe = new HashPartitionWriter(this.files, node.left.schema, FANOUT, seed, 'probe');
    for await (const b of probe.read()) await subProbe.write(b, node.leftKeys.map((e) => evaluate(e, b)));
    const rows = build.rows;
    await this.files.release(build);
    await this.files.release(probe);
    const bf = await subBuild.finish(), pf = await subProbe.finish();
    for (let p = 0; p < bf.length; p++) yield* this.joinPart(bf[p]!, pf[p]!, level + 1, rows);
  }

  /**
   * Join a part by loading its build rows in blocks that fit (one block when it all fits).
   * With several blocks, probe matches are remembered per probe row of the part and the
   * probe-side rows (unmatched, or semi) are emitted in a last pass.
   */
  private async *blockJoin(build: SpillFile, probe: SpillFile): AsyncGenerator<Batch> {
    const r = this.reservation;
    let block: Batch[] = [];
    let blockReserved = 0;
    let matched: Uint8Array | null = null;
    for await (const b of build.read()) {
      if (b.length === 0) continue;
      const cost = buildCost(b);
      if (!r.tryGrow(cost)) {
        if (block.length > 0) {
          if (matched === null) { await r.growWait(probe.rows, { signal: this.ctx.signal }); matched = new Uint8Array(probe.rows); }
          yield* this.probeBlock(block, probe, matched);
          r.shrink(blockReserved);
          block = [];
          blockReserved = 0;
        }
        await r.growWait(cost, { signal: this.ctx.signal });
      }
      blockReserved += cost;
      block.push(b);
    }
    if (block.length > 0) yield* this.probeBlock(block, probe, matched);
    r.shrink(blockReserved);
    if (matched !== null) {
      this.blockJoins++;
      const t = this.node.joinType;
      if (t === 'left' || t === 'full' || t === 'anti' || t === 'semi') {
        const joiner = new PairJoiner(this.shape, emptyBatch(this.node.right.schema), this.batchSize);
        let offset = 0;
        for await (const p of probe.read()) {
          yield* joiner.finishProbe(p, matched.subarray(offset, offset + p.length));
          offset += p.length;
        }
      }
      r.shrink(probe.rows);
    }
    await this.files.release(build);
    await this.files.release(probe);
  }

  /**
   * Probe one in-memory block with the whole probe part. `matched` (block joins) collects
   * probe matches across blocks; null means this block is the whole part, so probe-side
   * rows are emitted right away.
   */
  private async *probeBlock(block: readonly Batch[], probe: SpillFile, matched: Uint8Array | null): AsyncGenerator<Batch> {
    const { node } = this;
    const t = node.joinType;
    const buildBatch = block.length === 1 ? block[0]! : concatBatches(node.right.schema, block);
    const keys: Column[] = node.rightKeys.map((e) => evaluate(e, buildBatch));
    const table = new JoinHashTable(buildBatch, keys);
    const joiner = new PairJoiner(this.shape, buildBatch, this.batchSize);
    const firstOnly = (t === 'semi' || t === 'anti') && node.filter === null;
    const probeIdx = new Int32Array(this.batchSize), buildIdx = new Int32Array(this.batchSize);
    let offset = 0;
    for await (const p of probe.read()) {
      const n = p.length;
      if (n === 0) continue;
      const probeMatched = matched === null ? new Uint8Array(n) : matched.subarray(offset, offset + n);
      offset += n;
      const cursor = new ProbeCursor(table, node.leftKeys.map((e) => evaluate(e, p)), n, firstOnly);
      for (;;) {
        const count = cursor.fill(probeIdx, buildIdx, this.batchSize);
        if (count === 0) break;
        const out = joiner.pairs(p, probeIdx, buildIdx, count, probeMatched);
        if (out !== null) yield out;
      }
      if (matched === null) yield* joiner.finishProbe(p, probeMatched);
    }
    yield* joiner.finishBuild();
  }
}

/** Rows whose key has a NULL (they never match) split from the rest. */
function splitNullKeys(batch: Batch, keys: readonly Column[]): { rest: Batch; restKeys: readonly Column[]; nullRows: Batch | null } {
  const n = batch.length;
  const nulls = anyNullMask(keys, n);
  if (nulls === null) return { rest: batch, restKeys: keys, nullRows: null };
  let nullCount = 0;
  for (let i = 0; i < n; i++) nullCount += nulls[i]!;
  if (nullCount === 0) return { rest: batch, restKeys: keys, nullRows: null };
  const keep = new Int32Array(n - nullCount), drop = new Int32Array(nullCount);
  let a = 0, d = 0;
  for (let i = 0; i < n; i++) { if (nulls[i] === 1) drop[d++] = i; else keep[a++] = i; }
  return { rest: takeBatch(batch, keep), restKeys: keys.map((k) => take(k, keep)), nullRows: takeBatch(batch, drop) };
}
