/**
 * GroupTable: maps key tuples to dense group ids 0, 1, 2, … in order of first appearance.
 * Used by hash aggregation (group keys) and by DISTINCT aggregates ((group id, value) pairs).
 *
 * Layout (no per-group JS objects):
 *
 *   slots        Int32Array, 2^bits entries, -1 = empty, else a group id   (open addressing,
 *                linear probing, kept at most half full)
 *   groupHashes  Uint32Array by group id (fast reject, rehash without re-reading keys)
 *   keys         one KeyStore per key column, row g = key of group g
 *
 *   insert(row):  s = bucketOf(hash)  ──▶ slots[s] = -1 ? new group : compare hash, then keys
 *                                     └── mismatch: s = (s + 1) & mask, repeat
 *
 * Integer keys (int32, date32, int64, timestamp; at most 4 words packed, see
 * columnar/hash.ts) use IntGroupTable instead: the packed key words sit inline in the slots
 * next to the group id, so a lookup reads one cache line and compares Int32Array entries:
 *
 *   slots        Int32Array, stride W+1: [w0 … wW-1, group id + 1], 0 = empty; at most 3/4
 *                full (fresh memory is expensive to touch; probe runs stay within a cache line)
 *   nullSlots    the same for keys with a NULL, stride W+2: [words (0 where NULL), NULL bits, id + 1]
 *   groupWords   Int32Array by group id × W (the keys to emit), groupNulls its NULL bits
 *
 * NULL keys are equal to each other (SQL grouping). With no key columns there is exactly
 * one group (id 0), which exists from the start: a global aggregate has one row even on
 * empty input.
 */
import { allocValues, fixedColumn, intervalColumn, nullColumn, type Column, type FixedColumn, type IntervalColumn, type TypedValues } from '../../columnar/column.js';
import { intervalsEqual } from '../../columnar/interval.js';
import { isNested } from '../../common/nested_types.js';
import { NestedKeyStore } from './nested_key_store.js';
import { bucketOf, hashColumns, hashWord1, hashWord2, hashWordN, intKeyWidth, packIntKeys } from '../../columnar/hash.js';
import type { DataType } from '../../common/types.js';

/** Growable storage of one key column, indexed by group id. */
export interface KeyStore {
  readonly type: DataType;
  readonly length: number;
  /** Append row `row` of c as the key of the next group. */
  append(c: Column, row: number): void;
  /** Whether the key of group g equals row `row` of c (NULL equals NULL). */
  equals(g: number, c: Column, row: number): boolean;
  /** A copy of the keys of groups [start, end) as a column. */
  slice(start: number, end: number): Column;
  bytes(): number;
}

function isNullAt(c: Column, row: number): boolean {
  return c.type === 'null' || (c.validity !== null && c.validity[row] === 0);
}

class NullKeyStore implements KeyStore {
  readonly type = 'null' as const;
  length = 0;
  append(): void { this.length++; }
  equals(_g: number, c: Column, row: number): boolean { return isNullAt(c, row); }
  slice(start: number, end: number): Column { return nullColumn(end - start); }
  bytes(): number { return 0; }
}

class FixedKeyStore implements KeyStore {
  length = 0;
  private values: TypedValues;
  private validity: Uint8Array;
  private hasNull = false;

  constructor(readonly type: FixedColumn['type']) {
    this.values = allocValues(type, 64);
    this.validity = new Uint8Array(64);
  }

  private grow(): void {
    const cap = this.validity.length * 2;
    const v = allocValues(this.type, cap);
    (v as Int32Array).set(this.values as Int32Array);
    this.values = v;
    const val = new Uint8Array(cap);
    val.set(this.validity);
    this.validity = val;
  }

