/** Command-line flags of the bench entry points (see bench/run.ts and bench/peers/run.ts). */
export interface BenchFlags {
  quick: boolean;
  /** Timed iterations per measurement (default depends on the bench). */
  steps?: number;
  warmup?: number;
  /** Run only these sections (names as printed), or all. */
  only?: Set<string>;
  /** Skip the per-kernel profile. */
  noProfile: boolean;
  /** Also measure compile options off (fusion, buffer reuse). */
  ablations: boolean;
  /** Include the ResNet-18 step on a software adapter too (minutes per step there). */
  resnet: boolean;
}

export function parseFlags(argv: readonly string[]): BenchFlags {
  const flags: BenchFlags = { quick: false, noProfile: false, ablations: false, resnet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') flags.quick = true;
    else if (a === '--no-profile') flags.noProfile = true;
    else if (a === '--ablations') flags.ablations = true;
    else if (a === '--resnet') flags.resnet = true;
    else if (a === '--steps') flags.steps = positiveInt(a, value());
    else if (a === '--warmup') flags.warmup = Number.parseInt(value(), 10);
    else if (a === '--only') flags.only = new Set(value().split(','));
    else throw new Error(`unknown flag ${a} (known: --quick --steps N --warmup N --only a,b --no-profile --ablations --resnet)`);
  }
  return flags;
}

function positiveInt(flag: string, v: string): number {
  const n = Number.parseInt(v, 10);
  if (!(n > 0)) throw new Error(`${flag} needs a positive integer, got ${v}`);
  return n;
}

export function wants(flags: BenchFlags, section: string): boolean {
  return !flags.only || flags.only.has(section);
}
