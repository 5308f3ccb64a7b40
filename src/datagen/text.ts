/**
 * TPC-H pseudo-text (clause 4.2.2.14, simplified) and the comment columns drawn from it.
 *
 *   grammar ──► one text pool (TEXT_POOL_BYTES of sentences, built once per seed)
 *                     │
 *   comment(row) = pool[offset, offset + length)   length uniform in [min, max],
 *                                                  offset uniform over the pool
 *
 * As in dbgen, a comment is a substring of one long generated text, so it may start or end
 * inside a word. The spec's pool is 300 MB; a few MB gives the same word statistics
 * (e.g. about 1% of o_comment match '%special%requests%', which Q13 filters out) and
 * keeps generation cheap. Word weights follow dbgen's dists.dss in spirit: the common words
 * (packages, requests, deposits, regular, final, furiously …) dominate.
 */
import { RowRandom } from './random.js';
import { encodeAll, type Utf8ColumnWriter } from './utf8_writer.js';

export const TEXT_POOL_BYTES = 8 << 20;

type Weighted = readonly (readonly [string, number])[];

const NOUNS: Weighted = [
  ['packages', 40], ['requests', 40], ['accounts', 40], ['deposits', 40], ['foxes', 20], ['ideas', 20],
  ['theodolites', 20], ['pinto beans', 20], ['instructions', 20], ['dependencies', 10], ['excuses', 10],
  ['platelets', 10], ['asymptotes', 10], ['courts', 5], ['dolphins', 5], ['multipliers', 1], ['sauternes', 1],
  ['warthogs', 1], ['frets', 1], ['dinos', 1], ['attainments', 1], ['somas', 1], ['Tiresias', 1],
  ['patterns', 1], ['forges', 1], ['braids', 1], ['hockey players', 1], ['frays', 1], ['warhorses', 1],
  ['dugouts', 1], ['notornis', 1], ['epitaphs', 1], ['pearls', 1], ['tithes', 1], ['waters', 1],
  ['orbits', 1], ['gifts', 1], ['sheaves', 1], ['depths', 1], ['sentiments', 1], ['decoys', 1],
  ['realms', 1], ['pains', 1], ['grouches', 1], ['escapades', 1],
];

const VERBS: Weighted = [
  ['sleep', 20], ['wake', 20], ['are', 20], ['cajole', 20], ['haggle', 20], ['nag', 10], ['use', 10],
  ['boost', 10], ['affix', 5], ['detect', 5], ['integrate', 5], ['maintain', 1], ['nod', 1], ['was', 1],
  ['lose', 1], ['sublate', 1], ['solve', 1], ['thrash', 1], ['promise', 1], ['engage', 1], ['hinder', 1],
  ['print', 1], ['x-ray', 1], ['breach', 1], ['eat', 1], ['grow', 1], ['impress', 1], ['mold', 1],
  ['poach', 1], ['serve', 1], ['run', 1], ['dazzle', 1], ['snooze', 1], ['doze', 1], ['unwind', 1],
  ['kindle', 1], ['play', 1], ['hang', 1], ['believe', 1], ['doubt', 1],
];

const ADJECTIVES: Weighted = [
  ['furious', 1], ['sly', 1], ['careful', 1], ['blithe', 1], ['quick', 1], ['fluffy', 1], ['slow', 1],
  ['quiet', 1], ['ruthless', 1], ['thin', 1], ['close', 1], ['dogged', 1], ['daring', 1], ['brave', 1],
  ['stealthy', 1], ['permanent', 1], ['enticing', 1], ['idle', 1], ['busy', 1], ['regular', 50],
  ['final', 40], ['ironic', 40], ['even', 30], ['bold', 20], ['silent', 10], ['pending', 20],
  ['express', 20], ['special', 20], ['unusual', 20],
];

const ADVERBS: Weighted = [
  ['sometimes', 1], ['always', 1], ['never', 1], ['furiously', 50], ['slyly', 50], ['carefully', 50],
  ['blithely', 40], ['quickly', 30], ['fluffily', 20], ['slowly', 1], ['quietly', 1], ['ruthlessly', 1],
  ['thinly', 1], ['closely', 1], ['doggedly', 1], ['daringly', 1], ['bravely', 1], ['stealthily', 1],
  ['permanently', 1], ['enticingly', 1], ['idly', 1], ['busily', 1], ['regularly', 1], ['finally', 1],
  ['ironically', 1], ['evenly', 1], ['boldly', 1], ['silently', 1],
];

const PREPOSITIONS: Weighted = [
  ['about', 50], ['above', 50], ['according to', 50], ['across', 50], ['after', 50], ['against', 40],
  ['along', 40], ['alongside of', 30], ['among', 30], ['around', 20], ['at', 10], ['atop', 1],
  ['before', 1], ['behind', 1], ['beneath', 1], ['beside', 1], ['besides', 1], ['between', 1],
  ['beyond', 1], ['by', 1], ['despite', 1], ['during', 1], ['except', 1], ['for', 1], ['from', 1],
  ['in place of', 1], ['inside', 1], ['instead of', 1], ['into', 1], ['near', 1], ['of', 1], ['on', 1],
  ['outside', 1], ['over', 1], ['past', 1], ['since', 1], ['through', 1], ['throughout', 1], ['to', 1],
  ['toward', 1], ['under', 1], ['until', 1], ['up', 1], ['upon', 1], ['without', 1], ['with', 1],
  ['within', 1],
];

