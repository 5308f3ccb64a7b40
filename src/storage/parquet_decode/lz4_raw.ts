/**
 * LZ4 block decompression (Parquet's LZ4_RAW codec: one raw LZ4 block per page, no frame,
 * no size prefix). Small enough to keep in plain code; the output size comes from the page
 * header, so the output is allocated once.
 */
export function lz4RawDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const out = new Uint8Array(outputLength);
  let ip = 0;
  let op = 0;
  const inEnd = input.length;
  while (ip < inEnd) {
    const token = input[ip++]!;
    // literals
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        b = input[ip++]!;
        lit += b;
      } while (b === 255 && ip < inEnd);
    }
    if (ip + lit > inEnd || op + lit > outputLength) throw new Error('LZ4 block is corrupt (literal run out of range)');
    if (lit < 16) {
      for (let i = 0; i < lit; i++) out[op + i] = input[ip + i]!;
    } else {
      out.set(input.subarray(ip, ip + lit), op);
    }
    ip += lit;
    op += lit;
    if (ip >= inEnd) break; // the last sequence has literals only
    // match
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Error('LZ4 block is corrupt (bad match offset)');
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        b = input[ip++]!;
        len += b;
      } while (b === 255 && ip < inEnd);
    }
    len += 4;
    if (op + len > outputLength) throw new Error('LZ4 block is corrupt (match past the end of the output)');
    let from = op - offset;
    if (offset >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // overlapping match: byte by byte repeats the pattern
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== outputLength) throw new Error(`LZ4 block decompressed to ${op} bytes where the page header says ${outputLength}`);
  return out;
}
