/**
 * approx_count_distinct: a HyperLogLog sketch per group.
 *
 *   value ─hash (two 32-bit seeds)─▶ h1: top 12 bits pick one of M = 4,096 registers
 *                                    h2: rank = leading zeros + 1 (1..33)
 *   register = max(register, rank);   estimate = α·M² / Σ 2^-register
 *   small estimates (≤ 2.5·M, some register still 0) use linear counting: M·ln(M / zeros)
 *
 * Standard error 1.04 / √4096 ≈ 1.6 %. A group starts sparse: a list of its non-zero
 * registers (index << 8 | rank) in a shared entry buffer, so a GROUP BY with many small
 * groups costs bytes per value, not 4 KiB per group; past SPARSE_MAX registers it turns
 * dense (4,096 bytes in one arena). Both forms give the same estimate.
 *
 * Partial state, one ASCII string per group (utf8):
 *   ''                     no input
 *   'S' + 3 chars/register sparse: '0' + index high 6 bits, '0' + low 6 bits, '0' + rank
 *   4,096 chars            dense: '0' + register ('S' never occurs: ranks are ≤ 33)
 * Merging takes the maximum register by register, so partial states from any split of the
 * input merge to the sketch of the whole. NULLs are not counted.
 */
import { fixedColumn, type Column } from '../../columnar/column.js';
import { hashColumns } from '../../columnar/hash.js';
import type { Accumulator } from './accumulators.js';
import { growI32 } from './accumulators.js';

const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
/** The ASCII character of value 0 in a state string, and the mark of a sparse one. */
const ZERO = 48;
const SPARSE = 83;
/** Registers a sparse group holds before it turns dense (4 bytes each against 4,096). */
const SPARSE_MAX = 256;

export class HllAccumulator implements Accumulator {
  /** Dense register block of each group (-1: sparse or empty). */
  private blocks = new Int32Array(16).fill(-1);
  private arena = new Uint8Array(0);
  private used = 0;
  /** Sparse groups: their entries are entries[starts[g] … starts[g] + lengths[g]), room for capacities[g]. */
  private starts = new Int32Array(16);
  private lengths = new Int32Array(16);
  private capacities = new Int32Array(16);
  private entries = new Int32Array(256);
  private entriesUsed = 0;
  private entriesLive = 0;

  ensure(groups: number): void {
    const before = this.blocks.length;
    this.blocks = growI32(this.blocks, groups);
    if (this.blocks.length > before) this.blocks.fill(-1, before);
    this.starts = growI32(this.starts, groups);
    this.lengths = growI32(this.lengths, groups);
    this.capacities = growI32(this.capacities, groups);
  }

  /** register[index] = max(register[index], rank) in group g. */
  private set(g: number, index: number, rank: number): void {
    const b = this.blocks[g]!;
    if (b >= 0) {
      const at = b * M + index;
      if (rank > this.arena[at]!) this.arena[at] = rank;
      return;
    }
    const s = this.starts[g]!, len = this.lengths[g]!, entries = this.entries;
    for (let k = s; k < s + len; k++) {
      const e = entries[k]!;
      if (e >>> 8 === index) {
        if (rank > (e & 255)) entries[k] = (index << 8) | rank;
        return;
      }
    }
    if (len === SPARSE_MAX) {
      this.toDense(g);
      this.arena[this.blocks[g]! * M + index] = rank;
      return;
    }
    if (len === this.capacities[g]) this.growSparse(g);
    this.entries[this.starts[g]! + len] = (index << 8) | rank;
    this.lengths[g] = len + 1;
  }

  /** Move group g's entries to the end of the buffer with twice the room. */
  private growSparse(g: number): void {
    const cap = Math.max(4, this.capacities[g]! * 2);
    if (this.entriesUsed + cap > this.entries.length) this.makeRoom(cap);
    this.entries.copyWithin(this.entriesUsed, this.starts[g]!, this.starts[g]! + this.lengths[g]!);
    this.entriesLive += cap - this.capacities[g]!;
    this.starts[g] = this.entriesUsed;
    this.capacities[g] = cap;
    this.entriesUsed += cap;
  }

  /** Compact the entry buffer (when mostly dead) or grow it, so `n` more entries fit. */
  private makeRoom(n: number): void {
    const compact = this.entriesLive * 2 < this.entriesUsed;
    const size = Math.max(compact ? this.entries.length : this.entries.length * 2, (this.entriesLive + n) * 2);
    const next = new Int32Array(size);
    let pos = 0;
    for (let g = 0; g < this.capacities.length; g++) {
      const cap = this.capacities[g]!;
      if (cap === 0) continue;
      next.set(this.entries.subarray(this.starts[g]!, this.starts[g]! + this.lengths[g]!), pos);
      this.starts[g] = pos;
      pos += cap;
    }
    this.entries = next;
    this.entriesUsed = pos;
  }

