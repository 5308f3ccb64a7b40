/**
 * Printing a statement's result on a stream: a status line, a box-drawn table, CSV, JSON
 * lines, a JSON array, or `column = value` lines.
 */
import type { QueryResult } from '../result.js';
import { QueryStream } from '../query_stream.js';
import type { Batch } from '../columnar/column.js';
import { formatCell, JsonArrayWriter, toCsvChunks, toJsonArrayChunks, toJsonChunks } from '../format.js';
import type { Schema } from '../common/types.js';
import { isDecimal } from '../common/types.js';
import { cellText, footer, renderTable } from './table_view.js';
import { textWidth } from './wcwidth.js';

export interface TableOptions {
  /** Rows shown at most (0: all); a longer result shows its first and last rows. */
  maxRows?: number;
  /** Terminal columns to fit the table in (default: stdout's, when a terminal). */
  width?: number;
  /** The elapsed time for the footer. */
  seconds?: () => number;
}

export const DEFAULT_MAX_ROWS = 40;

/**
 * Print a result. CSV and JSON go out one write per batch as the batches arrive, waiting
 * for 'drain' whenever the stream asks to; a table keeps only the rows it shows and counts
 * the rest. Statuses go out in one write.
 */
export async function printResult(res: QueryResult | QueryStream, format: string, out: NodeJS.WritableStream = process.stdout, table: TableOptions = {}): Promise<void> {
  if (format === 'table' || format === 'line') {
    if (!(res instanceof QueryStream) && res.status !== null) { out.write(res.status + '\n'); return; }
    const schema = res instanceof QueryStream ? res.columns : res.schema;
    const batches = res instanceof QueryStream ? res.batches() : res.batches;
    if (format === 'line') { await printLines(schema, batches, out); return; }
    const width = table.width ?? ((out as NodeJS.WriteStream).isTTY ? (out as NodeJS.WriteStream).columns : undefined);
    await printTable(schema, batches, out, table.maxRows ?? DEFAULT_MAX_ROWS, width, table.seconds);
    return;
  }
  if (res instanceof QueryStream) return printStream(res, format, out);
  if (res.status !== null && res.schema.fields.length === 0) { out.write(res.status + '\n'); return; }
  if (format === 'csv') { await writeChunks(out, toCsvChunks(res.schema, res.batches)); return; }
  if (format === 'ndjson') { await writeChunks(out, toJsonChunks(res.schema, res.batches)); return; }
  if (format === 'json') { await writeChunks(out, toJsonArrayChunks(res.schema, res.batches)); return; }
  throw new Error(`unknown output format ${format}`);
}

/**
 * A table of the first and last rows: the first `maxRows` rows are kept (all of a short
 * result), and after them only the batches that hold the last maxRows / 2.
 */
async function printTable(schema: Schema, batches: AsyncIterable<Batch> | Iterable<Batch>, out: NodeJS.WritableStream, maxRows: number, width: number | undefined, seconds?: () => number): Promise<void> {
  const limit = maxRows > 0 ? maxRows : Infinity;
  const tailWanted = Math.floor(limit / 2);
  const head: Batch[] = [], tail: Batch[] = [];
  let headRows = 0, tailRows = 0, total = 0;
  for await (const b of batches) {
    total += b.length;
    if (headRows < limit) { head.push(b); headRows += b.length; continue; }
    tail.push(b); tailRows += b.length;
    while (tail.length > 1 && tailRows - tail[0]!.length >= tailWanted) tailRows -= tail.shift()!.length;
  }
  // Row r of the result, among those kept: [0, headRows) in head, [total - tailRows, total) in tail.
  const rowAt = (r: number): string[] => {
    let list = head, i = r;
    if (r >= headRows) { list = tail; i = r - (total - tailRows); }
    for (const b of list) {
      if (i < b.length) return b.columns.map((c) => cellText(formatCell(c, i) ?? 'NULL'));
      i -= b.length;
    }
    throw new Error(`row ${r} was not kept`);
  };
  const rows: string[][] = [];
  let elidedAfter: number | undefined;
  if (total <= limit) {
    for (let r = 0; r < total; r++) rows.push(rowAt(r));
  } else {
    const first = limit - tailWanted;
    for (let r = 0; r < first; r++) rows.push(rowAt(r));
    elidedAfter = first;
    for (let r = total - tailWanted; r < total; r++) rows.push(rowAt(r));
  }
  const numeric = schema.fields.map((f) => f.type === 'int32' || f.type === 'int64' || f.type === 'float64' || isDecimal(f.type));
  const text = renderTable({
    header: schema.fields.map((f) => cellText(f.name)), numeric, rows, totalRows: total,
    ...(elidedAfter !== undefined ? { elidedAfter } : {}),
    ...(seconds ? { seconds: seconds() } : {}),
    ...(width !== undefined ? { width } : {}),
  });
  out.write(text + '\n');
}

/** Each row as `column = value` lines, rows apart by an empty line. */
async function printLines(schema: Schema, batches: AsyncIterable<Batch> | Iterable<Batch>, out: NodeJS.WritableStream): Promise<void> {
  const names = schema.fields.map((f) => cellText(f.name));
  const w = Math.max(0, ...names.map(textWidth));
  const labels = names.map((n) => ' '.repeat(w - textWidth(n)) + n + ' = ');
  let rows = 0;
  for await (const b of batches) {
    let text = '';
    for (let i = 0; i < b.length; i++) {
      if (rows++ > 0) text += '\n';
      for (let j = 0; j < labels.length; j++) text += labels[j] + cellText(formatCell(b.columns[j]!, i) ?? 'NULL') + '\n';
    }
    if (text.length > 0 && !(await writeChunks(out, [encoder.encode(text)]))) return;
  }
  out.write(footer(rows, rows) + '\n');
}

const encoder = new TextEncoder();

async function printStream(res: QueryStream, format: string, out: NodeJS.WritableStream): Promise<void> {
  let first = true;
  // json: '[' goes out with the first batch, so a query that fails prints no half array.
  const array = format === 'json' ? new JsonArrayWriter(res.columns) : null;
  for await (const b of res.batches()) {
    const chunks = format === 'csv' ? toCsvChunks(res.columns, [b], { header: first })
      : array !== null ? [...(first ? [array.start()] : []), ...array.chunks(b)] : toJsonChunks(res.columns, [b]);
    first = false;
    // The reader went away: leaving the loop cancels the query.
    if (!(await writeChunks(out, chunks))) return;
  }
  if (first && format === 'csv') await writeChunks(out, toCsvChunks(res.columns, []));
  if (array !== null) await writeChunks(out, first ? [array.start(), array.end()] : [array.end()]);
}

/** False when the stream closed before every chunk was written. */
async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<Uint8Array>): Promise<boolean> {
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!out.write(chunk) && !(await drained(out))) return false;
  }
  return true;
}

/** Resolves true on 'drain', false if the stream closes first; rejects on its error. */
function drained(out: NodeJS.WritableStream): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const done = (ok: boolean, err?: unknown) => {
      out.off('drain', onDrain); out.off('close', onClose); out.off('error', onError);
      if (err !== undefined) reject(err); else resolve(ok);
    };
    const onDrain = () => done(true), onClose = () => done(false), onError = (e: unknown) => done(false, e);
    out.on('drain', onDrain); out.on('close', onClose); out.on('error', onError);
  });
}
