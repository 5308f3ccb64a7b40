/**
 * SpillFiles: every spill writer and file one operator instance created (hash join, hash
 * aggregate, sort), so that its metrics (spillCount = files written, spillBytes,
 * spillRows) are recorded in one place and everything left over is aborted or deleted when
 * the operator stops, whether it finished, failed or was cancelled (the session's clean-up
 * removes the query's folder as well). All file I/O goes through the spill manager.
 */
import type { Schema } from '../../common/types.js';
import type { SpillFile, SpillWriter } from '../../spill/spill_manager.js';
import type { TaskContext } from '../context.js';

export class SpillFiles {
  private readonly open = new Set<SpillWriter>();
  private readonly files = new Set<SpillFile>();
  private seq = 0;

  constructor(private readonly ctx: TaskContext, private readonly nodeId: number, readonly owner: string) {}

  writer(schema: Schema, tag = ''): SpillWriter {
    const w = this.ctx.spill.createWriter(tag === '' ? this.owner : `${this.owner}-${tag}${++this.seq}`, schema);
    this.open.add(w);
    return w;
  }

  /** Finish a writer, record the file in the metrics, and keep it until released. */
  async finish(w: SpillWriter): Promise<SpillFile> {
    this.open.delete(w);
    const f = await w.finish();
    this.files.add(f);
    const m = this.ctx.metrics.forNode(this.nodeId);
    m.spillCount++;
    m.spillBytes += f.bytes;
    m.spillRows += f.rows;
    return f;
  }

  /** Delete a file the operator has consumed. */
  async release(f: SpillFile): Promise<void> {
    this.files.delete(f);
    await f.delete();
  }

  /** Abort open writers and delete remaining files (idempotent). */
  async close(): Promise<void> {
    const writers = [...this.open], files = [...this.files];
    this.open.clear();
    this.files.clear();
    await Promise.all([...writers.map((w) => w.abort().catch(() => undefined)), ...files.map((f) => f.delete().catch(() => undefined))]);
  }
}
