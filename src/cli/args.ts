/** A small, strict argument parser: flags are declared per command, unknown flags are errors. */
import { UserError } from './errors.js';

export interface FlagSpec {
  /** Takes a value (`--out DIR`); repeatable flags collect every value. */
  value?: boolean;
  repeatable?: boolean;
  short?: string;
  help: string;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      let name = a.startsWith('--') ? a.slice(2) : byShort.get(a.slice(1)) ?? a.slice(1);
      let value: string | undefined;
      const eq = name.indexOf('=');
      if (eq >= 0 && a.startsWith('--')) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const s = spec[name];
      if (!s) throw new UserError(`${command}: unknown option '${a}' (see matc ${command} --help)`);
      if (s.value) {
        if (value === undefined) {
          value = argv[++i];
          if (value === undefined) throw new UserError(`${command}: option --${name} needs a value`);
        }
      } else if (value !== undefined) {
        throw new UserError(`${command}: option --${name} takes no value`);
      } else value = 'true';
      const list = flags.get(name) ?? [];
      if (list.length && !s.repeatable) throw new UserError(`${command}: option --${name} given twice`);
      list.push(value);
      flags.set(name, list);
    } else positional.push(a);
  }
  return { positional, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagList(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function helpText(usage: string, description: string, spec: Record<string, FlagSpec>): string {
  const lines = [`usage: ${usage}`, '', description, ''];
  const entries = Object.entries(spec);
  if (entries.length) {
    lines.push('options:');
    for (const [name, s] of entries) {
      const left = `  ${s.short ? `-${s.short}, ` : ''}--${name}${s.value ? ' VALUE' : ''}`;
      lines.push(`${left.padEnd(28)} ${s.help}`);
    }
  }
  return lines.join('\n');
}
