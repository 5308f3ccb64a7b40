/**
 * TextFileWriter: batches → one CSV, JSON-lines or JSON-array file (optionally gzip), the
 * text format.ts renders, written through a file stream whose backpressure it honours:
 *
 *   batches ──render (one buffer per batch)──▶ [gzip] ──▶ file stream ──▶ path
 *
 * The file is created at `path` (which must not exist); the caller names it temporarily and
 * renames it when complete (COPY in copy.ts, a distributed COPY's part file in
 * exec/shuffle/part_file_writer.ts). abort() removes it.
 *
 * A part file (`part`) is a piece of the file the coordinator joins (text_concat.ts): no CSV
 * header and no array brackets (the coordinator writes them once), a JSON array's objects each
 * after a newline with a comma between them, and no byte at all, not even a gzip header, when
 * it has no rows, so the coordinator sees which parts are empty by their size.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { Batch } from '../columnar/column.js';
import type { Schema } from '../common/types.js';
import { JsonArrayWriter, toCsvChunks, toJsonChunks } from '../format.js';
import { localPath } from './local_store.js';

export type TextFormat = 'csv' | 'json';

export interface TextWriteOptions {
  format: TextFormat;
  /** gzip: the file is one gzip stream. */
  compression: 'gzip' | 'none';
  /** CSV: start with a line of column names. */
  header?: boolean;
  /** CSV: one ASCII character between fields (default ','). */
  delimiter?: string;
  /** JSON: one array of objects instead of one object per line. */
  array?: boolean;
  /** A part of a file joined later (above): no header, no brackets, empty when no rows. */
  part?: boolean;
}

/** The bytes a JSON array starts and ends with, around its objects (format.ts, JsonArrayWriter). */
export const JSON_ARRAY_OPEN = new JsonArrayWriter({ fields: [] }).start();
export const JSON_ARRAY_CLOSE = new JsonArrayWriter({ fields: [] }).end();
/** What stands between the objects of two parts of a JSON array (each part's first object follows a newline). */
export const JSON_ARRAY_SEPARATOR = new TextEncoder().encode(',');

export class TextFileWriter {
  private failure: Error | null = null;
  /** Where bytes go: the file, or the gzip stream piped into it, made at the first byte. */
  private out: WriteStream | Gzip | null = null;
  private readonly array: JsonArrayWriter | null;
  rows = 0;

  private constructor(private readonly schema: Schema, private readonly opts: TextWriteOptions, private readonly file: WriteStream) {
    file.on('error', (e: Error) => { this.failure ??= e; });
    this.array = opts.format === 'json' && opts.array === true ? new JsonArrayWriter(schema) : null;
  }

  /** A writer of a new file at `path` (an error if it exists or its folder does not). */
  static async create(path: string, schema: Schema, opts: TextWriteOptions): Promise<TextFileWriter> {
    const file = createWriteStream(localPath(path), { flags: 'wx' });
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', reject);
    });
    const w = new TextFileWriter(schema, opts, file);
    if (opts.part !== true) {
      if (opts.format === 'csv' && opts.header === true) await w.put(textHeader(schema, opts));
      if (w.array !== null) await w.put(JSON_ARRAY_OPEN);
    }
    return w;
  }

  async write(b: Batch): Promise<void> {
    if (b.length === 0) return;
    const chunks = this.opts.format === 'csv'
      ? toCsvChunks(this.schema, [b], { header: false, ...(this.opts.delimiter !== undefined ? { delimiter: this.opts.delimiter } : {}) })
      : this.array !== null ? this.array.chunks(b) : toJsonChunks(this.schema, [b]);
    for (const c of chunks) await this.put(c);
    this.rows += b.length;
  }

  /** Ends the file; its size in bytes. */
  async finish(): Promise<{ bytes: number }> {
    if (this.array !== null && this.opts.part !== true) await this.put(JSON_ARRAY_CLOSE);
    // A whole file is never empty of bytes: an empty gzip file is still a gzip stream.
    if (this.opts.part !== true) this.output();
    const out = this.out ?? this.file;
    await new Promise<void>((resolve, reject) => {
      this.file.once('finish', resolve);
      this.file.once('error', reject);
      out.end();
    });
    if (this.failure) throw this.failure;
    return { bytes: this.file.bytesWritten };
  }

  async abort(): Promise<void> {
    if (this.out !== null && this.out !== this.file) this.out.destroy();
    this.file.destroy();
    await rm(String(this.file.path), { force: true });
  }

  private output(): WriteStream | Gzip {
    if (this.out === null) {
      if (this.opts.compression === 'gzip') {
        const gzip = createGzip();
        gzip.on('error', (e: Error) => { this.failure ??= e; });
        gzip.pipe(this.file);
        this.out = gzip;
      } else {
        this.out = this.file;
      }
    }
    return this.out;
  }

  private async put(c: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const out = this.output();
    if (!out.write(c)) {
      await new Promise<void>((resolve) => {
        // An error ends the wait too ('drain' never comes after one).
        const done = () => { out.off('drain', done); out.off('error', done); resolve(); };
        out.once('drain', done);
        out.once('error', done);
      });
      if (this.failure) throw this.failure;
    }
  }
}

/** The CSV header line of `schema` (column names, quoted where needed), as UTF-8. */
export function textHeader(schema: Schema, opts: Pick<TextWriteOptions, 'delimiter'>): Uint8Array {
  const [line] = toCsvChunks(schema, [], { header: true, ...(opts.delimiter !== undefined ? { delimiter: opts.delimiter } : {}) });
  return line!;
}
