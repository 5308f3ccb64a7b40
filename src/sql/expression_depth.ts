/**
 * Limits on how deeply a statement nests, checked before anything recursive sees it, so a
 * generated query gets one clear error instead of exhausting the stack somewhere in the
 * parser, binder, optimizer or evaluator:
 *
 *   text ──checkParenthesesDepth──▶ parser ──balanceAndCheckDepth──▶ binder …
 *
 * - Parentheses and CASE expressions: at most MAX_PARENTHESES_DEPTH nested, counted
 *   together (the parser recurses through some twenty grammar rules per level).
 * - Expressions: at most MAX_EXPRESSION_DEPTH nested nodes (DuckDB's default
 *   max_expression_depth), counted after long AND/OR chains are rebalanced: `c1 OR c2 OR …
 *   OR c2000` is a 2,000-deep tree as parsed, and log2(2,000) deep once balanced, which
 *   is the same predicate (AND and OR are associative, also with NULLs). Other chains
 *   (`+`, `||`) keep their shape: regrouping floating-point sums changes their rounding.
 *
 * Both walks are iterative (an explicit stack), so they never overflow themselves.
 */
import { SpillwayError } from '../common/errors.js';
import { describePosition, tokenize } from './preparse.js';

export const MAX_PARENTHESES_DEPTH = 256;
export const MAX_EXPRESSION_DEPTH = 1000;

/** Chains shorter than this keep their parsed shape (and so their display names). */
const BALANCE_MIN_TERMS = 32;

/**
 * Refuse a statement whose parentheses nest deeper than the limit, or that stacks more
 * NOTs than the expression limit (`NOT NOT … x`), naming where; before the parser spends
 * time on it.
 */
export function checkParenthesesDepth(script: string, text: string, offset: number): void {
  let depth = 0;
  let openCases = 0;
  let nots = 0;
  const deeper = (t: { start: number }): void => {
    if (++depth > MAX_PARENTHESES_DEPTH) {
      throw new SpillwayError('unsupported',
        `the statement nests parentheses and CASE expressions more than ${MAX_PARENTHESES_DEPTH} deep at ${describePosition(script, offset + t.start)} (the limit is ${MAX_PARENTHESES_DEPTH})`);
    }
  };
  for (const t of tokenize(text)) {
    if (t.kind === 'space' || t.kind === 'comment') continue;
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'case') { openCases++; deeper(t); } else if (w === 'end' && openCases > 0) { openCases--; depth--; }
    }
    if (t.kind === 'word' && t.text.toLowerCase() === 'not') {
      if (++nots > MAX_EXPRESSION_DEPTH) {
        throw new SpillwayError('unsupported',
          `the statement nests more than ${MAX_EXPRESSION_DEPTH} NOTs at ${describePosition(script, offset + t.start)} (the limit is ${MAX_EXPRESSION_DEPTH})`);
      }
    } else if (t.text !== '(') {
      nots = 0;
    }
    if (t.kind !== 'punct') continue;
    if (t.text === '(') deeper(t);
    if (t.text === ')') depth--;
  }
}

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

function isChainOf(n: unknown, op: string): n is Node {
  return isNode(n) && n['type'] === 'binary_expr' && typeof n['operator'] === 'string' && (n['operator'] as string).toUpperCase() === op;
}

/** The operands of a maximal AND or OR chain rooted at `root`, left to right. */
function chainOperands(root: Node, op: string): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isChainOf(n, op)) { stack.push(n['right'], n['left']); continue; }
    out.push(n);
  }
  return out;
}

/** A balanced tree over terms[lo, hi); its inner nodes are recorded in `made` (already balanced). */
function balanced(terms: unknown[], proto: Node, lo: number, hi: number, made: Set<unknown>): unknown {
  if (hi - lo === 1) return terms[lo];
  const mid = (lo + hi) >>> 1;
  const node = { ...proto, left: balanced(terms, proto, lo, mid, made), right: balanced(terms, proto, mid, hi, made), parentheses: true };
  made.add(node);
  return node;
}

/**
 * Rebalance long AND/OR chains in place, then refuse the statement when its expressions
 * still nest deeper than MAX_EXPRESSION_DEPTH. `where` names the statement's position.
 */
export function balanceAndCheckDepth(ast: unknown, where: string): void {
  const stack: { node: unknown; depth: number }[] = [{ node: ast, depth: 0 }];
  const made = new Set<unknown>();
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isNode(node)) continue;
    if (Array.isArray(node)) {
      for (const x of node) stack.push({ node: x, depth });
      continue;
    }
    const op = typeof node['operator'] === 'string' ? (node['operator'] as string).toUpperCase() : '';
    if (node['type'] === 'binary_expr' && (op === 'AND' || op === 'OR') && !made.has(node)) {
      const terms = chainOperands(node, op);
      if (terms.length >= BALANCE_MIN_TERMS) {
        const { left: _l, right: _r, ...proto } = node;
        const tree = balanced(terms, proto, 0, terms.length, made) as Node;
        node['left'] = tree['left'];
        node['right'] = tree['right'];
      }
    }
    const typed = typeof node['type'] === 'string';
    const d = typed ? depth + 1 : depth;
    if (d > MAX_EXPRESSION_DEPTH) {
      throw new SpillwayError('unsupported',
        `the statement ${where} nests expressions more than ${MAX_EXPRESSION_DEPTH} deep (the limit is ${MAX_EXPRESSION_DEPTH}; long AND/OR chains do not count, they are regrouped)`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && isNode(v)) stack.push({ node: v, depth: d });
  }
}
