/**
 * The physical result of decoding one column chunk: Parquet's physical values laid out one
 * slot per row (NULL rows zero-filled or empty), before logical conversion (convert.ts).
 *
 *   fixed  INT32, INT64, INT96, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY: `width` bytes per row in
 *          one 8-byte aligned buffer, so typed-array views over it are free
 *   var    BYTE_ARRAY: Int32Array offsets (rows + 1) + bytes
 *   bool   BOOLEAN: one byte per row, 0 or 1
 *   dict   BYTE_ARRAY whose every data page is dictionary-encoded, when the caller asked to
 *          keep it so: the dictionary (offsets + bytes) and one index per row, -1 = NULL
 */
export type PhysicalType = 'BOOLEAN' | 'INT32' | 'INT64' | 'INT96' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY' | 'FIXED_LEN_BYTE_ARRAY';

export interface FixedChunk {
  kind: 'fixed';
  width: number;
  bytes: Uint8Array;
  validity: Uint8Array | null;
}

export interface VarChunk {
  kind: 'var';
  offsets: Int32Array;
  data: Uint8Array;
  validity: Uint8Array | null;
}

export interface BoolChunk {
  kind: 'bool';
  values: Uint8Array;
  validity: Uint8Array | null;
}

export interface DictChunk {
  kind: 'dict';
  count: number;
  offsets: Int32Array;
  data: Uint8Array;
  /** Per row: an index into the dictionary, or -1 for NULL. */
  indices: Int32Array;
}

export type PhysicalChunk = FixedChunk | VarChunk | BoolChunk | DictChunk;

/** Bytes per value of a fixed-width physical type (0 for BYTE_ARRAY and BOOLEAN). */
export function physicalWidth(type: PhysicalType, typeLength: number | undefined): number {
  switch (type) {
    case 'INT32': case 'FLOAT': return 4;
    case 'INT64': case 'DOUBLE': return 8;
    case 'INT96': return 12;
    case 'FIXED_LEN_BYTE_ARRAY':
      if (typeLength === undefined || typeLength <= 0) throw new Error('FIXED_LEN_BYTE_ARRAY column without a type length');
      return typeLength;
    default: return 0;
  }
}

/**
 * `bytes` bytes that are not zeroed first (malloc'd, 8-byte aligned, a plain ArrayBuffer of
 * their own), for buffers every byte of which is written before anyone reads it. Zeroing a
 * fresh ArrayBuffer costs more than decoding into it (a slice of a dictionary-encoded column
 * is written at a few GB/s), so decoders that fill every slot use this.
 */
export function uninitializedBytes(bytes: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
}
