/**
 * Pre-parse: the small text-level step between the user's script and node-sql-parser.
 *
 *   script ──splitStatements──▶ [stmt text + offset] ──rewriteStatement──▶ parser input
 *
 * 1. Split a script into statements on `;` outside quotes and comments, keeping each
 *    statement's offset in the script so error positions refer to the original text.
 * 2. Rewrite the few constructs the postgresql grammar of node-sql-parser 5.4 rejects.
 *    Rewrites keep the text's length where they can (keywords become a comma plus spaces,
 *    dropped text becomes spaces); the few that insert characters are undone by
 *    `toOriginal`, so errors always point into the original text.
 *
 * Rewrites (each one has a test in test/sql/preparse.test.ts):
 *   - `EXPLAIN [ANALYZE] [VERBOSE] stmt`, `EXPLAIN (ANALYZE, FORMAT JSON) stmt`
 *                                         → prefix blanked, flags returned
 *   - `substring(x from a for b)`          → `substring(x, a, b)`  (also `from a` alone, `for b` alone)
 *   - `interval '90' day (3)`              → `interval '90' day`   (field precision dropped)
 *   - `SELECT ALL x`                       → `SELECT x`
 *   - `count(ALL x)`                       → `count(x)`
 *   - `CASE (x) WHEN`                      → `CASE+(x) WHEN`       (grammar rejects `CASE (`)
 *   - `sum(DISTINCT x)`                    → `sum(DISTINCT(x))`    (grammar accepts bare DISTINCT only in count)
 *   - `CREATE EXTERNAL TABLE n STORED AS PARQUET LOCATION 'p'` → parsed here, never sent to the parser
 *   - window frames `ROWS|RANGE|GROUPS [BETWEEN] b [AND b]` inside OVER (…) / WINDOW w AS (…)
 *                                         → `ROWS BETWEEN <code> FOLLOWING AND <code> FOLLOWING`, the
 *                                           one shape the grammar takes for every bound; each code is
 *                                           9, units digit, bound digit, offset (decodeFrameBound)
 *   - `percent_rank(`, `cume_dist(`        → `ntile(` padded with spaces (the grammar takes OVER only
 *                                           after a few names; the binder reads the real name back)
 *   - `-9007199254740993`                 → `- 9007199254740993` (the grammar would fold the sign
 *                                           into a lossy JS number; unsigned, the digits stay exact)
 *   - `SHOW TABLES`                       → a query of information_schema.tables (column `name`)
 *   - `DESCRIBE|DESC|SHOW name`           → `select * from name`, flag returned (also a quoted path)
 *   - `DESCRIBE query`                    → keyword blanked, flag returned
 *   - `QUALIFY cond`                      → `HAVING __qualify(cond)` (refused together with HAVING
 *                                           or after a WINDOW clause in the same SELECT)
 *   - `GROUPING SETS (…)`                 → `grouping_sets(…)`, and an empty set `()` in it
 *                                           → `__empty_grouping_set()`; `GROUP BY ()` →
 *                                           `GROUP BY grouping_sets(__empty_grouping_set())`
 *                                           (the binder reads both back as grouping sets)
 *   - in read_csv(…) arguments: `[a, b]` → `__list(a, b)`, `{'k': v}` → `__struct('k', v)`
 *                                           (the binder reads them back as a list and a struct)
 *   - elsewhere: `[a, b]` starting an expression → `__list(a, b)`, `{'k': v}` → `__struct('k', v)`
 *                                           (the binder reads them as list_value and struct_pack)
 *   - `listagg(`                          → `string_agg(` (the grammar takes ORDER BY and a
 *                                           separator inside only that call)
 *   - `median(x) [FILTER (WHERE c)] OVER`  → `first_value(__window_aggregate(median(x) [, (c)])) OVER`
 *                                           (any aggregate but count/sum/avg/min/max, and any with
 *                                           FILTER: the grammar takes OVER after neither)
 *   - `::blob`, `AS blob`, CREATE TABLE's `c blob` → `… bytea` (BLOB is no type name to the grammar)
 * `extract(year from x)` needs no rewrite: the grammar accepts it.
 * Join hints (`/*+ BROADCAST(t) *\/`) are comments, which the parser drops: join_hints.ts reads
 * them from this lexer's tokens (parser.ts keeps them with the parsed statement).
 */
import { SpillwayError } from '../common/errors.js';
import { parseCopy, type CopySpec } from './copy.js';

export type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'punct' | 'space' | 'comment';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** Source text of the token. */
  text: string;
}

