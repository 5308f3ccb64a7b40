/**
 * `spillway/testing`: arbitraries (fast-check) for schemas, tables and queries, result
 * comparison, the differential runner across engines and modes, and the fuzz loop with
 * shrinking that `spillway fuzz` runs.
 */
export { GENERATED_TYPES, WORDS, sqlLiteral, typeClass, valueOf, type ValueSeed } from './values.js';
export { columnTypesArb, createTableSql, schemasArb, sqlType, tableSchema, type ColumnSchema, type SchemaOptions, type TableSchema } from './schema.js';
export { tableScript, tablesArb, typeRows, valueSeedArb, type GeneratedTable, type TableOptions } from './tables.js';
export {
  ident, queryArb, querySpecArb, renderQuery,
  type GeneratedQuery, type JoinType, type QueryOptions, type QuerySpec, type ResultSemantics, type SetOpKind, type SubqueryKind,
} from './query.js';
export { cellEqual, diffResults, floatEqual, normalise, resultCells, type Cell } from './compare.js';
export { DuckDbEngine, SpillwayEngine, loadTables, parseModes, type Engine, type Mode, type SettingValues } from './engines.js';
export {
  Differential, assertSameResults, caseArb, caseSettingsArb, diffOutcomes, settingValues, userCaseArb,
  type CaseSettings, type FuzzCase, type Mismatch,
} from './differential.js';
export { fuzz, reduceRows, reproScript, type FuzzFailure, type FuzzOptions, type FuzzReport } from './shrink.js';
