/**
 * TextFileWriter: batches → one CSV or JSON-lines file (optionally gzip), the text
 * format.ts renders, written through a file stream whose backpressure it honours:
 *
 *   batches ──render (one buffer per batch)──▶ [gzip] ──▶ file stream ──▶ path
 *
 * The file is created at `path` (which must not exist); the caller names it temporarily and
 * renames it when complete (COPY in copy.ts, a distributed COPY's part file in
 * exec/shuffle/part_file_writer.ts). abort() removes it. A part file is written without a
 * header: the coordinator writes the header once when it joins the parts (text_concat.ts).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createGzip, type Gzip } from 'node:zlib';
import type { Batch } from '../columnar/column.js';
import type { Schema } from '../common/types.js';
import { toCsvChunks, toJsonChunks } from '../format.js';
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
}

export class TextFileWriter {
  private failure: Error | null = null;
  rows = 0;

  private constructor(
    private readonly schema: Schema, private readonly opts: TextWriteOptions, private readonly file: WriteStream, private readonly out: WriteStream | Gzip,
  ) {
    const fail = (e: Error) => { this.failure ??= e; };
    file.on('error', fail);
    if (out !== file) out.on('error', fail);
  }

  /** A writer of a new file at `path` (an error if it exists or its folder does not). */
  static async create(path: string, schema: Schema, opts: TextWriteOptions): Promise<TextFileWriter> {
    const file = createWriteStream(localPath(path), { flags: 'wx' });
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', reject);
    });
    const out = opts.compression === 'gzip' ? createGzip() : file;
    if (out !== file) (out as Gzip).pipe(file);
    const w = new TextFileWriter(schema, opts, file, out);
    if (opts.format === 'csv' && opts.header === true) await w.put(textHeader(schema, opts));
    return w;
  }

  async write(b: Batch): Promise<void> {
    const chunks = this.opts.format === 'csv'
      ? toCsvChunks(this.schema, [b], { header: false, ...(this.opts.delimiter !== undefined ? { delimiter: this.opts.delimiter } : {}) })
      : toJsonChunks(this.schema, [b]);
    for (const c of chunks) await this.put(c);
    this.rows += b.length;
  }

  /** Ends the file; its size in bytes. */
  async finish(): Promise<{ bytes: number }> {
    await new Promise<void>((resolve, reject) => {
      this.file.once('finish', resolve);
      this.file.once('error', reject);
      this.out.end();
    });
    if (this.failure) throw this.failure;
    return { bytes: this.file.bytesWritten };
  }

  async abort(): Promise<void> {
    this.out.destroy();
    if (this.out !== this.file) this.file.destroy();
    await rm(String(this.file.path), { force: true });
  }

  private async put(c: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.out.write(c)) {
      await new Promise<void>((resolve) => {
        // An error ends the wait too ('drain' never comes after one).
        const done = () => { this.out.off('drain', done); this.out.off('error', done); resolve(); };
        this.out.once('drain', done);
        this.out.once('error', done);
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