/**
 * A forgiving SQL lexer: enough to find statement boundaries, keywords and identifiers
 * outside strings and comments. Unterminated strings and comments run to the end.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number) => tokens.push({ kind, start, end, text: text.slice(start, end) });
  while (i < n) {
    const c = text[i]!;
    const start = i;
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
      push('comment', start, i);
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      push('comment', start, i);
    } else if (c === "'" || ((c === 'e' || c === 'E') && text[i + 1] === "'")) {
      i += c === "'" ? 1 : 2;
      for (;;) {
        if (i >= n) break;
        if (text[i] === '\\' && c !== "'") { i += 2; continue; }
        if (text[i] === "'") {
          if (text[i + 1] === "'") { i += 2; continue; }
          i++;
          break;
        }
        i++;
      }
      push('string', start, Math.min(i, n));
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) break;
        if (text[i] === '"') {
          if (text[i + 1] === '"') { i += 2; continue; }
          i++;
          break;
        }
        i++;
      }
      push('qident', start, Math.min(i, n));
    } else if (/\s/.test(c)) {
      while (i < n && /\s/.test(text[i]!)) i++;
      push('space', start, i);
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$]/.test(text[i]!)) i++;
      push('word', start, i);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < n && /[0-9.]/.test(text[i]!)) i++;
      if ((text[i] === 'e' || text[i] === 'E') && /[-+0-9]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(text[i]!)) i++;
      }
      push('number', start, i);
    } else {
      i++;
      push('punct', start, i);
    }
  }
  return tokens;
}

/** One statement of a script: its text and where it starts in the script. */
export interface StatementText {
  text: string;
  offset: number;
}

/**
 * Split on `;` outside quotes and comments. Statements that hold only whitespace and
 * comments are dropped. The `;` itself is not part of a statement's text.
 */
export function splitStatements(script: string): StatementText[] {
  const out: StatementText[] = [];
  let start = 0;
  let meaningful = false;
  for (const t of tokenize(script)) {
    if (t.kind === 'punct' && t.text === ';') {
      if (meaningful) out.push({ text: script.slice(start, t.start), offset: start });
      start = t.end;
      meaningful = false;
    } else if (t.kind !== 'space' && t.kind !== 'comment') {
      meaningful = true;
    }
  }
  if (meaningful) out.push({ text: script.slice(start), offset: start });
  return out;
}

export interface ExternalTableSpec {
  name: string;
  location: string;
}

/** A statement ready for node-sql-parser (or handled entirely here). */
export interface PreparsedStatement {
  /** The text for the parser. Most rewrites keep the length; a few insert characters. */
  sql: string;
  /** Offset in `sql` → offset in the original statement text. */
  toOriginal: (offset: number) => number;
  explain: ExplainOptions | null;
  /** Set when the statement is CREATE EXTERNAL TABLE (then `sql` is not to be parsed). */
  external: ExternalTableSpec | null;
  /** Set when the statement is COPY … TO (then `sql` is its query). */
  copy: CopySpec | null;
  /** Set when the statement is DESCRIBE (then `sql` is the query described); `table` for DESCRIBE name. */
  describe: { table: boolean } | null;
  /** Names of the rewrites applied, for tests and EXPLAIN VERBOSE-style diagnostics. */
  rewrites: string[];
}

const AGGREGATE_NAMES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'var_samp', 'var_pop', 'variance', 'stddev', 'stddev_samp', 'stddev_pop',
]);

/** EXPLAIN's flags; `format` only when given as an option (`EXPLAIN (ANALYZE, FORMAT JSON)`). */
export interface ExplainOptions {
  analyze: boolean;
  format?: 'text' | 'json';
}

/**
 * The PostgreSQL option list `EXPLAIN (ANALYZE [bool], VERBOSE [bool], FORMAT TEXT|JSON)`
 * starting after its `(` at sig[k]; returns the options and the index after `)`.
 */
function parseExplainOptions(sig: readonly Token[], k: number, text: string, offset: number, script: string): { options: ExplainOptions; next: number } {
  const options: ExplainOptions = { analyze: false };
  const fail = (t: Token | undefined, what: string): never => {
    const at = offset + (t?.start ?? text.length);
    throw new SpillwayError('syntax', `syntax error at ${describePosition(script, at)}: ${what} in the EXPLAIN option list (expected ANALYZE, VERBOSE or FORMAT TEXT|JSON)`);
  };
  for (;;) {
    const name = sig[k];
    if (name === undefined || name.kind !== 'word') fail(name, name === undefined ? 'unterminated (' : `unexpected "${name.text}"`);
    const n = name!.text.toLowerCase();
    k++;
    if (n === 'analyze' || n === 'analyse' || n === 'verbose') {
      let on = true;
      const v = sig[k];
      if (v !== undefined && (v.kind === 'word' || v.kind === 'number') && !(v.kind === 'word' && ['analyze', 'analyse', 'verbose', 'format'].includes(v.text.toLowerCase()))) {
        const t = v.text.toLowerCase();
        if (t === 'true' || t === 'on' || t === '1') on = true;
        else if (t === 'false' || t === 'off' || t === '0') on = false;
        else fail(v, `"${v.text}" is not a boolean`);
        k++;
      }
      if (n !== 'verbose') options.analyze = on;
    } else if (n === 'format') {
      const v = sig[k];
      const f = v?.kind === 'word' ? v.text.toLowerCase() : '';
      if (f !== 'text' && f !== 'json') fail(v, `unsupported EXPLAIN format "${v?.text ?? ''}" (TEXT or JSON)`);
      options.format = f as 'text' | 'json';
      k++;
    } else {
      fail(name, `unsupported option "${name!.text}"`);
    }
    const sep = sig[k];
    if (sep?.kind === 'punct' && sep.text === ',') { k++; continue; }
    if (sep?.kind === 'punct' && sep.text === ')') return { options, next: k + 1 };
    fail(sep, sep === undefined ? 'unterminated (' : `unexpected "${sep.text}"`);
  }
}

