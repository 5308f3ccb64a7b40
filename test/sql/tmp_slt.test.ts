import { test } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { parseScript, bindStatement } from '../../src/sql/index.js';
import { Catalog } from '../../src/catalog.js';
import { testEnv } from './fixtures.js';
test('slt', async () => {
  const base = '/work/shared/conformance/slt/sqlite/test/';
  const files = ['select1.test','select2.test','select3.test','select4.test','select5.test', ...['aggregates','expr','groupby','select'].flatMap((d) => [0,1,2,3,4].map((i) => `random/${d}/slt_good_${i}.test`))];
  const errs = new Map<string, number>(); let total = 0, bad = 0, recNo = 0; const examples = new Map<string,string>();
  for (const f of files) {
    const text = readFileSync(base + f, 'utf8').replace(/\r/g, '');
    const cat = new Catalog();
    for (const rec of text.split(/\n\s*\n/)) {
      const lines = rec.split('\n').filter((l) => !l.startsWith('#') && l.trim() !== '');
      let k = 0; while (k < lines.length && /^(skipif|onlyif)/.test(lines[k]!)) k++;
      if (lines.slice(0, k).some((l) => l.startsWith('onlyif') )) continue;
      const head = lines[k]; if (!head) continue;
      if (!head.startsWith('statement') && !head.startsWith('query')) continue;
      const body = lines.slice(k + 1); const end = body.indexOf('----');
      const sql = (end >= 0 ? body.slice(0, end) : body).join('\n');
      const expectError = head.startsWith('statement error');
      recNo++; if (head.startsWith('query') && recNo % 15 !== 0) continue;
      total++;
      try {
        for (const p of parseScript(sql)) {
          const s = await bindStatement(p, cat, testEnv());
          if (s.kind === 'CreateTable') cat.set({ kind: 'memory', name: s.name, schema: { fields: s.columns }, batches: [] });
          if (s.kind === 'CreateView') cat.set({ kind: 'view', name: s.name, query: s.query, columnNames: s.columnNames });
          if (s.kind === 'Drop') cat.delete(s.name);
        }
      } catch (e) {
        if (expectError) continue;
        bad++;
        const m = (e as Error).message.replace(/"[^"]*"/g, '"X"').replace(/line \d+, column \d+/g, 'L:C').replace(/\d+/g, 'N').slice(0, 90);
        errs.set(m, (errs.get(m) ?? 0) + 1); if (!examples.has(m)) examples.set(m, sql);
      }
    }
  }
  console.log(`total ${total} bad ${bad}`);
  for (const [m, n] of [...errs].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(n, m, '\n     ', examples.get(m)!.replace(/\n/g, ' ').slice(0, 200));
}, 120000);
