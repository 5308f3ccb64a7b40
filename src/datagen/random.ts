/**
 * Seedable, counter-based random streams for the data generator.
 *
 *   seed ─┐
 *         ├─► streamKey("lineitem.l_quantity") ─┐
 *   name ─┘                                     ├─► seek(row) ─► next() next() …  (splitmix32)
 *                                       row ────┘
 *
 * Every column draws from its own stream, and a stream is positioned per row: the values of
 * row r depend only on (seed, stream name, r). So the output is the same whatever the chunk
 * or file boundaries are, and adding a column never shifts the values of another one.
 * All arithmetic is on 32-bit integers (Math.imul), no BigInt.
 */

/** A 32-bit finalising hash with good avalanche (the "lowbias32" mixer). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of a short ASCII name, then mixed with the seed: the identity of one stream. */
export function streamKey(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const s = mix32((seed >>> 0) ^ 0x5bd1e995);
  const hi = mix32(Math.floor(seed / 4294967296) >>> 0);
  return mix32(h ^ s ^ Math.imul(hi, 0x27d4eb2f));
}

const TWO_POW_32 = 4294967296;

/** One random stream, positioned at a row with seek() and then read with next()/int(). */
export class RowRandom {
  private state = 0;

  constructor(readonly key: number) {}

  /** Position the stream at `row` (a non-negative integer below 2^53). */
  seek(row: number): this {
    const lo = row >>> 0;
    const hi = Math.floor(row / TWO_POW_32) >>> 0;
    this.state = mix32(this.key ^ mix32(lo ^ mix32(hi + 0x632be5ab)));
    return this;
  }

  /** The next uniform 32-bit unsigned integer (splitmix32). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state);
  }

  /** Uniform integer in [lo, hi] (inclusive; hi - lo < 2^21 keeps the product exact). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.next() * (hi - lo + 1)) / TWO_POW_32);
  }

  /** Uniform integer in [0, n) for large n (keys at big scale factors); bias below n·2^-42. */
  below(n: number): number {
    // Two 21-bit draws give 42 bits.
    const u = (this.next() >>> 11) * 2097152 + (this.next() >>> 11);
    return Math.floor((u / 4398046511104) * n);
  }
}

/** Streams keyed by name under one seed; each name gets one RowRandom. */
export class RandomStreams {
  private readonly streams = new Map<string, RowRandom>();

  constructor(readonly seed: number) {}

  get(name: string): RowRandom {
    let s = this.streams.get(name);
    if (!s) {
      s = new RowRandom(streamKey(this.seed, name));
      this.streams.set(name, s);
    }
    return s;
  }
}
