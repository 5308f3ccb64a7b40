/**
 * The in-memory build side of a hash join, and the probe cursor that walks it.
 *
 * Build rows are concatenated into one batch. Rows with a NULL key are not indexed (they
 * never match) but stay in the batch for right/full joins, which emit them unmatched. Two
 * layouts, chosen from the build key types:
 *
 * Integer keys (int32, date32, int64, timestamp; at most 4 words packed, see
 * columnar/hash.ts): open addressing, linear probing, one slot per distinct key, the key's
 * words stored inline next to its first row so that a probe reads one cache line:
 *
 *   slots[s*(W+1) ..]  = [w0 … wW-1, head]   head 0: empty slot
 *                                            head r+1 > 0: the key's only row is r
 *                                            head -(r+1) < 0: rows r ─next[r]─▶ … ─▶ -1
 *
 *   Sized at most 4/5 full (by build rows): fresh memory is expensive to touch, and a probe
 *   run stays within a cache line or two. `next` exists only once a key repeats.
 *
 * Other keys: the rows' hashes (columnar/hash.ts) chained from bucket heads:
 *
 *   heads[bucketOf(hash)] ──▶ row a ──next[a]──▶ row b ──next[b]──▶ -1
 *
 * Rows are inserted last to first so each chain lists rows in ascending order (both layouts).
 *
 * The probe cursor produces candidate (probe row, build row) index pairs whose keys are
 * equal, a bounded number at a time, and resumes where it stopped: one probe batch can
 * match far more than batch_size build rows.
 */
import type { Batch, Column } from '../../columnar/column.js';
import {
  anyNullMask, bucketOf, hashColumns, hashWord1, hashWord2, hashWordN, intKeyWidth, keysEqual, packIntKeys,
} from '../../columnar/hash.js';

/** Most packed words an integer-key table takes (two int64 keys). */
const MAX_INT_WORDS = 4;

/** The integer-key layout (see the header). */
class IntIndex {
  readonly slots: Int32Array;
  /** Chains of repeated keys; null while every key is unique. */
  next: Int32Array | null = null;
  readonly shift: number;
  readonly mask: number;

  constructor(readonly widths: readonly number[], readonly w: number, keys: readonly Column[], nulls: Uint8Array | null, n: number) {
    let bits = 4;
    while ((1 << bits) * 4 < n * 5) bits++;
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    this.slots = new Int32Array((1 << bits) * (w + 1));
    const words = packIntKeys(keys, widths, n);
    if (w === 1) this.build1(words, nulls, n);
    else this.buildN(words, nulls, n);
  }

  /** Chain row r in front of the rows already at slot position `at` (its head). */
  private link(at: number, r: number, n: number): void {
    const slots = this.slots, head = slots[at]!;
    const next = this.next ??= new Int32Array(n);
    if (head > 0) { next[head - 1] = -1; next[r] = head - 1; } else next[r] = -head - 1;
    slots[at] = -r - 1;
  }

  private build1(words: Int32Array, nulls: Uint8Array | null, n: number): void {
    const slots = this.slots, shift = this.shift, mask = this.mask;
    for (let r = n - 1; r >= 0; r--) {
      if (nulls !== null && nulls[r] === 1) continue;
      const x = words[r]!;
      let s = hashWord1(x) >>> shift;
      for (;;) {
        const at = s << 1;
        const head = slots[at + 1]!;
        if (head === 0) { slots[at] = x; slots[at + 1] = r + 1; break; }
        if (slots[at] === x) { this.link(at + 1, r, n); break; }
        s = (s + 1) & mask;
      }
    }
  }

  private buildN(words: Int32Array, nulls: Uint8Array | null, n: number): void {
    const slots = this.slots, shift = this.shift, mask = this.mask, w = this.w, stride = w + 1;
    for (let r = n - 1; r >= 0; r--) {
      if (nulls !== null && nulls[r] === 1) continue;
      const p = r * w;
      let s = hashWordN(words, p, w) >>> shift;
      for (;;) {
        const at = s * stride;
        const head = slots[at + w]!;
        if (head === 0) {
          for (let k = 0; k < w; k++) slots[at + k] = words[p + k]!;
          slots[at + w] = r + 1;
          break;
        }
        let eq = true;
        for (let k = 0; k < w; k++) if (slots[at + k] !== words[p + k]) { eq = false; break; }
        if (eq) { this.link(at + w, r, n); break; }
        s = (s + 1) & mask;
      }
    }
  }

