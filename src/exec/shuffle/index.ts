/**
 * The exchange operators, registered with the operator table (exec/execute.ts). Importing
 * this module is what makes ExchangeRead and MergeGather plans executable.
 *
 * An Exchange node is a planning boundary only: distributed/stage.ts cuts the plan there,
 * the stage below runs as ShuffleWriter tasks, the node above becomes an ExchangeRead or
 * MergeGather. Executing one directly is a planner bug, reported as such.
 */
import type { Batch } from '../../columnar/column.js';
import type { ExchangeNode, ExchangeReadNode, MergeGatherNode } from '../../plan/physical.js';
import type { TaskContext } from '../context.js';
import { registerOperator } from '../execute.js';
import { exchangeRead } from './exchange_read.js';
import { mergeGather } from './merge_gather.js';

async function* uncutExchange(node: ExchangeNode): AsyncGenerator<Batch> {
  throw new Error(`Exchange#${node.id} was executed directly; distributed plans must be cut into stages first (distributed/stage.ts)`);
}

registerOperator('Exchange', uncutExchange as (node: never, partition: number, ctx: TaskContext) => AsyncIterable<Batch>);
registerOperator('ExchangeRead', exchangeRead as (node: never, partition: number, ctx: TaskContext) => AsyncIterable<Batch>);
registerOperator('MergeGather', mergeGather as (node: never, partition: number, ctx: TaskContext) => AsyncIterable<Batch>);

export { exchangeRead, mergeGather };
export type { ExchangeReadNode, MergeGatherNode };
export { runShuffleWriter, writerPartitionCount, type ShuffleWriteResult, type ShuffleWriteTask } from './shuffle_writer.js';
export { computeRangeBounds, KeySampler, RangeRouter, type KeySample } from './range_bounds.js';
export { inputLocation, type StageInputLocation, type TaskExchange } from './task_exchange.js';
