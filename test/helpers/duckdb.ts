/**
 * DuckDB as a test oracle (devDependency only): runs SQL over the same Parquet files and
 * returns rows normalised like Spillway's (see compare.ts).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
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
    // An INTERVAL comes as an object in JSON rows: take DuckDB's own text of it instead.
    return r.getRowsJson().map((row, i) => row.map((v, j) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'micros' in v
      ? String(raw[i]![j]) : normalise(v))));
  }

  close(): void {
    this.conn.closeSync();
  }
}
