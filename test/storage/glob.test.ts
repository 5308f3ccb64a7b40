import { describe, expect, it } from 'vitest';
import { globBase, globToRegExp, hasGlob, matchGlob } from '../../src/storage/glob.js';

describe('glob', () => {
  it('detects wildcards', () => {
    expect(hasGlob('/data/t.parquet')).toBe(false);
    expect(hasGlob('/data/*.parquet')).toBe(true);
    expect(hasGlob('/data/t?.parquet')).toBe(true);
  });

  it('* stays within one segment', () => {
    expect(matchGlob('/d/*.parquet', '/d/a.parquet')).toBe(true);
    expect(matchGlob('/d/*.parquet', '/d/x/a.parquet')).toBe(false);
    expect(matchGlob('/d/*.parquet', '/d/a.parquetx')).toBe(false);
    expect(matchGlob('/d/part-*', '/d/part-')).toBe(true);
  });

  it('? matches exactly one character', () => {
    expect(matchGlob('/d/t?.parquet', '/d/t1.parquet')).toBe(true);
    expect(matchGlob('/d/t?.parquet', '/d/t.parquet')).toBe(false);
    expect(matchGlob('/d/t?.parquet', '/d/t12.parquet')).toBe(false);
  });

  it('** spans zero or more segments', () => {
    const g = '/d/**/*.parquet';
    expect(matchGlob(g, '/d/a.parquet')).toBe(true);
    expect(matchGlob(g, '/d/x/a.parquet')).toBe(true);
    expect(matchGlob(g, '/d/x/y/z/a.parquet')).toBe(true);
    expect(matchGlob(g, '/e/a.parquet')).toBe(false);
    expect(matchGlob('/d/**', '/d/x/y')).toBe(true);
    expect(matchGlob('/d/**/b/*.parquet', '/d/b/a.parquet')).toBe(true);
    expect(matchGlob('/d/**/b/*.parquet', '/d/q/b/a.parquet')).toBe(true);
    expect(matchGlob('/d/**/b/*.parquet', '/d/q/c/a.parquet')).toBe(false);
  });

  it('escapes regular-expression characters', () => {
    expect(matchGlob('/d/a+b (1).parquet', '/d/a+b (1).parquet')).toBe(true);
    expect(matchGlob('/d/a.parquet', '/d/aXparquet')).toBe(false);
    expect(globToRegExp('/d/[x]').test('/d/[x]')).toBe(true);
  });

  it('finds the fixed directory before the first wildcard', () => {
    expect(globBase('/data/2024/*.parquet')).toBe('/data/2024');
    expect(globBase('/data/**/x.parquet')).toBe('/data');
    expect(globBase('/*.parquet')).toBe('/');
    expect(globBase('*.parquet')).toBe('.');
    expect(globBase('/data/t.parquet')).toBe('/data');
  });
});
