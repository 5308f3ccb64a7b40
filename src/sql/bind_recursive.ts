/**
 * WITH RECURSIVE binding: a CTE whose body reads itself → a logical RecursiveCte.
 *
 *   WITH RECURSIVE t(n) AS (SELECT 1  UNION ALL  SELECT n + 1 FROM t WHERE n < 5)
 *                           └ anchor ┘            └ recursive term: t = WorkTable ┘
 *
 * The body must be `anchor UNION [ALL] recursive term` (the last UNION of the body splits
 * it, as in PostgreSQL). Column names and types come from the anchor (or the CTE's column
 * list); the recursive term is cast to them, and a column it cannot be cast to is an error
 * naming it. Inside the recursive term, the CTE's name reads the work table: the rows the
 * previous iteration added. Errors as PostgreSQL gives them: a reference in the anchor, in
 * an expression subquery, on the nullable side of an outer join, more than once, or with
 * aggregates, ORDER BY or LIMIT in the recursive term.
 * A CTE of a WITH RECURSIVE list that does not read itself binds as a plain CTE.
 */
import { sqlTypeName } from '../common/types.js';
import type { LColumn, LExpr, LogicalPlan } from '../plan/logical.js';
import { logicalChildren } from '../plan/logical.js';
import { nodeExprs } from '../plan/logical_exprs.js';
import type { FromItem, SelectAst } from './ast.js';
import { CteScope, type BindContext, type CteDefinition } from './bind_context.js';
import { containsAggregate } from './bind_expr.js';
import { bindQueryExpr, bindSelect, type BoundQuery } from './bind_select.js';
import { castTo, commonTypeOf } from './coercion.js';

/** While a recursive CTE's body is bound: which part, and the work table its references read. */
export interface RecursiveBinding {
  phase: 'anchor' | 'recursive';
  workTable: number;
  columns: LColumn[];
  references: number;
}

/** Whether the body of a WITH RECURSIVE item reads the item itself (else it is a plain CTE). */
export function readsItself(def: CteDefinition): boolean {
  const name = def.name.toLowerCase();
  const stack: unknown[] = [def.ast];
  while (stack.length > 0) {
    const o = stack.pop();
    if (!o || typeof o !== 'object') continue;
    if (Array.isArray(o)) { stack.push(...o); continue; }
    const r = o as Record<string, unknown>;
    if (Array.isArray(r.from)) {
      for (const f of r.from as FromItem[]) {
        if (typeof f.table === 'string' && !f.db && f.table.toLowerCase() === name) return true;
      }
    }
    for (const v of Object.values(r)) if (v && typeof v === 'object') stack.push(v);
  }
  return false;
}

/** A reference to the CTE `def` from inside its own body: the work table, or the error PostgreSQL gives. */
export function bindSelfReference(def: CteDefinition, b: RecursiveBinding, ctx: BindContext): BoundQuery {
  const name = def.name;
  if (b.phase === 'anchor') {
    throw ctx.error('binder', `recursive reference to query "${name}" must not appear within its non-recursive term${ctx.atIdent(name)}`);
  }
  if (++b.references > 1) throw ctx.error('binder', `recursive reference to query "${name}" must not appear more than once`);
  const columns = b.columns.map((c) => ctx.column(c.name, c.type, c.nullable));
  return { plan: { kind: 'WorkTable', name, workTable: b.workTable, columns }, columns };
}

