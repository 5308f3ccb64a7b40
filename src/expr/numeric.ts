/** Numeric views of columns for the math kernels, and conversion of their results back. */
import { fixedColumn, nullColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';

/** Numeric values of an int32/int64/float64/date32 column as doubles (int64 converted once). */
export function asDoubles(c: Column): Int32Array | Float64Array | Uint8Array {
  switch (c.type) {
    case 'int32': case 'date32': case 'float64': case 'bool': return c.values;
    case 'int64': case 'timestamp': {
      const out = new Float64Array(c.length);
      const v = c.values;
      for (let i = 0; i < out.length; i++) out[i] = Number(v[i]!);
      return out;
    }
    default: return new Float64Array(c.length);
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Turn doubles computed by a kernel into a column of the requested numeric type.
 * Values are expected to be integral when the type is an integer type.
 */
export function doublesToColumn(vals: Float64Array, validity: Uint8Array | null, type: DataType): Column {
  const n = vals.length;
  switch (type) {
    case 'float64': return fixedColumn('float64', vals, validity);
    case 'int32': case 'date32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = vals[i]!;
        if (v < INT32_MIN || v > INT32_MAX) {
          if (validity === null || validity[i] === 1) throw outOfRange(type);
          continue;
        }
        out[i] = v;
      }
      return fixedColumn(type, out, validity);
    }
    case 'int64': case 'timestamp': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = vals[i]!;
        if (!Number.isFinite(v)) { if (validity === null || validity[i] === 1) throw outOfRange(type); continue; }
        if (v >= 9223372036854775808 || v < -9223372036854775808) {
          if (validity === null || validity[i] === 1) throw outOfRange(type);
          continue;
        }
        out[i] = BigInt(v);
      }
      return fixedColumn(type, out, validity);
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = vals[i] !== 0 ? 1 : 0;
      return fixedColumn('bool', out, validity);
    }
    case 'null': return nullColumn(n);
    default: throw new Error(`doublesToColumn: unexpected type ${type}`);
  }
}

export function outOfRange(type: DataType): SpillwayError {
  switch (type) {
    case 'int32': return new SpillwayError('execution', 'integer out of range');
    case 'int64': return new SpillwayError('execution', 'bigint out of range');
    case 'date32': return new SpillwayError('execution', 'date out of range');
    case 'timestamp': return new SpillwayError('execution', 'timestamp out of range');
    default: return new SpillwayError('execution', `${type} value out of range`);
  }
}
