/**
 * Abstract values and their rendering per column type.
 *
 * Generated rows hold type-free seeds (null, a small integer, or an extreme marker) that
 * become a value only once the column's type is known. Rows and schemas are then independent
 * arbitraries, so fast-check shrinks each on its own (a schema change never discards rows).
 * Values are chosen so that sums are exact whatever the order of addition (floats are
 * multiples of 0.25 below 2^40, int64 at most 2^53), keeping distributed and
 * single-node answers comparable without spurious rounding differences.
 */
import type { DataType, Scalar } from '../common/types.js';
import { formatScalar } from '../format.js';

/** A cell before typing: NULL, a small integer (duplicates and skew come from the small range), or an extreme. */
export type ValueSeed = null | number | 'max' | 'min';

/** Column types the generators use. */
export const GENERATED_TYPES: readonly DataType[] = ['int32', 'int64', 'float64', 'utf8', 'bool', 'date32'];

/** Strings, including the empty one, mixed case, a shared prefix and non-ASCII. */
export const WORDS: readonly string[] = ['a', 'b', 'ab', '', 'A', 'abc', 'zz', 'Ünï', 'a b', 'x'];
const LONG_WORD = 'z'.repeat(40);
const DATE_BASE = 18262; // 2020-01-01

/** The value a seed takes in a column of type `type`. */
export function valueOf(seed: ValueSeed, type: DataType): Scalar {
  if (seed === null) return null;
  const n = typeof seed === 'number' ? seed : 0;
  switch (type) {
    case 'int32': return seed === 'max' ? 2147483647 : seed === 'min' ? -2147483647 : n;
    case 'int64': return BigInt(seed === 'max' ? Number.MAX_SAFE_INTEGER : seed === 'min' ? -Number.MAX_SAFE_INTEGER : n);
    case 'float64': return seed === 'max' ? 1e9 : seed === 'min' ? -1e9 : n * 0.25;
    case 'utf8': return seed === 'max' ? LONG_WORD : seed === 'min' ? '' : WORDS[Math.abs(n) % WORDS.length]!;
    case 'bool': return seed === 'max' ? true : seed === 'min' ? false : Math.abs(n) % 2 === 1;
    case 'date32': return seed === 'max' ? 47482 /* 2099-12-31 */ : seed === 'min' ? 0 : DATE_BASE + n;
    case 'timestamp': return seed === 'max' ? 4102358400000000n : seed === 'min' ? 0n : BigInt(DATE_BASE + n) * 86_400_000_000n;
    case 'null': return null;
    default: return n; // a decimal's unscaled value
  }
}

/** A value as a SQL literal of its type (both Spillway and DuckDB read these). */
export function sqlLiteral(v: Scalar, type: DataType): string {
  if (v === null) return 'NULL';
  switch (type) {
    case 'utf8': return `'${String(v).replace(/'/g, "''")}'`;
    case 'date32': return `DATE '${formatScalar('date32', v)}'`;
    case 'timestamp': return `TIMESTAMP '${formatScalar('timestamp', v)}'`;
    case 'bool': return v ? 'TRUE' : 'FALSE';
    case 'float64': {
      const s = String(v);
      return /[.e]/i.test(s) ? s : `${s}.0`;
    }
    default: return String(v);
  }
}

/** Which types compare with which: numbers with numbers, otherwise the same type. */
export function typeClass(t: DataType): string {
  return t === 'int32' || t === 'int64' || t === 'float64' ? 'number' : t;
}