  /** Give group g a dense block holding its sparse registers. */
  private toDense(g: number): void {
    if ((this.used + 1) * M > this.arena.length) {
      const next = new Uint8Array(Math.max(M, this.arena.length * 2));
      next.set(this.arena);
      this.arena = next;
    }
    const b = this.used++;
    this.blocks[g] = b;
    const s = this.starts[g]!;
    for (let k = s; k < s + this.lengths[g]!; k++) {
      const e = this.entries[k]!;
      this.arena[b * M + (e >>> 8)] = e & 255;
    }
    this.entriesLive -= this.capacities[g]!;
    this.lengths[g] = 0;
    this.capacities[g] = 0;
  }

  update(gids: Int32Array, n: number, arg: Column | null): void {
    if (arg === null || arg.type === 'null' || n === 0) return;
    const h1 = hashColumns([arg], n, 0);
    const h2 = hashColumns([arg], n, 0x5bd1e995);
    const valid = arg.validity;
    for (let r = 0; r < n; r++) {
      if (valid !== null && valid[r] === 0) continue;
      this.set(gids[r]!, h1[r]! >>> (32 - P), Math.clz32(h2[r]!) + 1);
    }
  }

  merge(gids: Int32Array, n: number, state: readonly Column[]): void {
    const s = state[0]!;
    if (s.type === 'null') return;
    if (s.type !== 'utf8') throw new Error(`approx_count_distinct state must be utf8, got ${s.type}`);
    const d = s.data;
    for (let r = 0; r < n; r++) {
      if (s.validity !== null && s.validity[r] === 0) continue;
      const from = s.offsets[r]!, to = s.offsets[r + 1]!, g = gids[r]!;
      if (to === from) continue;
      if (d[from] === SPARSE && (to - from - 1) % 3 === 0) {
        for (let k = from + 1; k < to; k += 3) this.set(g, ((d[k]! - ZERO) << 6) | (d[k + 1]! - ZERO), d[k + 2]! - ZERO);
        continue;
      }
      if (to - from !== M) throw new Error(`approx_count_distinct state of ${to - from} characters is neither sparse nor ${M} registers`);
      if (this.blocks[g]! < 0) this.toDense(g);
      const base = this.blocks[g]! * M;
      for (let i = 0; i < M; i++) {
        const v = d[from + i]! - ZERO;
        if (v > this.arena[base + i]!) this.arena[base + i] = v;
      }
    }
  }

  result(start: number, end: number): Column {
    const out = new BigInt64Array(end - start);
    for (let g = start; g < end; g++) out[g - start] = BigInt(Math.round(this.estimate(g)));
    return fixedColumn('int64', out, null);
  }

  /** The HyperLogLog estimate of group g (0 without input). */
  private estimate(g: number): number {
    let sum = 0;
    let zeros = 0;
    const b = this.blocks[g]!;
    if (b >= 0) {
      for (let i = b * M; i < (b + 1) * M; i++) {
        const v = this.arena[i]!;
        sum += 2 ** -v;
        if (v === 0) zeros++;
      }
    } else {
      const s = this.starts[g]!, len = this.lengths[g]!;
      if (len === 0) return 0;
      zeros = M - len;
      sum = zeros;
      for (let k = s; k < s + len; k++) sum += 2 ** -(this.entries[k]! & 255);
    }
    const raw = ALPHA * M * M / sum;
    return raw <= 2.5 * M && zeros > 0 ? M * Math.log(M / zeros) : raw;
  }

  state(start: number, end: number): Column[] {
    let total = 0;
    for (let g = start; g < end; g++) total += this.blocks[g]! >= 0 ? M : this.lengths[g]! > 0 ? 1 + 3 * this.lengths[g]! : 0;
    const data = new Uint8Array(total);
    const offsets = new Int32Array(end - start + 1);
    let pos = 0;
    for (let g = start; g < end; g++) {
      const b = this.blocks[g]!;
      if (b >= 0) {
        for (let i = 0; i < M; i++) data[pos + i] = this.arena[b * M + i]! + ZERO;
        pos += M;
      } else if (this.lengths[g]! > 0) {
        data[pos++] = SPARSE;
        const s = this.starts[g]!;
        for (let k = s; k < s + this.lengths[g]!; k++) {
          const e = this.entries[k]!, index = e >>> 8;
          data[pos++] = ZERO + (index >> 6);
          data[pos++] = ZERO + (index & 63);
          data[pos++] = ZERO + (e & 255);
        }
      }
      offsets[g - start + 1] = pos;
    }
    return [{ type: 'utf8', length: end - start, validity: null, offsets, data }];
  }

  memoryBytes(): number {
    return this.blocks.byteLength + this.starts.byteLength + this.lengths.byteLength + this.capacities.byteLength
      + this.entries.byteLength + this.arena.byteLength;
  }
}
