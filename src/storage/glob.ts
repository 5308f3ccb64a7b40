/**
 * Path globs for read_parquet('data/**\/*.parquet') and CREATE EXTERNAL TABLE … LOCATION.
 *
 *   *    any run of characters within one path segment (no '/')
 *   ?    one character within a segment
 *   **   as a whole segment: zero or more segments ("a/**\/b" matches a/b and a/x/y/b);
 *        at the end ("a/**"): everything below a/
 *
 * Everything else matches itself. Matching is on '/'-separated paths.
 */

export function hasGlob(path: string): boolean {
  return /[*?]/.test(path);
}

const SPECIAL = /[\\^$.|+()[\]{}]/;

export function globToRegExp(glob: string): RegExp {
  let re = '^';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const startsSegment = i === 0 || glob[i - 1] === '/';
        const after = i + 2;
        const endsSegment = after === glob.length || glob[after] === '/';
        if (startsSegment && endsSegment) {
          if (after === glob.length) { re += '.*'; i = after; }
          else { re += '(?:[^/]*/)*'; i = after + 1; }
          continue;
        }
        // "a**b" inside a segment behaves as a single '*'.
        re += '[^/]*';
        i = after;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += SPECIAL.test(c) ? `\\${c}` : c;
    }
    i++;
  }
  return new RegExp(re + '$');
}

/** The directory part of a glob before its first wildcard segment ("data/2024/*.parquet" → "data/2024"). */
export function globBase(glob: string): string {
  const segments = glob.split('/');
  const fixed: string[] = [];
  for (const s of segments) {
    if (hasGlob(s)) break;
    fixed.push(s);
  }
  if (fixed.length === segments.length) fixed.pop(); // no wildcard: the parent directory
  const base = fixed.join('/');
  return base === '' ? (glob.startsWith('/') ? '/' : '.') : base;
}

export function matchGlob(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}
