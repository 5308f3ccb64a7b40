#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { followLauncher, relaunchTuned } from '../dist/src/cli/relaunch.js';

const argv = process.argv.slice(2);
// With a memory limit, the command runs in a child process with the memory-tuned runtime
// settings (src/cli/relaunch.ts); this process only waits for it.
if (!relaunchTuned(argv, fileURLToPath(import.meta.url))) {
  followLauncher();
  const { main } = await import('../dist/src/cli/main.js');
  main(argv).then(
    (code) => { process.exitCode = code; },
    (err) => { process.stderr.write(`spillway: ${err?.message ?? err}\n`); process.exitCode = 1; },
  );
}
