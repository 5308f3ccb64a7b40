/** The shell's table renderer, terminal widths of text, and how input is cut into statements and commands. */
import { describe, expect, it } from 'vitest';
import { renderTable, cellText, footer } from '../../src/cli/table_view.js';
import { textWidth, truncateText } from '../../src/cli/wcwidth.js';
import { splitScript, StatementReader } from '../../src/cli/shell.js';

/** Display width of every line of a table. */
const lineWidths = (t: string) => t.split('\n').slice(0, -1).map(textWidth);

describe('textWidth', () => {
  it('counts East Asian wide characters as two columns and combining marks as none', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('日本語')).toBe(6);
    expect(textWidth('한국어')).toBe(6);
    expect(textWidth('ＡＢ')).toBe(4);
    expect(textWidth('e\u0301')).toBe(1);
    expect(textWidth('a\u200bb')).toBe(2);
    expect(textWidth('naïve')).toBe(5);
  });

  it('truncates to a width with an ellipsis, never splitting a wide character', () => {
    expect(truncateText('abcdef', 4)).toBe('abc…');
    expect(truncateText('日本語', 4)).toBe('日…');
    expect(truncateText('日本語', 6)).toBe('日本語');
  });
});

describe('renderTable', () => {
  it('draws a box with columns as wide as their widest cell, numbers on the right', () => {
    const t = renderTable({ header: ['n', 'name'], numeric: [true, false], rows: [['1', 'a'], ['123', 'bb']], totalRows: 2 });
    expect(t).toBe([
      '┌─────┬──────┐',
      '│   n │ name │',
      '├─────┼──────┤',
      '│   1 │ a    │',
      '│ 123 │ bb   │',
      '└─────┴──────┘',
      '2 rows',
    ].join('\n'));
  });

  it('aligns CJK text by its display width', () => {
    const t = renderTable({ header: ['s', 'x'], numeric: [false, true], rows: [['日本語', '1'], ['ab', '22']], totalRows: 2 });
    const widths = lineWidths(t);
    expect(new Set(widths).size).toBe(1);
    expect(t).toContain('│ 日本語 │  1 │');
    expect(t).toContain('│ ab     │ 22 │');
  });

  it('marks the elided middle and counts the rows shown', () => {
    const t = renderTable({ header: ['x'], numeric: [true], rows: [['1'], ['2'], ['99'], ['100']], totalRows: 100, elidedAfter: 2 });
    expect(t.split('\n').slice(3, 8)).toEqual(['│   1 │', '│   2 │', '│   … │', '│  99 │', '│ 100 │']);
    expect(t.endsWith('100 rows (4 shown)')).toBe(true);
  });

  it('shortens the widest cells to fit the terminal width', () => {
    const long = 'x'.repeat(200);
    const t = renderTable({ header: ['id', 'text'], numeric: [true, false], rows: [['1', long]], totalRows: 1, width: 60 });
    for (const w of lineWidths(t).slice(0, -1)) expect(w).toBe(60);
    expect(t).toContain('x…');
    expect(t).not.toContain(long);
  });

  it('hides the rightmost columns when shortening is not enough, and says so', () => {
    const header = Array.from({ length: 30 }, (_, j) => `column_${j}`);
    const t = renderTable({ header, numeric: header.map(() => false), rows: [header.map((_, j) => `value_${j}`)], totalRows: 1, width: 80 });
    for (const w of lineWidths(t).slice(0, -1)) expect(w).toBeLessThanOrEqual(80);
    expect(t).toMatch(/1 row \(\d+ columns hidden\)$/);
    expect(t).toContain('│ … │');
  });

  it('keeps each row on one line, and the footer carries the time', () => {
    expect(cellText('a\nb\tc')).toBe('a\\nb\\tc');
    expect(footer(1, 1, 0, 1.234)).toBe('1 row (1.23 s)');
    expect(footer(0, 0)).toBe('0 rows');
  });
});

describe('statements and commands', () => {
  it('cuts a script into statements and the command lines between them', () => {
    expect(splitScript("select 1; select ';' as s;\n.tables\n\\d t\nselect\n  2;\n-- done\nselect 3")).toEqual([
      { kind: 'sql', text: 'select 1' },
      { kind: 'sql', text: "select ';' as s" },
      { kind: 'command', text: '.tables' },
      { kind: 'command', text: '\\d t' },
      { kind: 'sql', text: 'select\n  2' },
      { kind: 'sql', text: '-- done\nselect 3' },
    ]);
  });

  it('waits for the end of a statement, also across a string holding ; and newlines', () => {
    const r = new StatementReader();
    expect(r.push("select 'a;")).toEqual([]);
    expect(r.open).toBe(true);
    // A line starting with '.' inside an open statement is SQL, not a command.
    expect(r.push(".b' as s")).toEqual([]);
    expect(r.push(';')).toEqual([{ kind: 'sql', text: "select 'a;\n.b' as s" }]);
    expect(r.open).toBe(false);
  });
});
