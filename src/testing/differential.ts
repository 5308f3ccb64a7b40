/**
 * The differential runner: one case (tables, a query, engine settings) runs on a reference
 * engine with default settings and on every other engine with the case's settings; answers
 * must agree as the query demands. Both failing counts as agreement; one failing does not.
 */
import fc from 'fast-check';
import { Spillway } from '../index.js';
import { diffResults, type Cell } from './compare.js';
import { SpillwayEngine, type Engine, type SettingValues } from './engines.js';
import { querySpecArb, renderQuery, type GeneratedQuery, type QueryOptions, type QuerySpec } from './query.js';
import type { TableSchema } from './schema.js';
import { tablesArb, type GeneratedTable, type TableOptions } from './tables.js';

/** Settings that change how a query runs but never its answer. */
export interface CaseSettings {
  batchSize: number;
  /** Partitions of hash and range exchanges (0: one per worker). */
  targetPartitions: number;
  /** Broadcast every join's build side, or none. */
  broadcast: boolean;
  /** Rows per stored batch of the in-memory tables. */
  tableBatchRows: number;
}

export interface FuzzCase {
  /** Generated tables, or null to query the engines' own tables. */
  tables: GeneratedTable[] | null;
  query: QuerySpec;
  settings: CaseSettings;
}

export const caseSettingsArb: fc.Arbitrary<CaseSettings> = fc.record({
  batchSize: fc.integer({ min: 1, max: 8 }),
  targetPartitions: fc.integer({ min: 0, max: 5 }),
  broadcast: fc.boolean(),
  tableBatchRows: fc.integer({ min: 1, max: 9 }),
});

export function settingValues(s: CaseSettings): SettingValues {
  return { batch_size: s.batchSize, target_partitions: s.targetPartitions, broadcast_threshold: s.broadcast ? 1 << 30 : 0 };
}

/** Cases over generated tables. */
export function caseArb(opts: TableOptions & QueryOptions = {}): fc.Arbitrary<FuzzCase> {
  return fc.record({ tables: tablesArb(opts), query: querySpecArb(opts), settings: caseSettingsArb });
}

/** Cases over tables the engines already hold (`--tables DIR`). */
export function userCaseArb(opts: QueryOptions = {}): fc.Arbitrary<FuzzCase> {
  return fc.record({ tables: fc.constant(null), query: querySpecArb(opts), settings: caseSettingsArb });
}

export interface Mismatch {
  query: GeneratedQuery;
  reference: string;
  engine: string;
  diff: string;
}

type Outcome = { rows: Cell[][] } | { error: string };

async function outcome(run: Promise<Cell[][]>): Promise<Outcome> {
  try {
    return { rows: await run };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** The difference between two outcomes of one query, or null. */
export function diffOutcomes(actual: Outcome, expected: Outcome, q: GeneratedQuery): string | null {
  if ('error' in actual && 'error' in expected) return null;
  if ('error' in actual) return `failed: ${actual.error}`;
  if ('error' in expected) return `answered ${actual.rows.length} rows where the reference failed: ${expected.error}`;
  return diffResults(actual.rows, expected.rows, q.semantics);
}

export class Differential {
  /** Queries run so far (on the reference). */
  queries = 0;
  /** Queries the reference refused (then every engine must refuse them too). */
  referenceErrors = 0;

  /**
   * @param reference answers with its default settings
   * @param engines each answers with the case's settings
   * @param schemas the engines' own tables, for cases without generated tables
   */
  constructor(readonly reference: Engine, readonly engines: readonly Engine[], readonly schemas: readonly TableSchema[] = []) {}

  /** The query a case runs. */
  render(c: FuzzCase): GeneratedQuery {
    return renderQuery(c.query, c.tables ?? this.schemas);
  }

  /** Run one case everywhere; the first disagreement with the reference, or null. */
  async run(c: FuzzCase): Promise<Mismatch | null> {
    const q = this.render(c);
    if (c.tables !== null) {
      for (const e of [this.reference, ...this.engines]) await e.load(c.tables, { batchRows: c.settings.tableBatchRows });
    }
    this.queries++;
    const expected = await outcome(this.reference.query(q.sql));
    if ('error' in expected) this.referenceErrors++;
    for (const e of this.engines) {
      const diff = diffOutcomes(await outcome(e.query(q.sql, settingValues(c.settings))), expected, q);
      if (diff !== null) return { query: q, reference: this.reference.name, engine: e.name, diff };
    }
    return null;
  }
}

/**
 * Run `query` on both and throw, with the first difference and the SQL, unless the answers
 * agree (as bags, or in order per `semantics` when the query is a GeneratedQuery).
 */
export async function assertSameResults(a: Spillway | Engine, b: Spillway | Engine, query: string | GeneratedQuery): Promise<void> {
  const q: GeneratedQuery = typeof query === 'string' ? { sql: query, semantics: { orderKeys: [], limited: false }, operators: [] } : query;
  const engine = (x: Spillway | Engine, name: string) => (x instanceof Spillway ? new SpillwayEngine(name, x) : x);
  const ea = engine(a, 'first'), eb = engine(b, 'second');
  const diff = diffOutcomes(await outcome(eb.query(q.sql)), await outcome(ea.query(q.sql)), q);
  if (diff !== null) throw new Error(`${eb.name} disagrees with ${ea.name}: ${diff}\n-- query:\n${q.sql};`);
}
