/**
 * Spill contract: the only way operators write or read disk. Files are Arrow IPC streams
 * under <spill_dir>/<query id>/, removed when the query ends.
 */
import type { Batch } from '../columnar/column.js';
import type { Schema } from '../common/types.js';

export interface SpillFile {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly schema: Schema;
  /** Stream the batches back, in write order, holding about one batch in memory. */
  read(): AsyncIterable<Batch>;
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
