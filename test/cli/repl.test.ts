/**
 * The interactive shell on a real pseudo-terminal (tmux): dot commands, Ctrl-C cancelling
 * a running query and clearing a half-typed line, and the history kept between two runs.
 *
 * Needs tmux (`apt-get install tmux`; .ci/run installs it). Without it the test fails with
 * that message when CI is set, and is skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
const TMUX_MISSING = 'tmux is missing: the terminal tests of the shell need it (apt-get install tmux)';
if (!HAVE_TMUX) {
  if (process.env.CI) throw new Error(`${TMUX_MISSING}; CI is set, so this is a failure, not a skip`);
  console.log(`skipped: ${TMUX_MISSING}`);
}

const work = mkdtempSync(join(tmpdir(), 'spillway-repl-'));
/** A tmux server of this test's own, its socket in the test's folder. */
const SOCKET = join(work, 'tmux');
afterAll(() => {
  if (HAVE_TMUX) spawnSync('tmux', ['-S', SOCKET, 'kill-server']);
  rmSync(work, { recursive: true, force: true });
});

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-S', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A terminal running `spillway sql`; the pane stays after it exits and shows its exit code. */
class Terminal {
  constructor(readonly name: string, history: string) {
    const cmd = `SPILLWAY_HISTORY='${history}' SPILLWAY_SPILL_DIR='${join(work, 'spill')}' '${process.execPath}' '${join(REPO_ROOT, 'bin/spillway.js')}' sql --workers 0 --no-progress; echo "exited $?"; sleep 600`;
    tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '50', cmd);
  }

  /** Text typed as it is (a trailing ';' escaped, which tmux would take as its own separator). */
  type(text: string): void { tmux('send-keys', '-t', this.name, '-l', text.endsWith(';') ? text.slice(0, -1) + '\\;' : text); }
  key(...keys: string[]): void { tmux('send-keys', '-t', this.name, ...keys); }
  line(text: string): void { this.type(text); this.key('Enter'); }
  /** The terminal's text, without trailing spaces or blank lines: a pattern ending in $ meets the cursor's line. */
  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', this.name).split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '');
  }

  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} on the terminal:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.skipIf(!HAVE_TMUX)('the shell on a terminal', () => {
  it('runs dot commands and psql backslash commands, prints every result, \\q leaves', async () => {
    const t = new Terminal('dots', join(work, 'dots_history'));
    await t.waitFor(/spillway>$/);
    t.line("create table pets(name varchar, legs integer); insert into pets values ('cat', 4), ('鳥', 2);");
    await t.waitFor(/INSERT 0 2 \(\d+\.\d\d s\)\nspillway>$/);
    t.line('.tables');
    await t.waitFor(/\.tables\npets\nspillway>$/);
    t.line('\\d pets');
    await t.waitFor(/CREATE TABLE pets\(name VARCHAR, legs INTEGER\);\nspillway>$/);
    t.line('select name from pets order by legs; select 1 as one;');
    const s = await t.waitFor(/│   1 │\n└─────┘\n1 row \(\d+\.\d\d s\)\nspillway>$/);
    expect(s).toMatch(/│ 鳥   │\n│ cat  │\n└──────┘\n2 rows \(\d+\.\d\d s\)/);
    // A wide result fits the 120 columns of the terminal.
    t.line(`select '${'wide '.repeat(60)}' as text, 1 as n;`);
    const wide = await t.waitFor(/│ +1 │\n└─+┴─+┘\n1 row \(\d+\.\d\d s\)\nspillway>$/);
    const box = wide.split('\n').filter((l) => l.startsWith('│ wide'));
    expect(box).toHaveLength(1);
    expect(box[0]!.length).toBe(120);
    expect(box[0]).toMatch(/… │ +1 │$/);
    t.line('.mode csv');
    await t.waitFor(/\.mode csv\nspillway>$/);
    t.line('select legs from pets order by legs;');
    await t.waitFor(/\nlegs\n2\n4\ntime: \d+\.\d\d s\nspillway>$/);
    t.line('.frobnicate');
    await t.waitFor(/unknown command "\.frobnicate"; \.help lists the commands\nspillway>$/);
    t.line('\\q');
    await t.waitFor(/\nexited 0$/);
  });

  it('Ctrl-C cancels the running query and clears a half-typed line, without leaving', async () => {
    const setup = join(work, 'setup.sql');
    const values = Array.from({ length: 2000 }, (_, i) => `(${i})`).join(',');
    writeFileSync(setup, `create table t as select x from (values ${values}) v(x);\n`);
    const t = new Terminal('cancel', join(work, 'cancel_history'));
    await t.waitFor(/spillway>$/);
    t.line(`.read ${setup}`);
    await t.waitFor(/SELECT 2000.*\nspillway>$/);
    // 8·10⁹ rows: it runs until cancelled.
    t.line('select count(*) from t a, t b, t c;');
    await t.waitFor(/from t a, t b, t c;$/);
    await new Promise((r) => setTimeout(r, 500));
    t.key('C-c');
    await t.waitFor(/spillway: error: query cancelled by Ctrl-C\nspillway>$/);
    // A half-typed line is dropped: what follows is a statement of its own.
    t.type('select 1 as x,');
    await t.waitFor(/select 1 as x,$/m);
    t.key('C-c');
    await t.waitFor(/select 1 as x,\^C\nspillway>$/);
    t.type('select ');
    t.key('Enter');
    await t.waitFor(/ {5}\.\.\.>$/);
    t.key('C-c');
    await t.waitFor(/\.\.\.> \^C\nspillway>$/);
    t.line('select 42 as answer;');
    const s = await t.waitFor(/│ +42 │\n└─+┘\n1 row \(\d+\.\d\d s\)\nspillway>$/);
    expect(s).not.toMatch(/syntax error/);
    t.key('C-d');
    await t.waitFor(/\nexited 0$/);
  });

  it('keeps a bounded history between runs', async () => {
    const history = join(work, 'history');
    writeFileSync(history, Array.from({ length: 1500 }, (_, i) => `select ${i} as old;`).join('\n') + '\n');
    const first = new Terminal('history1', history);
    await first.waitFor(/spillway>$/);
    first.line("select 'remembered' as word;");
    await first.waitFor(/│ remembered │[^]*spillway>$/);
    first.line('.quit');
    await first.waitFor(/\nexited 0$/);
    const lines = readFileSync(history, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(1000);
    expect(lines.slice(-2)).toEqual(["select 'remembered' as word;", '.quit']);

    const second = new Terminal('history2', history);
    await second.waitFor(/spillway>$/);
    // Up twice: past `.quit` to the statement of the first run.
    second.key('Up');
    second.key('Up');
    await second.waitFor(/spillway> select 'remembered' as word;$/m);
    second.key('Enter');
    await second.waitFor(/│ remembered │[^]*spillway>$/);
    second.key('C-d');
    await second.waitFor(/\nexited 0$/);
  });
});