const isWord = (t: Token | undefined, w: string): boolean => t !== undefined && t.kind === 'word' && t.text.toLowerCase() === w;

/** Replace [start, end) with `replacement` padded by spaces to the same length. */
function overwrite(chars: string[], start: number, end: number, replacement: string): void {
  for (let i = start; i < end; i++) chars[i] = i - start < replacement.length ? replacement[i - start]! : ' ';
}

/**
 * Does the parenthesized group opening at sig[j] end right before the closing parenthesis of
 * the enclosing call? `sum(DISTINCT (x))` yes; `max(DISTINCT (28) * c)` no.
 */
function parenthesizesWholeArgument(sig: readonly Token[], j: number): boolean {
  if (sig[j]?.text !== '(') return false;
  let depth = 0;
  for (let m = j; m < sig.length; m++) {
    const u = sig[m]!;
    if (u.kind === 'punct' && u.text === '(') depth++;
    else if (u.kind === 'punct' && u.text === ')' && --depth === 0) return sig[m + 1]?.text === ')';
  }
  return false;
}

/** Offset → 1-based line and column in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: end - lineStart + 1 };
}

export function describePosition(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}

/**
 * Apply the rewrites to one statement. `offset` and `script` are used only to place
 * errors raised here (CREATE EXTERNAL TABLE syntax) in the original text.
 */
