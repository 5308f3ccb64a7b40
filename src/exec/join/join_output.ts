/**
 * Turning candidate (probe row, build row) pairs into join output, shared by the hash join
 * and the nested-loop join. Knows the join type and the residual filter; holds no rows.
 *
 *   pairs(probe, probeIdx, buildIdx)   residual filter over left ++ right → passing pairs,
 *                                      marks probeMatched / buildMatched, returns the
 *                                      matched rows for inner/left/right/full
 *   finishProbe(probe, probeMatched)   after one probe batch: unmatched probe rows with NULL
 *                                      build columns (left/full), matched rows (semi),
 *                                      unmatched rows (anti)
 *   finishBuild()                      after the whole probe side: unmatched build rows with
 *                                      NULL probe columns (right/full), matched build rows
 *                                      (right_semi), unmatched build rows (right_anti)
 */
import { emptyColumn, makeBatch, type Batch, type Column } from '../../columnar/column.js';
import { maskToIndices, take } from '../../columnar/kernels.js';
import { evaluate } from '../../expr/evaluate.js';
import type { PhysicalExpr } from '../../expr/expr.js';
import type { HashJoinType } from '../../plan/physical.js';
import { schema as makeSchema, type Field, type Schema } from '../../common/types.js';

/** Join types whose output carries the build side's columns. */
export function emitsPairs(t: HashJoinType): boolean {
  return t === 'inner' || t === 'left' || t === 'right' || t === 'full';
}

/** Join types that must remember which build rows matched. */
export function tracksBuild(t: HashJoinType): boolean {
  return t === 'right' || t === 'full' || t === 'right_semi' || t === 'right_anti';
}

/** Join types whose output is build rows only (swapped semi/anti). */
export function keepsBuildOnly(t: HashJoinType): boolean {
  return t === 'right_semi' || t === 'right_anti';
}

export interface JoinShape {
  joinType: HashJoinType;
  filter: PhysicalExpr | null;
  /** Output schema (left ++ right, left only for semi/anti, right only for right_semi/right_anti). */
  schema: Schema;
  leftFields: readonly Field[];
  rightFields: readonly Field[];
}

export class PairJoiner {
  private readonly pairSchema: Schema;
  /** 1 at build rows that matched some probe row (join types that track the build side). */
  readonly buildMatched: Uint8Array | null;
  private minusOnes = new Int32Array(0);

  constructor(private readonly shape: JoinShape, private readonly build: Batch, private readonly batchSize: number) {
    this.pairSchema = makeSchema([...shape.leftFields, ...shape.rightFields]);
    this.buildMatched = tracksBuild(shape.joinType) ? new Uint8Array(build.length) : null;
  }

  private nulls(count: number): Int32Array {
    if (this.minusOnes.length < count) this.minusOnes = new Int32Array(count).fill(-1);
    return this.minusOnes;
  }

  /**
   * Apply the residual filter to `count` candidate pairs, record matches, and return the
   * joined rows of the passing pairs for join types that emit pairs (else null).
   */
  pairs(probe: Batch, probeIdx: Int32Array, buildIdx: Int32Array, count: number, probeMatched: Uint8Array): Batch | null {
    if (count === 0) return null;
    const { joinType, filter } = this.shape;
    const wantPairs = emitsPairs(joinType);
    let pi = probeIdx, bi = buildIdx, n = count;
    let cols: Column[] | null = null;
    if (filter !== null || wantPairs) {
      cols = [...probe.columns.map((c) => take(c, pi, n)), ...this.build.columns.map((c) => take(c, bi, n))];
    }
    if (filter !== null) {
      const mask = evaluate(filter, makeBatch(this.pairSchema, cols!, n));
      if (mask.type !== 'bool') throw new Error(`join filter must be bool, got ${mask.type}`);
      const keep = maskToIndices(mask.values, mask.validity, n);
      if (keep.length !== n) {
        const pk = new Int32Array(keep.length), bk = new Int32Array(keep.length);
        for (let k = 0; k < keep.length; k++) { pk[k] = pi[keep[k]!]!; bk[k] = bi[keep[k]!]!; }
        pi = pk; bi = bk; n = keep.length;
        cols = wantPairs ? cols!.map((c) => take(c, keep)) : null;
      }
    }
    for (let k = 0; k < n; k++) probeMatched[pi[k]!] = 1;
    const bm = this.buildMatched;
    if (bm !== null) for (let k = 0; k < n; k++) bm[bi[k]!] = 1;
    if (!wantPairs || n === 0) return null;
    return makeBatch(this.shape.schema, cols!, n);
  }

  /** The rows a finished probe batch contributes on its own, in chunks of batchSize. */
  *finishProbe(probe: Batch, probeMatched: Uint8Array): Generator<Batch> {
    const t = this.shape.joinType;
    if (t === 'inner' || t === 'right' || keepsBuildOnly(t)) return;
    // semi keeps matched rows; left/full/anti keep unmatched ones.
    const want = t === 'semi' ? 1 : 0;
    const rows = new Int32Array(probe.length);
    let n = 0;
    for (let i = 0; i < probe.length; i++) if (probeMatched[i] === want) rows[n++] = i;
    for (let s = 0; s < n; s += this.batchSize) {
      const m = Math.min(this.batchSize, n - s);
      const idx = rows.subarray(s, s + m);
      const cols = probe.columns.map((c) => take(c, idx, m));
      if (t === 'left' || t === 'full') {
        const minus = this.nulls(m);
        for (const c of this.build.columns) cols.push(take(c, minus, m));
      }
      yield makeBatch(this.shape.schema, cols, m);
    }
  }

  /**
   * Build rows no probe row matched, with NULL probe columns (right/full) or alone
   * (right_anti); or the matched ones, alone (right_semi). In chunks of batchSize.
   */
  *finishBuild(): Generator<Batch> {
    const bm = this.buildMatched;
    if (bm === null) return;
    const t = this.shape.joinType;
    const want = t === 'right_semi' ? 1 : 0;
    const rows = new Int32Array(bm.length);
    let n = 0;
    for (let j = 0; j < bm.length; j++) if (bm[j] === want) rows[n++] = j;
    const leftEmpty = keepsBuildOnly(t) ? [] : this.shape.leftFields.map((f) => emptyColumn(f.type));
    for (let s = 0; s < n; s += this.batchSize) {
      const m = Math.min(this.batchSize, n - s);
      const idx = rows.subarray(s, s + m);
      const minus = this.nulls(m);
      const cols = [...leftEmpty.map((c) => take(c, minus, m)), ...this.build.columns.map((c) => take(c, idx, m))];
      yield makeBatch(this.shape.schema, cols, m);
    }
  }
}
