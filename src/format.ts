/**
 * Rendering results as text: CSV (RFC 4180, quoting only where needed), an aligned table,
 * JSON lines and a JSON array (BIGINT always as a number with its exact digits, as DuckDB
 * writes JSON). Floats use the shortest round-trip form, dates YYYY-MM-DD, NULL as an
 * empty CSV field (`NULL` in tables, null in JSON).
 *
 * toCsvChunks / toJsonChunks render a batch at a time into UTF-8 bytes (one buffer per
 * batch, for one write each), with one writer per column chosen by type; toCsvLines /
 * toJsonLines are the row-at-a-time forms and produce the same text line by line.
 */
import { decodeUtf8, type Batch, type Column, type Utf8Column } from './columnar/column.js';
import { civilOf } from './common/calendar.js';
import { formatTimeOfDay } from './common/time_of_day.js';
import { scalarAt } from './columnar/kernels.js';
import type { DataType, NestedType, Scalar, Schema } from './common/types.js';
import { isNested, nestedInfo } from './common/nested_types.js';
import { isNestedColumn } from './columnar/nested.js';
import { decimalParams, isDecimal } from './common/types.js';
import { decimalText } from './expr/decimal.js';

export function formatDate(days: number): string {
  const { year: y, month: m, day: d } = civilOf(days);
  const yy = y < 0 ? '-' + String(-y).padStart(4, '0') : String(y).padStart(4, '0');
  return `${yy}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function formatTimestamp(micros: bigint): string {
  const days = Number(micros / 86_400_000_000n) - (micros % 86_400_000_000n < 0n ? 1 : 0);
  let rem = Number(micros - BigInt(days) * 86_400_000_000n);
  const us = rem % 1_000_000; rem = (rem - us) / 1_000_000;
  const s = rem % 60; rem = (rem - s) / 60;
  const mi = rem % 60; const h = (rem - mi) / 60;
  const frac = us === 0 ? '' : '.' + String(us).padStart(6, '0').replace(/0+$/, '');
  return `${formatDate(days)} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac}`;
}

export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

/** A value as text, or null for SQL NULL. */
export function formatScalar(type: DataType, v: Scalar): string | null {
  if (v === null) return null;
  if (isDecimal(type)) return decimalText(typeof v === 'bigint' ? v : Number(v), decimalParams(type).scale);
  if (isNested(type)) return nestedText(type, v);
  switch (type) {
    case 'date32': return formatDate(Number(v));
    case 'timestamp': return formatTimestamp(BigInt(v as number | bigint));
    case 'time': return formatTimeOfDay(Number(v));
    case 'float64': return formatFloat(Number(v));
    case 'bool': return v ? 'true' : 'false';
    default: return String(v);
  }
}

/**
 * DuckDB's text of a nested value: [1, 2, NULL], {'a': 1, 'b': x}, {k=v} for maps; a string
 * inside is bare unless it holds a character of that syntax, then quoted ('it\'s').
 */
function nestedText(type: NestedType, v: Scalar): string {
  const inner = (t: DataType, x: Scalar): string => {
    if (x === null) return 'NULL';
    if (isNested(t)) return nestedText(t, x);
    const s = formatScalar(t, x) ?? 'NULL';
    return t === 'utf8' && /[,'"[\]{}()=:\\]|^\s|\s$|^$|^NULL$/i.test(s) ? `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'` : s;
  };
  const info = nestedInfo(type);
  switch (info.kind) {
    case 'list': return `[${(v as readonly Scalar[]).map((x) => inner(info.element, x)).join(', ')}]`;
    case 'struct': {
      const o = v as { readonly [k: string]: Scalar };
      return `{${info.fields.map((f) => `'${f.name.replace(/'/g, "\\'")}': ${inner(f.type, o[f.name] ?? null)}`).join(', ')}}`;
    }
    case 'map': {
      const entries = v as readonly { readonly key: Scalar; readonly value: Scalar }[];
      return `{${entries.map((e) => `${inner(info.key, e.key)}=${inner(info.value, e.value)}`).join(', ')}}`;
    }
  }
}

