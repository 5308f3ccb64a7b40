/**
 * The CSV sniffer: dialect, header and column types from a sample of the first file, the
 * way DuckDB's read_csv detects them (what is detected can always be given instead).
 *
 *   sample    the first sample_size records (at most 32 MiB) of the first file
 *   delimiter the candidate among , | ; TAB whose records agree best on a column count
 *             (most records with the commonest count, then more columns)
 *   types     per column, the first of BOOLEAN → BIGINT → DOUBLE → DATE → TIMESTAMP →
 *             VARCHAR that every non-NULL sample value (trimmed) parses as; a column with
 *             no value is VARCHAR. TIME values stay VARCHAR (Spillway has no TIME type).
 *   header    the first record is a header when every column is VARCHAR or one of its
 *             values does not parse as its column's type
 *   names     the header's fields (empty → columnN, duplicates → name_1), else column0, column1 …
 */
import { SpillwayError } from '../common/errors.js';
import { sqlTypeName, type DataType, type Field } from '../common/types.js';
import { CsvRecordParser, type CsvSyntax } from './csv_parser.js';
import { csvChunks } from './csv_source.js';

/** How a set of CSV files is read: everything the scan needs besides the columns. */
export interface CsvDialect extends CsvSyntax {
  header: boolean;
  /** Lines skipped at the top of every file (before the header). */
  skip: number;
  /** A field equal to this (quoted or not) is NULL. */
  nullstr: string;
}

/** What a read_csv call may say; anything left out is detected or defaulted. */
export interface CsvOptions {
  header?: boolean;
  delimiter?: string;
  quote?: string;
  escape?: string;
  nullstr?: string;
  skip?: number;
  sampleSize?: number;
  autoDetect?: boolean;
  allVarchar?: boolean;
  /** columns={'a': 'INTEGER', …}: names and types of every column, in file order. */
  columns?: Field[];
}

export interface SniffResult {
  dialect: CsvDialect;
  fields: Field[];
  /** Records per byte of the sample (for row estimates). */
  recordsPerByte: number;
  /** The sample was the whole first file: its record count is exact. */
  wholeFile: boolean;
  sampleRecords: number;
}

const DELIMITERS = [',', '|', ';', '\t'];
const DEFAULT_SAMPLE = 20480;
const MAX_SAMPLE_BYTES = 32 * 1024 * 1024;
/** Sniffed type candidates, narrowest first. */
const CANDIDATES: readonly DataType[] = ['bool', 'int64', 'float64', 'date32', 'timestamp', 'utf8'];

const BOOL_RE = /^(true|false|t|f|yes|no)$/i;
const INT_RE = /^-?\d+$/;
const FLOAT_RE = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^-?(inf|infinity|nan)$/i;
const DATE_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?$/;
const INT64_MAX = 9223372036854775807n;

function validDate(m: RegExpExecArray): boolean {
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  if (d > days) return false;
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  return h < 24 && mi < 60 && s < 60;
}

/** Whether a (non-NULL) CSV value reads as `type`. */
export function fitsType(value: string, type: DataType): boolean {
  const v = value.trim();
  switch (type) {
    case 'utf8': return true;
    case 'bool': return BOOL_RE.test(v);
    case 'int32': case 'int64': {
      if (!INT_RE.test(v)) return false;
      if (v.length < 10) return true;
      const b = BigInt(v);
      return type === 'int32' ? b >= -2147483648n && b <= 2147483647n : b >= -INT64_MAX - 1n && b <= INT64_MAX;
    }
    case 'float64': return FLOAT_RE.test(v);
    case 'date32': { const m = DATE_RE.exec(v); return m !== null && validDate(m); }
    case 'timestamp': { const m = TIMESTAMP_RE.exec(v); return m !== null && validDate(m); }
    default: return false;
  }
}

/**
 * Calls fn with each record of the sample that has `width` fields, after `skip` records, as
 * strings (the sample only: the scan never builds strings per row). `values` is reused.
 */
function eachRecord(
  sample: Uint8Array, complete: boolean, syntax: CsvSyntax, path: string, limit: number, skip: number, width: number,
  fn: (values: string[]) => void,
): void {
  let seen = 0;
  const values = new Array<string>(width).fill('');
  const parser: CsvRecordParser = new CsvRecordParser(syntax, (buf, fields) => {
    if (seen++ < skip || seen > limit || fields !== width) return;
    for (let i = 0; i < fields; i++) {
      const b = parser.fieldBytes(buf, i);
      values[i] = Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
    }
    fn(values);
  }, `file ${path}`);
  parser.feed(sample);
  if (complete) parser.end();
}

/** The number of fields of each record of a sample (delimiter candidates: no strings built). */
function sampleWidths(sample: Uint8Array, complete: boolean, syntax: CsvSyntax, path: string, limit: number): number[] {
  const out: number[] = [];
  const parser = new CsvRecordParser(syntax, (_buf, fields) => {
    // an empty line counts as no record
    if (out.length < limit) out.push(fields === 1 && parser.starts[0] === parser.ends[0] && parser.escaped[0] === 0 ? 0 : fields);
  }, `file ${path}`);
  parser.feed(sample);
  if (complete) parser.end();
  return out;
}

