/**
 * COPY … TO, as DuckDB spells it, parsed from tokens (node-sql-parser has no COPY):
 *
 *   COPY (query) TO 'path' [(option value, …)]
 *   COPY table   TO 'path' [(option value, …)]
 *
 *   FORMAT parquet | csv | json        default: from the extension (.parquet, .csv, .json/.ndjson/.jsonl), else csv
 *   COMPRESSION snappy | zstd | gzip | brotli | none   (Parquet: default snappy; csv/json: none or gzip)
 *   ROW_GROUP_SIZE n                   Parquet rows per row group
 *   PARTITION_BY (col, …)              hive-style folders col=value/ under 'path'
 *   OVERWRITE [true|false]             replace an existing file or folder (default: refuse)
 *   HEADER [true|false], DELIMITER 'c' CSV only
 *   ARRAY [true|false]                 JSON only: one JSON array instead of one object per line
 *   PER_THREAD_OUTPUT [true|false]     Parquet: a folder of part files, one per task (copy.ts)
 *
 * The query's own text stays where it is (everything else is blanked), so the parser's
 * error positions still point into the user's statement.
 */
import { SpillwayError } from '../common/errors.js';
import type { Token } from './preparse.js';

export type CopyFormat = 'parquet' | 'csv' | 'json';
export type CopyCompression = 'snappy' | 'zstd' | 'gzip' | 'brotli' | 'none';

export interface CopySpec {
  path: string;
  format: CopyFormat;
  compression: CopyCompression;
  rowGroupSize: number | null;
  partitionBy: string[];
  overwrite: boolean;
  header: boolean;
  delimiter: string;
  /** PER_THREAD_OUTPUT: a folder of part files, one per task of the query's last stage (copy.ts). */
  perTask?: boolean;
  /** JSON: one array of objects (ARRAY true) instead of one object per line. */
  array?: boolean;
}

export interface ParsedCopy {
  spec: CopySpec;
  /** Where the rows come from: a parenthesized query (token span) or a table name. */
  source: { kind: 'query'; open: Token; close: Token } | { kind: 'table'; name: Token };
  /** The tokens of the COPY itself, outside the query (to blank before parsing). */
  outside: Token[];
}

const FORMATS: readonly CopyFormat[] = ['parquet', 'csv', 'json'];
const COMPRESSIONS: readonly CopyCompression[] = ['snappy', 'zstd', 'gzip', 'brotli', 'none'];

type Fail = (tok: Token | undefined, what: string) => never;

function word(t: Token | undefined): string {
  return t !== undefined && (t.kind === 'word' || t.kind === 'qident') ? (t.kind === 'qident' ? t.text.slice(1, -1) : t.text.toLowerCase()) : '';
}

function unquote(t: Token): string {
  return t.text.slice(1, -1).replace(/''/g, "'");
}

function formatOfPath(path: string): CopyFormat {
  const p = path.toLowerCase().replace(/\.(gz|gzip)$/, '');
  if (p.endsWith('.parquet')) return 'parquet';
  if (p.endsWith('.json') || p.endsWith('.ndjson') || p.endsWith('.jsonl')) return 'json';
  return 'csv';
}

/** COPY's defaults for `path`: the format from its extension, that format's default compression. */
export function copySpecFor(path: string, overrides: Partial<CopySpec> = {}): CopySpec {
  const format = overrides.format ?? formatOfPath(path);
  const compression = format === 'parquet' ? 'snappy' : /\.(gz|gzip)$/i.test(path) ? 'gzip' : 'none';
  return { path, format, compression, rowGroupSize: null, partitionBy: [], overwrite: false, header: true, delimiter: ',', ...overrides };
}

