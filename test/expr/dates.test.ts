import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { addMonths, civil, civilFromDays, daysFromCivil } from '../../src/expr/dates.js';
import { call, col, colBatch, day, evalOne, evalRows, lit, str } from './helpers.js';

const d0 = col(0, 'date32');
const ts0 = col(0, 'timestamp');
const part = (p: string, type: 'int32' | 'int64' | 'float64' = 'int32') => call('date_part', type, str(p), d0);

/** ISO week via JS Date (independent reference). */
function isoWeekRef(ms: number): number {
  const d = new Date(ms);
  const dow = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - yearStart) / 86_400_000 / 7) + 1;
}

describe('calendar core', () => {
  it('civil ↔ days agrees with JS Date over ±2000 years', () => {
    for (let days = -730_000; days <= 730_000; days += 997) {
      const dt = new Date(days * 86_400_000);
      civilFromDays(days);
      expect([civil.year, civil.month, civil.day]).toEqual([dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate()]);
      expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(days);
    }
  });
  it('addMonths clamps to the end of the month', () => {
    expect(addMonths(day('2024-01-31'), 1)).toBe(day('2024-02-29'));
    expect(addMonths(day('2023-01-31'), 1)).toBe(day('2023-02-28'));
    expect(addMonths(day('2024-03-31'), -1)).toBe(day('2024-02-29'));
    expect(addMonths(day('2024-02-29'), 12)).toBe(day('2025-02-28'));
    expect(addMonths(day('2024-05-31'), -13)).toBe(day('2023-04-30'));
    expect(addMonths(day('1969-12-15'), 1)).toBe(day('1970-01-15'));
  });
});

describe('date_part / extract on date32', () => {
  it('agrees with JS Date for year, month, day, dow, doy, quarter, week (incl. before 1970)', () => {
    const days: number[] = [];
    for (let d = -40_000; d <= 40_000; d += 37) days.push(d);
    const b = colBatch('date32', days);
    const ref = days.map((d) => new Date(d * 86_400_000));
    expect(evalRows(part('year'), b)).toEqual(ref.map((r) => r.getUTCFullYear()));
    expect(evalRows(part('month'), b)).toEqual(ref.map((r) => r.getUTCMonth() + 1));
    expect(evalRows(part('day'), b)).toEqual(ref.map((r) => r.getUTCDate()));
    expect(evalRows(part('dow'), b)).toEqual(ref.map((r) => r.getUTCDay()));
    expect(evalRows(part('quarter'), b)).toEqual(ref.map((r) => Math.floor(r.getUTCMonth() / 3) + 1));
    expect(evalRows(part('doy'), b)).toEqual(ref.map((r) => Math.round((r.getTime() - Date.UTC(r.getUTCFullYear(), 0, 1)) / 86_400_000) + 1));
    expect(evalRows(part('week'), b)).toEqual(ref.map((r) => isoWeekRef(r.getTime())));
  });
  it('leap days and year boundaries', () => {
    const b = colBatch('date32', [day('2000-02-29'), day('1900-03-01'), day('1904-02-29'), day('1969-12-31'), day('2024-12-31'), null]);
    expect(evalRows(part('doy'), b)).toEqual([60, 60, 60, 365, 366, null]);
    expect(evalRows(part('month'), b)).toEqual([2, 3, 2, 12, 12, null]);
    expect(evalRows(part('day'), b)).toEqual([29, 1, 29, 31, 31, null]);
    expect(evalRows(part('week'), colBatch('date32', [day('2021-01-03'), day('2020-12-31'), day('2026-01-01')]))).toEqual([53, 53, 1]);
  });
  it('extract alias, result types, unit spelling and errors', () => {
    const b = colBatch('date32', [day('1998-12-01')]);
    expect(evalRows(call('extract', 'int64', str('YEAR'), d0), b)).toEqual([1998n]);
    expect(evalRows(call('date_part', 'float64', str('month'), d0), b)).toEqual([12]);
    expect(evalRows(call('year', 'int32', d0), b)).toEqual([1998]);
    expect(evalRows(part('hour'), b)).toEqual([0]);
    expect(evalRows(part('epoch', 'float64'), b)).toEqual([day('1998-12-01') * 86400]);
    expect(() => evalRows(part('fortnight'), b)).toThrow(SpillwayError);
    expect(() => evalRows(call('date_part', 'int32', col(0, 'utf8'), d0), b)).toThrow(/constant/);
  });
  it('BC years follow PostgreSQL (no year 0)', () => {
    expect(evalRows(part('year'), colBatch('date32', [day('0000-06-01'), day('0001-06-01')]))).toEqual([-1, 1]);
  });
});

