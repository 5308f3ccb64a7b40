/**
 * The arguments of read_csv / read_csv_auto, read from the parsed call before binding:
 *
 *   read_csv('a.csv' | ['a.csv', 'b.csv'] | 'dir/*.csv',
 *            header=true, delim=',', quote='"', escape='"', nullstr='', skip=0,
 *            sample_size=20480, auto_detect=true, all_varchar=false,
 *            columns={'a': 'INTEGER', 'b': 'VARCHAR'})
 *
 * Lists and structs arrive as the marker calls of sql/preparse.ts. The call's key (its
 * paths and options as JSON) names the resolved table in BindContext.csv, so the
 * resolution before binding and the binder agree on what a call reads.
 */
import { SpillwayError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { CsvOptions } from '../storage/csv_sniff.js';
import type { ExprNode } from './ast.js';
import { dataTypeFromSql } from './coercion.js';
import { LIST_MARKER, STRUCT_MARKER } from './preparse.js';

export interface CsvCall {
  paths: string[];
  options: CsvOptions;
  /** Same call, same key. */
  key: string;
}

export function isCsvFunction(name: string): boolean {
  return name === 'read_csv' || name === 'read_csv_auto';
}

/** The name of a function node, lower-case. */
export function functionName(n: ExprNode): string {
  const name = n.name;
  return typeof name === 'object' && name ? name.name.map((p) => p.value).join('.').toLowerCase() : String(name ?? '').toLowerCase();
}

const OPTIONS = ['header', 'delim', 'sep', 'quote', 'escape', 'nullstr', 'skip', 'sample_size', 'auto_detect', 'all_varchar', 'columns'];

function fail(message: string): never {
  throw new SpillwayError('binder', `read_csv: ${message}`);
}

function stringOf(n: ExprNode | undefined, what: string): string {
  if (n && (n.type === 'single_quote_string' || n.type === 'string')) return String(n.value);
  return fail(`${what} must be a quoted string`);
}

function markerArgs(n: ExprNode): ExprNode[] {
  return ((n.args as { value?: ExprNode[] } | undefined)?.value) ?? [];
}

function booleanOf(n: ExprNode, what: string): boolean {
  if (n.type === 'bool' || n.type === 'boolean') return n.value === true || n.value === 'true';
  if (n.type === 'number' && (n.value === 1 || n.value === 0)) return n.value === 1;
  if (n.type === 'single_quote_string' && /^(true|false)$/i.test(String(n.value))) return /^true$/i.test(String(n.value));
  return fail(`${what} must be true or false`);
}

function integerOf(n: ExprNode, what: string): number {
  let node = n;
  let sign = 1;
  if (node.type === 'unary_expr' && node.operator === '-' && node.expr) { sign = -1; node = node.expr as ExprNode; }
  const v = node.type === 'number' ? Number(node.value) : NaN;
  if (!Number.isSafeInteger(v)) fail(`${what} must be an integer`);
  return sign * v;
}

function columnsOf(n: ExprNode): Field[] {
  if (n.type !== 'function' || functionName(n) !== STRUCT_MARKER) fail("columns must be a struct such as {'a': 'INTEGER', 'b': 'VARCHAR'}");
  const args = markerArgs(n);
  if (args.length === 0 || args.length % 2 !== 0) fail("columns must name each column and its type: {'a': 'INTEGER', …}");
  const fields: Field[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const name = stringOf(args[i], 'a column name in columns');
    const typeText = stringOf(args[i + 1], `the type of column '${name}'`);
    const m = /^\s*([A-Za-z][A-Za-z ]*?)\s*(?:\(\s*(\d+)?[^)]*\))?\s*$/.exec(typeText);
    let type;
    try {
      if (!m) throw new SpillwayError('binder', `unknown type '${typeText}'`);
      type = dataTypeFromSql({ dataType: m[1]! } as Parameters<typeof dataTypeFromSql>[0]);
    } catch (e) {
      return fail(`column '${name}': ${(e as Error).message}`);
    }
    fields.push({ name, type, nullable: true });
  }
  return fields;
}

/** `FROM 'data/t.csv'`: the file read with every option detected. */
export function csvPathCall(path: string): CsvCall {
  return { paths: [path], options: {}, key: JSON.stringify([[path], {}]) };
}

/** Paths and options of a read_csv call (its arguments as parsed). */
export function csvCallOf(args: readonly ExprNode[]): CsvCall {
  const first = args[0];
  if (!first) fail("needs a path, e.g. read_csv('data/t.csv')");
  let paths: string[];
  if (first.type === 'function' && functionName(first) === LIST_MARKER) {
    paths = markerArgs(first).map((a) => stringOf(a, 'each path in the list'));
    if (paths.length === 0) fail('the list of paths is empty');
  } else {
    paths = [stringOf(first, "the first argument (a path, a glob or a list ['a.csv', 'b.csv'])")];
  }
  const options: CsvOptions = {};
  for (const a of args.slice(1)) {
    const left = a.type === 'binary_expr' && a.operator === '=' ? (a.left as ExprNode | undefined) : undefined;
    const col = left?.type === 'column_ref' ? left.column : undefined;
    const name = (typeof col === 'string' ? col : col && typeof col === 'object' ? String((col as { expr: { value: unknown } }).expr.value) : '').toLowerCase();
    if (!name) fail('options are written name=value, e.g. header=true');
    const value = a.right as ExprNode;
    switch (name) {
      case 'header': options.header = booleanOf(value, name); break;
      case 'delim': case 'sep': options.delimiter = stringOf(value, name); break;
      case 'quote': options.quote = stringOf(value, name); break;
      case 'escape': options.escape = stringOf(value, name); break;
      case 'nullstr': options.nullstr = stringOf(value, name); break;
      case 'skip': options.skip = integerOf(value, name); if (options.skip < 0) fail('skip must not be negative'); break;
      case 'sample_size': options.sampleSize = integerOf(value, name); break;
      case 'auto_detect': options.autoDetect = booleanOf(value, name); break;
      case 'all_varchar': options.allVarchar = booleanOf(value, name); break;
      case 'columns': options.columns = columnsOf(value); break;
      default: fail(`unknown option "${name}" (known: ${OPTIONS.join(', ')})`);
    }
  }
  if (options.autoDetect === false && options.columns === undefined) fail('auto_detect=false needs columns={…}');
  return { paths, options, key: JSON.stringify([paths, options]) };
}
