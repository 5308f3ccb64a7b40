/**
 * CsvScan: reads partition p's CSV files (node.slices[p]) whole, in order, and yields
 * batches of at most batch_size rows with the columns node.positions picks.
 *
 *   for each file:
 *     chunks (storage/csv_source.ts: ranged reads, gunzip for .gz)
 *       → records (storage/csv_parser.ts: quotes, escapes, CRLF, BOM)
 *       → skip `skip` records, then the header; an empty line is skipped
 *       → each projected field's bytes into a utf8 builder (nullstr → NULL), its line kept
 *     every batch_size rows: utf8 → each column's type (expr/cast.ts), errors naming
 *     "file F line L column 'c': could not convert 'v' to T"
 *
 * Buffers: one chunk of the file (1 MiB), the bytes of one unfinished record and the text of
 * at most one batch (plus the rest of the chunk it came with); it does not reserve pool
 * memory and never spills. Checks cancellation between chunks.
 * Metrics (extra): filesRead, bytesScanned (bytes fetched from storage).
 */
import { ColumnBuilder } from '../columnar/builder.js';
import { makeBatch, utf8At, utf8Column, type Batch, type Column, type Utf8Column } from '../columnar/column.js';
import { sliceBatch } from '../columnar/kernels.js';
import { SpillwayError } from '../common/errors.js';
import { sqlTypeName, type DataType } from '../common/types.js';
import { castColumn } from '../expr/cast.js';
import type { CsvScanNode } from '../plan/physical.js';
import { CsvRecordParser } from '../storage/csv_parser.js';
import { csvChunks } from '../storage/csv_source.js';
import type { TaskContext } from './context.js';

function cancelled(signal: AbortSignal): SpillwayError {
  const reason: unknown = signal.reason;
  if (reason instanceof SpillwayError) return reason;
  return new SpillwayError('cancelled', `query cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`);
}

export async function* csvScan(node: CsvScanNode, partition: number, ctx: TaskContext): AsyncGenerator<Batch> {
  const extra = ctx.metrics.forNode(node.id).extra;
  extra.filesRead ??= 0;
  extra.bytesScanned ??= 0;
  for (const slice of node.slices[partition] ?? []) {
    if (ctx.signal.aborted) throw cancelled(ctx.signal);
    extra.filesRead! += 1;
    const counter = { bytes: 0 };
    try {
      yield* scanFile(node, slice.path, ctx, counter);
    } finally {
      extra.bytesScanned! += counter.bytes;
    }
  }
}

async function* scanFile(node: CsvScanNode, path: string, ctx: TaskContext, counter: { bytes: number }): AsyncGenerator<Batch> {
  const { dialect, width } = node;
  const batchSize = Math.max(1, ctx.config.batch_size);
  const types = node.schema.fields.map((f) => f.type);
  // Output column of each record field (-1: not read).
  const outputOf = new Int32Array(width).fill(-1);
  node.positions.forEach((p, i) => { outputOf[p] = i; });
  const nullBytes = Buffer.from(dialect.nullstr, 'utf8');
  let builders = types.map(() => new ColumnBuilder('utf8', 1024));
  let lines = new Float64Array(1024);
  let rows = 0;
  let skipped = 0;
  let headerPending = dialect.header;

  const isNull = (b: Uint8Array): boolean => {
    if (b.length !== nullBytes.length) return false;
    for (let i = 0; i < b.length; i++) if (b[i] !== nullBytes[i]) return false;
    return true;
  };
  const parser: CsvRecordParser = new CsvRecordParser(dialect, (buf, fields) => {
    if (skipped < dialect.skip) { skipped++; return; }
    if (headerPending) { headerPending = false; return; }
    if (fields === 1 && width > 1 && parser.starts[0] === parser.ends[0] && parser.escaped[0] === 0) return; // an empty line
    if (fields !== width) {
      throw new SpillwayError('io', `file ${path} line ${parser.recordLine}: expected ${width} fields but found ${fields}`);
    }
    for (let f = 0; f < width; f++) {
      const i = outputOf[f]!;
      if (i < 0) continue;
      const bytes = parser.fieldBytes(buf, f);
      if (isNull(bytes)) builders[i]!.appendNull();
      else builders[i]!.appendBytes(bytes);
    }
    if (rows === lines.length) { const l = new Float64Array(rows * 2); l.set(lines); lines = l; }
    lines[rows++] = parser.recordLine;
  }, `file ${path}`);

  const flush = function* (): Generator<Batch> {
    if (rows === 0) return;
    const columns = builders.map((b, i) => convert(b.finish() as Utf8Column, types[i]!, node.schema.fields[i]!.name, path, lines));
    const batch = makeBatch(node.schema, columns, rows);
    builders = types.map(() => new ColumnBuilder('utf8', Math.min(rows, batchSize)));
    rows = 0;
    for (let start = 0; start < batch.length; start += batchSize) yield sliceBatch(batch, start, start + batchSize);
  };

  for await (const chunk of csvChunks(path, counter)) {
    if (ctx.signal.aborted) throw cancelled(ctx.signal);
    parser.feed(chunk);
    if (rows >= batchSize) yield* flush();
  }
  parser.end();
  yield* flush();
}

/** The text of one column as `type`; a value that does not convert fails naming its line. */
function convert(text: Utf8Column, type: DataType, name: string, path: string, lines: Float64Array): Column {
  if (type === 'utf8') return text;
  try {
    return castColumn(text, type);
  } catch (e) {
    if (!(e instanceof SpillwayError)) throw e;
    for (let r = 0; r < text.length; r++) {
      if (text.validity !== null && text.validity[r] === 0) continue;
      const value = utf8At(text, r);
      try {
        castColumn(utf8Column([value]), type);
      } catch {
        const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
        throw new SpillwayError('io', `file ${path} line ${lines[r]} column '${name}': could not convert '${shown}' to ${sqlTypeName(type)}`);
      }
    }
    throw e;
  }
}