  append(c: Column, row: number): void {
    if (this.length === this.validity.length) this.grow();
    const g = this.length++;
    if (isNullAt(c, row)) { this.validity[g] = 0; this.hasNull = true; return; }
    this.validity[g] = 1;
    const x = (c as FixedColumn).values[row]!;
    // A key column of another integer width than the store (int32 vs int64) is converted.
    if (this.values instanceof BigInt64Array) this.values[g] = typeof x === 'bigint' ? x : BigInt(x);
    else (this.values as Int32Array)[g] = typeof x === 'bigint' ? Number(x) : x;
  }

  equals(g: number, c: Column, row: number): boolean {
    const cNull = isNullAt(c, row);
    if (this.validity[g] === 0 || cNull) return this.validity[g] === 0 && cNull;
    const x = this.values[g]!, y = (c as FixedColumn).values[row]!;
    if (x === y) return true;
    if (typeof x !== typeof y) return BigInt(x) === BigInt(y);
    return x !== x && y !== y; // NaN groups with NaN
  }

  slice(start: number, end: number): Column {
    const vals = this.values.slice(start, end) as TypedValues;
    return fixedColumn(this.type, vals, this.hasNull ? this.validity.slice(start, end) : null);
  }

  bytes(): number { return this.values.byteLength + this.validity.byteLength; }
}

/** Keys of variable width (utf8, blob): offsets + bytes. */
class Utf8KeyStore implements KeyStore {
  constructor(readonly type: 'utf8' | 'blob' = 'utf8') {}
  length = 0;
  private offsets = new Int32Array(65);
  private data = new Uint8Array(1024);
  private validity = new Uint8Array(64);
  private hasNull = false;

  append(c: Column, row: number): void {
    if (this.length === this.validity.length) {
      const val = new Uint8Array(this.validity.length * 2); val.set(this.validity); this.validity = val;
      const off = new Int32Array(this.validity.length + 1); off.set(this.offsets); this.offsets = off;
    }
    const g = this.length++;
    const pos = this.offsets[g]!;
    if (isNullAt(c, row)) {
      this.validity[g] = 0; this.hasNull = true; this.offsets[g + 1] = pos; return;
    }
    const u = c as Extract<Column, { type: 'utf8' | 'blob' }>;
    const s = u.offsets[row]!, e = u.offsets[row + 1]!;
    if (pos + e - s > this.data.length) {
      const d = new Uint8Array(Math.max(this.data.length * 2, pos + e - s)); d.set(this.data.subarray(0, pos)); this.data = d;
    }
    this.data.set(u.data.subarray(s, e), pos);
    this.validity[g] = 1;
    this.offsets[g + 1] = pos + e - s;
  }

  equals(g: number, c: Column, row: number): boolean {
    const cNull = isNullAt(c, row);
    if (this.validity[g] === 0 || cNull) return this.validity[g] === 0 && cNull;
    const u = c as Extract<Column, { type: 'utf8' | 'blob' }>;
    const s1 = this.offsets[g]!, e1 = this.offsets[g + 1]!, s2 = u.offsets[row]!, e2 = u.offsets[row + 1]!;
    if (e1 - s1 !== e2 - s2) return false;
    const d1 = this.data, d2 = u.data;
    for (let k = 0; k < e1 - s1; k++) if (d1[s1 + k] !== d2[s2 + k]) return false;
    return true;
  }

  slice(start: number, end: number): Column {
    const n = end - start;
    const base = this.offsets[start]!;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = this.offsets[start + i]! - base;
    return {
      type: this.type, length: n, validity: this.hasNull ? this.validity.slice(start, end) : null,
      offsets, data: this.data.slice(base, this.offsets[end]!),
    };
  }

  bytes(): number { return this.offsets.byteLength + this.data.byteLength + this.validity.byteLength; }
}

/** INTERVAL keys: three arrays; equal as DuckDB groups them (normalised), the first value kept. */
class IntervalKeyStore implements KeyStore {
  readonly type = 'interval' as const;
  length = 0;
  private keys: IntervalColumn = intervalColumn(new Int32Array(64), new Int32Array(64), new Float64Array(64), new Uint8Array(64));
  private hasNull = false;

