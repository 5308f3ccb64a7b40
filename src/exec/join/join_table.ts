/**
 * The in-memory build side of a hash join, and the probe cursor that walks it.
 *
 * Build rows are concatenated into one batch; their keys are hashed once and chained:
 *
 *   heads[bucketOf(hash)] ──▶ row a ──next[a]──▶ row b ──next[b]──▶ -1
 *
 * Rows are inserted last to first so each chain lists rows in ascending order. Rows with
 * a NULL key are not chained (they never match) but stay in the batch for right/full
 * joins, which emit them unmatched.
 *
 * The probe cursor produces candidate (probe row, build row) index pairs whose keys are
 * equal, a bounded number at a time, and resumes where it stopped: one probe batch can
 * match far more than batch_size build rows.
 */
import type { Batch, Column } from '../../columnar/column.js';
import { anyNullMask, bucketOf, hashColumns, keysEqual } from '../../columnar/hash.js';

export class JoinHashTable {
  readonly hashes: Uint32Array;
  readonly heads: Int32Array;
  readonly next: Int32Array;
  readonly bits: number;
  /** Whether some build row has a NULL in a key column (null-aware anti join). */
  readonly hasNullKey: boolean;

  constructor(readonly batch: Batch, readonly keys: readonly Column[]) {
    const n = batch.length;
    this.hashes = hashColumns(keys, n);
    let bits = 1;
    while ((1 << bits) < n) bits++;
    this.bits = bits;
    this.heads = new Int32Array(1 << bits).fill(-1);
    this.next = new Int32Array(n);
    const nulls = anyNullMask(keys, n);
    let hasNull = false;
    for (let r = n - 1; r >= 0; r--) {
      if (nulls !== null && nulls[r] === 1) { hasNull = true; this.next[r] = -1; continue; }
      const b = bucketOf(this.hashes[r]!, bits);
      this.next[r] = this.heads[b]!;
      this.heads[b] = r;
    }
    this.hasNullKey = hasNull;
  }

  get rows(): number { return this.batch.length; }

  /** Bytes of the hash structures (the batch and keys are accounted by the caller). */
  structureBytes(): number {
    return this.hashes.byteLength + this.heads.byteLength + this.next.byteLength;
  }
}

/** Walks one probe batch against a JoinHashTable, yielding candidate pairs in chunks. */
export class ProbeCursor {
  private readonly hashes: Uint32Array;
  private readonly nulls: Uint8Array | null;
  private row = 0;
  /** Next build row to test for `row`; -2 = chain not started. */
  private chain = -2;

  /**
   * firstOnly: stop at the first key match of each probe row (semi/anti joins without a
   * residual filter need nothing more).
   */
  constructor(
    private readonly table: JoinHashTable, private readonly probeKeys: readonly Column[],
    private readonly length: number, private readonly firstOnly: boolean,
  ) {
    this.hashes = hashColumns(probeKeys, length);
    this.nulls = anyNullMask(probeKeys, length);
  }

  /** 1 at probe rows with a NULL key (they never match), or null when there are none. */
  get nullKeys(): Uint8Array | null { return this.nulls; }

  /** Fill up to cap pairs; returns how many (0 = the probe batch is exhausted). */
  fill(probeIdx: Int32Array, buildIdx: Int32Array, cap: number): number {
    const t = this.table, heads = t.heads, next = t.next, bhashes = t.hashes, bkeys = t.keys;
    const nulls = this.nulls, hashes = this.hashes, keys = this.probeKeys;
    let k = 0;
    while (this.row < this.length && k < cap) {
      const i = this.row;
      if (this.chain === -2) {
        this.chain = nulls !== null && nulls[i] === 1 ? -1 : heads[bucketOf(hashes[i]!, t.bits)]!;
      }
      const h = hashes[i]!;
      let j = this.chain;
      while (j !== -1 && k < cap) {
        if (bhashes[j] === h && keysEqual(keys, i, bkeys, j, false)) {
          probeIdx[k] = i; buildIdx[k] = j; k++;
          if (this.firstOnly) { j = -1; break; }
        }
        j = next[j]!;
      }
      this.chain = j;
      if (j === -1) { this.row++; this.chain = -2; }
    }
    return k;
  }
}
