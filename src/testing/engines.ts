/**
 * The engines a differential run compares: Spillway in one mode (this thread, worker
 * threads, worker processes), or DuckDB when `@duckdb/node-api` is installed. An engine loads
 * generated tables, runs SQL and answers rows of normalised cells.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { batchFromRows } from '../columnar/kernels.js';
import { applySetting, type Config } from '../common/config.js';
import { SpillwayError } from '../common/errors.js';
import { field, schema as makeSchema, type Scalar } from '../common/types.js';
import { Spillway } from '../index.js';
import type { TableSchema } from './schema.js';
import { tableScript, type GeneratedTable } from './tables.js';
import { resultCells, type Cell } from './compare.js';

export type SettingValues = Partial<Record<keyof Config, string | number | boolean>>;

export interface Engine {
  readonly name: string;
  /** Add these tables, replacing any of the same name; rows stored in batches of `batchRows`. */
  load(tables: readonly GeneratedTable[], opts?: { batchRows?: number }): Promise<void>;
  /** Run one query with these settings on top of the engine's own (engines without settings ignore them). */
  query(sql: string, settings?: SettingValues): Promise<Cell[][]>;
  close(): Promise<void>;
}

/** Where a Spillway engine runs its queries: `local`, `threads:N` or `workers:host:port,…`. */
export interface Mode {
  name: string;
  workers: number | string[];
  /** Settings the mode always applies (distribution forced for the distributed modes). */
  settings: SettingValues;
}

/** Parse `local,threads:3,workers:h1:7001,h2:7001`: host:port items continue a workers list. */
export function parseModes(text: string): Mode[] {
  const modes: Mode[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const last = modes[modes.length - 1];
    if (raw === 'local') modes.push({ name: 'local', workers: 0, settings: {} });
    else if (/^threads(:\d+)?$/.test(raw)) {
      const n = raw.includes(':') ? Number(raw.slice(8)) : 2;
      if (n < 1 || n > 64) throw new SpillwayError('config', `mode "${raw}": threads:N needs N from 1 to 64`);
      modes.push({ name: `threads:${n}`, workers: n, settings: { force_distribution: true } });
    } else if (raw.startsWith('workers:') && /^[^:]+:\d+$/.test(raw.slice(8))) {
      modes.push({ name: raw, workers: [raw.slice(8)], settings: { force_distribution: true } });
    } else if (/^[^:]+:\d+$/.test(raw) && last !== undefined && Array.isArray(last.workers)) {
      last.workers.push(raw);
      last.name += `,${raw}`;
    } else {
      throw new SpillwayError('config', `unknown mode "${raw}": expected local, threads:N or workers:host:port[,host:port…]`);
    }
  }
  if (modes.length === 0) throw new SpillwayError('config', 'no mode given: expected local, threads:N or workers:host:port');
  return modes;
}

/**
 * Add generated tables to a Spillway's catalog as in-memory tables (replacing tables of the
 * same name), rows stored in batches of `batchRows`.
 */
export function loadTables(db: Spillway, tables: readonly GeneratedTable[], batchRows = 8192): void {
  const step = Math.max(1, batchRows);
  for (const t of tables) {
    const sch = makeSchema(t.columns.map((c) => field(c.name, c.type, true)));
    const batches = [];
    for (let i = 0; i < t.rows.length; i += step) batches.push(batchFromRows(sch, t.rows.slice(i, i + step)));
    db.internals.catalog.set({ kind: 'memory', name: t.name, schema: sch, batches });
  }
}

/** Spillway as an engine; `db` is used as given and closed by close(). */
export class SpillwayEngine implements Engine {
  private loaded = new Set<string>();
  private readonly base: Config;

  constructor(readonly name: string, readonly db: Spillway, private readonly modeSettings: SettingValues = {}) {
    this.base = { ...db.internals.config };
  }

  static async create(mode: Mode, opts: { tables?: string; memoryLimit?: string; tokenFile?: string } = {}): Promise<SpillwayEngine> {
    const db = await Spillway.create({ tables: opts.tables, workers: mode.workers, memoryLimit: opts.memoryLimit, tokenFile: opts.tokenFile, settings: mode.settings });
    return new SpillwayEngine(mode.name, db, mode.settings);
  }

