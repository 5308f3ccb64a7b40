/**
 * SQL text → statement ASTs, through node-sql-parser's postgresql-only build (it loads
 * in ~25 ms instead of ~110 ms for all dialects).
 *
 * Syntax errors become SpillwayError('syntax', 'syntax error at line L, column C: ...')
 * with L:C in the ORIGINAL script: the pre-parse keeps each statement's length, so the
 * parser's offset plus the statement's offset is the script offset.
 */
import pkg from 'node-sql-parser/build/postgresql.js';
import { SpillwayError } from '../common/errors.js';
import type { StatementAst } from './ast.js';
import type { CopySpec } from './copy.js';
import type { JoinHint } from '../plan/logical.js';
import { extractJoinHints } from './join_hints.js';
import { balanceAndCheckDepth, checkParenthesesDepth } from './expression_depth.js';
import {
  type ExplainOptions,
  describePosition, rewriteStatement, splitStatements, tokenize,
  type ExternalTableSpec,
} from './preparse.js';

const parser = new pkg.Parser();
const PARSE_OPTIONS = { database: 'postgresql', parseOptions: { includeLocations: true } };

/** One statement of a script, parsed but not bound. */
export interface ParsedStatement {
  /** The statement's original text (without the trailing `;`). */
  text: string;
  /** Where `text` starts in `script`. */
  offset: number;
  /** The whole script, for error positions. */
  script: string;
  explain: ExplainOptions | null;
  /** COPY … TO: where the query's rows go (the body is the query). */
  copy: CopySpec | null;
  /** DESCRIBE: the body is the query whose columns are listed; `table` when a table was named. */
  describe: { table: boolean } | null;
  /** Offset in the parser's input → offset in `text` (identity unless a rewrite inserted text). */
  toOriginal: (offset: number) => number;
  body: { kind: 'ast'; ast: StatementAst } | { kind: 'external'; spec: ExternalTableSpec };
  rewrites: string[];
  /** Join hints from `/*+ … *\/` comments (join_hints.ts); node-sql-parser drops comments. */
  hints: JoinHint[];
}

/** Split a script and parse every statement. Throws on the first syntax error. */
export function parseScript(script: string): ParsedStatement[] {
  return splitStatements(script).map((s) => parseOne(script, s.text, s.offset));
}

/** Parse exactly one statement (a trailing `;` is allowed). */
export function parseStatement(sql: string): ParsedStatement {
  const all = parseScript(sql);
  if (all.length !== 1) {
    throw new SpillwayError('syntax', all.length === 0 ? 'syntax error: empty statement' : `syntax error: expected one statement, got ${all.length}`);
  }
  return all[0]!;
}

interface PegSyntaxError { name: string; message: string; location?: { start: { offset: number } }; found?: string | null }

function isPegError(e: unknown): e is PegSyntaxError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'SyntaxError';
}

function parseOne(script: string, text: string, offset: number): ParsedStatement {
  const pre = rewriteStatement(text, offset, script);
  const base = { text, offset, script, explain: pre.explain, copy: pre.copy, describe: pre.describe, rewrites: pre.rewrites, toOriginal: pre.toOriginal,
    hints: extractJoinHints(text, offset, script) };
  if (pre.external) return { ...base, body: { kind: 'external', spec: pre.external } };
  checkParenthesesDepth(script, text, offset);
  let ast: unknown;
  try {
    ast = parser.astify(pre.sql, PARSE_OPTIONS);
  } catch (e) {
    if (isPegError(e)) throw translateSyntaxError(e, script, text, offset, pre.toOriginal);
    // The library also throws plain Errors for constructs it parses but cannot represent.
    throw new SpillwayError('syntax', `syntax error in the statement at ${describePosition(script, offset + (text.length - text.trimStart().length))}: ${(e as Error).message}`);
  }
  balanceAndCheckDepth(ast, `at ${describePosition(script, offset + (text.length - text.trimStart().length))}`);
  const list = Array.isArray(ast) ? ast : [ast];
  if (list.length !== 1) throw new SpillwayError('syntax', `syntax error at ${describePosition(script, offset)}: expected one statement`);
  return { ...base, body: { kind: 'ast', ast: list[0] as StatementAst } };
}

/** Turn a peg.js error into one short line naming the unexpected token and its position. */
function translateSyntaxError(e: PegSyntaxError, script: string, text: string, offset: number, toOriginal: (o: number) => number): SpillwayError {
  const local = Math.min(toOriginal(e.location?.start.offset ?? Infinity), text.length);
  const toks = tokenize(text);
  const tok = toks.find((t) => t.start <= local && local < t.end && t.kind !== 'space');
  // Point at the start of the offending token, not inside it.
  const at = describePosition(script, offset + (tok ? tok.start : local));
  const before = toks.filter((t) => t.end <= local && t.kind !== 'space' && t.kind !== 'comment').at(-1);
  const kw = before && before.kind === 'word' ? before.text.toLowerCase() : '';
  if ((kw === 'limit' || kw === 'offset') && tok && tok.kind !== 'number') {
    return new SpillwayError('syntax', `${kw.toUpperCase()} must be a non-negative integer, got ${tok.text} at ${at}`);
  }
  const reason = tok ? `unexpected "${tok.text.length > 40 ? tok.text.slice(0, 40) + '…' : tok.text}"` : 'unexpected end of input';
  return new SpillwayError('syntax', `syntax error at ${at}: ${reason}`);
}
