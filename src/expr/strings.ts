/**
 * String kernels over utf8 offsets + bytes. Lengths and positions count characters (code
 * points), as PostgreSQL does; columns that are all ASCII take byte-indexed fast paths.
 * Results are written straight into offsets + bytes (Utf8Writer), never via per-row strings
 * except for non-ASCII case mapping.
 *
 * Every kernel takes its arguments as columns that are either full (n rows) or broadcast
 * constants (1 row); see broadcast.ts for the mask convention.
 */
import { encodeUtf8, fixedColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import { castColumn } from './cast.js';
import { equalBytes } from './compare.js';
import { asDoubles, doublesToColumn } from './numeric.js';
import { countChars, decodeRange, isAsciiColumn, isAsciiRange, skipChars, Utf8Writer } from './utf8.js';
import { maskOf } from './broadcast.js';

function requireUtf8(c: Column, fn: string): Utf8Column | null {
  if (c.type === 'null') return null;
  if (c.type !== 'utf8') throw new SpillwayError('type', `${fn} expects text, got ${c.type}`);
  return c;
}

function isValidAt(c: Column, i: number): boolean {
  return c.type !== 'null' && (c.validity === null || c.validity[i] === 1);
}

/** Combined validity of several (possibly broadcast) argument columns; null when all valid. */
function argsValidity(args: readonly Column[], n: number): Uint8Array | null {
  let out: Uint8Array | null = null;
  for (const a of args) {
    if (a.type !== 'null' && a.validity === null) continue;
    const m = maskOf(a, n);
    out ??= new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) if (!isValidAt(a, i & m)) out[i] = 0;
  }
  return out;
}

// ---- case mapping -----------------------------------------------------------------------

function mapCase(c: Utf8Column, upper: boolean): Utf8Column {
  const n = c.length;
  const d = c.data, o = c.offsets;
  const w = new Utf8Writer(n, o[n]! - o[0]!);
  const from = upper ? 97 : 65, delta = upper ? -32 : 32;
  for (let i = 0; i < n; i++) {
    const s = o[i]!, e = o[i + 1]!;
    if (isAsciiRange(d, s, e)) {
      for (let k = s; k < e; k++) {
        const b = d[k]!;
        w.pushByte(b >= from && b < from + 26 ? b + delta : b);
      }
    } else {
      const text = decodeRange(d, s, e);
      w.pushString(upper ? text.toUpperCase() : text.toLowerCase());
    }
    w.endRow();
  }
  const out = w.finish();
  return { ...out, validity: c.validity };
}

export function lowerColumn(c: Utf8Column): Utf8Column { return mapCase(c, false); }
export function upperColumn(c: Utf8Column): Utf8Column { return mapCase(c, true); }

// ---- length -----------------------------------------------------------------------------

/** Character count (chars = true) or byte count. */
export function lengthOf(c0: Column, chars: boolean, outType: DataType): Column {
  const n = c0.length;
  const c = requireUtf8(c0, 'length');
  if (c === null) return doublesToColumn(new Float64Array(n), new Uint8Array(n), outType);
  const out = new Float64Array(n);
  const d = c.data, o = c.offsets;
  const bytes = !chars || isAsciiColumn(c);
  for (let i = 0; i < n; i++) out[i] = bytes ? o[i + 1]! - o[i]! : countChars(d, o[i]!, o[i + 1]!);
  return doublesToColumn(out, c.validity, outType);
}

// ---- substring / left / right -----------------------------------------------------------

/**
 * substring(s, start[, count]) with PostgreSQL semantics: 1-based character positions,
 * the window [start, start + count) clipped to the string (start may be ≤ 0);
 * a negative count is an error.
 */
export function substring(s0: Column, start: Column, count: Column | null, n: number): Column {
  const s = requireUtf8(s0, 'substring');
  const args = count === null ? [s0, start] : [s0, start, count];
  const validity = argsValidity(args, n);
  if (s === null || start.type === 'null' || count?.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n), stm = maskOf(start, n), cm = count === null ? 0 : maskOf(count, n);
  const st = asDoubles(start), ct = count === null ? null : asDoubles(count);
  const ascii = isAsciiColumn(s);
  const d = s.data, o = s.offsets;
  const w = new Utf8Writer(n, sm === -1 ? o[n]! - o[0]! : 16);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm;
    const bs = o[j]!, be = o[j + 1]!;
    const from = st[i & stm]!;
    let to = Infinity;
    if (ct !== null) {
      const len = ct[i & cm]!;
      if (len < 0) throw new SpillwayError('execution', 'negative substring length not allowed');
      to = from + len;
    }
    // Characters [from, to) in 1-based positions → 0-based [a, b).
    const a = Math.max(from, 1) - 1;
    const b = to - 1;
    if (b > a) {
      if (ascii) {
        const ps = Math.min(bs + a, be), pe = Math.min(bs + b, be);
        w.pushBytes(d, ps, pe);
      } else {
        const ps = skipChars(d, bs, be, a);
        const pe = b === Infinity ? be : skipChars(d, ps, be, b - a);
        w.pushBytes(d, ps, pe);
      }
    }
    w.endRow();
  }
  return w.finish();
}