  /** The schemas of the tables the engine already has (from a folder). */
  schemas(): TableSchema[] {
    const catalog = this.db.internals.catalog;
    const out: TableSchema[] = [];
    for (const name of catalog.names().sort()) {
      const e = catalog.get(name);
      if (e && e.kind !== 'view') out.push({ name, columns: e.schema.fields.map((f) => ({ name: f.name, type: f.type })) });
    }
    return out;
  }

  async load(tables: readonly GeneratedTable[], opts: { batchRows?: number } = {}): Promise<void> {
    const catalog = this.db.internals.catalog;
    const names = new Set(tables.map((t) => t.name.toLowerCase()));
    for (const old of this.loaded) if (!names.has(old)) catalog.delete(old);
    loadTables(this.db, tables, opts.batchRows);
    this.loaded = names;
  }

  async query(sql: string, settings: SettingValues = {}): Promise<Cell[][]> {
    const config = this.db.internals.config;
    Object.assign(config, this.base);
    for (const [k, v] of Object.entries({ ...settings, ...this.modeSettings })) if (v !== undefined) applySetting(config, k, v);
    return resultCells(await this.db.sql(sql));
  }

  /** Every row of a table, typed as the engine holds them. */
  async tableRows(name: string): Promise<Scalar[][]> {
    return (await this.db.sql(`SELECT * FROM ${name}`)).rows();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

interface DuckConnection {
  run(sql: string): Promise<unknown>;
  runAndReadAll(sql: string): Promise<{ getRowsJson(): unknown[][] }>;
  closeSync(): void;
}

/** DuckDB (`@duckdb/node-api`, an optional dependency) as the reference engine. */
export class DuckDbEngine implements Engine {
  readonly name = 'duckdb';
  private views = new Set<string>();
  private tables = new Set<string>();

  private constructor(private readonly conn: DuckConnection) {}

  /** One thread; with `dir`, a view per `name.parquet` file and per `name/` folder of Parquet files. */
  static async open(dir?: string): Promise<DuckDbEngine> {
    const specifier = '@duckdb/node-api';
    let mod: { DuckDBInstance: { create(path: string, opts: Record<string, string>): Promise<{ connect(): Promise<DuckConnection> }> } };
    try {
      mod = await import(specifier);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
        throw new SpillwayError('config', '--against duckdb needs the @duckdb/node-api package, which is not installed (npm install @duckdb/node-api)');
      }
      throw new SpillwayError('config', `--against duckdb: @duckdb/node-api could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    const db = await mod.DuckDBInstance.create(':memory:', { threads: '1' });
    const engine = new DuckDbEngine(await db.connect());
    if (dir) {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        const isDir = statSync(p).isDirectory();
        if (!isDir && !f.endsWith('.parquet')) continue;
        const name = isDir ? f : f.slice(0, -'.parquet'.length);
        const source = isDir ? join(p, '**', '*.parquet') : p;
        await engine.conn.run(`CREATE VIEW "${name.replace(/"/g, '""')}" AS SELECT * FROM read_parquet('${source.replace(/'/g, "''")}')`);
        engine.views.add(name.toLowerCase());
      }
    }
    return engine;
  }

  async load(tables: readonly GeneratedTable[]): Promise<void> {
    for (const t of tables) {
      const name = t.name.toLowerCase();
      if (this.views.delete(name)) await this.conn.run(`DROP VIEW "${name}"`);
      if (this.tables.has(name)) await this.conn.run(`DROP TABLE "${name}"`);
      for (const stmt of tableScript(t).split('\n')) await this.conn.run(stmt);
      this.tables.add(name);
    }
  }

  async query(sql: string): Promise<Cell[][]> {
    const r = await this.conn.runAndReadAll(sql);
    return r.getRowsJson().map((row) => row.map((v) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell))));
  }

  async close(): Promise<void> {
    this.conn.closeSync();
  }
}