  append(c: Column, row: number): void {
    if (this.length === this.keys.length) {
      const k = this.keys, cap = 2 * k.length;
      const m = new Int32Array(cap), d = new Int32Array(cap), u = new Float64Array(cap), v = new Uint8Array(cap);
      m.set(k.months); d.set(k.days); u.set(k.micros); v.set(k.validity!);
      this.keys = intervalColumn(m, d, u, v);
    }
    const g = this.length++;
    const k = this.keys;
    if (isNullAt(c, row)) { k.validity![g] = 0; this.hasNull = true; return; }
    const x = c as IntervalColumn;
    k.validity![g] = 1; k.months[g] = x.months[row]!; k.days[g] = x.days[row]!; k.micros[g] = x.micros[row]!;
  }

  equals(g: number, c: Column, row: number): boolean {
    const cNull = isNullAt(c, row);
    const v = this.keys.validity!;
    if (v[g] === 0 || cNull) return v[g] === 0 && cNull;
    return intervalsEqual(this.keys, g, c as IntervalColumn, row);
  }

  slice(start: number, end: number): Column {
    const k = this.keys;
    return intervalColumn(k.months.slice(start, end), k.days.slice(start, end), k.micros.slice(start, end),
      this.hasNull ? k.validity!.slice(start, end) : null);
  }

  bytes(): number { return 17 * this.keys.length; }
}

export function makeKeyStore(type: DataType): KeyStore {
  if (type === 'null') return new NullKeyStore();
  if (type === 'utf8' || type === 'blob') return new Utf8KeyStore(type);
  if (type === 'interval') return new IntervalKeyStore();
  if (isNested(type)) return new NestedKeyStore(type);
  return new FixedKeyStore(type);
}

/** Maps key tuples to dense group ids; picks the integer layout when the key types allow it. */
export class GroupTable {
  private readonly impl: GenericGroupTable | IntGroupTable;

  /** expectedGroups: size the table for this many groups up front (no rehashing on the way). */
  constructor(readonly keyTypes: readonly DataType[], expectedGroups = 0) {
    this.impl = IntGroupTable.fits(keyTypes) ? new IntGroupTable(keyTypes, expectedGroups) : new GenericGroupTable(keyTypes, expectedGroups);
  }

  get groupCount(): number { return this.impl.groupCount; }

  /**
   * Group id of each row 0..length of the key columns, creating groups for new keys.
   * Writes into `out` when given (length ≥ `length`).
   */
  insert(keys: readonly Column[], length: number, out = new Int32Array(length)): Int32Array {
    return this.impl.insert(keys, length, out);
  }

  /** Copies of the key columns of groups [start, end). */
  keyColumns(start: number, end: number): Column[] { return this.impl.keyColumns(start, end); }

  memoryBytes(): number { return this.impl.memoryBytes(); }

  /** Bytes the table would allocate anew (its hash slots or key arrays doubling) to take n more groups. */
  growthBytes(n: number): number { return this.impl.growthBytes(n); }
}

/** Most packed words an integer-key table takes (two int64 keys). */
const MAX_INT_WORDS = 4;

/** The integer-key layout (see the header). */
export class IntGroupTable {
  private readonly widths: number[];
  /** Words per key tuple. */
  private readonly w: number;
  private slots: Int32Array;
  private bits = 6;
  /** Groups in `slots` (keys without NULL). */
  private plain = 0;
  private nullSlots: Int32Array | null = null;
  private nullBits = 4;
  private nullKeyed = 0;
  private groupWords: Int32Array;
  /** NULL bits of each group (bit k: key k is NULL); null until a key with a NULL appears. */
  private groupNulls: Uint8Array | null = null;
  private count = 0;
  private readonly scratch: Int32Array;

  static fits(keyTypes: readonly DataType[]): boolean {
    if (keyTypes.length === 0) return false;
    let w = 0;
    for (const t of keyTypes) { const x = intKeyWidth(t); if (x === 0) return false; w += x; }
    return w <= MAX_INT_WORDS;
  }

