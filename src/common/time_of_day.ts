/**
 * TIME values: microseconds since midnight, 0 ≤ v < 86 400 000 000. Held as doubles (exact:
 * below 2^37), so TIME kernels are number loops with no BigInt; Arrow and Parquet carry
 * them as int64 and convert at the boundary. Text as DuckDB reads and prints it.
 */

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;
export const MICROS_PER_HOUR = 3_600_000_000;
export const MICROS_PER_DAY = 86_400_000_000;

const TIME_RE = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*$/;

/** Microseconds since midnight of `HH:MM[:SS[.ffffff]]`, or null when the text is no time of day. */
export function parseTimeOfDay(text: string): number | null {
  const m = TIME_RE.exec(text);
  if (m === null) return null;
  const h = Number(m[1]), min = Number(m[2]), s = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || min > 59 || s > 59) return null;
  return h * MICROS_PER_HOUR + min * MICROS_PER_MINUTE + s * MICROS_PER_SECOND + fractionMicros(m[4]);
}

/** Microseconds of the digits after a decimal point (beyond 6 digits: truncated). */
export function fractionMicros(digits: string | undefined): number {
  if (digits === undefined || digits === '') return 0;
  return Number(digits.slice(0, 6).padEnd(6, '0'));
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `HH:MM:SS[.f]` of a non-negative count of microseconds (hours may pass 23: intervals use it too). */
export function formatClock(micros: number): string {
  const h = Math.floor(micros / MICROS_PER_HOUR);
  let rest = micros - h * MICROS_PER_HOUR;
  const min = Math.floor(rest / MICROS_PER_MINUTE);
  rest -= min * MICROS_PER_MINUTE;
  const s = Math.floor(rest / MICROS_PER_SECOND);
  const f = rest - s * MICROS_PER_SECOND;
  const clock = `${two(h)}:${two(min)}:${two(s)}`;
  if (f === 0) return clock;
  return `${clock}.${String(f).padStart(6, '0').replace(/0+$/, '')}`;
}

/** A TIME as DuckDB prints it: `12:34:56`, `12:34:56.789`. */
export function formatTimeOfDay(micros: number): string {
  return formatClock(micros);
}

/** The time of day of a timestamp (microseconds since the epoch). */
export function timeOfTimestamp(ts: bigint): number {
  const day = 86_400_000_000n;
  let r = ts % day;
  if (r < 0n) r += day;
  return Number(r);
}