export function rewriteStatement(text: string, offset = 0, script: string = text): PreparsedStatement {
  const tokens = tokenize(text);
  const sig = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  // UTF-16 units, so offsets stay those of the original string.
  const work: string[] = text.split('');
  const rewrites: string[] = [];
  const inserts: Insert[] = [];
  let explain: ExplainOptions | null = null;

  let first = 0;
  if (isWord(sig[0], 'explain')) {
    let analyze = false;
    let last = sig[0]!;
    let k = 1;
    if (sig[1]?.kind === 'punct' && sig[1].text === '(') {
      const parsed = parseExplainOptions(sig, 2, text, offset, script);
      explain = parsed.options;
      k = parsed.next;
      last = sig[k - 1]!;
    } else {
      for (; k < sig.length; k++) {
        if (isWord(sig[k], 'analyze') || isWord(sig[k], 'analyse')) { analyze = true; last = sig[k]!; continue; }
        if (isWord(sig[k], 'verbose')) { last = sig[k]!; continue; }
        break;
      }
      explain = { analyze };
    }
    overwrite(work, sig[0]!.start, last.end, '');
    first = k;
    rewrites.push('explain');
  }

  if (isWord(sig[first], 'create') && isWord(sig[first + 1], 'external')) {
    return { sql: work.join(''), toOriginal: (o) => o, explain, external: parseExternalTable(sig.slice(first), text, offset, script), copy: null, describe: null, rewrites: [...rewrites, 'create_external_table'] };
  }

  if (isWord(sig[first], 'show') && isWord(sig[first + 1], 'tables') && sig.length === first + 2) {
    const sql = 'select table_name as name from information_schema.tables order by table_name';
    return { sql, toOriginal: () => sig[first]!.start, explain, external: null, copy: null, describe: null, rewrites: [...rewrites, 'show_tables'] };
  }

  // CREATE OR REPLACE TABLE (DuckDB): the parser knows OR REPLACE only for views.
  if (isWord(sig[first], 'create') && isWord(sig[first + 1], 'or') && isWord(sig[first + 2], 'replace') && isWord(sig[first + 3], 'table')) {
    overwrite(work, sig[first + 1]!.start, sig[first + 2]!.end, '');
    rewrites.push('create_or_replace_table');
  }

  let describe: { table: boolean } | null = null;
  // SHOW name is DESCRIBE name, as in DuckDB.
  const describes = isWord(sig[first], 'describe') || isWord(sig[first], 'desc') || isWord(sig[first], 'show');
  if (describes && sig[first + 1] !== undefined) {
    const next = sig[first + 1]!;
    rewrites.push('describe');
    if (next.text === '(' || ['select', 'with', 'values', 'from'].includes(next.text.toLowerCase())) {
      overwrite(work, sig[first]!.start, sig[first]!.end, '');
      describe = { table: false };
      first++;
    } else {
      // DESCRIBE t → the columns of SELECT * FROM t; positions map to the name.
      const prefix = 'select * from ';
      return {
        sql: prefix + text.slice(next.start), toOriginal: (o) => next.start + Math.max(0, o - prefix.length),
        explain, external: null, copy: null, describe: { table: true }, rewrites,
      };
    }
  }

  let copy: CopySpec | null = null;
  if (isWord(sig[first], 'copy')) {
    const fail = (tok: Token | undefined, what: string): never => {
      const at = tok ? offset + tok.start : offset + text.length;
      throw new SpillwayError('syntax', `syntax error at ${describePosition(script, at)}: expected ${what} in COPY, found ${tok ? `"${tok.text}"` : 'end of input'}`);
    };
    const parsed = parseCopy(sig.slice(first), fail);
    rewrites.push('copy');
    if (parsed.source.kind === 'table') {
      // COPY t TO … reads the table through SELECT * FROM t; positions map to its name.
      const name = parsed.source.name;
      const prefix = 'select * from ';
      return {
        sql: prefix + name.text, toOriginal: (o) => name.start + Math.max(0, o - prefix.length),
        explain, external: null, copy: parsed.spec, describe, rewrites,
      };
    }
    for (const t of parsed.outside) overwrite(work, t.start, t.end, '');
    copy = parsed.spec;
  }

  const depth = parenDepths(sig);
  for (let k = first; k < sig.length; k++) {
    const t = sig[k]!;
    // -9007199254740993 → - 9007199254740993: the grammar folds a signed number into a JS
    // number (losing digits beyond 2^53); unsigned, long integers keep their text.
    if (t.kind === 'number' && /^\d{16,}$/.test(t.text) && sig[k - 1]?.text === '-' && sig[k - 1]!.end === t.start) {
      inserts.push({ at: t.start, text: ' ' });
      rewrites.push('signed_long_integer');
    }
    if (t.kind === 'word' && FRAME_UNITS.has(t.text.toLowerCase())) {
      const frame = rewriteFrame(sig, k, depth);
      if (frame !== null) {
        const last = sig[frame.end - 1]!;
        const room = last.end - t.start;
        overwrite(work, t.start, last.end, frame.text.slice(0, room));
        if (frame.text.length > room) inserts.push({ at: last.end, text: frame.text.slice(room) });
        rewrites.push('window_frame');
        k = frame.end - 1;
        continue;
      }
    }
    if ((isWord(t, 'percent_rank') || isWord(t, 'cume_dist')) && sig[k + 1]?.text === '(') {
      overwrite(work, t.start, t.end, 'ntile');
      rewrites.push('window_function_name');
      continue;
    }
    if (isWord(t, 'qualify')) {
      const end = rewriteQualify(sig, k, depth, text, offset, script);
      overwrite(work, t.start, t.end, 'HAVING');
      inserts.push({ at: sig[k + 1]!.start, text: `${QUALIFY_MARKER}(` }, { at: sig[end - 1]!.end, text: ')' });
      rewrites.push('qualify');
      continue;
    }
    if (isWord(t, 'grouping') && isWord(sig[k + 1], 'sets') && sig[k + 2]?.text === '(') {
      overwrite(work, t.start, sig[k + 1]!.end, 'grouping_sets');
      let d = 0;
      for (let j = k + 2; j < sig.length; j++) {
        const u = sig[j]!;
        if (u.kind === 'punct' && u.text === '(') {
          d++;
          const prev = sig[j - 1]!;
          if (d > 1 && sig[j + 1]?.text === ')' && prev.kind === 'punct' && (prev.text === '(' || prev.text === ',')) {
            inserts.push({ at: u.start, text: EMPTY_GROUPING_SET });
          }
        } else if (u.kind === 'punct' && u.text === ')' && --d === 0) break;
      }
      rewrites.push('grouping_sets');
      continue;
    }
    if (isWord(t, 'group') && isWord(sig[k + 1], 'by') && sig[k + 2]?.text === '(' && sig[k + 3]?.text === ')') {
      inserts.push({ at: sig[k + 2]!.start, text: `grouping_sets(${EMPTY_GROUPING_SET}` }, { at: sig[k + 3]!.end, text: ')' });
      rewrites.push('group_by_empty');
      continue;
    }
    // read_csv(['a', 'b'], columns={'x': 'INT'}) → read_csv(__list('a', 'b'), columns=__struct('x', 'INT'))
    if ((isWord(t, 'read_csv') || isWord(t, 'read_csv_auto')) && sig[k + 1]?.text === '(') {
      let d = 0;
      for (let j = k + 1; j < sig.length; j++) {
        const u = sig[j]!;
        if (u.kind !== 'punct') continue;
        if (u.text === '(') d++;
        else if (u.text === ')' && --d === 0) break;
        else if (u.text === '[' || u.text === '{') {
          d++;
          overwrite(work, u.start, u.end, '(');
          inserts.push({ at: u.start, text: u.text === '[' ? LIST_MARKER : STRUCT_MARKER });
        } else if (u.text === ']' || u.text === '}') {
          d--;
          overwrite(work, u.start, u.end, ')');
        }
        else if (u.text === ':' && d > 1) overwrite(work, u.start, u.end, ',');
      }
      rewrites.push('table_function_literals');
      continue;
    }
    if (t.kind === 'word' && WINDOW_AGGREGATE_NAMES.has(t.text.toLowerCase()) && sig[k + 1]?.text === '(') {
      if (rewriteWindowAggregate(sig, k, depth, work, inserts)) rewrites.push('window_aggregate');
    }
    if (isWord(t, 'listagg') && sig[k + 1]?.text === '(') {
      overwrite(work, t.start, t.end, 'string_');
      inserts.push({ at: t.end, text: 'agg' });
      rewrites.push('listagg');
      continue;
    }
    // SELECT ALL x → SELECT x (ALL is the default; the grammar rejects it)
    if (isWord(t, 'select') && isWord(sig[k + 1], 'all')) {
      overwrite(work, sig[k + 1]!.start, sig[k + 1]!.end, '');
      rewrites.push('select_all');
    }
    // count(ALL x) → count(x)
    if (t.kind === 'word' && AGGREGATE_NAMES.has(t.text.toLowerCase()) && sig[k + 1]?.text === '(' && isWord(sig[k + 2], 'all')
      && sig[k + 3]?.text !== ')') {
      overwrite(work, sig[k + 2]!.start, sig[k + 2]!.end, '');
      rewrites.push('aggregate_all');
    }
    // sum(DISTINCT x) → sum(DISTINCT(x)): only count accepts a bare DISTINCT in this grammar,
    // and none accepts DISTINCT (x) + 1, which it reads as a call of "distinct"
    if (t.kind === 'word' && AGGREGATE_NAMES.has(t.text.toLowerCase())
      && (t.text.toLowerCase() !== 'count' || sig[k + 3]?.text === '(')
      && sig[k + 1]?.text === '(' && isWord(sig[k + 2], 'distinct') && !parenthesizesWholeArgument(sig, k + 3)) {
      let depth = 0;
      for (let j = k + 1; j < sig.length; j++) {
        const u = sig[j]!;
        if (u.kind === 'punct' && u.text === '(') depth++;
        else if (u.kind === 'punct' && u.text === ')' && --depth === 0) {
          inserts.push({ at: sig[k + 2]!.end, text: '(' }, { at: u.start, text: ')' });
          rewrites.push('aggregate_distinct');
          break;
        }
      }
    }
    // CASE (x) WHEN … → CASE+(x) WHEN … (the grammar rejects a parenthesized CASE operand)
    if (isWord(t, 'case') && sig[k + 1]?.text === '(' && sig[k + 1]!.start > t.end) {
      overwrite(work, sig[k + 1]!.start - 1, sig[k + 1]!.start, '+');
      rewrites.push('case_parenthesized_operand');
    }
    // substring(x FROM a [FOR b]) → substring(x, a[, b])
    if (isWord(t, 'substring') && sig[k + 1]?.text === '(') {
      let depth = 0;
      let changed = false;
      for (let j = k + 1; j < sig.length; j++) {
        const u = sig[j]!;
        if (u.kind === 'punct' && u.text === '(') depth++;
        else if (u.kind === 'punct' && u.text === ')') { depth--; if (depth === 0) break; }
        else if (depth === 1 && (isWord(u, 'from') || isWord(u, 'for'))) {
          overwrite(work, u.start, u.end, ',');
          changed = true;
        }
      }
      if (changed) rewrites.push('substring_from_for');
    }
    // x::blob, CAST(x AS blob) → … bytea (the grammar knows BLOB as no type name)
    const columnDefinition = isWord(sig[0], 'create') && (sig[k - 1]?.kind === 'word' || sig[k - 1]?.kind === 'qident')
      && (sig[k - 2]?.text === '(' || sig[k - 2]?.text === ',');
    if (isWord(t, 'blob') && ((sig[k - 1]?.text === ':' && sig[k - 2]?.text === ':') || (isWord(sig[k - 1], 'as') && sig[k + 1]?.text === ')') || columnDefinition)) {
      overwrite(work, t.start, t.end, '');
      inserts.push({ at: t.start, text: 'bytea' });
      rewrites.push('blob_type');
    }
    // interval '90' day (3) → interval '90' day
    if (isWord(t, 'interval') && sig[k + 1]?.kind === 'string') {
      const unit = sig[k + 2];
      if (unit && unit.kind === 'word' && /^(year|month|day|hour|minute|second)s?$/i.test(unit.text)
        && sig[k + 3]?.text === '(' && sig[k + 4]?.kind === 'number' && sig[k + 5]?.text === ')') {
        overwrite(work, sig[k + 3]!.start, sig[k + 5]!.end, '');
        rewrites.push('interval_precision');
      }
    }
  }
  if (rewriteNestedLiterals(sig, work, inserts)) rewrites.push('nested_literals');
  return { ...applyInserts(work.join(''), inserts), explain, external: null, copy, describe, rewrites };
}

