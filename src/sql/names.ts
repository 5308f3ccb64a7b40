/**
 * User-visible names of unaliased select items, close to DuckDB's: a column keeps its
 * name, `sum(l_quantity)` stays `sum(l_quantity)`, `a + b` becomes `(a + b)`.
 */
import type { CaseArg, ExprNode, ExtractArgs, FuncArgs } from './ast.js';

function funcName(n: ExprNode): string {
  if (typeof n.name === 'string') return n.name.toLowerCase();
  if (n.name && Array.isArray(n.name.name)) return n.name.name.map((p) => p.value).join('.').toLowerCase();
  return '?';
}

function columnName(n: ExprNode): string {
  const c = n.column;
  if (typeof c === 'string') return c;
  return c ? c.expr.value : '?';
}

function listArgs(n: ExprNode): ExprNode[] {
  const a = n.args as FuncArgs | undefined;
  if (!a) return [];
  if (Array.isArray(a.value)) return a.value;
  if (a.expr) return [a.expr];
  return [];
}

export function exprDisplayName(n: ExprNode | null | undefined): string {
  if (!n) return '?column?';
  switch (n.type) {
    case 'column_ref': return columnName(n);
    case 'number': case 'bigint': return String(n.value);
    case 'single_quote_string': case 'string': return `'${String(n.value)}'`;
    case 'bool': return n.value ? 'true' : 'false';
    case 'null': return 'NULL';
    case 'date': return `DATE '${String(n.value)}'`;
    case 'timestamp': return `TIMESTAMP '${String(n.value)}'`;
    case 'time': return `TIME '${String(n.value)}'`;
    case 'interval': return `INTERVAL '${String(n.expr?.value ?? '')}'${n.unit ? ` ${String(n.unit).toUpperCase()}` : ''}`;
    case 'aggr_func': {
      const a = n.args as FuncArgs | undefined;
      const name = funcName(n);
      if (a?.expr?.type === 'star') return 'count_star()';
      const distinct = a?.distinct === 'DISTINCT' ? 'DISTINCT ' : '';
      return `${name}(${distinct}${exprDisplayName(a?.expr)})`;
    }
    case 'function': return `${funcName(n)}(${listArgs(n).map(exprDisplayName).join(', ')})`;
    case 'binary_expr': {
      const op = (n.operator ?? '?').toLowerCase();
      if (n.right?.type === 'expr_list' && Array.isArray(n.right.value)) {
        return `(${exprDisplayName(n.left)} ${op} (${(n.right.value as ExprNode[]).map(exprDisplayName).join(', ')}))`;
      }
      return `(${exprDisplayName(n.left)} ${op} ${exprDisplayName(n.right)})`;
    }
    case 'unary_expr': {
      const op = n.operator ?? '';
      return op === '-' || op === '+' ? `${op}${exprDisplayName(n.expr)}` : `(${op.toLowerCase()} ${exprDisplayName(n.expr)})`;
    }
    case 'cast': return `CAST(${exprDisplayName(n.expr)} AS ${n.target?.[0]?.dataType ?? '?'})`;
    case 'extract': {
      const a = n.args as ExtractArgs;
      return `extract(${a.field.toLowerCase()} FROM ${exprDisplayName(a.source)})`;
    }
    case 'case': {
      const parts = (n.args as CaseArg[]).map((c) => c.type === 'when'
        ? `WHEN ${exprDisplayName(c.cond)} THEN ${exprDisplayName(c.result)}`
        : `ELSE ${exprDisplayName(c.result)}`);
      return `CASE ${n.expr ? exprDisplayName(n.expr) + ' ' : ''}${parts.join(' ')} END`;
    }
    case 'interval': return `INTERVAL ${exprDisplayName(n.expr)} ${n.unit ?? ''}`.trim();
    default:
      if (n.ast) return '(SELECT ...)';
      return '?column?';
  }
}