/** A nested value as plain JSON-ready data: numbers, strings, arrays, objects (maps as objects when keys are text). */
export function nestedJson(type: DataType, v: Scalar): unknown {
  if (v === null) return null;
  if (!isNested(type)) {
    if (type === 'date32' || type === 'timestamp' || isDecimal(type)) return formatScalar(type, v);
    if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    if (typeof v === 'number' && !Number.isFinite(v)) return formatFloat(v);
    return v;
  }
  const info = nestedInfo(type);
  switch (info.kind) {
    case 'list': return (v as readonly Scalar[]).map((x) => nestedJson(info.element, x));
    case 'struct': {
      const o = v as { readonly [k: string]: Scalar };
      return Object.fromEntries(info.fields.map((f) => [f.name, nestedJson(f.type, o[f.name] ?? null)]));
    }
    case 'map':
      return (v as readonly { key: Scalar; value: Scalar }[]).map((e) => ({ key: nestedJson(info.key, e.key), value: nestedJson(info.value, e.value) }));
  }
}

export function formatCell(c: Column, i: number): string | null {
  return formatScalar(c.type, scalarAt(c, i));
}

function csvQuote(s: string, delimiter = ','): string {
  const special = /["\n\r]|^ | $/.test(s) || s.includes(delimiter);
  return special ? `"${s.replace(/"/g, '""')}"` : s;
}

export function* toCsvLines(schema: Schema, batches: Iterable<Batch>): Generator<string> {
  yield schema.fields.map((f) => csvQuote(f.name)).join(',');
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      yield b.columns.map((c) => { const s = formatCell(c, i); return s === null ? '' : csvQuote(s); }).join(',');
    }
  }
}

/**
 * A value as JSON text. BIGINT is always a JSON number with its exact digits, as DuckDB
 * writes it (a reader that parses numbers into doubles rounds beyond 2^53); dates and
 * timestamps are their SQL text; NaN and ±Infinity, which JSON lacks, are strings.
 */
function jsonText(type: DataType, v: Scalar): string {
  if (v === null) return 'null';
  if (type === 'date32' || type === 'timestamp') return JSON.stringify(formatScalar(type, v));
  if (isDecimal(type)) return decimalJson(formatScalar(type, v)!);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(formatFloat(v));
  return JSON.stringify(v);
}

/** A decimal's text as a JSON number, trailing fraction zeros dropped (as DuckDB's to_json). */
function decimalJson(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * One JSON object per row: the text JSON.stringify gives an object built member by member
 * (so integer-like names come first and a repeated name keeps its first place and last
 * value), with BIGINT values as exact numbers.
 */
export function* toJsonLines(schema: Schema, batches: Iterable<Batch>): Generator<string> {
  const members = jsonKeyOrder(schema);
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      yield `{${members.map(([key, j]) => `${JSON.stringify(key)}:${jsonText(schema.fields[j]!.type, scalarAt(b.columns[j]!, i))}`).join(',')}}`;
    }
  }
}

/**
 * An aligned text table; at most `maxRows` rows are shown, with a count of the rest
 * (`totalRows` when the caller kept only the first batches of a longer result).
 */
