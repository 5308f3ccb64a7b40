/**
 * Distributed planning and the local stage-DAG scheduler. The planner is a list of passes
 * (guards, split_scans, insert_exchanges) and the stage cutter (stage.ts); distribute.ts
 * chains them. local_runner.ts runs a DAG through a TaskRunner (task_runner.ts).
 */
export { planStageDag, type DistributeOptions } from './distribute.js';
export { decideDistribution, type GuardDecision, type GuardName, type GuardOptions } from './guards.js';
export { splitScans, scanUnits, assignUnits, type ScanUnit, type SplitScansOptions, type MetadataSource } from './split_scans.js';
export { insertExchanges, estimatedBytes, exchangePartitions, type InsertExchangesOptions } from './insert_exchanges.js';
export { cutStages, explainStageDag, type Stage, type StageDag } from './stage.js';
export {
  LocalTaskRunner, encodeTaskMessage, decodeTaskMessage,
  type LocalTaskRunnerOptions, type TaskRequest, type TaskResult, type TaskRunner,
} from './task_runner.js';
export { runStageDag, type RunStageDagOptions, type StageDagResult, type StageRunStats } from './local_runner.js';
