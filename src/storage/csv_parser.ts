/**
 * The CSV record parser: bytes in, records out, across chunk boundaries (RFC 4180).
 *
 *   feed(chunk) ─▶ carry (an unfinished record) + chunk ─▶ scanRecord … ─▶ onRecord(buf, fields)
 *   end()       ─▶ the carry as the last record (an unterminated quote is an error)
 *
 * A record ends at LF, CRLF or a lone CR outside quotes; a quoted field may hold delimiters,
 * quotes (doubled, or after the escape character) and newlines. For each record the parser
 * fills `starts`, `ends` and `escaped` (the field holds escapes that `fieldBytes` removes)
 * and calls onRecord with the buffer the offsets point into; that buffer is only valid
 * during the call. Only the bytes of one unfinished record are carried between chunks.
 * `line` counts physical lines, so errors name the line a record starts on. A UTF-8 byte
 * order mark at the start of the input is skipped. Delimiter, quote and escape are single
 * bytes.
 */
import { SpillwayError } from '../common/errors.js';

export interface CsvSyntax {
  delimiter: string;
  /** '' = no quoting. */
  quote: string;
  /** '' = none; equal to quote = doubled quotes. */
  escape: string;
}

const LF = 10;
const CR = 13;
/** A record longer than this is refused (a stray quote would otherwise carry the whole file). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** The one byte of a delimiter, quote or escape character (error for longer ones). */
export function syntaxByte(what: string, s: string): number {
  if (s === '') return -1;
  const b = Buffer.from(s, 'utf8');
  if (b.length !== 1) throw new SpillwayError('binder', `read_csv: ${what} must be a single one-byte character, got '${s}'`);
  return b[0]!;
}

export class CsvRecordParser {
  /** Field i of the current record is buf[starts[i], ends[i]). */
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** 1 when field i holds escape sequences; 2 when it was quoted (and holds none). */
  escaped = new Uint8Array(64);
  /** Line (1-based) on which the current record starts. */
  recordLine = 1;
  private line = 1;
  private carry: Uint8Array | null = null;
  private first = true;
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private scratch = new Uint8Array(256);

  constructor(
    syntax: CsvSyntax,
    private readonly onRecord: (buf: Uint8Array, fields: number) => void,
    /** Names the input in errors. */
    private readonly source: string,
  ) {
    this.delim = syntaxByte('delim', syntax.delimiter);
    if (this.delim < 0) throw new SpillwayError('binder', 'read_csv: delim must not be empty');
    this.quote = syntaxByte('quote', syntax.quote);
    this.escape = syntax.escape === '' ? -1 : syntaxByte('escape', syntax.escape);
    if (this.quote === LF || this.quote === CR || this.delim === LF || this.delim === CR) {
      throw new SpillwayError('binder', 'read_csv: delim and quote must not be newline characters');
    }
    if (this.delim === this.quote) throw new SpillwayError('binder', 'read_csv: delim and quote must differ');
  }

  /** Parse every complete record of carry + chunk; keep the rest for the next call. */
  feed(chunk: Uint8Array): void {
    let data = chunk;
    if (this.carry !== null && this.carry.length > 0) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry, 0);
      data.set(chunk, this.carry.length);
    }
    let pos = this.skipBom(data);
    for (;;) {
      const next = this.scanRecord(data, pos, false);
      if (next < 0) break;
      pos = next;
    }
    this.carry = pos < data.length ? data.slice(pos) : null;
    if (this.carry !== null && this.carry.length > MAX_RECORD_BYTES) {
      throw new SpillwayError('io', `${this.source} line ${this.line}: a record longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB (is a quote never closed?)`);
    }
  }

  /** The input ended: the carried bytes are the last record. */
  end(): void {
    const data = this.carry ?? new Uint8Array(0);
    this.carry = null;
    let pos = this.skipBom(data);
    while (pos < data.length) pos = this.scanRecord(data, pos, true);
  }

  /** Field i's bytes with escapes removed (a view that is valid until the next call). */
  fieldBytes(buf: Uint8Array, i: number): Uint8Array {
    const s = this.starts[i]!, e = this.ends[i]!;
    if (this.escaped[i] !== 1) return buf.subarray(s, e);
    if (this.scratch.length < e - s) this.scratch = new Uint8Array(2 * (e - s));
    let n = 0;
    for (let j = s; j < e; j++) {
      const c = buf[j]!;
      if ((c === this.escape && this.escape >= 0) || (c === this.quote && this.escape < 0)) j++;
      this.scratch[n++] = buf[j]!;
    }
    return this.scratch.subarray(0, n);
  }

  private skipBom(data: Uint8Array): number {
    if (!this.first || data.length < 3) return 0;
    this.first = false;
    return data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  }

  private field(nf: number, start: number, end: number, flag: number): void {
    if (nf === this.starts.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a); return b; };
      this.starts = grow(this.starts, (n) => new Int32Array(n));
      this.ends = grow(this.ends, (n) => new Int32Array(n));
      this.escaped = grow(this.escaped, (n) => new Uint8Array(n));
    }
    this.starts[nf] = start;
    this.ends[nf] = end;
    this.escaped[nf] = flag;
  }

  /**
   * One record from `pos`: calls onRecord and returns where the next one starts, or -1 when
   * the record is not complete in `data` and more input may follow (`final` false).
   */
  private scanRecord(data: Uint8Array, pos: number, final: boolean): number {
    const n = data.length;
    const { delim, quote, escape } = this;
    let i = pos;
    let nf = 0;
    let lines = 0;
    for (;;) {
      if (i < n && data[i] === quote) {
        let j = i + 1;
        let flag = 2;
        for (;;) {
          if (j >= n) {
            if (!final) return -1;
            throw new SpillwayError('io', `${this.source} line ${this.line}: unterminated quoted field (a quote opened and never closed)`);
          }
          const c = data[j]!;
          if (c === escape && escape !== quote) {
            if (j + 1 >= n && !final) return -1;
            j += 2;
            flag = 1;
            continue;
          }
          if (c === quote) {
            if (j + 1 >= n && !final) return -1;
            if (escape === quote && data[j + 1] === quote) { j += 2; flag = 1; continue; }
            break;
          }
          if (c === LF) lines++;
          else if (c === CR && data[j + 1] !== LF) lines++;
          j++;
        }
        this.field(nf++, i + 1, j, flag);
        i = j + 1;
        if (i < n && data[i] !== delim && data[i] !== LF && data[i] !== CR) {
          throw new SpillwayError('io', `${this.source} line ${this.line + lines}: unexpected character '${String.fromCharCode(data[i]!)}' after a closing quote (a quote inside a quoted field must be doubled)`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = data[j]!;
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        this.field(nf++, i, j, 0);
        i = j;
      }
      if (i >= n) {
        if (!final) return -1;
        this.emit(data, nf, lines);
        return n;
      }
      const c = data[i]!;
      if (c === delim) { i++; continue; }
      if (c === CR) {
        if (i + 1 >= n && !final) return -1;
        i += data[i + 1] === LF ? 2 : 1;
      } else {
        i++;
      }
      this.emit(data, nf, lines + 1);
      return i;
    }
  }

  private emit(data: Uint8Array, fields: number, lines: number): void {
    this.recordLine = this.line;
    this.line += lines;
    this.onRecord(data, fields);
  }
}