/** left(s, k) / right(s, k); a negative k drops |k| characters from the other end. */
export function leftRight(isLeft: boolean, s0: Column, k: Column, n: number): Column {
  const s = requireUtf8(s0, isLeft ? 'left' : 'right');
  const validity = argsValidity([s0, k], n);
  if (s === null || k.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n), km = maskOf(k, n);
  const kv = asDoubles(k);
  const d = s.data, o = s.offsets;
  const w = new Utf8Writer(n, 16);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm;
    const bs = o[j]!, be = o[j + 1]!;
    const total = countChars(d, bs, be);
    const kk = kv[i & km]!;
    const take = kk >= 0 ? Math.min(kk, total) : Math.max(total + kk, 0);
    if (isLeft) w.pushBytes(d, bs, skipChars(d, bs, be, take));
    else w.pushBytes(d, skipChars(d, bs, be, total - take), be);
    w.endRow();
  }
  return w.finish();
}

function nullUtf8(n: number): Utf8Column {
  return { type: 'utf8', length: n, validity: new Uint8Array(n), offsets: new Int32Array(n + 1), data: new Uint8Array(0) };
}

// ---- trim -------------------------------------------------------------------------------

/**
 * trim / ltrim / rtrim: remove spaces (or, with a second argument, any of its characters)
 * from the start and/or end.
 */
export function trim(s0: Column, chars: Column | null, leading: boolean, trailing: boolean, n: number): Column {
  const s = requireUtf8(s0, 'trim');
  const validity = argsValidity(chars === null ? [s0] : [s0, chars], n);
  if (s === null || chars?.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n);
  const d = s.data, o = s.offsets;
  const w = new Utf8Writer(n, sm === -1 ? o[n]! - o[0]! : 16);
  const charsCol = chars === null ? null : requireUtf8(chars, 'trim');
  const cm = charsCol === null ? 0 : maskOf(charsCol, n);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm;
    let bs = o[j]!, be = o[j + 1]!;
    if (charsCol === null) {
      if (leading) while (bs < be && d[bs] === 32) bs++;
      if (trailing) while (be > bs && d[be - 1] === 32) be--;
      w.pushBytes(d, bs, be);
    } else {
      const cj = i & cm;
      const set = new Set(decodeRange(charsCol.data, charsCol.offsets[cj]!, charsCol.offsets[cj + 1]!));
      const cps = Array.from(decodeRange(d, bs, be));
      let a = 0, b = cps.length;
      if (leading) while (a < b && set.has(cps[a]!)) a++;
      if (trailing) while (b > a && set.has(cps[b - 1]!)) b--;
      w.pushString(cps.slice(a, b).join(''));
    }
    w.endRow();
  }
  return w.finish();
}

// ---- replace / strpos / starts_with -----------------------------------------------------

function indexOfBytes(d: Uint8Array, from: number, e: number, p: Uint8Array, ps: number, pe: number): number {
  const len = pe - ps;
  if (len === 0) return from;
  const first = p[ps]!;
  outer: for (let q = from; q + len <= e; q++) {
    if (d[q] !== first) continue;
    for (let k = 1; k < len; k++) if (d[q + k] !== p[ps + k]) continue outer;
    return q;
  }
  return -1;
}

