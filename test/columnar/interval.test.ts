/** INTERVAL values: DuckDB's text both ways, its normalised order, and the Arrow round trip. */
import { describe, expect, it } from 'vitest';
import { batchFromArrow, batchToArrow } from '../../src/columnar/arrow.js';
import { intervalColumn, makeBatch } from '../../src/columnar/column.js';
import { compareIntervalRows } from '../../src/columnar/interval.js';
import { compareIntervals, formatInterval, parseIntervalText } from '../../src/common/interval.js';
import { field, schema } from '../../src/common/types.js';

describe('interval text', () => {
  it('reads and prints DuckDB forms', () => {
    const cases: [string, string][] = [
      ['1 day 2 hours', '1 day 02:00:00'], ['-14 months', '-1 year -2 months'], ['100 hours', '100:00:00'],
      ['1.5 days', '1 day 12:00:00'], ['1.5 months', '1 month 15 days'], ['-1 day 3 hours', '-1 day 03:00:00'],
      ['1 hour 30 minutes ago', '-01:30:00'], ['0 days', '00:00:00'], ['-00:00:01.5', '-00:00:01.5'], ['3 ms', '00:00:00.003'],
      ['1 century', '100 years'], ['2 weeks', '14 days'], ['@ 1 year', '1 year'],
    ];
    for (const [text, printed] of cases) {
      const p = parseIntervalText(text);
      expect(p, text).not.toBeNull();
      expect(formatInterval(p!.months, p!.days, p!.micros), text).toBe(printed);
      expect(parseIntervalText(printed), printed).toEqual(p);
    }
    for (const bad of ['', 'soon', '3 fortnights', '1 day ago ago', '10:99']) expect(parseIntervalText(bad), bad).toBeNull();
  });

  it('orders as DuckDB normalises: micros into 24-hour days, days into 30-day months', () => {
    const day = 86_400_000_000;
    expect(compareIntervals(1, 0, 0, 0, 30, 0)).toBe(0);
    expect(compareIntervals(0, 1, 0, 0, 0, day)).toBe(0);
    expect(compareIntervals(1, 0, 0, 0, 29, 25 * 3_600_000_000)).toBe(-1);
    expect(compareIntervals(0, -1, 0, 0, 0, 0)).toBe(-1);
    const c = intervalColumn(Int32Array.of(1, 0), Int32Array.of(0, 30), Float64Array.of(0, 1), null);
    expect(compareIntervalRows(c, 0, c, 1)).toBe(-1);
  });
});

describe('interval through Arrow', () => {
  it('keeps months, days and micros, small, negative and beyond 2^53 nanoseconds', () => {
    const months = Int32Array.of(0, -3, 2147483647, 5);
    const days = Int32Array.of(1, -1, 0, 0);
    const micros = Float64Array.of(7_200_000_000, -1, 9_000_000_000_000_000, -8_999_999_999_999_999);
    const b = makeBatch(schema([field('i', 'interval')]), [intervalColumn(months, days, micros, Uint8Array.of(1, 1, 1, 1))]);
    const back = batchFromArrow(batchToArrow(b), b.schema).columns[0]!;
    expect(back.type).toBe('interval');
    if (back.type !== 'interval') return;
    expect(Array.from(back.months)).toEqual(Array.from(months));
    expect(Array.from(back.days)).toEqual(Array.from(days));
    expect(Array.from(back.micros)).toEqual(Array.from(micros));
  });
});
