/**
 * Command-line flags, declared per command; unknown flags are errors. Node's `util.parseArgs` splits
 * the arguments into tokens (long and short options, `--opt=value`, `--`); this file only checks them
 * against the command's flags, so the messages stay matc's own (`run: option --out needs a value`)
 * rather than Node's, and a second use of a non-repeatable flag is refused (Node keeps the last).
 */
import { parseArgs as tokenize, type ParseArgsConfig } from 'node:util';
import { UserError } from '../util/errors.js';

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

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The spec as parseArgs options. A one-letter flag (`--n`) also answers to `-n`, as it always has,
 * unless another flag claims that letter as its short form.
 */
function optionsOf(spec: Record<string, FlagSpec>): Options {
  const claimed = new Set(Object.values(spec).flatMap((s) => (s.short ? [s.short] : [])));
  const options: Options = {};
  for (const [name, s] of Object.entries(spec)) {
    const short = s.short ?? (name.length === 1 && !claimed.has(name) ? name : undefined);
    options[name] = { type: s.value ? 'string' : 'boolean', multiple: true, ...(short ? { short } : {}) };
  }
  return options;
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): ParsedArgs {
  // strict: false hands back unknown options and missing values as tokens, for the checks below.
  const { tokens } = tokenize({ args: [...argv], options: optionsOf(spec), strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const raw = argv[t.index]!;
    // Only `-x`, `--name` and `--name=value` are flags: short groups (`-hx`) and glued short
    // values (`-oFILE`) are refused under their whole spelling, as before.
    const spelled = raw === t.rawName || (t.rawName.startsWith('--') && raw.startsWith(`${t.rawName}=`));
    const s = Object.hasOwn(spec, t.name) ? spec[t.name] : undefined;
    if (!s || !spelled) throw new UserError(`${command}: unknown option '${raw}' (see matc ${command} --help)`);
    if (s.value && t.value === undefined) throw new UserError(`${command}: option --${t.name} needs a value`);
    if (!s.value && t.value !== undefined) throw new UserError(`${command}: option --${t.name} takes no value`);
    const list = flags.get(t.name) ?? [];
    if (list.length && !s.repeatable) throw new UserError(`${command}: option --${t.name} given twice`);
    list.push(t.value ?? 'true');
    flags.set(t.name, list);
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