/** The body of a recursive CTE → RecursiveCte (see the header). */
export function bindRecursiveCte(def: CteDefinition, ctx: BindContext): BoundQuery {
  const name = def.name;
  const members: SelectAst[] = [];
  for (let m: SelectAst | undefined = def.ast; m; m = m._next) members.push(m);
  const op = members.length >= 2 ? (members[members.length - 2]!.set_op ?? 'union').toLowerCase() : '';
  if (members.length < 2 || !op.startsWith('union')) {
    throw ctx.error('binder', `recursive query "${name}" does not have the form non-recursive-term UNION [ALL] recursive-term`);
  }
  const last = members[members.length - 1]!;
  if (!last.parentheses_symbol && last.orderby && last.orderby.length > 0) {
    throw ctx.error('unsupported', `unsupported: ORDER BY in a recursive query ("${name}")`);
  }
  if (!last.parentheses_symbol && (last.limit?.value ?? []).length > 0) {
    throw ctx.error('unsupported', `unsupported: LIMIT or OFFSET in a recursive query ("${name}")`);
  }
  if ((last.groupby?.columns ?? []).length > 0 || last.having || last.columns.some((c) => containsAggregate(c.expr))) {
    throw ctx.error('binder', `aggregate functions are not allowed in a recursive query's recursive term ("${name}")`);
  }
  // The anchor: every member before the last UNION, as its own chain.
  const anchorAst = chain(members.slice(0, -1));
  const scope = new CteScope(new Map([[name.toLowerCase(), def]]), def.scope);
  const binding: RecursiveBinding = { phase: 'anchor', workTable: ctx.fresh(), columns: [], references: 0 };
  ctx.recursiveBindings.set(def, binding);
  try {
    const anchor = bindQueryExpr(anchorAst, ctx, scope, null);
    const names = def.columnNames ?? [];
    if (names.length > anchor.columns.length) {
      throw ctx.error('binder', `WITH query "${name}" has ${anchor.columns.length} columns available but ${names.length} columns specified`);
    }
    const columns = anchor.columns.map((c, i) => ctx.column(names[i] ?? c.name, c.type, true));
    binding.phase = 'recursive';
    binding.columns = columns;
    const recursive = bindSelect({ ...last, _next: undefined } as SelectAst, ctx, scope, null, !last.parentheses_symbol);
    if (binding.references === 0) {
      throw ctx.error('binder', `recursive query "${name}" does not read itself in its recursive term (the part after the last UNION)`);
    }
    if (recursive.columns.length !== columns.length) {
      throw ctx.error('binder', `each UNION query must have the same number of columns: ${columns.length} vs ${recursive.columns.length} in recursive query "${name}"`);
    }
    checkReferencePlaces(recursive.plan, binding.workTable, name, ctx);
    const exprs = recursive.columns.map((c, i): LExpr => {
      const want = columns[i]!.type;
      const ref: LExpr = { kind: 'column', id: c.id, type: c.type, name: c.name };
      if (c.type === want || c.type === 'null') return castTo(ref, want);
      try {
        commonTypeOf([{ kind: 'literal', value: null, type: want }, ref], 'UNION', '');
      } catch {
        throw ctx.error('type', `recursive query "${name}" column ${i + 1} ("${columns[i]!.name}") has type ${sqlTypeName(want)} in the non-recursive term but type ${sqlTypeName(c.type)} in the recursive term`);
      }
      return castTo(ref, want);
    });
    const conformed: LogicalPlan = exprs.every((e, i) => e.kind === 'column' && e.id === recursive.columns[i]!.id)
      ? recursive.plan
      : { kind: 'Project', input: recursive.plan, exprs, columns: exprs.map((e, i) => ctx.column(columns[i]!.name, e.type, true)) };
    const plan: LogicalPlan = {
      kind: 'RecursiveCte', name, workTable: binding.workTable, anchor: anchor.plan, recursive: conformed, columns, distinct: op !== 'union all',
    };
    return { plan, columns };
  } finally {
    ctx.recursiveBindings.delete(def);
  }
}

/** Members m0 … mk as one set-operation chain (copies; the parsed chain is left as it is). */
function chain(members: SelectAst[]): SelectAst {
  let next: SelectAst | undefined;
  for (let i = members.length - 1; i >= 0; i--) {
    const m: SelectAst = { ...members[i]! };
    if (next) m._next = next; else delete m._next;
    next = m;
  }
  return next!;
}

/** A work-table reference in an expression subquery or on the nullable side of an outer join is an error. */
function checkReferencePlaces(plan: LogicalPlan, workTable: number, name: string, ctx: BindContext): void {
  const reads = (p: LogicalPlan): boolean => (p.kind === 'WorkTable' && p.workTable === workTable) || logicalChildren(p).some(reads);
  const visit = (p: LogicalPlan): void => {
    for (const e of nodeExprs(p)) {
      if (subqueryPlans(e).some(reads)) throw ctx.error('binder', `recursive reference to query "${name}" must not appear within a subquery`);
    }
    if (p.kind === 'Join') {
      const nullable = [
        ...(p.joinType === 'right' || p.joinType === 'full' ? [p.left] : []),
        ...(p.joinType === 'left' || p.joinType === 'full' ? [p.right] : []),
      ];
      if (nullable.some(reads)) throw ctx.error('binder', `recursive reference to query "${name}" must not appear within an outer join`);
    }
    logicalChildren(p).forEach(visit);
  };
  visit(plan);
}

/** The plans of the subqueries in an expression (not nested ones inside them). */
function subqueryPlans(e: LExpr): LogicalPlan[] {
  const out: LogicalPlan[] = [];
  const walk = (x: LExpr): void => {
    switch (x.kind) {
      case 'scalar_subquery': case 'exists': out.push(x.plan); return;
      case 'in_subquery': out.push(x.plan); walk(x.arg); return;
      case 'binary': walk(x.left); walk(x.right); return;
      case 'unary': case 'cast': walk(x.arg); return;
      case 'case': if (x.operand) walk(x.operand); x.whens.forEach((w) => { walk(w.when); walk(w.then); }); if (x.else) walk(x.else); return;
      case 'in_list': walk(x.arg); x.list.forEach(walk); return;
      case 'like': walk(x.arg); walk(x.pattern); return;
      case 'call': x.args.forEach(walk); return;
      default: return;
    }
  };
  walk(e);
  return out;
}