/** replace(s, from, to): every occurrence, left to right; an empty `from` changes nothing. */
export function replace(s0: Column, from0: Column, to0: Column, n: number): Column {
  const validity = argsValidity([s0, from0, to0], n);
  const s = requireUtf8(s0, 'replace'), f = requireUtf8(from0, 'replace'), t = requireUtf8(to0, 'replace');
  if (s === null || f === null || t === null) return nullUtf8(n);
  const sm = maskOf(s, n), fm = maskOf(f, n), tm = maskOf(t, n);
  const w = new Utf8Writer(n, sm === -1 ? s.offsets[n]! - s.offsets[0]! : 16);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm, fj = i & fm, tj = i & tm;
    const bs = s.offsets[j]!, be = s.offsets[j + 1]!;
    const fs = f.offsets[fj]!, fe = f.offsets[fj + 1]!;
    const ts = t.offsets[tj]!, te = t.offsets[tj + 1]!;
    if (fe === fs) { w.pushBytes(s.data, bs, be); w.endRow(); continue; }
    let p = bs;
    for (;;) {
      const q = indexOfBytes(s.data, p, be, f.data, fs, fe);
      if (q < 0) break;
      w.pushBytes(s.data, p, q);
      w.pushBytes(t.data, ts, te);
      p = q + (fe - fs);
    }
    w.pushBytes(s.data, p, be);
    w.endRow();
  }
  return w.finish();
}

/** strpos(s, sub): 1-based character position of the first occurrence, 0 when absent. */
export function strpos(s0: Column, sub0: Column, n: number, outType: DataType): Column {
  const validity = argsValidity([s0, sub0], n);
  const s = requireUtf8(s0, 'strpos'), sub = requireUtf8(sub0, 'strpos');
  const out = new Float64Array(n);
  if (s === null || sub === null) return doublesToColumn(out, new Uint8Array(n), outType);
  const sm = maskOf(s, n), um = maskOf(sub, n);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const j = i & sm, k = i & um;
    const bs = s.offsets[j]!, be = s.offsets[j + 1]!;
    const q = indexOfBytes(s.data, bs, be, sub.data, sub.offsets[k]!, sub.offsets[k + 1]!);
    out[i] = q < 0 ? 0 : countChars(s.data, bs, q) + 1;
  }
  return doublesToColumn(out, validity, outType);
}

export function startsWith(s0: Column, p0: Column, n: number): Column {
  const validity = argsValidity([s0, p0], n);
  const s = requireUtf8(s0, 'starts_with'), p = requireUtf8(p0, 'starts_with');
  const out = new Uint8Array(n);
  if (s === null || p === null) return fixedColumn('bool', out, new Uint8Array(n));
  const sm = maskOf(s, n), pm = maskOf(p, n);
  for (let i = 0; i < n; i++) {
    const j = i & sm, k = i & pm;
    const bs = s.offsets[j]!, ps = p.offsets[k]!, pe = p.offsets[k + 1]!;
    const len = pe - ps;
    out[i] = len <= s.offsets[j + 1]! - bs && equalBytes(s.data, bs, bs + len, p.data, ps, pe) ? 1 : 0;
  }
  return fixedColumn('bool', out, validity);
}

/** ends_with(s, suffix): byte comparison of the tail (UTF-8 is suffix-safe). */
export function endsWith(s0: Column, p0: Column, n: number): Column {
  const validity = argsValidity([s0, p0], n);
  const s = requireUtf8(s0, 'ends_with'), p = requireUtf8(p0, 'ends_with');
  const out = new Uint8Array(n);
  if (s === null || p === null) return fixedColumn('bool', out, new Uint8Array(n));
  const sm = maskOf(s, n), pm = maskOf(p, n);
  for (let i = 0; i < n; i++) {
    const j = i & sm, k = i & pm;
    const be = s.offsets[j + 1]!, ps = p.offsets[k]!, pe = p.offsets[k + 1]!;
    const len = pe - ps;
    out[i] = len <= be - s.offsets[j]! && equalBytes(s.data, be - len, be, p.data, ps, pe) ? 1 : 0;
  }
  return fixedColumn('bool', out, validity);
}

/**
 * split_part(s, delimiter, k): the k-th field (1-based; negative counts from the end) of s
 * split on delimiter, '' when there is no such field or k = 0; an empty delimiter splits
 * into characters (DuckDB's rules).
 */
export function splitPart(s0: Column, d0: Column, k0: Column, n: number): Column {
  const validity = argsValidity([s0, d0, k0], n);
  const s = requireUtf8(s0, 'split_part'), d = requireUtf8(d0, 'split_part');
  if (s === null || d === null || k0.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n), dm = maskOf(d, n), km = maskOf(k0, n);
  const kv = asDoubles(k0);
  const w = new Utf8Writer(n, 16);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm, dj = i & dm;
    const bs = s.offsets[j]!, be = s.offsets[j + 1]!;
    const ds = d.offsets[dj]!, de = d.offsets[dj + 1]!;
    const k = kv[i & km]!;
    // Field boundaries: field f spans [starts[2f], starts[2f + 1]).
    starts.length = 0;
    if (de === ds) {
      for (let p = bs; p < be; p = skipChars(s.data, p, be, 1)) starts.push(p, skipChars(s.data, p, be, 1));
    } else {
      let p = bs;
      for (;;) {
        const q = indexOfBytes(s.data, p, be, d.data, ds, de);
        if (q < 0) { starts.push(p, be); break; }
        starts.push(p, q);
        p = q + (de - ds);
      }
    }
    const fields = starts.length / 2;
    const f = k > 0 ? k - 1 : k < 0 ? fields + k : -1;
    if (f >= 0 && f < fields) w.pushBytes(s.data, starts[2 * f]!, starts[2 * f + 1]!);
    w.endRow();
  }
  return w.finish();
}