/** The first records of a file: up to `records` newlines or MAX_SAMPLE_BYTES. */
async function readSample(path: string, records: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const parts: Uint8Array[] = [];
  let size = 0, lines = 0;
  const it = csvChunks(path);
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { bytes: Buffer.concat(parts), complete: true };
      parts.push(r.value);
      size += r.value.length;
      for (const b of r.value) if (b === 10) lines++;
      if (lines > records || size >= MAX_SAMPLE_BYTES) return { bytes: Buffer.concat(parts), complete: false };
    }
  } finally {
    await it.return(undefined);
  }
}

function commonCount(widths: readonly number[]): { count: number; agreeing: number } {
  const freq = new Map<number, number>();
  for (const w of widths) if (w > 0) freq.set(w, (freq.get(w) ?? 0) + 1);
  let count = 0, agreeing = 0;
  for (const [c, f] of freq) if (f > agreeing || (f === agreeing && c > count)) { count = c; agreeing = f; }
  return { count, agreeing };
}

function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let k = 1; seen.has(name.toLowerCase()); k++) name = `${n}_${k}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

export async function sniffCsv(path: string, options: CsvOptions): Promise<SniffResult> {
  const skip = options.skip ?? 0;
  const sampleSize = options.sampleSize === undefined || options.sampleSize <= 0 ? DEFAULT_SAMPLE : options.sampleSize;
  const auto = options.autoDetect ?? true;
  const quote = options.quote ?? '"';
  const escape = options.escape ?? quote;
  const nullstr = options.nullstr ?? '';
  const { bytes, complete } = await readSample(path, sampleSize + skip + 1);
  const limit = sampleSize + skip + 1;

  let delimiter = options.delimiter;
  if (delimiter === undefined && auto) {
    let best = { delimiter: ',', count: 0, agreeing: -1 };
    for (const d of DELIMITERS) {
      let widths: number[];
      try {
        widths = sampleWidths(bytes, complete, { delimiter: d, quote, escape }, path, limit).slice(skip);
      } catch {
        continue;
      }
      const c = commonCount(widths);
      if (c.count < 2) continue;
      if (c.agreeing > best.agreeing || (c.agreeing === best.agreeing && c.count > best.count)) best = { delimiter: d, ...c };
    }
    delimiter = best.delimiter;
  }
  delimiter ??= ',';
  const syntax: CsvSyntax = { delimiter, quote, escape };
  const widths = sampleWidths(bytes, complete, syntax, path, limit);
  const records = Math.max(0, widths.length - skip);
  const { count } = commonCount(widths.slice(skip));
  const width = options.columns?.length ?? Math.max(1, count);
  const isNull = (v: string): boolean => v === nullstr;
  const given = options.columns?.map((f) => f.type);
  const detected = given === undefined && auto && options.allVarchar !== true;

  // Candidate level per column over the records after the first (which may be a header);
  // a column with no value there starts as VARCHAR for the header test.
  const level = new Int32Array(width);
  const seenValue = new Uint8Array(width);
  const widen = (values: readonly string[]): void => {
    for (let c = 0; c < width; c++) {
      const v = values[c]!;
      if (isNull(v)) continue;
      seenValue[c] = 1;
      while (level[c]! < CANDIDATES.length - 1 && !fitsType(v, CANDIDATES[level[c]!]!)) level[c]!++;
    }
  };
  let first: string[] | undefined;
  eachRecord(bytes, complete, syntax, path, limit, skip, width, (values) => {
    if (first === undefined) first = [...values];
    else if (detected) widen(values);
  });
  const typesNow = (): DataType[] => (given ?? Array.from(level, (l, c) => (detected && seenValue[c] ? CANDIDATES[l]! : 'utf8')));

  let header = options.header;
  if (header === undefined) {
    if (!auto || first === undefined) header = false;
    else {
      const effective = typesNow();
      const allText = effective.every((t) => t === 'utf8');
      header = allText || first.some((v, c) => effective[c] !== 'utf8' && !isNull(v) && !fitsType(v, effective[c]!));
    }
  }
  if (detected && !header && first !== undefined) widen(first);
  const types = typesNow();

  let names: string[];
  if (options.columns) names = options.columns.map((f) => f.name);
  else if (header && first !== undefined) names = first.map((v, c) => (v.trim() === '' ? `column${c}` : v));
  else names = Array.from({ length: width }, (_, c) => `column${c}`);
  names = uniqueNames(names);
  const fields: Field[] = names.map((name, c) => ({ name, type: types[c]!, nullable: true }));
  if (options.columns && count !== 0 && count !== width) {
    throw new SpillwayError('binder', `read_csv: columns={…} names ${width} columns (${fields.map((f) => `${f.name} ${sqlTypeName(f.type)}`).join(', ')}) but the records of "${path}" have ${count} fields`);
  }
  return {
    dialect: { ...syntax, header, skip, nullstr }, fields,
    recordsPerByte: records / Math.max(1, bytes.length), wholeFile: complete && widths.length < limit,
    sampleRecords: Math.max(0, widths.slice(skip).filter((w) => w > 0).length - (header ? 1 : 0)),
  };
}
