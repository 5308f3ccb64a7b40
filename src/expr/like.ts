/**
 * LIKE / ILIKE over utf8 bytes.
 *
 * A pattern is compiled once (per literal, or per distinct value when the pattern is a
 * column): '%' matches any run of characters, '_' exactly one character (one UTF-8 code
 * point, not one byte), backslash makes the next character literal. Compiled form:
 *
 *   'ab%c_d%e'  ──▶  segments  [ab] % [c _ d] % [e]
 *                    first segment anchored at the start, last at the end, the middle
 *                    ones found leftmost in between (greedy leftmost is exact for LIKE).
 *
 * Patterns without '_' take byte-compare fast paths: exact, prefix ('abc%'), suffix
 * ('%abc'), contains ('%abc%'). Byte matching is safe on UTF-8 because a literal starts
 * with a lead byte, which never equals a continuation byte. ILIKE lower-cases the value
 * column and the pattern (Unicode-aware) and then matches as LIKE.
 */
import { encodeUtf8, fixedColumn, type BoolColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { decodeRange, utf8SeqLen } from './utf8.js';
import { maskOf } from './broadcast.js';
import { lowerColumn } from './strings.js';

/** One token of a segment: literal bytes, or null for '_' (any one character). */
type Token = Uint8Array | null;

export type Matcher = (d: Uint8Array, s: number, e: number) => boolean;

function startsAt(d: Uint8Array, p: number, e: number, lit: Uint8Array): boolean {
  const len = lit.length;
  if (p + len > e) return false;
  for (let k = 0; k < len; k++) if (d[p + k] !== lit[k]) return false;
  return true;
}

/** Leftmost position ≥ from where lit occurs in d[.., e), or -1. */
function indexOf(d: Uint8Array, from: number, e: number, lit: Uint8Array): number {
  const len = lit.length;
  if (len === 0) return from;
  const first = lit[0]!;
  const last = e - len;
  outer: for (let p = from; p <= last; p++) {
    if (d[p] !== first) continue;
    for (let k = 1; k < len; k++) if (d[p + k] !== lit[k]) continue outer;
    return p;
  }
  return -1;
}

/** Match a segment at p; returns the end position or -1. */
function matchSegment(seg: readonly Token[], d: Uint8Array, p: number, e: number): number {
  for (const t of seg) {
    if (t === null) {
      if (p >= e) return -1;
      p += utf8SeqLen(d[p]!);
      if (p > e) return -1;
    } else {
      if (!startsAt(d, p, e, t)) return -1;
      p += t.length;
    }
  }
  return p;
}

function segmentHasWildcard(seg: readonly Token[]): boolean {
  for (const t of seg) if (t === null) return true;
  return false;
}

function segmentBytes(seg: readonly Token[]): Uint8Array {
  const parts = seg as Uint8Array[];
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
}

/** Split a pattern into %-separated segments of tokens. */
function parsePattern(pattern: string): Token[][] {
  const segments: Token[][] = [[]];
  let lit = '';
  const flush = (): void => {
    if (lit.length > 0) { segments[segments.length - 1]!.push(encodeUtf8(lit)); lit = ''; }
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      if (i + 1 >= pattern.length) throw new SpillwayError('execution', `LIKE pattern must not end with escape character: "${pattern}"`);
      // Keep surrogate pairs together.
      const cp = pattern.codePointAt(i + 1)!;
      const s = String.fromCodePoint(cp);
      lit += s;
      i += s.length;
    } else if (ch === '%') {
      flush();
      segments.push([]);
    } else if (ch === '_') {
      flush();
      segments[segments.length - 1]!.push(null);
    } else {
      lit += ch;
    }
  }
  flush();
  return segments;
}

/** Compile a LIKE pattern into a byte matcher. */
export function compileLike(pattern: string): Matcher {
  const segs = parsePattern(pattern);
  const wild = segs.some(segmentHasWildcard);
  if (!wild) {
    if (segs.length === 1) {
      const lit = segmentBytes(segs[0]!);
      return (d, s, e) => e - s === lit.length && startsAt(d, s, e, lit);
    }
    const head = segmentBytes(segs[0]!);
    const tail = segmentBytes(segs[segs.length - 1]!);
    if (segs.length === 2) {
      if (tail.length === 0) return (d, s, e) => startsAt(d, s, e, head);
      if (head.length === 0) return (d, s, e) => e - s >= tail.length && startsAt(d, e - tail.length, e, tail);
    }
    if (segs.length === 3 && head.length === 0 && tail.length === 0) {
      const mid = segmentBytes(segs[1]!);
      return (d, s, e) => indexOf(d, s, e, mid) >= 0;
    }
  }
  return generalMatcher(segs);
}

