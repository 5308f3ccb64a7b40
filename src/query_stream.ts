/**
 * QueryStream: a query's result as it is produced, for results larger than memory.
 *
 *   const s = await db.stream('select * from lineitem order by l_comment');
 *   s.schema                        known before the first batch
 *   for await (const rb of s) …     apache-arrow RecordBatches, one at a time
 *   s.stats                         once the iteration has ended
 *
 * The query runs while the caller iterates and pauses while it does not (one batch is
 * handed over at a time), so a slow consumer holds nothing back in memory. Leaving the
 * loop early (break, throw) cancels the query and removes its spill files.
 *
 *   s.on('progress', (p: QueryProgress) => …)   the query's figures while it runs (as onProgress)
 */
import type * as arrow from 'apache-arrow';
import { batchToArrow, toArrowSchema } from './columnar/arrow.js';
import { BatchChannel } from './columnar/batch_channel.js';
import type { Batch } from './columnar/column.js';
import { SpillwayError } from './common/errors.js';
import type { Schema } from './common/types.js';
import type { QueryStats } from './result.js';
import { EventEmitter } from 'node:events';

/** Runs the query, handing its batches to `consume`; resolves with its figures. */
export type QueryRun = (consume: (batches: AsyncIterable<Batch>) => Promise<void>, signal: AbortSignal) => Promise<QueryStats | null>;

export class QueryStream extends EventEmitter implements AsyncIterable<arrow.RecordBatch> {
  private started = false;
  private figures: QueryStats | null = null;

  constructor(readonly columns: Schema, private readonly run: QueryRun, private readonly signal?: AbortSignal) {
    super();
  }

  /** The result's schema as Arrow sees it. */
  get schema(): arrow.Schema {
    return toArrowSchema(this.columns);
  }

  /** Elapsed time, peak memory and spill figures; null until the iteration has ended. */
  get stats(): QueryStats | null {
    return this.figures;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<arrow.RecordBatch> {
    for await (const b of this.batches()) yield batchToArrow(b);
  }

  /** The same batches in Spillway's own column layout (tools built on the engine). */
  async *batches(): AsyncGenerator<Batch> {
    if (this.started) throw new SpillwayError('config', 'a query stream can be read only once');
    this.started = true;
    const channel = new BatchChannel();
    const stop = new AbortController();
    const signal = this.signal ? AbortSignal.any([this.signal, stop.signal]) : stop.signal;
    const run = this.run(async (batches) => {
      for await (const b of batches) if (b.length > 0) await channel.put(b);
    }, signal).then((stats) => { this.figures = stats; channel.close(); }, (e: unknown) => channel.fail(e));
    let finished = false;
    try {
      yield* channel;
      finished = true;
    } finally {
      if (!finished) {
        const early = new SpillwayError('cancelled', 'the caller stopped reading the query stream');
        stop.abort(early);
        channel.fail(early);
      }
      await run;
    }
  }
}