  constructor(readonly keyTypes: readonly DataType[], expectedGroups = 0) {
    this.widths = keyTypes.map(intKeyWidth);
    let w = 0;
    for (const x of this.widths) w += x;
    this.w = w;
    while ((1 << this.bits) * 3 < expectedGroups * 4 && this.bits < 30) this.bits++;
    this.slots = new Int32Array((1 << this.bits) * (w + 1));
    this.groupWords = new Int32Array(Math.max(32, expectedGroups) * w);
    this.scratch = new Int32Array(w + 1);
  }

  get groupCount(): number { return this.count; }

  insert(keys: readonly Column[], length: number, out: Int32Array): Int32Array {
    const words = packIntKeys(keys, this.widths, length);
    let nulls: Uint8Array | null = null;
    for (let k = 0; k < keys.length; k++) {
      const c = keys[k]!;
      if (c.type !== 'null' && c.validity === null) continue;
      nulls ??= new Uint8Array(length);
      const bit = 1 << k;
      if (c.type === 'null') { for (let i = 0; i < length; i++) nulls[i] |= bit; continue; }
      const v = c.validity!;
      for (let i = 0; i < length; i++) if (v[i] === 0) nulls[i] |= bit;
    }
    if (this.w === 1) this.insert1(words, nulls, length, out);
    else this.insertN(words, nulls, length, out);
    return out;
  }

  private insert1(words: Int32Array, nulls: Uint8Array | null, length: number, out: Int32Array): void {
    let slots = this.slots, shift = 32 - this.bits, mask = (1 << this.bits) - 1;
    for (let i = 0; i < length; i++) {
      if (nulls !== null && nulls[i] !== 0) { out[i] = this.nullKeyGroup(words, i, nulls[i]!); continue; }
      const x = words[i]!;
      let s = hashWord1(x) >>> shift;
      for (;;) {
        const at = s << 1;
        const g = slots[at + 1]! - 1;
        if (g === -1) {
          const ng = this.newGroup(words, i, 0);
          slots[at] = x; slots[at + 1] = ng + 1;
          out[i] = ng;
          if (++this.plain * 4 > (mask + 1) * 3) {
            this.slots = slots = this.grow(slots, this.bits + 1, 1);
            this.bits++; shift = 32 - this.bits; mask = (1 << this.bits) - 1;
          }
          break;
        }
        if (slots[at] === x) { out[i] = g; break; }
        s = (s + 1) & mask;
      }
    }
  }

  private insertN(words: Int32Array, nulls: Uint8Array | null, length: number, out: Int32Array): void {
    const w = this.w, stride = w + 1;
    let slots = this.slots, shift = 32 - this.bits, mask = (1 << this.bits) - 1;
    for (let i = 0; i < length; i++) {
      if (nulls !== null && nulls[i] !== 0) { out[i] = this.nullKeyGroup(words, i, nulls[i]!); continue; }
      const p = i * w;
      const a = words[p]!, b = words[p + 1]!;
      let s = (w === 2 ? hashWord2(a, b) : hashWordN(words, p, w)) >>> shift;
      for (;;) {
        const at = s * stride;
        const g = slots[at + w]! - 1;
        if (g === -1) {
          const ng = this.newGroup(words, i, 0);
          for (let q = 0; q < w; q++) slots[at + q] = words[p + q]!;
          slots[at + w] = ng + 1;
          out[i] = ng;
          if (++this.plain * 4 > (mask + 1) * 3) {
            this.slots = slots = this.grow(slots, this.bits + 1, w);
            this.bits++; shift = 32 - this.bits; mask = (1 << this.bits) - 1;
          }
          break;
        }
        let eq = slots[at] === a && slots[at + 1] === b;
        for (let q = 2; eq && q < w; q++) eq = slots[at + q] === words[p + q];
        if (eq) { out[i] = g; break; }
        s = (s + 1) & mask;
      }
    }
  }

