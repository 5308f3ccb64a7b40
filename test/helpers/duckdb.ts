/**
 * DuckDB as a test oracle (devDependency only): runs SQL over the same Parquet files and
 * returns rows normalised like Spillway's (see compare.ts).
 */
import { DuckDBInstance, type DuckDBBlobValue, type DuckDBConnection } from '@duckdb/node-api';
import { formatBlob } from '../../src/common/blob_text.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { normalise, type Cell } from './compare.js';

export class DuckOracle {
  private constructor(private readonly conn: DuckDBConnection) {}

  /** A DuckDB with one view per `name.parquet` in `dir` (if given), single-threaded. */
  static async open(dir?: string): Promise<DuckOracle> {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await db.connect();
    if (dir) {
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.parquet')) continue;
        const name = f.slice(0, -'.parquet'.length);
        await conn.run(`create view ${name} as select * from read_parquet('${join(dir, f).replace(/'/g, "''")}')`);
      }
    }
    return new DuckOracle(conn);
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async query(sql: string): Promise<Cell[][]> {
    const r = await this.conn.runAndReadAll(sql);
    const raw = r.getRows();
    const blob = r.columnTypes().map((t) => String(t) === 'BLOB');
    // An INTERVAL comes as an object in JSON rows: take DuckDB's own text of it instead; a
    // BLOB as the text CAST to VARCHAR gives (JSON rows leave the backslash unescaped).
    return r.getRowsJson().map((row, i) => row.map((v, j) => {
      if (v === null) return null;
      if (blob[j]) return formatBlob((raw[i]![j] as DuckDBBlobValue).bytes);
      if (typeof v === 'object' && !Array.isArray(v) && 'micros' in v) return String(raw[i]![j]);
      return normalise(v);
    }));
  }

  close(): void {
    this.conn.closeSync();
  }
}
