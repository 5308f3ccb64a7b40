/**
 * The session's catalog: Parquet and CSV tables (from --tables DIR, CREATE EXTERNAL TABLE,
 * read_parquet), in-memory tables (CREATE TABLE / INSERT / CTAS) and views.
 * Names are case-insensitive (stored lower-case), as unquoted SQL identifiers are.
 */
import type { Schema } from './common/types.js';
import type { Batch } from './columnar/column.js';
import type { ParquetTable } from './storage/table_discovery.js';
import type { CsvTable } from './storage/csv_table.js';
import { binderError, didYouMean } from './common/errors.js';

/** Rows held in memory: the session's tables, shipped with a task's plan when it needs them. */
export interface MemoryTable {
  readonly schema: Schema;
  readonly batches: readonly Batch[];
}

export interface InMemoryTable extends MemoryTable {
  kind: 'memory';
  name: string;
  /** Mutable: INSERT appends. */
  batches: Batch[];
}

export interface ViewDefinition {
  kind: 'view';
  name: string;
  /** The view's query as a parsed SELECT AST (bound anew at each use). */
  query: unknown;
  /** Optional column names given as `CREATE VIEW v (a, b) AS ...`. */
  columnNames?: string[];
}

export type CatalogEntry = ParquetTable | CsvTable | InMemoryTable | ViewDefinition;

export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name.toLowerCase());
  }

  /** Look up or fail with "unknown table x (did you mean y?)". */
  resolve(name: string): CatalogEntry {
    const e = this.get(name);
    if (!e) throw binderError(`unknown table "${name}"${didYouMean(name, this.names())}`);
    return e;
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  set(entry: CatalogEntry): void {
    this.entries.set(entry.name.toLowerCase(), entry);
  }

  delete(name: string): boolean {
    return this.entries.delete(name.toLowerCase());
  }

  names(): string[] {
    return [...this.entries.values()].map((e) => e.name);
  }

  memoryTables(): Map<string, MemoryTable> {
    const m = new Map<string, MemoryTable>();
    for (const e of this.entries.values()) if (e.kind === 'memory') m.set(e.name.toLowerCase(), e);
    return m;
  }
}
