/**
 * The fuzz loop and its minimal repro: fast-check generates cases and, on a mismatch, shrinks
 * the tables and the query (every clause optional, rows and tables removable); a row
 * reduction then removes rows one chunk at a time while the mismatch persists (the only
 * shrinking tables read from a folder get, once copied into memory). The repro is a SQL
 * script any engine can run, plus the command that replays the case by seed.
 */
import fc from 'fast-check';
import type { Scalar } from '../common/types.js';
import type { Differential, FuzzCase, Mismatch } from './differential.js';
import { settingValues } from './differential.js';
import type { TableSchema } from './schema.js';
import { tableScript, type GeneratedTable } from './tables.js';

export interface FuzzOptions {
  differential: Differential;
  arbitrary: fc.Arbitrary<FuzzCase>;
  seed: number;
  runs: number;
  /** fast-check's counterexample path: replay exactly the case it names. */
  path?: string;
  /** Copy a table read from a folder into memory (rows as the engine holds them), for row reduction. */
  materialise?: (table: TableSchema) => Promise<Scalar[][]>;
  /** At most this many rows are copied into memory for row reduction (default 20,000). */
  maxCopiedRows?: number;
}

export interface FuzzFailure {
  case: FuzzCase;
  mismatch: Mismatch;
  /** Pass with the same seed to replay the minimal case. */
  path: string;
  shrinks: number;
  /** Tables of the repro script: shrunk copies, or null when the mismatch needs the folder's tables. */
  tables: GeneratedTable[] | null;
}

export interface FuzzReport {
  seed: number;
  runs: number;
  queries: number;
  elapsedMs: number;
  failure: FuzzFailure | null;
}

class MismatchError extends Error {
  constructor(readonly mismatch: Mismatch) { super(`${mismatch.engine} disagrees with ${mismatch.reference}: ${mismatch.diff}`); }
}

/** Run cases until one disagrees; shrink it. */
export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const d = opts.differential;
  const property = fc.asyncProperty(opts.arbitrary, async (c) => {
    const m = await d.run(c);
    if (m !== null) throw new MismatchError(m);
  });
  const details = await fc.check(property, { seed: opts.seed, numRuns: opts.runs, path: opts.path, endOnFailure: false });
  const report: FuzzReport = { seed: opts.seed, runs: details.numRuns, queries: 0, elapsedMs: 0, failure: null };
  if (details.failed && details.counterexample !== null) {
    const shrunk = details.counterexample[0];
    const mismatch = await d.run(shrunk);
    if (mismatch === null) {
      const e = details.errorInstance;
      throw e instanceof Error ? e : new Error(`the failing case did not fail again: ${String(e)}`);
    }
    const failure: FuzzFailure = { case: shrunk, mismatch, path: details.counterexamplePath ?? '', shrinks: details.numShrinks, tables: shrunk.tables };
    await reduceFailure(failure, opts);
    report.failure = failure;
  }
  report.queries = d.queries;
  report.elapsedMs = performance.now() - t0;
  return report;
}

/** Names of the tables a query mentions. */
function tablesOf(sql: string, names: readonly string[]): string[] {
  return names.filter((n) => new RegExp(`(^|[\\s"(,])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}("|\\s|$|\\))`, 'i').test(sql));
}

async function reduceFailure(f: FuzzFailure, opts: FuzzOptions): Promise<void> {
  const d = opts.differential;
  let c = f.case;
  if (c.tables === null) {
    // Tables from a folder: copy the ones the query reads into memory; keep the copies if the mismatch survives the move.
    if (!opts.materialise) return;
    const schemas = d.schemas.filter((t) => tablesOf(f.mismatch.query.sql, [t.name]).length > 0);
    const copies: GeneratedTable[] = [];
    let total = 0;
    for (const t of schemas) {
      const rows = await opts.materialise(t);
      total += rows.length;
      if (total > (opts.maxCopiedRows ?? 20_000)) return;
      copies.push({ ...t, rows });
    }
    // The query must render the same over the copies: keep every schema, replacing the copied ones.
    const all = d.schemas.map((t) => copies.find((x) => x.name === t.name) ?? { ...t, rows: [] });
    const moved: FuzzCase = { ...c, tables: all };
    if (d.render(moved).sql !== f.mismatch.query.sql || (await d.run(moved)) === null) return;
    c = moved;
  }
  c = await reduceRows(c, async (x) => (await d.run(x)) !== null);
  const m = await d.run(c);
  if (m === null) return;
  f.case = c;
  f.mismatch = m;
  f.tables = c.tables;
}

/** Remove rows, in chunks halving down to single rows, while `fails` holds (at most `budget` tries). */
export async function reduceRows(c: FuzzCase, fails: (c: FuzzCase) => Promise<boolean>, budget = 400): Promise<FuzzCase> {
  if (c.tables === null) return c;
  let tables = c.tables.map((t) => ({ ...t, rows: [...t.rows] }));
  let tries = 0;
  for (let ti = 0; ti < tables.length; ti++) {
    let chunk = Math.max(1, Math.ceil(tables[ti]!.rows.length / 2));
    for (;;) {
      for (let start = 0; start < tables[ti]!.rows.length && tries < budget;) {
        const rows = tables[ti]!.rows;
        const candidate = tables.map((t, i) => (i === ti ? { ...t, rows: [...rows.slice(0, start), ...rows.slice(start + chunk)] } : t));
        tries++;
        if (await fails({ ...c, tables: candidate })) tables = candidate;
        else start += chunk;
      }
      if (chunk === 1 || tries >= budget) break;
      chunk = Math.ceil(chunk / 2);
    }
  }
  return { ...c, tables };
}

/** The repro: comments naming the mismatch and the replay command, tables, settings, the query. */
export function reproScript(f: FuzzFailure, opts: { replay: string; run?: string; modeSettings?: Record<string, unknown>; schemas?: readonly TableSchema[] }): string {
  const m = f.mismatch;
  const sql = m.query.sql;
  const lines = [
    `-- ${m.engine} disagrees with ${m.reference} (${m.query.operators.length === 0 ? 'scan only' : m.query.operators.join(', ')})`,
    ...m.diff.split('\n').map((l) => `--   ${l}`),
    `-- replay: ${opts.replay}`,
    ...(opts.run ? [`-- run this script: ${opts.run}`] : []),
  ];
  if (f.tables !== null) {
    for (const t of f.tables) if (tablesOf(sql, [t.name]).length > 0) lines.push(tableScript(t));
  } else {
    const used = (opts.schemas ?? []).filter((t) => tablesOf(sql, [t.name]).length > 0).map((t) => t.name);
    lines.push(`-- tables ${used.join(', ')} from the --tables folder`);
  }
  const s = { ...settingValues(f.case.settings), ...opts.modeSettings };
  lines.push(`-- settings of ${m.engine} (the reference ran with the defaults):`);
  lines.push(Object.entries(s).map(([k, v]) => `SET ${k} = ${v};`).join(' '));
  lines.push(`${sql};`);
  return lines.join('\n');
}