  bytes(): number { return this.slots.byteLength + (this.next === null ? 0 : this.next.byteLength); }
}

/** The hash-chain layout for other keys (see the header). */
class ChainIndex {
  readonly hashes: Uint32Array;
  readonly heads: Int32Array;
  readonly next: Int32Array;
  readonly bits: number;

  constructor(keys: readonly Column[], nulls: Uint8Array | null, n: number) {
    this.hashes = hashColumns(keys, n);
    let bits = 1;
    while ((1 << bits) < n) bits++;
    this.bits = bits;
    this.heads = new Int32Array(1 << bits).fill(-1);
    this.next = new Int32Array(n);
    for (let r = n - 1; r >= 0; r--) {
      if (nulls !== null && nulls[r] === 1) { this.next[r] = -1; continue; }
      const b = bucketOf(this.hashes[r]!, bits);
      this.next[r] = this.heads[b]!;
      this.heads[b] = r;
    }
  }

  bytes(): number { return this.hashes.byteLength + this.heads.byteLength + this.next.byteLength; }
}

/** Packed widths of integer key types, or null when the keys need the generic layout. */
function intWidths(keys: readonly Column[]): number[] | null {
  if (keys.length === 0) return null;
  const widths = keys.map((k) => intKeyWidth(k.type));
  let w = 0;
  for (const x of widths) { if (x === 0) return null; w += x; }
  return w <= MAX_INT_WORDS ? widths : null;
}

export class JoinHashTable {
  /** Integer-key layout, or null (then `chained` is set). */
  readonly ints: IntIndex | null;
  readonly chained: ChainIndex | null;
  /** Whether some build row has a NULL in a key column (null-aware anti join). */
  readonly hasNullKey: boolean;

  constructor(readonly batch: Batch, readonly keys: readonly Column[]) {
    const n = batch.length;
    const nulls = anyNullMask(keys, n);
    let hasNull = false;
    if (nulls !== null) for (let r = 0; r < n; r++) if (nulls[r] === 1) { hasNull = true; break; }
    this.hasNullKey = hasNull;
    const widths = intWidths(keys);
    if (widths !== null) {
      let w = 0;
      for (const x of widths) w += x;
      this.ints = new IntIndex(widths, w, keys, nulls, n);
      this.chained = null;
    } else {
      this.ints = null;
      this.chained = new ChainIndex(keys, nulls, n);
    }
  }

  get rows(): number { return this.batch.length; }

  /** Bytes of the hash structures (the batch and keys are accounted by the caller). */
  structureBytes(): number {
    return this.ints !== null ? this.ints.bytes() : this.chained!.bytes();
  }
}

/** Walks one probe batch against a JoinHashTable, yielding candidate pairs in chunks. */
export class ProbeCursor {
  /** Generic layout: the probe rows' hashes. */
  private readonly hashes: Uint32Array | null;
  /** Integer layout: the probe keys packed like the table's. */
  private readonly words: Int32Array | null;
  private readonly nulls: Uint8Array | null;
  /** Integer layout: 1 at rows that cannot match (NULL key, or an int64 value outside an int32 key's range). */
  private readonly skip: Uint8Array | null;
  private row = 0;
  /** Next build row to emit for `row`; -2 = chain not started (generic), -1 = none (integer layout). */
  private chain: number;

  /**
   * firstOnly: stop at the first key match of each probe row (semi/anti joins without a
   * residual filter need nothing more).
   */
  constructor(
    private readonly table: JoinHashTable, private readonly probeKeys: readonly Column[],
    private readonly length: number, private readonly firstOnly: boolean,
  ) {
    this.nulls = anyNullMask(probeKeys, length);
    const ints = table.ints;
    if (ints !== null) {
      this.hashes = null;
      this.chain = -1;
      let outOfRange: Uint8Array | undefined;
      for (let k = 0; k < probeKeys.length; k++) {
        const t = probeKeys[k]!.type;
        if (ints.widths[k] === 1 && (t === 'int64' || t === 'timestamp')) { outOfRange = new Uint8Array(length); break; }
      }
      this.words = packIntKeys(probeKeys, ints.widths, length, outOfRange);
      if (outOfRange !== undefined && this.nulls !== null) for (let i = 0; i < length; i++) outOfRange[i] |= this.nulls[i]!;
      this.skip = outOfRange ?? this.nulls;
    } else {
      this.hashes = hashColumns(probeKeys, length);
      this.words = null;
      this.skip = null;
      this.chain = -2;
    }
  }