describe('date_part on timestamps', () => {
  const us = (iso: string) => BigInt(Date.parse(iso + 'Z')) * 1000n;
  const b = colBatch('timestamp', [us('2024-02-29T13:45:30.250'), us('1969-12-31T23:59:59.000'), null]);
  it('fields including fractional seconds', () => {
    const p = (x: string, t: 'int32' | 'float64' = 'int32') => evalRows(call('date_part', t, str(x), ts0), b);
    expect(p('year')).toEqual([2024, 1969, null]);
    expect(p('month')).toEqual([2, 12, null]);
    expect(p('day')).toEqual([29, 31, null]);
    expect(p('hour')).toEqual([13, 23, null]);
    expect(p('minute')).toEqual([45, 59, null]);
    expect(p('second', 'float64')).toEqual([30.25, 59, null]);
    expect(p('second')).toEqual([30, 59, null]);
    expect(p('dow')).toEqual([4, 3, null]);
  });
});

describe('date_add_days / date_add_months / date_trunc', () => {
  it('date_add_months clamps and handles NULLs', () => {
    const b = colBatch('date32', [day('2024-01-31'), day('2023-01-31'), day('2020-02-29'), null]);
    expect(evalRows(call('date_add_months', 'date32', d0, lit(1, 'int32')), b)).toEqual([day('2024-02-29'), day('2023-02-28'), day('2020-03-29'), null]);
    expect(evalRows(call('date_add_months', 'date32', d0, lit(-12, 'int32')), b)).toEqual([day('2023-01-31'), day('2022-01-31'), day('2019-02-28'), null]);
    expect(evalRows(call('date_add_months', 'date32', d0, lit(null, 'int32')), b)).toEqual([null, null, null, null]);
  });
  it('date_add_days', () => {
    const b = colBatch('date32', [day('1998-12-01'), null]);
    expect(evalRows(call('date_add_days', 'date32', d0, lit(-90, 'int32')), b)).toEqual([day('1998-09-02'), null]);
    expect(evalOne(call('date_add_days', 'date32', lit(day('2000-02-28'), 'date32'), lit(1n, 'int64')))).toBe(day('2000-02-29'));
  });
  it('timestamps keep their time of day', () => {
    const t = 86_400_000_000n * BigInt(day('2024-01-31')) + 3_600_000_000n;
    expect(evalOne(call('date_add_months', 'timestamp', lit(t, 'timestamp'), lit(1, 'int32'))))
      .toBe(86_400_000_000n * BigInt(day('2024-02-29')) + 3_600_000_000n);
    expect(evalOne(call('date_add_days', 'timestamp', lit(t, 'timestamp'), lit(-1, 'int32')))).toBe(t - 86_400_000_000n);
  });
  it('date_trunc on dates and timestamps', () => {
    const b = colBatch('date32', [day('2024-08-17'), day('1969-02-03'), null]);
    const tr = (p: string) => evalRows(call('date_trunc', 'date32', str(p), d0), b);
    expect(tr('year')).toEqual([day('2024-01-01'), day('1969-01-01'), null]);
    expect(tr('quarter')).toEqual([day('2024-07-01'), day('1969-01-01'), null]);
    expect(tr('month')).toEqual([day('2024-08-01'), day('1969-02-01'), null]);
    expect(tr('week')).toEqual([day('2024-08-12'), day('1969-02-03'), null]);
    expect(tr('day')).toEqual([day('2024-08-17'), day('1969-02-03'), null]);
    expect(evalRows(call('date_trunc', 'timestamp', str('month'), d0), b)).toEqual([BigInt(day('2024-08-01')) * 86_400_000_000n, BigInt(day('1969-02-01')) * 86_400_000_000n, null]);
    const t = colBatch('timestamp', [-1n]);
    expect(evalRows(call('date_trunc', 'timestamp', str('hour'), ts0), t)).toEqual([-3_600_000_000n]);
    expect(evalRows(call('date_trunc', 'timestamp', str('day'), ts0), t)).toEqual([-86_400_000_000n]);
  });
  it('empty batch', () => {
    expect(evalRows(call('date_add_months', 'date32', d0, lit(1, 'int32')), colBatch('date32', []))).toEqual([]);
  });
});