  /** Group of row i whose keys have NULLs (bits `nullBits`): looked up in nullSlots. */
  private nullKeyGroup(words: Int32Array, i: number, nullBits: number): number {
    const w = this.w, t = this.scratch, widths = this.widths;
    for (let k = 0, off = 0; k < widths.length; off += widths[k]!, k++) {
      const isNull = (nullBits >>> k) & 1;
      for (let q = 0; q < widths[k]!; q++) t[off + q] = isNull === 1 ? 0 : words[i * w + off + q]!;
    }
    t[w] = nullBits;
    const tw = w + 1, stride = w + 2;
    let slots = this.nullSlots ??= new Int32Array((1 << this.nullBits) * stride);
    const mask = (1 << this.nullBits) - 1;
    let s = hashWordN(t, 0, tw) >>> (32 - this.nullBits);
    for (;;) {
      const at = s * stride;
      const g = slots[at + tw]! - 1;
      if (g === -1) {
        const ng = this.newGroup(t, 0, nullBits);
        for (let q = 0; q < tw; q++) slots[at + q] = t[q]!;
        slots[at + tw] = ng + 1;
        if (++this.nullKeyed * 4 > (mask + 1) * 3) { this.nullSlots = slots = this.grow(slots, this.nullBits + 1, tw); this.nullBits++; }
        return ng;
      }
      let eq = true;
      for (let q = 0; q < tw; q++) if (slots[at + q] !== t[q]) { eq = false; break; }
      if (eq) return g;
      s = (s + 1) & mask;
    }
  }

  /** Record a new group whose key words start at words[row * W] (row 0 of the scratch tuple for NULL keys). */
  private newGroup(words: Int32Array, row: number, nullBits: number): number {
    const g = this.count++, w = this.w;
    if ((g + 1) * w > this.groupWords.length) {
      const gw = new Int32Array(this.groupWords.length * 2); gw.set(this.groupWords); this.groupWords = gw;
    }
    const p = row * w, q = g * w;
    for (let k = 0; k < w; k++) this.groupWords[q + k] = words[p + k]!;
    if (nullBits !== 0 || this.groupNulls !== null) {
      let gn = this.groupNulls;
      if (gn === null || gn.length <= g) {
        const grown = new Uint8Array(this.groupWords.length / w);
        if (gn !== null) grown.set(gn);
        this.groupNulls = gn = grown;
      }
      gn[g] = nullBits;
    }
    return g;
  }

  /** A table of 2^bits slots holding the entries of `old` (tuples of tw words, then the id). */
  private grow(old: Int32Array, bits: number, tw: number): Int32Array {
    const stride = tw + 1, slots = new Int32Array((1 << bits) * stride);
    const mask = (1 << bits) - 1, shift = 32 - bits;
    for (let from = 0; from < old.length; from += stride) {
      if (old[from + tw] === 0) continue;
      let s = hashWordN(old, from, tw) >>> shift;
      while (slots[s * stride + tw] !== 0) s = (s + 1) & mask;
      slots.set(old.subarray(from, from + stride), s * stride);
    }
    return slots;
  }

  keyColumns(start: number, end: number): Column[] {
    const n = end - start, w = this.w, gw = this.groupWords, gn = this.groupNulls;
    const cols: Column[] = [];
    for (let k = 0, off = 0; k < this.keyTypes.length; off += this.widths[k]!, k++) {
      const type = this.keyTypes[k]! as 'int32' | 'date32' | 'int64' | 'timestamp';
      let validity: Uint8Array | null = null;
      if (gn !== null) {
        const bit = 1 << k;
        for (let g = start; g < end; g++) {
          if ((gn[g]! & bit) === 0) continue;
          validity ??= new Uint8Array(n).fill(1);
          validity[g - start] = 0;
        }
      }
      if (this.widths[k] === 1) {
        const v = new Int32Array(n);
        for (let g = 0, p = start * w + off; g < n; g++, p += w) v[g] = gw[p]!;
        cols.push(fixedColumn(type, v, validity));
      } else {
        const v = new BigInt64Array(n), h = new Int32Array(v.buffer);
        for (let g = 0, p = start * w + off; g < n; g++, p += w) { h[2 * g] = gw[p]!; h[2 * g + 1] = gw[p + 1]!; }
        cols.push(fixedColumn(type, v, validity));
      }
    }
    return cols;
  }