// ---- concatenation ----------------------------------------------------------------------

/**
 * Concatenate argument columns row-wise. With skipNulls (concat()) NULL arguments are
 * ignored; without it ('||') any NULL makes the row NULL. Non-text arguments are cast.
 */
export function concat(args0: readonly Column[], skipNulls: boolean, n: number): Column {
  const args = args0.map((a) => (a.type === 'null' || a.type === 'utf8' ? a : castColumn(a, 'utf8')));
  const validity = skipNulls ? null : argsValidity(args, n);
  let cap = 0;
  for (const a of args) if (a.type === 'utf8') cap += a.length === n ? a.offsets[n]! - a.offsets[0]! : n * (a.offsets[1]! - a.offsets[0]!);
  const w = new Utf8Writer(n, cap);
  const masks = args.map((a) => maskOf(a, n));
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    for (let k = 0; k < args.length; k++) {
      const a = args[k]!;
      if (a.type !== 'utf8') continue;
      const j = i & masks[k]!;
      if (a.validity !== null && a.validity[j] === 0) continue;
      w.pushBytes(a.data, a.offsets[j]!, a.offsets[j + 1]!);
    }
    w.endRow();
  }
  return w.finish();
}

// ---- padding / reverse ------------------------------------------------------------------

/** lpad / rpad (s, length[, fill = ' ']): PostgreSQL truncates when s is longer. */
export function pad(isLeft: boolean, s0: Column, len: Column, fill0: Column | null, n: number): Column {
  const fill = fill0 ?? { type: 'utf8', length: 1, validity: null, offsets: Int32Array.of(0, 1), data: encodeUtf8(' ') } satisfies Utf8Column;
  const validity = argsValidity([s0, len, fill], n);
  const s = requireUtf8(s0, isLeft ? 'lpad' : 'rpad'), f = requireUtf8(fill, isLeft ? 'lpad' : 'rpad');
  if (s === null || f === null || len.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n), lm = maskOf(len, n), fm = maskOf(f, n);
  const lv = asDoubles(len);
  const w = new Utf8Writer(n, 16);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) { w.endNull(); continue; }
    const j = i & sm, fj = i & fm;
    const bs = s.offsets[j]!, be = s.offsets[j + 1]!;
    const fs = f.offsets[fj]!, fe = f.offsets[fj + 1]!;
    const target = Math.max(0, lv[i & lm]!);
    const have = countChars(s.data, bs, be);
    if (have >= target || fe === fs) {
      w.pushBytes(s.data, bs, skipChars(s.data, bs, be, target));
      w.endRow();
      continue;
    }
    const fillChars = countChars(f.data, fs, fe);
    const pushFill = (): void => {
      let need = target - have;
      while (need >= fillChars) { w.pushBytes(f.data, fs, fe); need -= fillChars; }
      if (need > 0) w.pushBytes(f.data, fs, skipChars(f.data, fs, fe, need));
    };
    if (isLeft) { pushFill(); w.pushBytes(s.data, bs, be); }
    else { w.pushBytes(s.data, bs, be); pushFill(); }
    w.endRow();
  }
  return w.finish();
}

export function reverse(s0: Column): Column {
  const s = requireUtf8(s0, 'reverse');
  const n = s0.length;
  if (s === null) return nullUtf8(n);
  const w = new Utf8Writer(n, s.offsets[n]! - s.offsets[0]!);
  const d = s.data;
  for (let i = 0; i < n; i++) {
    const bs = s.offsets[i]!;
    let p = s.offsets[i + 1]!;
    // Walk back over whole UTF-8 sequences so multi-byte characters stay intact.
    while (p > bs) {
      let q = p - 1;
      while (q > bs && (d[q]! & 0xc0) === 0x80) q--;
      w.pushBytes(d, q, p);
      p = q;
    }
    w.endRow();
  }
  return { ...w.finish(), validity: s.validity };
}