interface Insert { at: number; text: string }

/** Words after which `[` starts a list literal (after any other word it indexes: `l[1]`). */
const BEFORE_LITERAL = new Set(['select', 'where', 'and', 'or', 'not', 'when', 'then', 'else', 'having', 'on', 'by', 'in', 'values', 'is', 'distinct', 'return']);

/**
 * DuckDB's nested literals outside table-function arguments (those are rewritten above):
 * `[a, b]` → `__list(a, b)` where `[` starts an expression, `{'k': v, k2: w}` →
 * `__struct('k', v, 'k2', w)`; the binder reads both back (list_value, struct_pack).
 */
function rewriteNestedLiterals(sig: readonly Token[], work: string[], inserts: Insert[]): boolean {
  let any = false;
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind !== 'punct' || work[t.start] !== t.text) continue; // already rewritten (read_csv)
    const p = sig[k - 1];
    const isList = t.text === '[' && (p === undefined || (p.kind === 'punct' && p.text !== ')' && p.text !== ']' && p.text !== '}')
      || (p.kind === 'word' && BEFORE_LITERAL.has(p.text.toLowerCase())));
    const isStruct = t.text === '{';
    if (!isList && !isStruct) continue;
    const close = isList ? ']' : '}';
    let depth = 0;
    let end = -1;
    for (let j = k; j < sig.length; j++) {
      const u = sig[j]!;
      if (u.kind !== 'punct') continue;
      if (u.text === '(' || u.text === '[' || u.text === '{') depth++;
      else if (u.text === ')' || u.text === ']' || u.text === '}') {
        if (--depth === 0) { if (u.text === close) end = j; break; }
      } else if (isStruct && depth === 1 && u.text === ':' && sig[j + 1]?.text !== ':' && sig[j - 1]?.text !== ':') {
        // a key: the token before the colon, right after `{` or `,`
        const key = sig[j - 1]!, before = sig[j - 2]!;
        if ((before === t || before.text === ',') && (key.kind === 'string' || key.kind === 'word' || key.kind === 'qident')) {
          overwrite(work, u.start, u.end, ',');
          if (key.kind === 'word') inserts.push({ at: key.start, text: "'" }, { at: key.end, text: "'" });
          else if (key.kind === 'qident') { overwrite(work, key.start, key.start + 1, "'"); overwrite(work, key.end - 1, key.end, "'"); }
        }
      }
    }
    if (end < 0) continue;
    overwrite(work, t.start, t.end, '(');
    inserts.push({ at: t.start, text: isList ? LIST_MARKER : STRUCT_MARKER });
    overwrite(work, sig[end]!.start, sig[end]!.end, ')');
    any = true;
  }
  return any;
}