  growthBytes(n: number): number {
    let bytes = 0;
    if ((this.plain + n) * 4 > (1 << this.bits) * 3) bytes += 2 * this.slots.byteLength;
    if ((this.count + n) * this.w > this.groupWords.length) bytes += 2 * this.groupWords.byteLength;
    return bytes;
  }

  memoryBytes(): number {
    return this.slots.byteLength + (this.nullSlots === null ? 0 : this.nullSlots.byteLength) + this.groupWords.byteLength
      + (this.groupNulls === null ? 0 : this.groupNulls.byteLength) + this.scratch.byteLength;
  }
}

/** The generic layout for any key types (see the header). */
class GenericGroupTable {
  private readonly stores: KeyStore[];
  private slots: Int32Array;
  private bits: number;
  private groupHashes: Uint32Array;
  private count: number;

  constructor(readonly keyTypes: readonly DataType[], expectedGroups = 0) {
    this.stores = keyTypes.map(makeKeyStore);
    this.bits = 6;
    while ((1 << this.bits) < expectedGroups * 2 && this.bits < 30) this.bits++;
    this.slots = new Int32Array(1 << this.bits).fill(-1);
    this.groupHashes = new Uint32Array(Math.max(32, expectedGroups));
    this.count = keyTypes.length === 0 ? 1 : 0;
  }

  get groupCount(): number { return this.count; }

  insert(keys: readonly Column[], length: number, out: Int32Array): Int32Array {
    if (this.stores.length === 0) { out.fill(0, 0, length); return out; }
    const hashes = hashColumns(keys, length);
    const stores = this.stores;
    const nk = stores.length;
    for (let i = 0; i < length; i++) {
      const h = hashes[i]!;
      let mask = this.slots.length - 1;
      let s = bucketOf(h, this.bits);
      for (;;) {
        const g = this.slots[s]!;
        if (g === -1) {
          const ng = this.count++;
          for (let k = 0; k < nk; k++) stores[k]!.append(keys[k]!, i);
          if (ng === this.groupHashes.length) {
            const gh = new Uint32Array(ng * 2); gh.set(this.groupHashes); this.groupHashes = gh;
          }
          this.groupHashes[ng] = h;
          this.slots[s] = ng;
          if (this.count * 2 > this.slots.length) { this.rehash(); mask = this.slots.length - 1; }
          out[i] = ng;
          break;
        }
        if (this.groupHashes[g] === h) {
          let eq = true;
          for (let k = 0; k < nk; k++) if (!stores[k]!.equals(g, keys[k]!, i)) { eq = false; break; }
          if (eq) { out[i] = g; break; }
        }
        s = (s + 1) & mask;
      }
    }
    return out;
  }

  private rehash(): void {
    this.bits++;
    const slots = new Int32Array(1 << this.bits).fill(-1);
    const mask = slots.length - 1;
    const gh = this.groupHashes;
    for (let g = 0; g < this.count; g++) {
      let s = bucketOf(gh[g]!, this.bits);
      while (slots[s] !== -1) s = (s + 1) & mask;
      slots[s] = g;
    }
    this.slots = slots;
  }

  keyColumns(start: number, end: number): Column[] {
    return this.stores.map((s) => s.slice(start, end));
  }

  growthBytes(n: number): number {
    let bytes = 0;
    if ((this.count + n) * 2 > this.slots.length) bytes += 2 * this.slots.byteLength;
    if (this.count + n > this.groupHashes.length) bytes += 2 * this.groupHashes.byteLength;
    return bytes;
  }

  memoryBytes(): number {
    let n = this.slots.byteLength + this.groupHashes.byteLength;
    for (const s of this.stores) n += s.bytes();
    return n;
  }
}