function generalMatcher(segs: readonly Token[][]): Matcher {
  const first = segs[0]!;
  if (segs.length === 1) return (d, s, e) => matchSegment(first, d, s, e) === e;
  const middle = segs.slice(1, -1);
  const last = segs[segs.length - 1]!;
  const lastFixed = !segmentHasWildcard(last);
  const lastLen = lastFixed ? segmentBytes(last).length : 0;
  return (d, s, e) => {
    let p = matchSegment(first, d, s, e);
    if (p < 0) return false;
    for (const seg of middle) {
      let found = -1;
      // Try each character boundary from p; a literal-led segment jumps by byte search.
      const lead = seg.length > 0 ? seg[0] : undefined;
      let q = p;
      while (q <= e) {
        if (lead instanceof Uint8Array) { q = indexOf(d, q, e, lead); if (q < 0) break; }
        const end = matchSegment(seg, d, q, e);
        if (end >= 0) { found = end; break; }
        if (q >= e) break;
        q += utf8SeqLen(d[q]!);
      }
      if (found < 0) return false;
      p = found;
    }
    if (lastFixed) {
      const start = e - lastLen;
      return start >= p && matchSegment(last, d, start, e) === e;
    }
    for (let q = p; q <= e; q += q < e ? utf8SeqLen(d[q]!) : 1) {
      if (matchSegment(last, d, q, e) === e) return true;
    }
    return false;
  };
}

/**
 * value [NOT] [I]LIKE pattern over n rows. A constant pattern is compiled once; a column
 * of patterns is compiled per distinct pattern text (small cache).
 */
export function like(value0: Column, pattern0: Column, negated: boolean, caseInsensitive: boolean, n: number): BoolColumn {
  if (value0.type === 'null' || pattern0.type === 'null') return fixedColumn('bool', new Uint8Array(n), new Uint8Array(n)) as BoolColumn;
  if (value0.type !== 'utf8' || pattern0.type !== 'utf8') throw new SpillwayError('type', `LIKE expects text, got ${value0.type} and ${pattern0.type}`);
  const value = caseInsensitive ? lowerColumn(value0) : value0;
  const pattern = caseInsensitive ? lowerColumn(pattern0) : pattern0;
  const vm = maskOf(value, n), pm = maskOf(pattern, n);
  const out = new Uint8Array(n);
  const hit = negated ? 0 : 1;
  const vv = value.validity, pv = pattern.validity;
  let validity: Uint8Array | null = null;
  if (vv !== null || pv !== null) {
    validity = new Uint8Array(n);
    for (let i = 0; i < n; i++) validity[i] = (vv === null ? 1 : vv[i & vm]!) & (pv === null ? 1 : pv[i & pm]!);
  }
  const d = value.data, o = value.offsets;
  if (pm === 0) {
    if (pv !== null && pv[0] === 0) return fixedColumn('bool', out, new Uint8Array(n)) as BoolColumn;
    const m = compileLike(patternText(pattern, 0));
    for (let i = 0; i < n; i++) {
      const j = i & vm;
      out[i] = m(d, o[j]!, o[j + 1]!) ? hit : 1 - hit;
    }
  } else {
    const cache = new Map<string, Matcher>();
    for (let i = 0; i < n; i++) {
      if (validity !== null && validity[i] === 0) continue;
      const text = patternText(pattern, i);
      let m = cache.get(text);
      if (m === undefined) {
        m = compileLike(text);
        if (cache.size > 1024) cache.clear();
        cache.set(text, m);
      }
      const j = i & vm;
      out[i] = m(d, o[j]!, o[j + 1]!) ? hit : 1 - hit;
    }
  }
  return fixedColumn('bool', out, validity) as BoolColumn;
}

function patternText(c: Utf8Column, i: number): string {
  return decodeRange(c.data, c.offsets[i]!, c.offsets[i + 1]!);
}