export function toTable(schema: Schema, batches: readonly Batch[], maxRows = 1000, totalRows?: number): string {
  const header = schema.fields.map((f) => f.name);
  const rows: string[][] = [];
  let total = 0;
  for (const b of batches) {
    total += b.length;
    for (let i = 0; i < b.length && rows.length < maxRows; i++) rows.push(b.columns.map((c) => formatCell(c, i) ?? 'NULL'));
  }
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const numeric = schema.fields.map((f) => f.type === 'int32' || f.type === 'int64' || f.type === 'float64' || isDecimal(f.type));
  const line = (cells: string[]) => cells.map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join(' | ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
  if (totalRows !== undefined) total = totalRows;
  if (total > rows.length) out.push(`… ${total - rows.length} more rows`);
  out.push(`(${total} row${total === 1 ? '' : 's'})`);
  return out.join('\n');
}

/**
 * Rows per rendered chunk: a batch becomes one buffer unless it is longer than this, which
 * bounds the size of one buffer (and of one write).
 */
const CHUNK_ROWS = 16384;

/**
 * A growable byte buffer that chunks are rendered into: bytes are copied from utf8 columns
 * as they are where the text would be the same, so no string per cell, and no long string
 * concatenations to flatten and encode. One sink is reused for every chunk (`renderSink`)
 * and a chunk leaves it as an exact-size copy: a fresh buffer sized for the worst case
 * per chunk cost more in zero-filling and page faults than the rendering itself.
 */
class ByteSink {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) { this.buf = new Uint8Array(Math.max(256, capacity)); }

  /** Start a chunk of about `capacity` bytes. */
  reset(capacity: number): this {
    this.pos = 0;
    if (this.buf.length < capacity || this.buf.length > Math.max(capacity, KEPT_SINK_BYTES)) this.buf = new Uint8Array(Math.max(256, capacity));
    return this;
  }

  /** The chunk's bytes, copied out (the sink is reused for the next chunk). */
  take(): Uint8Array { return this.buf.slice(0, this.pos); }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A string known to be ASCII (numbers, dates, literals). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let k = 0; k < n; k++) buf[p++] = s.charCodeAt(k);
    this.pos = p;
  }

  /** Any string, UTF-8 encoded. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  bytes(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.ensure(n);
    if (n < 64) {
      const buf = this.buf;
      let p = this.pos;
      while (s < e) buf[p++] = src[s++]!;
      this.pos = p;
    } else {
      this.buf.set(src.subarray(s, e), this.pos);
      this.pos += n;
    }
  }

  /** An integer in [-2^31, 2^31) in decimal, as String() writes it: two digits per division, from a table. */
  int(x: number): void {
    this.ensure(11);
    const buf = this.buf;
    let p = this.pos;
    if (x < 0) { buf[p++] = 0x2d; x = -x; }
    const end = p + decimalDigits(x);
    this.pos = end;
    p = end;
    while (x >= 100) {
      const q = (x / 100) >>> 0, r = 2 * (x - 100 * q);
      buf[--p] = DIGIT_PAIRS[r + 1]!;
      buf[--p] = DIGIT_PAIRS[r]!;
      x = q;
    }
    if (x >= 10) { buf[--p] = DIGIT_PAIRS[2 * x + 1]!; buf[--p] = DIGIT_PAIRS[2 * x]!; } else buf[--p] = 0x30 + x;
  }

  /** A float64 as formatFloat writes it. */
  float(x: number): void {
    if (Number.isInteger(x) && x > -2147483649 && x < 2147483648) this.int(x === 0 ? 0 : x);
    else this.ascii(formatFloat(x));
  }

}

/** Largest buffer the shared sink keeps between chunks (a chunk of long strings may need more, once). */
const KEPT_SINK_BYTES = 4 << 20;

/** The one sink chunks are rendered into (rendering a chunk is synchronous, so never shared by two at once). */
const renderSink = new ByteSink(1 << 16);

const encoder = new TextEncoder();

/** "00", "01", … "99" as bytes: digit pair k at [2k, 2k + 1]. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 0x30 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** Decimal digits of x in [0, 2^31]. */
function decimalDigits(x: number): number {
  if (x < 100000) return x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : 5;
  return x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
}

/** Facts about the bytes of rows [start, end) of a utf8 column. */
interface Utf8Range {
  /** Every byte is ASCII: the text is the bytes, one char per byte. */
  ascii: boolean;
  /** " , \n \r → QUOTE; space → SPACE; < 0x20, \, " → JSON_ESCAPE. */
  flags: number;
}

const QUOTE = 1, SPACE = 2, JSON_ESCAPE = 4;

function utf8Range(c: Utf8Column, start: number, end: number, delim = 0x2c): Utf8Range {
  const { offsets, data } = c;
  let high = 0, flags = 0;
  for (let k = offsets[start]!, e = offsets[end]!; k < e; k++) {
    const b = data[k]!;
    high |= b;
    if (b === delim) flags |= QUOTE;
    if (b < 0x2d) {
      if (b === 0x22) flags |= QUOTE | JSON_ESCAPE;
      else if (b === 0x20) flags |= SPACE;
      else if (b < 0x20) flags |= JSON_ESCAPE | (b === 0x0a || b === 0x0d ? QUOTE : 0);
    } else if (b === 0x5c) flags |= JSON_ESCAPE;
  }
  return { ascii: (high & 0x80) === 0, flags };
}

