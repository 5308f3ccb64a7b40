import pkg from 'node-sql-parser/build/postgresql.js';
const p = new pkg.Parser();
const strip = (k, v) => (k === 'columnList' || k === 'tableList') ? undefined : v;
for (const s of process.argv.slice(2)) {
  try { console.log(s, '\n  =>', JSON.stringify(p.astify(s, {database:'postgresql'}), strip)); } catch (e) { console.log(s, '\n  ERR', e.message.slice(0,200)); }
}
