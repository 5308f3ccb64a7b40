/**
 * Spill contract: the only way operators write or read disk. Files are Arrow IPC streams
 * under <spill_dir>/<query id>/, removed when the query ends.
 */
import type { Batch } from '../columnar/column.js';
import type { Schema } from '../common/types.js';

/**
 * Largest file SpillFile.read({ whole: true }) reads in one go, its batches decoded as
 * views of that buffer: a part file of a spilling aggregate (~1–2 MiB) then costs three
 * waits on the file system (open, read, close) instead of one per read-ahead buffer, and
 * no copy per batch.
 */
export const WHOLE_FILE_BYTES = 2 * 1024 * 1024;

export interface SpillFile {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly schema: Schema;
  /**
   * Stream the batches back, in write order, holding about one batch in memory. With
   * `whole`, a file up to WHOLE_FILE_BYTES is read in one go and its batches are views of that
   * buffer, which lives until every batch is dropped: for a consumer that folds each batch
   * and lets it go, and that accounts for the file's bytes.
   */
  read(opts?: { whole?: boolean }): AsyncIterable<Batch>;
  delete(): Promise<void>;
}

export interface SpillWriter {
  /**
   * Append a batch. The batch is copied before write() returns (its buffers may be reused
   * at once); the promise settles when it is on disk. Writes run in call order.
   */
  write(batch: Batch): Promise<void>;
  finish(): Promise<SpillFile>;
  /** Abandon the file (on error). */
  abort(): Promise<void>;
}

export interface SpillManager {
  createWriter(owner: string, schema: Schema): SpillWriter;
  /** Files and bytes written so far by this query. */
  readonly stats: { files: number; bytes: number };
  /** Remove everything this query wrote. Idempotent. */
  cleanup(): Promise<void>;
}