/** Value i of a utf8 column as utf8At decodes it. */
function utf8String(c: Utf8Column, i: number): string {
  return decodeUtf8(c.data.subarray(c.offsets[i]!, c.offsets[i + 1]!));
}

/** Formats dates with a one-entry cache: sorted and grouped output repeats days. */
function dateFormatter(): (days: number) => string {
  let lastDay = NaN, last = '';
  return (days) => (days === lastDay ? last : (lastDay = days, last = formatDate(days)));
}

/** Writes the CSV text of cell i of a column (nothing for NULL), for rows in [start, end). */
function csvCells(c: Column, out: ByteSink, start: number, end: number, delim: number): (i: number) => void {
  const valid = c.validity;
  switch (c.type) {
    case 'null': return () => {};
    case 'bool': { const v = c.values; return (i) => { if (valid === null || valid[i] !== 0) out.ascii(v[i] === 1 ? 'true' : 'false'); }; }
    case 'int32': { const v = c.values; return (i) => { if (valid === null || valid[i] !== 0) out.int(v[i]!); }; }
    case 'int64': { const v = c.values; return (i) => { if (valid === null || valid[i] !== 0) out.ascii(String(v[i]!)); }; }
    case 'float64': { const v = c.values; return (i) => { if (valid === null || valid[i] !== 0) out.float(v[i]!); }; }
    case 'date32': { const v = c.values, f = dateFormatter(); return (i) => { if (valid === null || valid[i] !== 0) out.ascii(f(v[i]!)); }; }
    case 'timestamp': { const v = c.values; return (i) => { if (valid === null || valid[i] !== 0) out.ascii(formatTimestamp(v[i]!)); }; }
    case 'utf8': {
      const { ascii, flags } = utf8Range(c, start, end, delim);
      const { offsets, data } = c;
      const delimiter = String.fromCharCode(delim);
      if (!ascii) return (i) => { if (valid === null || valid[i] !== 0) out.text(csvQuote(utf8String(c, i), delimiter)); };
      if ((flags & (QUOTE | SPACE)) === 0) return (i) => { if (valid === null || valid[i] !== 0) out.bytes(data, offsets[i]!, offsets[i + 1]!); };
      // ASCII that may need quotes: the same test as csvQuote, on bytes.
      return (i) => {
        if (valid !== null && valid[i] === 0) return;
        const s = offsets[i]!, e = offsets[i + 1]!;
        let quote = e > s && (data[s] === 0x20 || data[e - 1] === 0x20);
        let dq = 0;
        for (let k = s; k < e; k++) {
          const b = data[k]!;
          if (b === 0x22) { quote = true; dq++; } else if (b === delim || b === 0x0a || b === 0x0d) quote = true;
        }
        if (!quote) { out.bytes(data, s, e); return; }
        out.ensure(e - s + dq + 2);
        const buf = out.buf;
        let p = out.pos;
        buf[p++] = 0x22;
        for (let k = s; k < e; k++) { const b = data[k]!; buf[p++] = b; if (b === 0x22) buf[p++] = 0x22; }
        buf[p++] = 0x22;
        out.pos = p;
      };
    }
    case 'time': case 'interval': case 'blob': {
      const delimiter = String.fromCharCode(delim);
      return (i) => { if (valid === null || valid[i] !== 0) out.text(csvQuote(formatCell(c, i)!, delimiter)); };
    }
    default: {
      if (isNestedColumn(c)) return (i) => { if (valid === null || valid[i] !== 0) out.text(csvQuote(formatCell(c, i)!, String.fromCharCode(delim))); };
      const v = c.values, scale = decimalParams(c.type).scale;
      return (i) => { if (valid === null || valid[i] !== 0) out.ascii(decimalText(v[i]!, scale)); };
    }
  }
}

/** Byte estimate of a rendered chunk, so that most chunks never grow their buffer. */
function estimate(b: Batch, start: number, end: number): number {
  let n = 0;
  for (const c of b.columns) n += c.type === 'utf8' || c.type === 'blob' ? c.offsets[end]! - c.offsets[start]! + 4 * (end - start) : 24 * (end - start);
  return n + 2 * (end - start);
}