/** Name of the marker call that stands for the empty grouping set `()`. */
export const EMPTY_GROUPING_SET = '__empty_grouping_set';

/** Marker calls standing for a list `[…]` and a struct `{k: v, …}` in table-function arguments. */
export const LIST_MARKER = '__list';
export const STRUCT_MARKER = '__struct';

/**
 * An aggregate over a window that the grammar takes no OVER after (every aggregate but
 * count/sum/avg/min/max, and any with FILTER) goes through first_value, which takes one:
 *
 *   median(x) FILTER (WHERE c) OVER (…)  →  first_value(__window_aggregate(median(x) ,       (      c))) OVER (…)
 *
 * The binder (bind_window.ts) reads the call inside the marker as the aggregate and its
 * second argument as the FILTER condition.
 */
export const WINDOW_AGGREGATE_MARKER = '__window_aggregate';

const WINDOW_AGGREGATE_NAMES = new Set([
  ...AGGREGATE_NAMES, 'approx_count_distinct', 'string_agg', 'listagg', 'median', 'quantile', 'quantile_cont', 'quantile_disc',
  'percentile_cont', 'percentile_disc',
]);
const OVER_AFTER = new Set(['count', 'sum', 'avg', 'min', 'max']);

function rewriteWindowAggregate(sig: readonly Token[], k: number, depth: Int32Array, work: string[], inserts: Insert[]): boolean {
  const closing = (open: number): number => {
    for (let j = open + 1; j < sig.length; j++) if (depth[j] === depth[open] && sig[j]!.text === ')') return j;
    return -1;
  };
  let end = closing(k + 1);
  if (end < 0) return false;
  // percentile_cont(f) WITHIN GROUP (ORDER BY x)
  if (isWord(sig[end + 1], 'within') && isWord(sig[end + 2], 'group') && sig[end + 3]?.text === '(') {
    end = closing(end + 3);
    if (end < 0) return false;
  }
  let filter: { keyword: Token; where: Token; close: number } | null = null;
  if (isWord(sig[end + 1], 'filter') && sig[end + 2]?.text === '(' && isWord(sig[end + 3], 'where')) {
    const close = closing(end + 2);
    if (close < 0) return false;
    filter = { keyword: sig[end + 1]!, where: sig[end + 3]!, close };
  }
  const last = filter ? filter.close : end;
  if (!isWord(sig[last + 1], 'over')) return false;
  if (filter === null && OVER_AFTER.has(sig[k]!.text.toLowerCase())) return false;
  if (filter !== null) {
    overwrite(work, filter.keyword.start, filter.keyword.end, ',');
    overwrite(work, filter.where.start, filter.where.end, '');
  }
  inserts.push({ at: sig[k]!.start, text: `first_value(${WINDOW_AGGREGATE_MARKER}(` }, { at: sig[last]!.end, text: '))' });
  return true;
}