const AUXILIARIES: Weighted = [
  ['do', 1], ['may', 1], ['might', 1], ['shall', 1], ['will', 1], ['would', 1], ['can', 1], ['could', 1],
  ['should', 1], ['ought to', 1], ['must', 1], ['will have to', 1], ['shall have to', 1],
  ['could have to', 1], ['should have to', 1], ['must have to', 1], ['need to', 1], ['try to', 1],
];

const TERMINATORS: Weighted = [['.', 50], [';', 1], [':', 1], ['?', 1], ['!', 1], ['--', 1]];

/** A weighted word list: pick() is one draw and one array lookup. */
class WordList {
  private readonly words: Uint8Array[];
  private readonly byTicket: Uint16Array;

  constructor(list: Weighted) {
    this.words = encodeAll(list.map(([w]) => w));
    let total = 0;
    for (const [, weight] of list) total += weight;
    this.byTicket = new Uint16Array(total);
    let t = 0;
    list.forEach(([, weight], i) => { this.byTicket.fill(i, t, t + weight); t += weight; });
  }

  pick(rng: RowRandom): Uint8Array {
    return this.words[this.byTicket[rng.int(0, this.byTicket.length - 1)]!]!;
  }
}

const nouns = new WordList(NOUNS);
const verbs = new WordList(VERBS);
const adjectives = new WordList(ADJECTIVES);
const adverbs = new WordList(ADVERBS);
const prepositions = new WordList(PREPOSITIONS);
const auxiliaries = new WordList(AUXILIARIES);
const terminators = new WordList(TERMINATORS);
const SPACE = 32;
const COMMA_BYTES = new Uint8Array([44]);
const THE = encodeAll(['the'])[0]!;

/** Sequential writer of the pool: words separated by single spaces, stops when full. */
class PoolWriter {
  readonly bytes: Uint8Array;
  pos = 0;
  constructor(size: number) { this.bytes = new Uint8Array(size); }
  get full(): boolean { return this.pos >= this.bytes.length; }
  word(w: Uint8Array): void {
    if (this.pos > 0 && this.bytes[this.pos - 1] !== SPACE) this.put(SPACE);
    for (let i = 0; i < w.length; i++) this.put(w[i]!);
  }
  /** Punctuation glued to the previous word. */
  glue(w: Uint8Array): void { for (let i = 0; i < w.length; i++) this.put(w[i]!); }
  private put(b: number): void { if (this.pos < this.bytes.length) this.bytes[this.pos++] = b; }
}

function nounPhrase(p: PoolWriter, rng: RowRandom): void {
  const form = rng.int(0, 89); // weights 10 : 20 : 10 : 50 as in dbgen
  if (form < 10) {
    p.word(nouns.pick(rng));
  } else if (form < 30) {
    p.word(adjectives.pick(rng)); p.word(nouns.pick(rng));
  } else if (form < 40) {
    p.word(adjectives.pick(rng)); p.glue(COMMA_BYTES); p.word(adjectives.pick(rng)); p.word(nouns.pick(rng));
  } else {
    p.word(adverbs.pick(rng)); p.word(adjectives.pick(rng)); p.word(nouns.pick(rng));
  }
}

function verbPhrase(p: PoolWriter, rng: RowRandom): void {
  const form = rng.int(0, 71); // weights 30 : 1 : 40 : 1
  if (form < 30) {
    p.word(verbs.pick(rng));
  } else if (form < 31) {
    p.word(auxiliaries.pick(rng)); p.word(verbs.pick(rng));
  } else if (form < 71) {
    p.word(verbs.pick(rng)); p.word(adverbs.pick(rng));
  } else {
    p.word(auxiliaries.pick(rng)); p.word(verbs.pick(rng)); p.word(adverbs.pick(rng));
  }
}

function prepositionalPhrase(p: PoolWriter, rng: RowRandom): void {
  p.word(prepositions.pick(rng)); p.word(THE); nounPhrase(p, rng);
}

function sentence(p: PoolWriter, rng: RowRandom): void {
  const form = rng.int(0, 10); // weights 3 : 3 : 3 : 1 : 1
  nounPhrase(p, rng);
  if (form < 3) {
    verbPhrase(p, rng);
  } else if (form < 6) {
    verbPhrase(p, rng); prepositionalPhrase(p, rng);
  } else if (form < 9) {
    verbPhrase(p, rng); nounPhrase(p, rng);
  } else if (form < 10) {
    prepositionalPhrase(p, rng); verbPhrase(p, rng); nounPhrase(p, rng);
  } else {
    prepositionalPhrase(p, rng); verbPhrase(p, rng); prepositionalPhrase(p, rng);
  }
  p.glue(terminators.pick(rng));
}

/** The generated text all comments are cut from. */
export class TextPool {
  readonly bytes: Uint8Array;

  constructor(rng: RowRandom, size = TEXT_POOL_BYTES) {
    const p = new PoolWriter(size);
    rng.seek(0);
    while (!p.full) sentence(p, rng);
    this.bytes = p.bytes;
  }

  /** Append a text string of uniform length in [min, max] (clause 4.2.2.10) as one value. */
  comment(out: Utf8ColumnWriter, rng: RowRandom, min: number, max: number): void {
    const n = rng.int(min, max);
    this.piece(out, rng, n);
    out.end();
  }

  /** Append n bytes of text from a random offset to the current value (not closed). */
  piece(out: Utf8ColumnWriter, rng: RowRandom, n: number): void {
    const at = rng.below(this.bytes.length - n);
    out.bytes(this.bytes, at, at + n);
  }
}
