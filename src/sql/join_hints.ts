/**
 * Join hints: `/*+ BROADCAST(nation) PARTITIONED(lineitem, orders) COLOCATED(x) *\/` anywhere
 * in a statement forces the strategy of the join whose input is that table (or alias).
 *
 * node-sql-parser drops comments, so the hints are read here from the statement's tokens
 * before parsing (a comment that starts with `/*+`), and after binding each is attached to
 * the Scan nodes of the table or alias it names (LogicalPlan Scan.joinHint). The physical
 * planner then puts it on the hash join that has that scan as a whole input
 * (plan/physical_planner.ts), and the distributed planner applies it (insert_exchanges.ts).
 *
 * Errors, each naming the hint: an unknown hint name, a hint without a table, a table or
 * alias the query does not read, one table given two different strategies.
 */
import { SpillwayError } from '../common/errors.js';
import type { JoinHint, JoinStrategy, LExpr, LogicalPlan } from '../plan/logical.js';
import { logicalChildren } from '../plan/logical.js';
import { exprChildren, nodeExprs } from '../plan/logical_exprs.js';
import { describePosition, tokenize } from './preparse.js';

const HINT_NAMES: Readonly<Record<string, JoinStrategy>> = {
  broadcast: 'broadcast', partitioned: 'partitioned', shuffle: 'partitioned', colocated: 'colocated',
};

/** The join hints of one statement's text (`offset`/`script` place errors in the script). */
export function extractJoinHints(text: string, offset = 0, script = text): JoinHint[] {
  const hints: JoinHint[] = [];
  for (const t of tokenize(text)) {
    if (t.kind !== 'comment' || !t.text.startsWith('/*+')) continue;
    const body = t.text.slice(3, t.text.endsWith('*/') ? -2 : undefined);
    const at = describePosition(script, offset + t.start);
    const entry = /\s*([A-Za-z_]+)\s*\(([^)]*)\)\s*,?/y;
    let pos = 0;
    while (pos < body.length) {
      if (/^\s*$/.test(body.slice(pos))) break;
      entry.lastIndex = pos;
      const m = entry.exec(body);
      if (m === null) {
        throw new SpillwayError('syntax', `join hint at ${at}: expected NAME(table, …) in "${body.trim()}" (hints: BROADCAST, PARTITIONED, COLOCATED)`);
      }
      pos = entry.lastIndex;
      const name = m[1]!;
      const strategy = HINT_NAMES[name.toLowerCase()];
      if (strategy === undefined) {
        throw new SpillwayError('syntax', `join hint at ${at}: unknown hint ${name}; expected BROADCAST, PARTITIONED or COLOCATED`);
      }
      const tables = m[2]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (tables.length === 0) throw new SpillwayError('syntax', `join hint at ${at}: ${name}() names no table`);
      for (const raw of tables) {
        const table = /^".*"$/.test(raw) ? raw.slice(1, -1) : raw.toLowerCase();
        hints.push({ strategy, table, text: `${name.toUpperCase()}(${raw})` });
      }
    }
  }
  return hints;
}

/** Attach each hint to the scans of the table or alias it names; every hint must name one. */
export function attachJoinHints(plans: readonly LogicalPlan[], hints: readonly JoinHint[]): void {
  if (hints.length === 0) return;
  const scans: Extract<LogicalPlan, { kind: 'Scan' }>[] = [];
  const visitExpr = (e: LExpr): void => {
    if (e.kind === 'scalar_subquery' || e.kind === 'exists' || e.kind === 'in_subquery') visit(e.plan);
    for (const c of exprChildren(e)) visitExpr(c);
  };
  const visit = (p: LogicalPlan): void => {
    if (p.kind === 'Scan') scans.push(p);
    for (const e of nodeExprs(p)) visitExpr(e);
    for (const c of logicalChildren(p)) visit(c);
  };
  for (const p of plans) visit(p);
  for (const hint of hints) {
    const named = scans.filter((s) => s.table.toLowerCase() === hint.table || s.columns.some((c) => c.qualifier === hint.table));
    if (named.length === 0) throw new SpillwayError('binder', `join hint ${hint.text}: the query reads no table or alias "${hint.table}"`);
    for (const s of named) {
      if (s.joinHint !== undefined && s.joinHint.strategy !== hint.strategy) {
        throw new SpillwayError('binder', `join hints ${s.joinHint.text} and ${hint.text} ask for different strategies for the same table`);
      }
      s.joinHint = hint;
    }
  }
}