/** Name of the marker call that carries a QUALIFY condition through HAVING. */
export const QUALIFY_MARKER = '__qualify';

const FRAME_UNITS = new Set(['rows', 'range', 'groups']);
const UNIT_CODES = ['rows', 'range', 'groups'];
const BOUND_CODES = ['unbounded_preceding', 'preceding', 'current_row', 'following', 'unbounded_following'];

/** Parenthesis depth before each significant token. */
function parenDepths(sig: readonly Token[]): Int32Array {
  const d = new Int32Array(sig.length);
  let depth = 0;
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind === 'punct' && t.text === ')') depth--;
    d[k] = depth;
    if (t.kind === 'punct' && t.text === '(') depth++;
  }
  return d;
}

/** Frame bound of an encoded frame (see rewriteFrame): `9` units bound offset, e.g. "9112" = RANGE 2 PRECEDING. */
export function decodeFrameBound(code: string): { units: string; kind: string; offset: number } | null {
  const m = /^9([0-2])([0-4])(\d*)$/.exec(code);
  if (!m) return null;
  return { units: UNIT_CODES[Number(m[1])]!, kind: BOUND_CODES[Number(m[2])]!, offset: m[3] ? Number(m[3]) : 0 };
}

/**
 * A frame clause starting at sig[k] directly inside `OVER (` or `AS (`, up to the closing
 * parenthesis: its encoded text and the index of that parenthesis; null when it is not one.
 */
function rewriteFrame(sig: readonly Token[], k: number, depth: Int32Array): { text: string; end: number } | null {
  let open = k - 1;
  while (open >= 0 && !(depth[open] === depth[k]! - 1 && sig[open]!.text === '(')) open--;
  if (open < 1 || !(isWord(sig[open - 1], 'over') || isWord(sig[open - 1], 'as'))) return null;
  let close = k + 1;
  while (close < sig.length && !(sig[close]!.text === ')' && depth[close] === depth[k]! - 1)) close++;
  if (close >= sig.length) return null;
  const words = sig.slice(k + 1, close).map((t) => t.text.toLowerCase());
  const unit = UNIT_CODES.indexOf(sig[k]!.text.toLowerCase());
  let i = 0;
  const bound = (): string | null => {
    const a = words[i], b = words[i + 1];
    let kind: number;
    let offset = '';
    if (a === 'unbounded' && b === 'preceding') kind = 0;
    else if (a === 'unbounded' && b === 'following') kind = 4;
    else if (a === 'current' && b === 'row') kind = 2;
    else if (a !== undefined && /^\d{1,9}$/.test(a) && (b === 'preceding' || b === 'following')) { kind = b === 'preceding' ? 1 : 3; offset = a; }
    else return null;
    i += 2;
    return `9${unit}${kind}${offset}`;
  };
  let start: string | null, end: string | null;
  if (words[0] === 'between') {
    i = 1;
    start = bound();
    if (words[i] !== 'and') return null;
    i++;
    end = bound();
  } else {
    start = bound();
    end = `9${unit}2`;
  }
  if (start === null || end === null || i !== words.length) return null;
  return { text: `ROWS BETWEEN ${start} FOLLOWING AND ${end} FOLLOWING`, end: close };
}