/** `sig`: the statement's tokens without spaces and comments, starting at COPY. */
export function parseCopy(sig: readonly Token[], fail: Fail): ParsedCopy {
  let k = 1;
  let source: ParsedCopy['source'];
  const outside: Token[] = [sig[0]!];
  if (sig[k]?.text === '(') {
    let depth = 0;
    let close = -1;
    for (let j = k; j < sig.length; j++) {
      if (sig[j]!.kind !== 'punct') continue;
      if (sig[j]!.text === '(') depth++;
      else if (sig[j]!.text === ')' && --depth === 0) { close = j; break; }
    }
    if (close < 0) fail(undefined, 'the ")" closing the query');
    if (close === k + 1) fail(sig[close], 'a query');
    source = { kind: 'query', open: sig[k]!, close: sig[close]! };
    outside.push(sig[k]!, sig[close]!);
    k = close + 1;
  } else {
    const t = sig[k];
    if (!t || (t.kind !== 'word' && t.kind !== 'qident') || word(t) === 'to') fail(t, 'a table name or a (query)');
    source = { kind: 'table', name: t! };
    outside.push(t!);
    k++;
  }
  if (word(sig[k]) !== 'to') fail(sig[k], 'TO');
  const pathTok = sig[k + 1];
  if (!pathTok || pathTok.kind !== 'string' || !pathTok.text.startsWith("'")) fail(pathTok, "a quoted path such as 'out.parquet'");
  outside.push(...sig.slice(k, k + 2));
  const path = unquote(pathTok!);
  if (path.length === 0) fail(pathTok, 'a non-empty path');
  k += 2;

  const options = new Map<string, { tok: Token; values: Token[] }>();
  if (word(sig[k]) === 'with') { outside.push(sig[k]!); k++; }
  if (sig[k]?.text === '(') {
    outside.push(...sig.slice(k));
    k++;
    for (;;) {
      const name = sig[k];
      if (name?.text === ')' && options.size === 0) { k++; break; }
      if (!name || name.kind !== 'word') fail(name, 'an option name (FORMAT, COMPRESSION, ROW_GROUP_SIZE, PARTITION_BY, OVERWRITE, HEADER, DELIMITER)');
      k++;
      const values: Token[] = [];
      let depth = 0;
      while (k < sig.length) {
        const t = sig[k]!;
        if (depth === 0 && (t.text === ',' || t.text === ')')) break;
        if (t.text === '(') depth++;
        if (t.text === ')') depth--;
        values.push(t);
        k++;
      }
      const key = name!.text.toLowerCase();
      if (options.has(key)) fail(name, `${name!.text.toUpperCase()} only once`);
      options.set(key, { tok: name!, values });
      if (sig[k]?.text === ',') { k++; continue; }
      if (sig[k]?.text === ')') { k++; break; }
      fail(sig[k], '"," or ")"');
    }
  }
  if (sig[k] !== undefined) fail(sig[k], 'end of statement');

  const spec = copySpecFor(path);
  let compression: CopyCompression | null = null;
  for (const [key, { tok, values }] of options) {
    const one = (what: string): Token => {
      if (values.length !== 1) fail(values[1] ?? tok, `one value for ${key.toUpperCase()}: ${what}`);
      return values[0]!;
    };
    const flag = (): boolean => {
      if (values.length === 0) return true;
      const v = word(one('true or false'));
      if (v === 'true' || v === '1' || values[0]!.text === '1') return true;
      if (v === 'false' || values[0]!.text === '0') return false;
      return fail(values[0], `true or false for ${key.toUpperCase()}`);
    };
    switch (key) {
      case 'format': {
        const v = word(one('parquet, csv or json')) || unquoteIfString(values[0]);
        if (!FORMATS.includes(v as CopyFormat)) fail(values[0], 'FORMAT parquet, csv or json');
        spec.format = v as CopyFormat;
        break;
      }
      case 'compression': case 'codec': {
        const v = word(one(COMPRESSIONS.join(', '))) || unquoteIfString(values[0]);
        if (!COMPRESSIONS.includes(v as CopyCompression)) fail(values[0], `COMPRESSION ${COMPRESSIONS.join(', ')}`);
        compression = v as CopyCompression;
        break;
      }
      case 'row_group_size': {
        const t = one('a number of rows');
        const n = Number(t.text);
        if (t.kind !== 'number' || !Number.isInteger(n) || n < 1 || n > 1 << 26) fail(t, 'a whole number of rows from 1 to 67108864');
        spec.rowGroupSize = n;
        break;
      }
      case 'partition_by': {
        const inner = values[0]?.text === '(' && values.at(-1)?.text === ')' ? values.slice(1, -1) : values;
        const cols: string[] = [];
        for (let i = 0; i < inner.length; i += 2) {
          const c = inner[i]!;
          if (c.kind !== 'word' && c.kind !== 'qident') fail(c, 'a column name');
          cols.push(c.kind === 'qident' ? c.text.slice(1, -1) : c.text);
          if (i + 1 < inner.length && inner[i + 1]!.text !== ',') fail(inner[i + 1], '","');
        }
        if (cols.length === 0) fail(values[0] ?? tok, 'PARTITION_BY (column, …)');
        spec.partitionBy = cols;
        break;
      }
      case 'overwrite': case 'overwrite_or_ignore': spec.overwrite = flag(); break;
      case 'header': spec.header = flag(); break;
      case 'per_thread_output': spec.perTask = flag(); break;
      case 'array': spec.array = flag(); break;
      case 'delimiter': case 'delim': case 'sep': {
        const t = one("a one-character string such as ';'");
        if (t.kind !== 'string' || !/^[\x20-\x7e\t]$/.test(unquote(t)) || unquote(t) === '"') fail(t, "a one-character string such as ';'");
        spec.delimiter = unquote(t);
        break;
      }
      default:
        fail(tok, 'a COPY option (FORMAT, COMPRESSION, ROW_GROUP_SIZE, PARTITION_BY, OVERWRITE, HEADER, DELIMITER, ARRAY, PER_THREAD_OUTPUT)');
    }
  }
  if (spec.format !== 'csv' && (options.has('header') || options.has('delimiter'))) {
    fail((options.get('header') ?? options.get('delimiter'))!.tok, `options of FORMAT ${spec.format} (HEADER and DELIMITER are for csv)`);
  }
  if (spec.format !== 'json' && options.has('array')) fail(options.get('array')!.tok, `options of FORMAT ${spec.format} (ARRAY is for json)`);
  if (spec.format === 'parquet') {
    spec.compression = compression ?? 'snappy';
  } else {
    if (compression !== null && compression !== 'none' && compression !== 'gzip') {
      throw new SpillwayError('unsupported', `unsupported: COMPRESSION ${compression} for FORMAT ${spec.format} (none or gzip)`);
    }
    spec.compression = compression ?? (/\.(gz|gzip)$/i.test(path) ? 'gzip' : 'none');
    if (options.has('row_group_size')) fail(options.get('row_group_size')!.tok, 'options of FORMAT ' + spec.format + ' (ROW_GROUP_SIZE is for parquet)');
  }
  return { spec, source, outside };
}

function unquoteIfString(t: Token | undefined): string {
  return t !== undefined && t.kind === 'string' ? unquote(t).toLowerCase() : '';
}
