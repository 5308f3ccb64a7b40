/**
 * Every error a user can cause is a SpillwayError with a kind; the CLI prints its message
 * on one line (no stack unless --verbose). Anything else reaching the top is an internal bug.
 */
export type ErrorKind =
  | 'syntax'        // the SQL text does not parse (message carries line:column)
  | 'binder'        // unknown/ambiguous table or column, wrong argument count
  | 'type'          // type mismatch
  | 'unsupported'   // valid SQL that Spillway does not implement (names the construct)
  | 'io'            // missing or corrupt file (names the file)
  | 'resources'     // memory or disk quota exhausted even after spilling
  | 'execution'     // runtime error: integer overflow, bad cast, subquery returned >1 row
  | 'cancelled'
  | 'timeout'
  | 'config'        // bad setting or CLI argument
  | 'permission'    // a worker refused to read a file outside its data roots
  | 'remote';       // a worker reported an error (message carries query/stage/task/worker)

/** Every kind, for checking a kind that arrives over the wire. */
export const ERROR_KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'syntax', 'binder', 'type', 'unsupported', 'io', 'resources', 'execution', 'cancelled', 'timeout', 'config', 'permission', 'remote',
]);

export class SpillwayError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'SpillwayError';
  }
}

export const syntaxError = (msg: string) => new SpillwayError('syntax', msg);
export const binderError = (msg: string) => new SpillwayError('binder', msg);
export const typeError = (msg: string) => new SpillwayError('type', msg);
export const unsupported = (msg: string) => new SpillwayError('unsupported', msg);
export const ioError = (msg: string, cause?: unknown) => new SpillwayError('io', msg, { cause });
export const resourcesError = (msg: string) => new SpillwayError('resources', msg);
export const executionError = (msg: string) => new SpillwayError('execution', msg);

/** Closest candidate by edit distance, for "did you mean" hints; undefined when nothing is close. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  const target = name.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(target, c.toLowerCase());
    if (d < bestDist) { bestDist = d; best = c; }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const n = nearestName(name, candidates);
  return n ? ` (did you mean "${n}"?)` : '';
}
