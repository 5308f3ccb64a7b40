/**
 * Boolean kernels with SQL three-valued logic:
 *
 *   AND   | T  F  N        OR    | T  F  N        NOT T = F, NOT F = T, NOT N = N
 *   ------+---------       ------+---------
 *     T   | T  F  N          T   | T  T  T
 *     F   | F  F  F          F   | T  F  N
 *     N   | N  F  N          N   | T  N  N
 *
 * IS NULL / IS NOT NULL / IS TRUE / IS FALSE are never NULL.
 */
import { fixedColumn, type BoolColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { maskOf } from './broadcast.js';

interface BoolParts { values: Uint8Array; validity: Uint8Array | null }

function boolParts(c: Column): BoolParts {
  if (c.type === 'null') { const z = new Uint8Array(Math.max(1, c.length)); return { values: z, validity: z }; }
  if (c.type !== 'bool') throw new SpillwayError('type', `argument of AND/OR/NOT must be boolean, not ${c.type}`);
  return { values: c.values, validity: c.validity };
}

/** AND (isAnd) or OR over n rows; either side may be a broadcast constant. */
export function andOr(isAnd: boolean, left: Column, right: Column, n: number): BoolColumn {
  const l = boolParts(left), r = boolParts(right);
  const lm = maskOf(left, n), rm = maskOf(right, n);
  const a = l.values, b = r.values, av = l.validity, bv = r.validity;
  const out = new Uint8Array(n);
  if (av === null && bv === null) {
    if (isAnd) for (let i = 0; i < n; i++) out[i] = a[i & lm]! & b[i & rm]!;
    else for (let i = 0; i < n; i++) out[i] = a[i & lm]! | b[i & rm]!;
    return fixedColumn('bool', out, null) as BoolColumn;
  }
  // The dominant value (FALSE for AND, TRUE for OR) decides the row even against NULL.
  const dominant = isAnd ? 0 : 1;
  const validity = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const aOk = av === null || av[i & lm] === 1;
    const bOk = bv === null || bv[i & rm] === 1;
    const x = a[i & lm]!, y = b[i & rm]!;
    if ((aOk && x === dominant) || (bOk && y === dominant)) { out[i] = dominant; validity[i] = 1; }
    else if (aOk && bOk) { out[i] = 1 - dominant; validity[i] = 1; }
  }
  return fixedColumn('bool', out, validity) as BoolColumn;
}

export function not(arg: Column): BoolColumn {
  const p = boolParts(arg);
  const n = arg.length;
  const out = new Uint8Array(n);
  const v = p.values;
  for (let i = 0; i < n; i++) out[i] = v[i]! ^ 1;
  return fixedColumn('bool', out, arg.type === 'null' ? new Uint8Array(n) : p.validity) as BoolColumn;
}

export function isNull(arg: Column, wantNull: boolean): BoolColumn {
  const n = arg.length;
  const out = new Uint8Array(n);
  if (arg.type === 'null') out.fill(wantNull ? 1 : 0);
  else if (arg.validity === null) out.fill(wantNull ? 0 : 1);
  else {
    const v = arg.validity;
    if (wantNull) for (let i = 0; i < n; i++) out[i] = v[i]! ^ 1;
    else out.set(v);
  }
  return fixedColumn('bool', out, null) as BoolColumn;
}

/** IS TRUE (want = 1) / IS FALSE (want = 0): NULL rows give FALSE. */
export function isBool(arg: Column, want: 0 | 1): BoolColumn {
  const n = arg.length;
  const out = new Uint8Array(n);
  if (arg.type !== 'null') {
    const p = boolParts(arg);
    const v = p.values, valid = p.validity;
    for (let i = 0; i < n; i++) out[i] = (valid === null || valid[i] === 1) && v[i] === want ? 1 : 0;
  }
  return fixedColumn('bool', out, null) as BoolColumn;
}