/** CSV of rows [start, end) of a batch, each line ending in '\n'. */
function csvRows(b: Batch, start: number, end: number, delim: number): Uint8Array {
  const out = renderSink.reset(estimate(b, start, end));
  const cells = b.columns.map((c) => csvCells(c, out, start, end, delim));
  const n = cells.length;
  for (let i = start; i < end; i++) {
    for (let j = 0; j < n; j++) {
      if (j > 0) out.byte(delim);
      cells[j]!(i);
    }
    out.byte(0x0a);
  }
  return out.take();
}

export interface CsvOptions {
  /** Start with a line of column names (default true). */
  header?: boolean;
  /** One ASCII character between fields (default ','). */
  delimiter?: string;
}

/**
 * CSV as UTF-8 bytes, the text toCsvLines renders with every line ending in '\n': the
 * header, then one buffer per batch.
 */
export function* toCsvChunks(schema: Schema, batches: Iterable<Batch>, opts: CsvOptions = {}): Generator<Uint8Array> {
  const delimiter = opts.delimiter ?? ',';
  const delim = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || delim > 0x7e) throw new Error(`CSV delimiter must be one ASCII character, got ${JSON.stringify(delimiter)}`);
  if (opts.header ?? true) yield encoder.encode(schema.fields.map((f) => csvQuote(f.name, delimiter)).join(delimiter) + '\n');
  for (const b of batches) {
    for (let start = 0; start < b.length; start += CHUNK_ROWS) yield csvRows(b, start, Math.min(b.length, start + CHUNK_ROWS), delim);
  }
}

/** Writes the JSON of value i of a column as toJsonLines renders it. */
function jsonValues(c: Column, type: DataType, out: ByteSink, start: number, end: number): (i: number) => void {
  const valid = c.validity;
  // A column whose type is not its field's: value by value, as toJsonLines does it.
  if (c.type !== type) return (i) => out.text(jsonText(type, scalarAt(c, i)));
  switch (c.type) {
    case 'null': return () => out.ascii('null');
    case 'bool': { const v = c.values; return (i) => out.ascii(valid !== null && valid[i] === 0 ? 'null' : v[i] === 1 ? 'true' : 'false'); }
    case 'int32': { const v = c.values; return (i) => { if (valid !== null && valid[i] === 0) out.ascii('null'); else out.int(v[i]!); }; }
    case 'int64': {
      const v = c.values;
      return (i) => {
        if (valid !== null && valid[i] === 0) { out.ascii('null'); return; }
        out.ascii(String(v[i]!));
      };
    }
    case 'float64': {
      const v = c.values;
      return (i) => {
        if (valid !== null && valid[i] === 0) { out.ascii('null'); return; }
        const x = v[i]!;
        if (Number.isFinite(x)) out.float(x);
        else { out.byte(0x22); out.ascii(formatFloat(x)); out.byte(0x22); }
      };
    }
    case 'date32': {
      const v = c.values, f = dateFormatter();
      return (i) => {
        if (valid !== null && valid[i] === 0) { out.ascii('null'); return; }
        out.byte(0x22); out.ascii(f(v[i]!)); out.byte(0x22);
      };
    }
    case 'timestamp': {
      const v = c.values;
      return (i) => {
        if (valid !== null && valid[i] === 0) { out.ascii('null'); return; }
        out.byte(0x22); out.ascii(formatTimestamp(v[i]!)); out.byte(0x22);
      };
    }
    case 'utf8': {
      const { ascii, flags } = utf8Range(c, start, end);
      const { offsets, data } = c;
      if (ascii && (flags & JSON_ESCAPE) === 0) {
        return (i) => {
          if (valid !== null && valid[i] === 0) { out.ascii('null'); return; }
          out.byte(0x22); out.bytes(data, offsets[i]!, offsets[i + 1]!); out.byte(0x22);
        };
      }
      return (i) => { if (valid !== null && valid[i] === 0) out.ascii('null'); else out.text(JSON.stringify(utf8String(c, i))); };
    }
    case 'time': case 'interval': case 'blob':
      return (i) => { if (valid !== null && valid[i] === 0) out.ascii('null'); else out.text(JSON.stringify(formatCell(c, i))); };
    default: {
      if (isNestedColumn(c)) return (i) => { if (valid !== null && valid[i] === 0) out.ascii('null'); else out.text(JSON.stringify(nestedJson(c.type, scalarAt(c, i)))); };
      const v = c.values, scale = decimalParams(c.type).scale;
      return (i) => { if (valid !== null && valid[i] === 0) out.ascii('null'); else out.ascii(decimalJson(decimalText(v[i]!, scale))); };
    }
  }
}

