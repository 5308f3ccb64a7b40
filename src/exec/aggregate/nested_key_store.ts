/**
 * Group keys of a nested type (LIST, STRUCT, MAP) for the group table: appended rows are
 * first kept as (source column, row) references, then gathered into columns of CHUNK rows,
 * so a group's key is one typed lookup away and no input batch is held past its chunk.
 */
import { columnBytes, emptyColumn, type Column } from '../../columnar/column.js';
import { valuesEqual } from '../../columnar/hash.js';
import { concatColumns, sliceColumn, take } from '../../columnar/kernels.js';
import type { NestedType } from '../../common/types.js';
import type { KeyStore } from './group_table.js';

const CHUNK = 1024;

function isNullAt(c: Column, row: number): boolean {
  return c.type === 'null' || (c.validity !== null && c.validity[row] === 0);
}

export class NestedKeyStore implements KeyStore {
  length = 0;
  /** Gathered keys, CHUNK groups each. */
  private readonly chunks: Column[] = [];
  private chunkBytes = 0;
  /** Keys of the groups after the last chunk, as references into their batches. */
  private pendingCols: Column[] = [];
  private pendingRows: number[] = [];

  constructor(readonly type: NestedType) {}

  append(c: Column, row: number): void {
    this.pendingCols.push(c);
    this.pendingRows.push(row);
    this.length++;
    if (this.pendingRows.length === CHUNK) this.seal();
  }

  /** Gather the pending keys into one chunk column. */
  private seal(): void {
    const parts: Column[] = [];
    let start = 0;
    while (start < this.pendingCols.length) {
      const src = this.pendingCols[start]!;
      let end = start + 1;
      while (end < this.pendingCols.length && this.pendingCols[end] === src) end++;
      parts.push(take(src, Int32Array.from(this.pendingRows.slice(start, end))));
      start = end;
    }
    const chunk = parts.length === 1 ? parts[0]! : concatColumns(this.type, parts);
    this.chunks.push(chunk);
    this.chunkBytes += columnBytes(chunk);
    this.pendingCols = [];
    this.pendingRows = [];
  }

  private at(g: number): [Column, number] {
    const k = Math.floor(g / CHUNK);
    if (k < this.chunks.length) return [this.chunks[k]!, g - k * CHUNK];
    const p = g - this.chunks.length * CHUNK;
    return [this.pendingCols[p]!, this.pendingRows[p]!];
  }

  equals(g: number, c: Column, row: number): boolean {
    const [kc, kr] = this.at(g);
    const a = isNullAt(kc, kr), b = isNullAt(c, row);
    if (a || b) return a === b;
    return valuesEqual(kc, kr, c, row);
  }

  slice(start: number, end: number): Column {
    if (this.pendingRows.length > 0) this.seal();
    if (end <= start) return emptyColumn(this.type);
    const parts: Column[] = [];
    for (let k = Math.floor(start / CHUNK); k * CHUNK < end; k++) {
      const from = Math.max(start, k * CHUNK) - k * CHUNK, to = Math.min(end, (k + 1) * CHUNK) - k * CHUNK;
      parts.push(sliceColumn(this.chunks[k]!, from, to));
    }
    return concatColumns(this.type, parts);
  }

  bytes(): number {
    return this.chunkBytes + this.pendingRows.length * 16;
  }
}
