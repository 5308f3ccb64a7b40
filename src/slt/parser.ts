/**
 * Parser of sqllogictest files (the SQLite corpus format; see the conformance FORMAT.md).
 *
 *   text ─split lines, strip '\r', drop '#' lines─▶ records (runs of non-blank lines)
 *        ─conditionals (skipif/onlyif) + header─▶ SltRecord
 *
 * A record that cannot be understood becomes a `malformed` record carrying its file and
 * line, so the runner reports it and carries on with the next record.
 */

export interface SltCondition {
  readonly kind: 'skipif' | 'onlyif';
  readonly engine: string;
}

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

interface RecordBase {
  readonly file: string;
  /** 1-based line of the record's first line (its first conditional, or its header). */
  readonly line: number;
  readonly conditions: readonly SltCondition[];
}

export interface StatementRecord extends RecordBase {
  readonly kind: 'statement';
  readonly expectError: boolean;
  /** For `statement error <regex>` (DataFusion dialect): the message must match it. */
  readonly errorPattern: string | null;
  readonly sql: string;
}

export interface QueryRecord extends RecordBase {
  readonly kind: 'query';
  /** One character per result column: I, T, R (and DataFusion's B, D, P, ?). */
  readonly types: string;
  readonly sortMode: SortMode;
  readonly label: string | null;
  readonly sql: string;
  /** The lines after `----`; empty when there is no `----` or nothing follows it. */
  readonly expected: readonly string[];
  /** `query error` (DataFusion dialect): the query must fail. */
  readonly expectError: boolean;
  readonly errorPattern: string | null;
}

export interface HashThresholdRecord extends RecordBase {
  readonly kind: 'hash-threshold';
  readonly threshold: number;
}

export interface HaltRecord extends RecordBase {
  readonly kind: 'halt';
}

export interface MalformedRecord extends RecordBase {
  readonly kind: 'malformed';
  readonly message: string;
  /** The record's text as written, for the report. */
  readonly text: string;
}

export type SltRecord = StatementRecord | QueryRecord | HashThresholdRecord | HaltRecord | MalformedRecord;

const TYPE_CHARS = /^[ITRBDP?]+$/;
const SORT_MODES: readonly string[] = ['nosort', 'rowsort', 'valuesort'];

/** Parse the text of one sqllogictest file. `file` names it in records and reports. */
export function parseSlt(text: string, file: string): SltRecord[] {
  const records: SltRecord[] = [];
  const lines = text.split('\n');
  let block: { text: string; line: number }[] = [];
  const flush = () => {
    if (block.length > 0) records.push(parseRecord(block, file));
    block = [];
  };
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    if (l.endsWith('\r')) l = l.slice(0, -1);
    // A comment never splits a record: drop it before looking for blank lines.
    if (l.startsWith('#')) continue;
    if (l.trim() === '') { flush(); continue; }
    block.push({ text: l, line: i + 1 });
  }
  flush();
  return records;
}

function tokens(line: string): string[] {
  const out: string[] = [];
  for (const t of line.trim().split(/\s+/)) {
    if (t.startsWith('#')) break; // trailing comment: "skipif mysql # not compatible"
    out.push(t);
  }
  return out;
}

function parseRecord(block: readonly { text: string; line: number }[], file: string): SltRecord {
  const line = block[0]!.line;
  const conditions: SltCondition[] = [];
  const malformed = (message: string): MalformedRecord => ({
    kind: 'malformed', file, line, conditions, message, text: block.map((b) => b.text).join('\n'),
  });
  let i = 0;
  for (; i < block.length; i++) {
    const t = tokens(block[i]!.text);
    if (t[0] !== 'skipif' && t[0] !== 'onlyif') break;
    if (t.length < 2) return malformed(`"${t[0]}" needs an engine name`);
    conditions.push({ kind: t[0], engine: t[1]!.toLowerCase() });
  }
  if (i >= block.length) return malformed('conditions without a statement, query or halt');
  const header = tokens(block[i]!.text);
  const body = block.slice(i + 1).map((b) => b.text);
  switch (header[0]) {
    case 'statement': {
      const mode = header[1];
      if (mode !== 'ok' && mode !== 'error' && mode !== 'count') {
        return malformed(`statement mode must be "ok" or "error", got ${mode === undefined ? 'nothing' : `"${mode}"`}`);
      }
      if (body.length === 0) return malformed('statement without SQL');
      const pattern = mode === 'error' ? restOfHeader(block[i]!.text, 2) : null;
      return { kind: 'statement', file, line, conditions, expectError: mode === 'error', errorPattern: pattern, sql: body.join('\n') };
    }
    case 'query': {
      const types = header[1];
      if (types === undefined) return malformed('query without column types');
      const sep = body.indexOf('----');
      const sqlLines = sep < 0 ? body : body.slice(0, sep);
      if (sqlLines.length === 0) return malformed('query without SQL');
      const sql = sqlLines.join('\n');
      const expected = sep < 0 ? [] : body.slice(sep + 1);
      if (types === 'error') {
        const pattern = restOfHeader(block[i]!.text, 2);
        return {
          kind: 'query', file, line, conditions, types: '', sortMode: 'nosort', label: null, sql,
          expected, expectError: true, errorPattern: pattern,
        };
      }
      if (!TYPE_CHARS.test(types)) return malformed(`bad column types "${types}" (expected letters of I, T, R)`);
      const sortMode = header[2] ?? 'nosort';
      if (!SORT_MODES.includes(sortMode)) return malformed(`unknown sort mode "${sortMode}" (expected nosort, rowsort or valuesort)`);
      return {
        kind: 'query', file, line, conditions, types, sortMode: sortMode as SortMode, label: header[3] ?? null, sql,
        expected, expectError: false, errorPattern: null,
      };
    }
    case 'hash-threshold': {
      const n = header[1];
      if (n === undefined || !/^\d+$/.test(n)) return malformed(`hash-threshold needs a non-negative integer, got ${n === undefined ? 'nothing' : `"${n}"`}`);
      if (body.length > 0) return malformed('unexpected lines after hash-threshold');
      return { kind: 'hash-threshold', file, line, conditions, threshold: Number(n) };
    }
    case 'halt':
      return { kind: 'halt', file, line, conditions };
    default:
      return malformed(`unknown record type "${header[0]}"`);
  }
}

/** The header text after its first `n` tokens (a DataFusion error regex), or null. */
function restOfHeader(line: string, n: number): string | null {
  let rest = line.trim();
  for (let k = 0; k < n; k++) rest = rest.replace(/^\S+\s*/, '');
  return rest === '' ? null : rest;
}
