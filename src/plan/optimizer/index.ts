/**
 * The logical optimizer: small passes, each a pure function LogicalPlan → LogicalPlan in
 * its own file, run once in this fixed order:
 *
 *   0. cteSharing          WITH queries read ≥ 2 times that do real work stay shared (one
 *                          buffered run for all readers); the others are inlined at each reader
 *   1. decorrelate         subqueries → joins (every later pass assumes none is left)
 *   2. constantFolding     exact decimal literal arithmetic, constant expressions, AND/OR/NOT
 *                          simplification, Filter(true) removed, Filter(false) → empty Values
 *   3. orFactoring        terms shared by every branch of an OR move in front of it
 *   4. orImpliedFilters    per-input filters (IN lists) implied by an OR, added next to it
 *   5. joinExtraction      comma joins + WHERE terms → inner joins with conditions
 *   6. predicatePushdown   Filter terms down through Project/Join/Aggregate/Union into scans
 *   7. joinReorder         greedy order of inner-join trees from row estimates
 *   8. projectionPruning   drop unused columns, narrowing Parquet reads (last, so it sees
 *                          every expression in its final place)
 *   9. sharedSubplans      each shared WITH query through passes 1–8 once, narrowed to the
 *                          columns its readers read
 */
import type { IdGenerator, LogicalPlan } from '../logical.js';
import { decorrelate } from './decorrelate.js';
import { constantFolding } from './constant_folding.js';
import { joinExtraction } from './join_extraction.js';
import { orFactoring } from './or_factoring.js';
import { orImpliedFilters } from './or_implied_filters.js';
import { predicatePushdown } from './predicate_pushdown.js';
import { joinReorder } from './join_reorder.js';
import { projectionPruning } from './projection_pruning.js';
import { cteSharing } from './cte_sharing.js';
import { optimizeSharedCtes } from './shared_subplans.js';

export interface OptimizerPass {
  name: string;
  run(plan: LogicalPlan, ids: IdGenerator): LogicalPlan;
}

export const OPTIMIZER_PASSES: readonly OptimizerPass[] = [
  { name: 'decorrelate', run: decorrelate },
  { name: 'constant_folding', run: (p) => constantFolding(p) },
  { name: 'or_factoring', run: (p) => orFactoring(p) },
  { name: 'or_implied_filters', run: (p) => orImpliedFilters(p) },
  { name: 'join_extraction', run: (p) => joinExtraction(p) },
  { name: 'predicate_pushdown', run: (p) => predicatePushdown(p) },
  { name: 'join_reorder', run: (p) => joinReorder(p) },
  { name: 'projection_pruning', run: (p) => projectionPruning(p) },
];

export function optimize(plan: LogicalPlan, ids: IdGenerator): LogicalPlan {
  const passes = (input: LogicalPlan): LogicalPlan => {
    let p = input;
    for (const pass of OPTIMIZER_PASSES) p = pass.run(p, ids);
    return p;
  };
  return optimizeSharedCtes(passes(cteSharing(plan, ids)), passes);
}

export { cteSharing, optimizeSharedCtes, decorrelate, constantFolding, orFactoring, orImpliedFilters, joinExtraction, predicatePushdown, joinReorder, projectionPruning };
