/**
 * The proleptic Gregorian calendar on day numbers (days since 1970-01-01), integer math
 * only (H. Hinnant's civil-from-days / days-from-civil). Shared by the binder (date
 * literals), the date kernels and result formatting. Years are astronomical (0 = 1 BC).
 */

/** Scratch output of civilFromDays (avoids allocating per row). */
export const civil = { year: 0, month: 0, day: 0 };

/** Fill `civil` with the (astronomical) year, month 1-12, day 1-31 of a day number. */
export function civilFromDays(days: number): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  civil.year = yoe + era * 400 + (m <= 2 ? 1 : 0);
  civil.month = m;
  civil.day = d;
}

/** Day number of an astronomical (year, month 1-12, day). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!;
}

/** (year, month, day) of a day number, as a new object (not for hot loops: use civilFromDays). */
export function civilOf(days: number): { year: number; month: number; day: number } {
  civilFromDays(days);
  return { year: civil.year, month: civil.month, day: civil.day };
}