/** QUALIFY at sig[k]: checks its SELECT and returns the index one past its condition. */
function rewriteQualify(sig: readonly Token[], k: number, depth: Int32Array, text: string, offset: number, script: string): number {
  const d = depth[k]!;
  const refuse = (what: string): never => {
    throw new SpillwayError('unsupported', `unsupported: QUALIFY ${what} at ${describePosition(script, offset + sig[k]!.start)}`);
  };
  for (let j = k - 1; j >= 0 && !(depth[j] === d && isWord(sig[j], 'select')); j--) {
    if (depth[j] !== d) continue;
    if (isWord(sig[j], 'having')) refuse('together with HAVING in one SELECT');
    if (isWord(sig[j], 'window')) refuse('after a WINDOW clause (write it before WINDOW)');
  }
  const ends = new Set(['order', 'limit', 'offset', 'window', 'union', 'intersect', 'except', 'fetch']);
  let j = k + 1;
  while (j < sig.length && depth[j]! >= d && !(depth[j] === d && sig[j]!.kind === 'word' && ends.has(sig[j]!.text.toLowerCase()))) j++;
  if (j === k + 1) throw new SpillwayError('syntax', `syntax error at ${describePosition(script, offset + (sig[k]?.end ?? text.length))}: QUALIFY needs a condition`);
  return j;
}

/**
 * Apply insertions (positions in the original text); the returned map takes an offset in
 * the rewritten text back to the original (an offset inside inserted text maps to its insertion point).
 */
function applyInserts(text: string, inserts: Insert[]): { sql: string; toOriginal: (offset: number) => number } {
  if (inserts.length === 0) return { sql: text, toOriginal: (o) => o };
  const sorted = [...inserts].sort((a, b) => a.at - b.at);
  let sql = '';
  let prev = 0;
  for (const ins of sorted) {
    sql += text.slice(prev, ins.at) + ins.text;
    prev = ins.at;
  }
  sql += text.slice(prev);
  const toOriginal = (offset: number): number => {
    let shift = 0;
    for (const ins of sorted) {
      const start = ins.at + shift;
      if (offset < start) break;
      if (offset < start + ins.text.length) return ins.at;
      shift += ins.text.length;
    }
    return offset - shift;
  };
  return { sql, toOriginal };
}

/** CREATE EXTERNAL TABLE name STORED AS PARQUET LOCATION 'path' */
function parseExternalTable(sig: Token[], text: string, offset: number, script: string): ExternalTableSpec {
  const fail = (tok: Token | undefined, what: string): never => {
    const at = tok ? offset + tok.start : offset + text.length;
    const found = tok ? `"${tok.text}"` : 'end of input';
    throw new SpillwayError('syntax', `syntax error at ${describePosition(script, at)}: expected ${what} in CREATE EXTERNAL TABLE, found ${found}`);
  };
  let k = 2;
  if (!isWord(sig[k], 'table')) fail(sig[k], 'TABLE');
  k++;
  let ifNotExists = false;
  if (isWord(sig[k], 'if') && isWord(sig[k + 1], 'not') && isWord(sig[k + 2], 'exists')) { ifNotExists = true; k += 3; }
  void ifNotExists;
  const nameTok = sig[k];
  if (!nameTok || (nameTok.kind !== 'word' && nameTok.kind !== 'qident')) return fail(nameTok, 'a table name');
  const name = nameTok.kind === 'qident' ? nameTok.text.slice(1, -1).replace(/""/g, '"') : nameTok.text.toLowerCase();
  k++;
  if (!isWord(sig[k], 'stored')) fail(sig[k], 'STORED AS PARQUET');
  if (!isWord(sig[k + 1], 'as')) fail(sig[k + 1], 'AS');
  const format = sig[k + 2];
  if (!format || format.kind !== 'word') return fail(format, 'PARQUET');
  if (format.text.toLowerCase() !== 'parquet') {
    throw new SpillwayError('unsupported', `unsupported: external table format ${format.text.toUpperCase()} (only PARQUET) at ${describePosition(script, offset + format.start)}`);
  }
  k += 3;
  if (!isWord(sig[k], 'location')) fail(sig[k], 'LOCATION');
  const loc = sig[k + 1];
  if (!loc || loc.kind !== 'string' || !loc.text.startsWith("'")) return fail(loc, "a quoted path such as 'data/t.parquet'");
  if (sig[k + 2] !== undefined) fail(sig[k + 2], 'end of statement');
  return { name, location: loc.text.slice(1, -1).replace(/''/g, "'") };
}

/**
 * Where an identifier (optionally `qualifier.name`) first appears in `text` outside
 * strings and comments; -1 if nowhere. Used to place binder errors on column and table
 * names, which the parser's AST carries no location for.
 */
export function findIdentifier(text: string, name: string, qualifier?: string): number {
  const toks = tokenize(text).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const same = (t: Token | undefined, w: string) => t !== undefined
    && ((t.kind === 'word' && t.text.toLowerCase() === w.toLowerCase()) || (t.kind === 'qident' && t.text.slice(1, -1) === w));
  for (let k = 0; k < toks.length; k++) {
    if (qualifier !== undefined) {
      if (same(toks[k], qualifier) && toks[k + 1]?.text === '.' && same(toks[k + 2], name)) return toks[k]!.start;
    } else if (same(toks[k], name) && toks[k - 1]?.text !== '.') {
      return toks[k]!.start;
    }
  }
  return -1;
}
