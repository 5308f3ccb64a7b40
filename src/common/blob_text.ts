/**
 * BLOB text as DuckDB reads and writes it (CAST to VARCHAR, CSV, JSON): printable ASCII as
 * itself, every other byte, the quotes and the backslash as `\xHH`. The text always reads
 * back to the same bytes, so it is also a blob's Scalar (literals in plans, rows).
 */

const HEX = '0123456789ABCDEF';

/** Whether byte b is written as itself. */
function printable(b: number): boolean {
  return b >= 32 && b <= 126 && b !== 39 && b !== 34 && b !== 92;
}

/** The text of bytes[start, end). */
export function formatBlob(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    s += printable(b) ? String.fromCharCode(b) : `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return s;
}

/** Bytes of printed BLOB text, DuckDB's escaping (`\xAA`; other characters must be ASCII); errors name the text. */
export function parseBlobText(text: string): Uint8Array | string {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      const m = /^\\x([0-9a-fA-F]{2})/.exec(text.slice(i, i + 4));
      if (m === null) return `invalid hex escape in "${text}" (a backslash must start \\xHH)`;
      out[n++] = parseInt(m[1]!, 16);
      i += 3;
    } else if (c > 127) {
      return `invalid byte in "${text}": non-ASCII characters must be written as hex escapes (\\xAA)`;
    } else {
      out[n++] = c;
    }
  }
  return out.slice(0, n);
}

/** Upper-case hex digits of bytes[start, end) (`hex(blob)`). */
export function hexOfBytes(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) { const b = bytes[i]!; s += HEX[b >> 4]! + HEX[b & 15]!; }
  return s;
}
