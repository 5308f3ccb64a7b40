/**
 * Regular expressions as DuckDB spells them (RE2 syntax, evaluated with JavaScript RegExp):
 *
 *   regexp_matches(s, pattern[, options])           does the pattern match anywhere in s
 *   regexp_full_match(s, pattern[, options])        does it match all of s
 *   regexp_replace(s, pattern, replacement[, options])  first match, or every one with 'g';
 *                                                    \1…\9 in the replacement insert groups, \0 the match
 *   regexp_extract(s, pattern[, group])              the group of the first match, '' when none
 *
 * Options: c (case-sensitive, the default), i (case-insensitive), g (every match), s (`.`
 * matches a newline), m/n/p (newline-sensitive: `^`/`$` at line ends), l (the pattern is
 * literal text). RE2 spellings JavaScript lacks are translated: a leading `(?i)`/`(?s)`/
 * `(?m)`, `(?P<name>…)`, `\A`, `\z`, escaped punctuation such as `\-` and POSIX classes
 * such as `[[:alpha:]]`. Patterns are
 * compiled once per distinct (pattern, options) and kept in a small cache; a pattern that
 * does not compile is one error naming the function and argument.
 *
 * Matching needs a JS string per row (RegExp works on strings); results are written
 * straight into offsets + bytes.
 */
import { fixedColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { maskOf } from './broadcast.js';
import { asDoubles } from './numeric.js';
import { decodeRange, Utf8Writer } from './utf8.js';

export interface RegexpOptions {
  flags: string;
  global: boolean;
  literal: boolean;
  /** regexp_full_match: the pattern must match the whole text. */
  full?: boolean;
}

/** Parse DuckDB's option letters; throws naming the function for an unknown one. */
export function parseRegexpOptions(fn: string, options: string): RegexpOptions {
  let insensitive = false, dotAll = false, multiline = false, global = false, literal = false;
  for (const ch of options) {
    switch (ch) {
      case 'c': insensitive = false; break;
      case 'i': insensitive = true; break;
      case 's': dotAll = true; multiline = false; break;
      case 'm': case 'n': case 'p': multiline = true; dotAll = false; break;
      case 'g': global = true; break;
      case 'l': literal = true; break;
      default:
        throw new SpillwayError('binder', `${fn}: unknown option '${ch}' in '${options}' (use c, i, g, s, m, n, p or l)`);
    }
  }
  if (global && fn !== 'regexp_replace') throw new SpillwayError('binder', `${fn}: option 'g' applies to regexp_replace only`);
  return { flags: `u${insensitive ? 'i' : ''}${dotAll ? 's' : ''}${multiline ? 'm' : ''}`, global, literal };
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s',
  punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '\\w', blank: ' \\t', cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~', graph: '!-~',
};

/** RE2 pattern text → JavaScript pattern text and extra flags. */
function translate(pattern: string): { source: string; flags: string } {
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]!) if (f !== 'U') flags += f;
    p = p.slice(lead[0].length);
  }
  p = p.replace(/\[:([a-z]+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m).replace(/\(\?P</g, '(?<');
  // Escapes, one at a time (so `\\A` stays a backslash and an A): \A and \z anchor the
  // text; an escaped punctuation mark JavaScript's unicode mode rejects (`\-`, `\:`, `\#`)
  // becomes a hex escape of the same character, valid in and out of brackets.
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch !== '\\' || i + 1 >= p.length) { out += ch; continue; }
    const next = p[++i]!;
    if (next === 'A') out += '^';
    else if (next === 'z') out += '(?![\\s\\S])';
    else if (/[!-\/:-@[-`{-~]/.test(next) && !JS_SYNTAX.includes(next)) out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += `\\${next}`;
  }
  return { source: out, flags };
}

/** Characters JavaScript's unicode mode lets a backslash escape as themselves. */
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 256;

/**
 * Compile a pattern; `what` names the function and argument for the error message
 * ("regexp_matches: invalid regular expression '(' (argument 2): …").
 */
export function compileRegexp(fn: string, pattern: string, opts: RegexpOptions, argument = 2): RegExp {
  const key = `${opts.flags}${opts.literal ? 'l' : ''}${opts.full ? 'F' : ''}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let re: RegExp;
  try {
    // The whole text, whatever the m flag makes of ^ and $ inside the pattern.
    const whole = (src: string) => (opts.full ? `(?<![\\s\\S])(?:${src})(?![\\s\\S])` : src);
    if (opts.literal) {
      re = new RegExp(whole(pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), opts.flags);
    } else {
      const t = translate(pattern);
      const flags = [...new Set(opts.flags + t.flags)].join('');
      if (opts.full) new RegExp(t.source, flags); // so an error quotes the pattern as written
      re = new RegExp(whole(t.source), flags);
    }
  } catch (e) {
    const reason = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    throw new SpillwayError('binder', `${fn}: invalid regular expression '${pattern}' (argument ${argument}): ${reason}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

function text(c: Utf8Column, j: number): string {
  return decodeRange(c.data, c.offsets[j]!, c.offsets[j + 1]!);
}

function valid(c: Column, j: number): boolean {
  return c.type !== 'null' && (c.validity === null || c.validity[j] === 1);
}

function nullUtf8(n: number): Utf8Column {
  return { type: 'utf8', length: n, validity: new Uint8Array(n), offsets: new Int32Array(n + 1), data: new Uint8Array(0) };
}

/** A pattern per row (constant or not), compiled through the cache. */
function patternAt(fn: string, p: Utf8Column, j: number, opts: RegexpOptions): RegExp {
  return compileRegexp(fn, text(p, j), opts);
}

export function regexpMatches(s: Column, p: Column, opts: RegexpOptions, n: number): Column {
  const out = new Uint8Array(n);
  const validity = new Uint8Array(n);
  if (s.type !== 'utf8' || p.type !== 'utf8') return fixedColumn('bool', out, validity);
  const sm = maskOf(s, n), pm = maskOf(p, n);
  for (let i = 0; i < n; i++) {
    const j = i & sm, k = i & pm;
    if (!valid(s, j) || !valid(p, k)) continue;
    validity[i] = 1;
    out[i] = patternAt(opts.full ? 'regexp_full_match' : 'regexp_matches', p, k, opts).test(text(s, j)) ? 1 : 0;
  }
  return fixedColumn('bool', out, validity);
}

/** RE2 replacement text → a function of one match: \0…\9 are groups, \\ a backslash, the rest literal. */
function replacer(replacement: string): (groups: (string | undefined)[]) => string {
  if (!replacement.includes('\\')) return () => replacement;
  const parts: (string | number)[] = [];
  let lit = '';
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i]!;
    const next = replacement[i + 1];
    if (ch === '\\' && next !== undefined && next >= '0' && next <= '9') {
      parts.push(lit, Number(next));
      lit = '';
      i++;
    } else if (ch === '\\' && next === '\\') {
      lit += '\\';
      i++;
    } else {
      lit += ch;
    }
  }
  parts.push(lit);
  return (groups) => parts.map((x) => (typeof x === 'number' ? groups[x] ?? '' : x)).join('');
}

export function regexpReplace(s: Column, p: Column, r: Column, opts: RegexpOptions, n: number): Column {
  if (s.type !== 'utf8' || p.type !== 'utf8' || r.type !== 'utf8') return nullUtf8(n);
  const sm = maskOf(s, n), pm = maskOf(p, n), rm = maskOf(r, n);
  const w = new Utf8Writer(n, sm === -1 ? s.offsets[n]! - s.offsets[0]! : 16);
  const g = { ...opts, flags: opts.global ? `${opts.flags}g` : opts.flags };
  for (let i = 0; i < n; i++) {
    const j = i & sm, k = i & pm, q = i & rm;
    if (!valid(s, j) || !valid(p, k) || !valid(r, q)) { w.endNull(); continue; }
    const re = patternAt('regexp_replace', p, k, g);
    const build = replacer(text(r, q));
    w.pushString(opts.global ? replaceEvery(text(s, j), re, build) : text(s, j).replace(re, (...m: unknown[]) => {
      // m = [match, group1, …, offset, whole string(, named groups)]
      const groups: (string | undefined)[] = [];
      for (const x of m) { if (typeof x !== 'string' && x !== undefined) break; groups.push(x); }
      return build(groups);
    }));
    w.endRow();
  }
  return w.finish();
}

/**
 * Every match replaced, as RE2's GlobalReplace does it: unlike String.replace, an empty
 * match right where the previous match ended is skipped ('a?' on 'ba' → '<>b<a>', not
 * '<>b<a><>'). `re` has the g flag.
 */
function replaceEvery(t: string, re: RegExp, build: (groups: (string | undefined)[]) => string): string {
  let out = '';
  let p = 0;
  let lastEnd = -1;
  while (p <= t.length) {
    re.lastIndex = p;
    const m = re.exec(t);
    if (m === null) break;
    const start = m.index, end = start + m[0].length;
    out += t.slice(p, start);
    p = start;
    if (start === end && start === lastEnd) {
      if (start >= t.length) break;
      const step = (t.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
      out += t.slice(start, start + step);
      p = start + step;
      continue;
    }
    out += build(Array.from(m));
    p = lastEnd = end;
  }
  return out + t.slice(p);
}

export function regexpExtract(s: Column, p: Column, group: Column | null, opts: RegexpOptions, n: number): Column {
  if (s.type !== 'utf8' || p.type !== 'utf8' || group?.type === 'null') return nullUtf8(n);
  const sm = maskOf(s, n), pm = maskOf(p, n), gm = group === null ? 0 : maskOf(group, n);
  const gv = group === null ? null : asDoubles(group);
  const w = new Utf8Writer(n, 16);
  for (let i = 0; i < n; i++) {
    const j = i & sm, k = i & pm;
    if (!valid(s, j) || !valid(p, k) || (group !== null && !valid(group, i & gm))) { w.endNull(); continue; }
    const re = patternAt('regexp_extract', p, k, opts);
    const g = gv === null ? 0 : gv[i & gm]!;
    const m = re.exec(text(s, j));
    if (m !== null) {
      if (!(g >= 0 && g < m.length)) {
        throw new SpillwayError('execution', `regexp_extract: group ${g} (argument 3) is not in the pattern '${text(p, k)}', which has ${m.length - 1} group${m.length === 2 ? '' : 's'}`);
      }
      w.pushString(m[g] ?? '');
    }
    w.endRow();
  }
  return w.finish();
}
