/**
 * Binding of nested-value access and functions (kernels in expr/nested_functions.ts):
 * `s.a` and `s['a']` (struct_extract), `l[i]` (list_extract), `m[k]` (map_extract),
 * len / array_length, ARRAY[…] (list_value). Types follow DuckDB: an element or field has its
 * declared type, len is BIGINT.
 */
import { SpillwayError } from '../common/errors.js';
import { isList, isMap, isStruct, listElement, listType, mapParams, structFields, structType } from '../common/nested_types.js';
import type { DataType } from '../common/types.js';
import { sqlTypeName } from '../common/types.js';
import type { LExpr } from '../plan/logical.js';
import { castTo, commonTypeOf, isUntypedString } from './coercion.js';

const call = (name: string, args: LExpr[], type: DataType): LExpr => ({ kind: 'call', name, args, type });
const text = (v: string): LExpr => ({ kind: 'literal', value: v, type: 'utf8' });

/** Field `name` of a struct-typed expression. */
export function fieldAccess(base: LExpr, name: string): LExpr {
  if (!isStruct(base.type)) throw new SpillwayError('type', `cannot extract field "${name}" from a value of type ${sqlTypeName(base.type)}`);
  const fields = structFields(base.type);
  const f = fields.find((x) => x.name === name) ?? fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (f === undefined) throw new SpillwayError('binder', `struct ${sqlTypeName(base.type)} has no field "${name}"`);
  return call('struct_extract', [base, text(f.name)], f.type);
}

/** base[index]: a list element (1-based), a map value by key, or a struct field by constant name. */
export function indexAccess(base: LExpr, index: LExpr): LExpr {
  if (isStruct(base.type)) {
    if (index.kind !== 'literal' || typeof index.value !== 'string') throw new SpillwayError('binder', 'a struct field is selected by a constant name: s[\'field\']');
    return fieldAccess(base, index.value);
  }
  if (isList(base.type)) {
    if (index.type !== 'int32' && index.type !== 'int64' && index.type !== 'null' && !(index.kind === 'literal' && typeof index.value === 'number')) {
      throw new SpillwayError('type', `a list index must be an integer, got ${sqlTypeName(index.type)}`);
    }
    return call('list_extract', [base, castTo(index, 'int64')], listElement(base.type));
  }
  if (isMap(base.type)) {
    const { key, value } = mapParams(base.type);
    return call('map_extract', [base, castTo(index, key)], value);
  }
  throw new SpillwayError('type', `cannot index a value of type ${sqlTypeName(base.type)}`);
}

type FnBinder = (name: string, args: LExpr[]) => LExpr;

function one(name: string, args: LExpr[]): LExpr {
  if (args.length !== 1) throw new SpillwayError('binder', `function ${name} takes 1 argument, got ${args.length}`);
  return args[0]!;
}

const lengthOfList: FnBinder = (name, args) => {
  const a = one(name, args);
  if (!isList(a.type) && !isMap(a.type)) throw new SpillwayError('type', `function ${name} expects a list, got ${sqlTypeName(a.type)}`);
  return call('len', [a], 'int64');
};

/** struct_pack from `{'k': v, …}` (preparse's __struct('k', v, …)): field names constant. */
const structPack: FnBinder = (name, args) => {
  if (args.length === 0 || args.length % 2 !== 0) throw new SpillwayError('binder', `a struct literal needs 'name': value pairs`);
  const fields: { name: string; type: DataType }[] = [];
  const values: LExpr[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i]!;
    if (k.kind !== 'literal' || typeof k.value !== 'string') throw new SpillwayError('binder', `${name}: a field name must be a constant`);
    if (fields.some((f) => f.name === k.value)) throw new SpillwayError('binder', `duplicate struct field "${k.value}"`);
    let v = args[i + 1]!;
    if (v.type === 'null') v = castTo(v, 'int32');
    else if (isUntypedString(v)) v = castTo(v, 'utf8');
    fields.push({ name: k.value, type: v.type });
    values.push(v);
  }
  return call('struct_pack', values, structType(fields));
};

export const NESTED_FUNCTION_BINDERS: Record<string, FnBinder> = {
  __struct: structPack,
  __list: (name, args) => NESTED_FUNCTION_BINDERS.list_value!(name, args),
  // one row per element: only a whole SELECT item (the projection expands its rows)
  unnest: (name, args) => {
    const a = one(name, args);
    if (a.type === 'null') return call('unnest', [a], 'null');
    if (!isList(a.type)) throw new SpillwayError('type', `function ${name} expects a list, got ${sqlTypeName(a.type)}`);
    return call('unnest', [a], listElement(a.type));
  },
  len: lengthOfList,
  array_length: lengthOfList,
  list_value: (_name, args) => {
    const t = args.length === 0 ? 'int32' : commonTypeOf(args, 'list element', '');
    const element: DataType = t === 'null' ? 'int32' : t;
    return call('list_value', args.map((a) => castTo(a, element)), listType(element));
  },
  list_extract: (name, args) => {
    if (args.length !== 2) throw new SpillwayError('binder', `function ${name} takes 2 arguments, got ${args.length}`);
    return indexAccess(args[0]!, args[1]!);
  },
  struct_extract: (name, args) => {
    if (args.length !== 2) throw new SpillwayError('binder', `function ${name} takes 2 arguments, got ${args.length}`);
    const f = args[1]!;
    if (f.kind !== 'literal' || typeof f.value !== 'string') throw new SpillwayError('binder', `function ${name} needs a constant field name`);
    return fieldAccess(args[0]!, f.value);
  },
};
