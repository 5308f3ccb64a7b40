/**
 * Casts between nested types of one shape (the binder's common type of two lists, structs or
 * maps, e.g. INTEGER[] and BIGINT[] compared): the offsets and validity stay, each child column
 * is cast to its new type. Fields correspond by position (the binder matched their names).
 */
import type { Column, ListColumn, MapColumn, StructColumn } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { isNested, nestedInfo, mapEntryType } from '../common/nested_types.js';
import type { DataType, MapType } from '../common/types.js';
import { sqlTypeName } from '../common/types.js';
import { castColumn } from './cast.js';

export function castNested(c: Column, to: DataType): Column {
  const fail = (): never => { throw new SpillwayError('type', `cannot cast ${sqlTypeName(c.type)} to ${sqlTypeName(to)}`); };
  if (!isNested(c.type) || !isNested(to)) return fail();
  const from = nestedInfo(c.type), target = nestedInfo(to);
  if (from.kind !== target.kind) return fail();
  switch (target.kind) {
    case 'list': {
      const l = c as ListColumn;
      return { ...l, type: to as ListColumn['type'], child: castColumn(l.child, target.element) };
    }
    case 'map': {
      const m = c as MapColumn;
      return { ...m, type: to as MapColumn['type'], child: castColumn(m.child, mapEntryType(to as MapType)) as StructColumn };
    }
    case 'struct': {
      const s = c as StructColumn;
      if (s.children.length !== target.fields.length) return fail();
      return { ...s, type: to as StructColumn['type'], children: s.children.map((ch, i) => castColumn(ch, target.fields[i]!.type)) };
    }
  }
}
