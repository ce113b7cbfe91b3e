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
  /** Skip the PyTorch CPU run beside the PreAct ResNet-18 step (scripts/torch-preact-step.py). */
  noPeer: boolean;
  /** Also measure compile options off (fusion, buffer reuse). */
  ablations: boolean;
  /** Time the PreAct ResNet-18 PGD-10 step (whole steps, measured; minutes per step on a software adapter). */
  resnet: boolean;
  /** Batch of the ResNet-18 steps (default: 8 on a software adapter, 128 on a GPU). */
  resnetBatch?: number;
  /** Width of both ResNets (64 = the real models; smaller only to check the bench quickly). */
  resnetWidth?: number;
  /** Also write the results as JSON to this file. */
  json?: string;
}

export function parseFlags(argv: readonly string[]): BenchFlags {
  const flags: BenchFlags = { quick: false, noProfile: false, noPeer: false, ablations: false, resnet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') flags.quick = true;
    else if (a === '--no-profile') flags.noProfile = true;
    else if (a === '--no-peer') flags.noPeer = true;
    else if (a === '--ablations') flags.ablations = true;
    else if (a === '--resnet') flags.resnet = true;
    else if (a === '--resnet-batch') flags.resnetBatch = positiveInt(a, value());
    else if (a === '--resnet-width') flags.resnetWidth = positiveInt(a, value());
    else if (a === '--json') flags.json = value();
    else if (a === '--steps') flags.steps = positiveInt(a, value());
    else if (a === '--warmup') flags.warmup = Number.parseInt(value(), 10);
    else if (a === '--only') flags.only = new Set(value().split(','));
    else throw new Error(`unknown flag ${a} (known: --quick --steps N --warmup N --only a,b --no-profile --no-peer --ablations --resnet --resnet-batch N --resnet-width W --json FILE)`);
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
