/**
 * RecursiveCte: WITH RECURSIVE, as PostgreSQL and DuckDB define it.
 *
 *   anchor ──▶ new rows ──▶ output, and the work table W
 *   repeat:  recursive term (its WorkTableScan reads W) ──▶ new rows ──▶ output, next W
 *   until an iteration adds no row; more than max_recursion_depth iterations is an error
 *
 * UNION ALL: every row is new. UNION: a row is new when no earlier row (of the anchor or
 * of any iteration, or earlier in the same batch) equals it, NULLs equal; the rows seen
 * are kept in a GroupTable (exec/aggregate/group_table.ts), the hash table of GROUP BY.
 *
 * Buffers: the work table of the running iteration and the one being built (the rows of
 * two iterations at most) under the spillable reservation `RecursiveCte[name]`: a batch
 * the pool refuses goes to a spill file, read back by the next iteration. UNION's set of
 * every row seen cannot spill: it grows under `RecursiveCte[name].seen` and fails with a
 * resources error naming the CTE when the pool cannot hold it.
 * The recursive term runs in this task, with the work table in its context (ctx.workTables);
 * both inputs have one partition. Metrics: extra.iterations, and spill figures.
 */
import { batchBytes, makeBatch, type Batch } from '../columnar/column.js';
import { takeBatch } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import type { RecursiveCteNode, WorkTableScanNode } from '../plan/physical.js';
import type { SpillFile, SpillWriter } from '../spill/spill_manager.js';
import { GroupTable } from './aggregate/group_table.js';
import type { TaskContext, WorkTable } from './context.js';
import { executePlan } from './execute.js';
import { conformColumn } from './projection.js';
import { SpillFiles } from './spill/spill_files.js';
import type { MemoryReservation } from '../memory/pool.js';

export async function* recursiveCte(node: RecursiveCteNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  if (partition !== 0) throw new Error(`RecursiveCte#${node.id} has one partition, asked for ${partition}`);
  const name = `RecursiveCte[${node.name}]`;
  const rows = ctx.memory.register(name, { spillable: true });
  const seenReservation = node.distinct ? ctx.memory.register(`${name}.seen`, { spillable: false }) : null;
  const seen = node.distinct ? new GroupTable(node.schema.fields.map((f) => f.type)) : null;
  const spills = new SpillFiles(ctx, node.id, `recursive-${node.id}`);
  const limit = ctx.config.max_recursion_depth;
  let current: WorkTableBuilder | null = null;
  let next = new WorkTableBuilder(rows, spills, node);
  try {
    /** The rows of `batch` not seen before (all of them for UNION ALL), as the node's schema. */
    const fresh = (batch: Batch, where: string): Batch | null => {
      const columns = batch.columns.map((c, i) => conformColumn(c, node.schema.fields[i]!, batch.length, where));
      const b = makeBatch(node.schema, columns, batch.length);
      if (seen === null || seenReservation === null) return b;
      const before = seen.groupCount;
      const gids = seen.insert(b.columns, b.length);
      // Group ids are handed out in row order: the first row of each new group is its first occurrence.
      const keep: number[] = [];
      let expect = before;
      for (let r = 0; r < b.length; r++) if (gids[r] === expect) { keep.push(r); expect++; }
      try {
        seenReservation.resize(seen.memoryBytes());
      } catch (e) {
        if (e instanceof SpillwayError && e.kind === 'resources') {
          throw new SpillwayError('resources', `recursive CTE "${node.name}": the ${seen.groupCount} distinct rows UNION compares against do not fit in memory: ${e.message}`);
        }
        throw e;
      }
      if (keep.length === 0) return null;
      return keep.length === b.length ? b : takeBatch(b, Int32Array.from(keep));
    };

    for await (const batch of executePlan(node.anchor, 0, ctx)) {
      const b = fresh(batch, `${name} anchor`);
      if (b === null) continue;
      await next.add(b);
      yield b;
    }
    let iteration = 0;
    for (;;) {
      await current?.release();
      current = next;
      const table = await current.finish();
      if (table.batches.length === 0 && table.files.length === 0) break;
      if (++iteration > limit) {
        throw new SpillwayError('execution', `recursive CTE "${node.name}" still adds rows after ${limit} iterations (max_recursion_depth; SET max_recursion_depth = n to allow more)`);
      }
      ctx.metrics.add(node.id, 'iterations', 1);
      next = new WorkTableBuilder(rows, spills, node);
      const workTables = new Map(ctx.workTables ?? []);
      workTables.set(node.workTable, table);
      const inner: TaskContext = { ...ctx, workTables };
      for await (const batch of executePlan(node.recursive, 0, inner)) {
        const b = fresh(batch, `${name} recursive term`);
        if (b === null) continue;
        await next.add(b);
        yield b;
      }
    }
  } finally {
    rows.free();
    seenReservation?.free();
    await spills.close();
  }
}

/** The rows one iteration adds: kept in memory while the pool grants them, then written to a spill file. */
class WorkTableBuilder {
  private readonly batches: Batch[] = [];
  private readonly files: SpillFile[] = [];
  private writer: SpillWriter | null = null;
  private bytes = 0;
  private finished: WorkTable | null = null;

  constructor(private readonly reservation: MemoryReservation, private readonly spills: SpillFiles, private readonly node: RecursiveCteNode) {}

  async add(b: Batch): Promise<void> {
    const size = batchBytes(b);
    if (this.writer === null && this.reservation.tryGrow(size)) {
      this.batches.push(b);
      this.bytes += size;
      return;
    }
    this.writer ??= this.spills.writer(this.node.schema, 'work');
    await this.writer.write(b);
  }

  async finish(): Promise<WorkTable> {
    if (this.finished === null) {
      if (this.writer !== null) {
        this.files.push(await this.spills.finish(this.writer));
        this.writer = null;
      }
      this.finished = { batches: this.batches, files: this.files };
    }
    return this.finished;
  }

  /** Free the rows once the iteration that read them is done. */
  async release(): Promise<void> {
    this.reservation.shrink(this.bytes);
    this.bytes = 0;
    this.batches.length = 0;
    for (const f of this.files) await this.spills.release(f);
    this.files.length = 0;
  }
}

/** The work table of the enclosing RecursiveCte: the rows its previous iteration added. */
export async function* workTableScan(node: WorkTableScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const table = ctx.workTables?.get(node.workTable);
  if (table === undefined || partition !== 0) {
    throw new Error(`WorkTableScan#${node.id} (${node.name}) runs outside the recursive term of its RecursiveCte`);
  }
  for (const b of table.batches) yield makeBatch(node.schema, b.columns, b.length);
  for (const f of table.files) for await (const b of f.read()) yield makeBatch(node.schema, b.columns, b.length);
}