interface JsonMember { prefix: Uint8Array; column: number }

/**
 * The members of the objects toJsonLines builds: their keys in JSON.stringify's order
 * (integer-like names first, a repeated name where it first appeared, `__proto__` never),
 * as the UTF-8 of `"key":`, and the column each takes its value from (the last of a
 * repeated name).
 */
function jsonMembers(schema: Schema): JsonMember[] {
  return jsonKeyOrder(schema).map(([k, column]) => ({ prefix: encoder.encode(JSON.stringify(k) + ':'), column }));
}

/** [key, column] in the order JSON.stringify writes an object's own keys. */
function jsonKeyOrder(schema: Schema): [string, number][] {
  const probe: Record<string, number> = {};
  schema.fields.forEach((f, j) => { probe[f.name] = j; });
  return Object.keys(probe).map((k) => [k, probe[k]!]);
}

/**
 * Rows [start, end) as JSON objects: each followed by a newline (JSON lines), or, with
 * `array`, each preceded by the separator of a JSON array (`\n` before the first row of
 * the result, `,\n` before the others; `array.rows` counts the rows written so far).
 */
function jsonRows(members: readonly JsonMember[], schema: Schema, b: Batch, start: number, end: number, array: { rows: number } | null = null): Uint8Array {
  let width = 0;
  for (const m of members) width += m.prefix.length + 1;
  const out = renderSink.reset(estimate(b, start, end) + width * (end - start));
  const values = members.map((m) => jsonValues(b.columns[m.column]!, schema.fields[m.column]!.type, out, start, end));
  const prefixes = members.map((m) => m.prefix);
  const n = members.length;
  for (let i = start; i < end; i++) {
    if (array !== null && array.rows++ > 0) out.byte(0x2c);
    if (array !== null) out.byte(0x0a);
    out.byte(0x7b);
    for (let j = 0; j < n; j++) {
      if (j > 0) out.byte(0x2c);
      const p = prefixes[j]!;
      out.bytes(p, 0, p.length);
      values[j]!(i);
    }
    out.byte(0x7d);
    if (array === null) out.byte(0x0a);
  }
  return out.take();
}

/**
 * The result as one JSON array (`--format json`), written a batch at a time:
 * `[`, then one object per line separated by commas, then `]` (`[\n]` when empty):
 *
 *   const w = new JsonArrayWriter(schema);
 *   write(w.start()); for (const b of batches) for (const c of w.chunks(b)) write(c); write(w.end());
 */
export class JsonArrayWriter {
  private readonly members: JsonMember[];
  private readonly state = { rows: 0 };

  constructor(private readonly schema: Schema) {
    this.members = jsonMembers(schema);
  }

  start(): Uint8Array { return encoder.encode('['); }

  *chunks(b: Batch): Generator<Uint8Array> {
    for (let start = 0; start < b.length; start += CHUNK_ROWS) {
      yield jsonRows(this.members, this.schema, b, start, Math.min(b.length, start + CHUNK_ROWS), this.state);
    }
  }

  end(): Uint8Array { return encoder.encode('\n]\n'); }
}

/** The whole result as the text of one JSON array (what JsonArrayWriter writes). */
export function* toJsonArrayChunks(schema: Schema, batches: Iterable<Batch>): Generator<Uint8Array> {
  const w = new JsonArrayWriter(schema);
  yield w.start();
  for (const b of batches) yield* w.chunks(b);
  yield w.end();
}

/** JSON lines as UTF-8 bytes, the text toJsonLines renders with every line ending in '\n': one buffer per batch. */
export function* toJsonChunks(schema: Schema, batches: Iterable<Batch>): Generator<Uint8Array> {
  const members = jsonMembers(schema);
  for (const b of batches) {
    for (let start = 0; start < b.length; start += CHUNK_ROWS) yield jsonRows(members, schema, b, start, Math.min(b.length, start + CHUNK_ROWS));
  }
}