  /** 1 at probe rows with a NULL key (they never match), or null when there are none. */
  get nullKeys(): Uint8Array | null { return this.nulls; }

  /** Fill up to cap pairs; returns how many (0 = the probe batch is exhausted). */
  fill(probeIdx: Int32Array, buildIdx: Int32Array, cap: number): number {
    const ints = this.table.ints;
    if (ints !== null) return ints.w === 1 ? this.fillInt1(ints, probeIdx, buildIdx, cap) : this.fillIntN(ints, probeIdx, buildIdx, cap);
    return this.fillChained(this.table.chained!, probeIdx, buildIdx, cap);
  }

  /**
   * Emit the rest of a chain of build rows for probe row i from build row j; returns the new
   * count, and leaves `chain` at the next row still to emit (-1 when the chain is done).
   */
  private continueChain(next: Int32Array, i: number, j: number, probeIdx: Int32Array, buildIdx: Int32Array, k: number, cap: number): number {
    while (j !== -1 && k < cap) { probeIdx[k] = i; buildIdx[k] = j; k++; j = next[j]!; }
    this.chain = j;
    return k;
  }

  private fillInt1(ints: IntIndex, probeIdx: Int32Array, buildIdx: Int32Array, cap: number): number {
    const slots = ints.slots, next = ints.next, shift = ints.shift, mask = ints.mask;
    const words = this.words!, skip = this.skip, n = this.length, firstOnly = this.firstOnly;
    let i = this.row, k = 0;
    if (this.chain !== -1) {
      k = this.continueChain(next!, i, this.chain, probeIdx, buildIdx, 0, cap);
      if (this.chain !== -1) return k;
      i++;
    }
    while (i < n && k < cap) {
      if (skip === null || skip[i] === 0) {
        const x = words[i]!;
        let s = hashWord1(x) >>> shift;
        for (;;) {
          const at = s << 1;
          const head = slots[at + 1]!;
          if (head === 0) break;
          if (slots[at] === x) {
            if (head > 0) { probeIdx[k] = i; buildIdx[k] = head - 1; k++; }
            else if (firstOnly) { probeIdx[k] = i; buildIdx[k] = -head - 1; k++; }
            else {
              k = this.continueChain(next!, i, -head - 1, probeIdx, buildIdx, k, cap);
              if (this.chain !== -1) { this.row = i; return k; }
            }
            break;
          }
          s = (s + 1) & mask;
        }
      }
      i++;
    }
    this.row = i;
    return k;
  }

  private fillIntN(ints: IntIndex, probeIdx: Int32Array, buildIdx: Int32Array, cap: number): number {
    const slots = ints.slots, next = ints.next, shift = ints.shift, mask = ints.mask, w = ints.w, stride = w + 1;
    const words = this.words!, skip = this.skip, n = this.length, firstOnly = this.firstOnly;
    let i = this.row, k = 0;
    if (this.chain !== -1) {
      k = this.continueChain(next!, i, this.chain, probeIdx, buildIdx, 0, cap);
      if (this.chain !== -1) return k;
      i++;
    }
    while (i < n && k < cap) {
      if (skip === null || skip[i] === 0) {
        const p = i * w;
        const a = words[p]!, b = words[p + 1]!;
        let s = (w === 2 ? hashWord2(a, b) : hashWordN(words, p, w)) >>> shift;
        for (;;) {
          const at = s * stride;
          const head = slots[at + w]!;
          if (head === 0) break;
          let eq = slots[at] === a && slots[at + 1] === b;
          for (let q = 2; eq && q < w; q++) eq = slots[at + q] === words[p + q];
          if (eq) {
            if (head > 0) { probeIdx[k] = i; buildIdx[k] = head - 1; k++; }
            else if (firstOnly) { probeIdx[k] = i; buildIdx[k] = -head - 1; k++; }
            else {
              k = this.continueChain(next!, i, -head - 1, probeIdx, buildIdx, k, cap);
              if (this.chain !== -1) { this.row = i; return k; }
            }
            break;
          }
          s = (s + 1) & mask;
        }
      }
      i++;
    }
    this.row = i;
    return k;
  }

  private fillChained(t: ChainIndex, probeIdx: Int32Array, buildIdx: Int32Array, cap: number): number {
    const heads = t.heads, next = t.next, bhashes = t.hashes, bkeys = this.table.keys;
    const nulls = this.nulls, hashes = this.hashes!, keys = this.probeKeys;
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
