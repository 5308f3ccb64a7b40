/** EXPLAIN's PostgreSQL option list: (ANALYZE [bool], VERBOSE [bool], FORMAT TEXT|JSON). */
import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../src/common/errors.js';
import { rewriteStatement } from '../../src/sql/preparse.js';

describe('EXPLAIN (options)', () => {
  it('reads ANALYZE and FORMAT in any order, with or without boolean values', () => {
    expect(rewriteStatement('EXPLAIN (ANALYZE, FORMAT JSON) select 1').explain).toEqual({ analyze: true, format: 'json' });
    expect(rewriteStatement('explain (format json, analyze) select 1').explain).toEqual({ analyze: true, format: 'json' });
    expect(rewriteStatement('explain (analyze false, format text) select 1').explain).toEqual({ analyze: false, format: 'text' });
    expect(rewriteStatement('explain (analyze on, verbose) select 1').explain).toEqual({ analyze: true });
    expect(rewriteStatement('explain (verbose true) select 1').explain).toEqual({ analyze: false });
    // The option list is blanked; the query text is left where it was.
    const r = rewriteStatement('explain (analyze, format json) select 1');
    expect(r.sql.trim()).toBe('select 1');
    expect(r.sql.length).toBe('explain (analyze, format json) select 1'.length);
  });

  it('refuses an unknown option, format or value with one syntax error naming it', () => {
    const err = (sql: string) => {
      try {
        rewriteStatement(sql);
      } catch (e) {
        expect(e).toBeInstanceOf(SpillwayError);
        return (e as SpillwayError).message;
      }
      throw new Error(`no error for ${sql}`);
    };
    expect(err('explain (costs) select 1')).toMatch(/unsupported option "costs"/);
    expect(err('explain (format yaml) select 1')).toMatch(/unsupported EXPLAIN format "yaml"/);
    expect(err('explain (analyze maybe) select 1')).toMatch(/"maybe" is not a boolean/);
    expect(err('explain (analyze')).toMatch(/unterminated/);
    expect(err('explain (analyze format json) select 1')).toMatch(/unexpected "format"/);
  });
});
