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
 * NULL keys are equal to each other (SQL grouping). With no key columns there is exactly
 * one group (id 0), which exists from the start: a global aggregate has one row even on
 * empty input.
 */
import { allocValues, fixedColumn, nullColumn, type Column, type TypedValues } from '../../columnar/column.js';
import { bucketOf, hashColumns } from '../../columnar/hash.js';
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

  constructor(readonly type: Exclude<DataType, 'null' | 'utf8'>) {
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
    const x = (c as Exclude<Column, { type: 'null' | 'utf8' }>).values[row]!;
    // A key column of another integer width than the store (int32 vs int64) is converted.
    if (this.values instanceof BigInt64Array) this.values[g] = typeof x === 'bigint' ? x : BigInt(x);
    else (this.values as Int32Array)[g] = typeof x === 'bigint' ? Number(x) : x;
  }

  equals(g: number, c: Column, row: number): boolean {
    const cNull = isNullAt(c, row);
    if (this.validity[g] === 0 || cNull) return this.validity[g] === 0 && cNull;
    const x = this.values[g]!, y = (c as Exclude<Column, { type: 'null' | 'utf8' }>).values[row]!;
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

class Utf8KeyStore implements KeyStore {
  readonly type = 'utf8' as const;
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
    const u = c as Extract<Column, { type: 'utf8' }>;
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
    const u = c as Extract<Column, { type: 'utf8' }>;
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
      type: 'utf8', length: n, validity: this.hasNull ? this.validity.slice(start, end) : null,
      offsets, data: this.data.slice(base, this.offsets[end]!),
    };
  }

  bytes(): number { return this.offsets.byteLength + this.data.byteLength + this.validity.byteLength; }
}

export function makeKeyStore(type: DataType): KeyStore {
  if (type === 'null') return new NullKeyStore();
  if (type === 'utf8') return new Utf8KeyStore();
  return new FixedKeyStore(type);
}

export class GroupTable {
  private readonly stores: KeyStore[];
  private slots: Int32Array;
  private bits: number;
  private groupHashes: Uint32Array;
  private count: number;

  constructor(readonly keyTypes: readonly DataType[]) {
    this.stores = keyTypes.map(makeKeyStore);
    this.bits = 6;
    this.slots = new Int32Array(1 << this.bits).fill(-1);
    this.groupHashes = new Uint32Array(32);
    this.count = keyTypes.length === 0 ? 1 : 0;
  }

  get groupCount(): number { return this.count; }

  /**
   * Group id of each row 0..length of the key columns, creating groups for new keys.
   * Writes into `out` when given (length ≥ `length`).
   */
  insert(keys: readonly Column[], length: number, out = new Int32Array(length)): Int32Array {
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

  /** Copies of the key columns of groups [start, end). */
  keyColumns(start: number, end: number): Column[] {
    return this.stores.map((s) => s.slice(start, end));
  }

  memoryBytes(): number {
    let n = this.slots.byteLength + this.groupHashes.byteLength;
    for (const s of this.stores) n += s.bytes();
    return n;
  }
}
