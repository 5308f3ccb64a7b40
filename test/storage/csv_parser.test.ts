/**
 * The CSV record parser on every split of its input into chunks: records must not depend on
 * where a chunk ends (inside a quote, between CR and LF, after an escape, inside the BOM).
 */
import { describe, expect, it } from 'vitest';
import { CsvRecordParser, type CsvSyntax } from '../../src/storage/csv_parser.js';

function parse(text: string | Uint8Array, syntax: CsvSyntax, cuts: number[]): { records: string[][]; lines: number[] } {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const records: string[][] = [];
  const lines: number[] = [];
  const parser: CsvRecordParser = new CsvRecordParser(syntax, (buf, fields) => {
    records.push(Array.from({ length: fields }, (_, i) => Buffer.from(parser.fieldBytes(buf, i)).toString('utf8')));
    lines.push(parser.recordLine);
  }, 'test');
  let prev = 0;
  for (const c of [...cuts, bytes.length]) { parser.feed(bytes.subarray(prev, c)); prev = c; }
  parser.end();
  return { records, lines };
}

const RFC: CsvSyntax = { delimiter: ',', quote: '"', escape: '"' };

describe('CsvRecordParser', () => {
  const cases: { name: string; text: string | Uint8Array; syntax: CsvSyntax; records: string[][]; lines: number[] }[] = [
    {
      name: 'quoted delimiters, doubled quotes, newlines and CRLF inside quotes',
      text: 'a,b\r\n"x,1","say ""hi"""\r\n"multi\r\nline",\n', syntax: RFC,
      records: [['a', 'b'], ['x,1', 'say "hi"'], ['multi\r\nline', '']], lines: [1, 2, 3],
    },
    {
      name: 'a BOM, a lone CR as a line end and no final newline',
      text: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('k|v\r1|2\r3|"4\n5"')]), syntax: { delimiter: '|', quote: '"', escape: '"' },
      records: [['k', 'v'], ['1', '2'], ['3', '4\n5']], lines: [1, 2, 3],
    },
    {
      name: 'a backslash escape',
      text: "a;'it\\'s';'back\\\\slash'\n", syntax: { delimiter: ';', quote: "'", escape: '\\' },
      records: [['a', "it's", 'back\\slash']], lines: [1],
    },
  ];
  for (const c of cases) {
    it(`${c.name}, whatever the chunk boundaries`, () => {
      const n = typeof c.text === 'string' ? Buffer.byteLength(c.text) : c.text.length;
      for (let cut = 0; cut <= n; cut++) {
        for (const second of [cut, Math.min(n, cut + 1), Math.min(n, cut + 3)]) {
          const got = parse(c.text, c.syntax, [cut, second]);
          expect(got.records, `cuts ${cut}, ${second}`).toEqual(c.records);
          expect(got.lines).toEqual(c.lines);
        }
      }
    });
  }

  it('an unterminated quote is an error naming its line', () => {
    expect(() => parse('a\n"open\nstill open', RFC, [3])).toThrow('test line 2: unterminated quoted field (a quote opened and never closed)');
  });
});
