/** A small, strict argument parser: --flag value, --flag=value, boolean flags, positionals. */
import { SpillwayError } from '../common/errors.js';

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: { value: readonly string[]; boolean: readonly string[] }): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const push = (k: string, v: string) => { const a = flags.get(k) ?? []; a.push(v); flags.set(k, a); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const eq = a.indexOf('=');
      const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
      if (spec.boolean.includes(name)) { push(name, 'true'); continue; }
      if (!spec.value.includes(name)) {
        throw new SpillwayError('config', `unknown option "${a}"; options: ${[...spec.value, ...spec.boolean].map((o) => (o.length === 1 ? '-' : '--') + o).join(' ')}`);
      }
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new SpillwayError('config', `option "${a}" needs a value`);
      push(name, v);
    } else {
      positionals.push(a);
    }
  }
  return { flags, positionals };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

/** A port flag's value (0 = any free port), or undefined when absent. */
export function portFlag(args: ParsedArgs, name: string): number | undefined {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new SpillwayError('config', `invalid --${name} "${text}": expected a port number 0..65535`);
  return port;
}

export function hasFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}
