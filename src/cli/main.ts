/**
 * The `matc` command line. Every command validates its arguments, reports user errors without a
 * stack trace (exit 1), and disposes of the GPU device so the process exits promptly.
 */
import { parseArgs, flag, flagList, helpText, type FlagSpec } from './args.js';
import { reportError, UserError } from '../util/errors.js';
import { loadPipeline } from '../check/load-pipeline.js';
import { doctor } from './commands/doctor.js';
import { check } from './commands/check.js';
import { graph } from './commands/graph.js';
import { run } from './commands/run.js';
import { evalCommand, DEFAULT_ATTACKS } from './commands/eval.js';
import { EVAL_DATASETS, type EvalDatasetName } from '../eval/standalone.js';
import { sweepCommand } from './commands/sweep.js';
import { analyzeCommand } from './commands/analyze.js';
import { workerCommand } from './commands/worker.js';
import { queueCommand } from './commands/queue.js';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatResultTable, runResultTable, writeReport } from '../report/index.js';

const out = (s: string) => process.stdout.write(`${s}\n`);

interface Command {
  usage: string;
  description: string;
  flags: Record<string, FlagSpec>;
  main(args: ReturnType<typeof parseArgs>): Promise<void> | void;
}

const help: FlagSpec = { help: 'show this help', short: 'h' };
const set: FlagSpec = { value: true, repeatable: true, help: 'override a setting, e.g. --set train.epochs=5 (repeatable)' };
const queueUrl: FlagSpec = { value: true, help: 'Redis of the job queue, redis://[:PASSWORD@]HOST:PORT[/DB] (docs/distributed.md)' };

const commands: Record<string, Command> = {
  run: {
    usage: 'matc run FILE [--set key=value]... [--out DIR] [--resume] [--data-dir DIR]',
    description: 'Train the pipeline in FILE: progress on the terminal, metrics.jsonl, checkpoints and a results table in the run directory.',
    flags: {
      set,
      out: { value: true, help: 'run directory (default runs/<pipeline name>)' },
      resume: { help: 'continue from the run directory\'s resume.safetensors' },
      'data-dir': { value: true, help: 'where the data sets are (also MATC_DATA_DIR)' },
      pipeline: { value: true, help: 'which pipeline of FILE, if it defines several' },
      help,
    },
    async main(a) {
      const file = one(a.positional, 'run');
      const p = loadPipeline(file, flagList(a, 'set'), flag(a, 'pipeline'));
      await run(p, { outDir: flag(a, 'out'), resume: a.flags.has('resume'), dataDir: flag(a, 'data-dir') }, out);
    },
  },
  check: {
    usage: 'matc check FILE... [--set key=value]...',
    description: 'Parse and check .mat files; print diagnostics with file:line:col. Exit 1 on any error.',
    flags: { set, help },
    main(a) {
      check(a.positional, flagList(a, 'set'), out);
    },
  },
  graph: {
    usage: 'matc graph FILE [--batch B] [--kernels] [--states all|none]',
    description: 'Print the compiled training step: the graph of each program, and with --kernels the fused kernels the GPU will run.',
    flags: {
      set,
      batch: { value: true, help: 'batch size to compile for (default: the pipeline\'s)' },
      kernels: { help: 'also compile for the GPU and list the kernels after fusion' },
      states: { value: true, help: 'per-example states active (all) or not yet (none); default all' },
      pipeline: { value: true, help: 'which pipeline of FILE, if it defines several' },
      help,
    },
    async main(a) {
      const file = one(a.positional, 'graph');
      const p = loadPipeline(file, flagList(a, 'set'), flag(a, 'pipeline'));
      const batch = Number(flag(a, 'batch') ?? p.settings.train.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new UserError(`graph: --batch must be a positive integer`);
      const states = flag(a, 'states') ?? 'all';
      if (states !== 'all' && states !== 'none') throw new UserError(`graph: --states must be all or none`);
      await graph(p, { batch, kernels: a.flags.has('kernels'), active: states }, out);
    },
  },
  codegen: {
    usage: 'matc codegen FILE -o OUT.ts [--set key=value]...',
    description: 'Emit a typed TypeScript module for the pipeline: its settings as an interface with defaults, and a run() function.',
    flags: { set, out: { value: true, short: 'o', help: 'the .ts file to write' }, module: { value: true, help: "module specifier of matc's API (default 'matc')" }, pipeline: { value: true, help: 'which pipeline of FILE' }, help },
    async main(a) {
      const file = one(a.positional, 'codegen');
      const target = flag(a, 'out');
      if (!target) throw new UserError('codegen: name the output file with -o OUT.ts');
      const p = loadPipeline(file, flagList(a, 'set'), flag(a, 'pipeline'));
      // ts-morph (the TypeScript compiler) is loaded only here: every other command would pay ~0.5 s for it.
      const { emitPipelineModule } = await import('../../codegen/ts/emit-pipeline.js');
      writeFileSync(target, emitPipelineModule(p, { outFile: target, matcModule: flag(a, 'module') }));
      out(`wrote ${target}`);
    },
  },
  eval: {
    usage: 'matc eval CHECKPOINT_OR_RUN_DIR [--pipeline FILE] [--attacks LIST] [--eps E] [--norm linf|l2] [--n N] [--seed S] [--batch B] [--out FILE.json] [--shards N --queue URL]\n       matc eval --model FILE.pt|FILE.safetensors --arch NAME --dataset cifar10|cifar100|svhn|fashion-mnist [--data-dir DIR] [--attacks LIST] ...',
    description: 'Robust accuracy of a checkpoint (or a run directory\'s best and final) under PGD, C&W and AutoAttack; per-example flags; resumable.',
    flags: {
      pipeline: { value: true, help: 'the .mat file defining model and data (default: the one the checkpoint records)' },
      model: { value: true, help: 'a checkpoint to evaluate: PyTorch .pt/.pth (torch.save) or .safetensors' },
      arch: { value: true, help: 'the network the checkpoint holds: a standard-library model, e.g. wrn28_10 or "preact_resnet18(width: 8)"' },
      dataset: { value: true, help: 'with --arch: cifar10, cifar100, svhn, fashion-mnist or mnist (test split)' },
      classes: { value: true, help: 'with --arch: the class count, if not the data set\'s' },
      set,
      'data-dir': { value: true, help: 'where the data sets are (also MATC_DATA_DIR)' },
      data: { value: true, help: 'the same as --data-dir (older spelling)' },
      attacks: { value: true, help: `comma list of natural, pgdK, pgdKxR, cwK, apgd-ce, apgd-t, fab-t, square, aa (default ${DEFAULT_ATTACKS})` },
      eps: { value: true, help: 'perturbation budget (default: the pipeline\'s training attack)' },
      norm: { value: true, help: 'linf or l2 (default: the pipeline\'s training attack)' },
      n: { value: true, help: 'evaluate the first N test examples (default: the pipeline\'s test subset)' },
      seed: { value: true, help: 'seed of the random starts and Square\'s search (default 0)' },
      batch: { value: true, help: 'examples per GPU batch (default 500)' },
      out: { value: true, help: 'record with per-example flags (default CHECKPOINT.eval.json); an existing one is resumed' },
      queue: { ...queueUrl, help: 'evaluate on `matc worker`s through the Redis queue at this URL (docs/distributed.md)' },
      shards: { value: true, help: 'with --queue: split the examples into N jobs, merged into one record (default 1)' },
      help,
    },
    async main(a) {
      const model = flag(a, 'model');
      if (model !== undefined && a.positional.length) throw new UserError('eval: give the checkpoint either as --model FILE or as the argument, not both');
      const pipelineFile = flag(a, 'pipeline');
      // `matc eval --pipeline X.mat` alone evaluates the checkpoint its model names (`{ weights: "file.pt" }`).
      const declared = model === undefined && a.positional.length === 0 && pipelineFile !== undefined ? loadPipeline(pipelineFile, flagList(a, 'set')).model.weights : undefined;
      const target = model ?? declared ?? one(a.positional, 'eval');
      const dataset = flag(a, 'dataset');
      if (dataset !== undefined && !Object.hasOwn(EVAL_DATASETS, dataset)) throw new UserError(`eval: --dataset must be one of ${Object.keys(EVAL_DATASETS).join(', ')}`);
      const num = (name: string, integer: boolean): number | undefined => {
        const v = flag(a, name);
        if (v === undefined) return undefined;
        const x = Number(v);
        if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new UserError(`eval: --${name} must be a positive ${integer ? 'integer' : 'number'}`);
        return x;
      };
      const norm = flag(a, 'norm');
      if (norm !== undefined && norm !== 'linf' && norm !== 'l2') throw new UserError('eval: --norm must be linf or l2');
      const seed = flag(a, 'seed') === '0' ? 0 : num('seed', true) ?? 0;
      const classes = num('classes', true);
      const shards = num('shards', true);
      const queue = flag(a, 'queue');
      if (shards !== undefined && queue === undefined) throw new UserError('eval: --shards needs --queue URL (shards run on matc workers)');
      const connection = queue !== undefined ? (await import('../queue/connection.js')).parseQueueUrl(queue) : undefined;
      await evalCommand({ ...(connection ? { queue: connection, shards: shards ?? 1 } : {}), target, pipeline: flag(a, 'pipeline'), arch: flag(a, 'arch'), ...(dataset !== undefined ? { dataset: dataset as EvalDatasetName } : {}), ...(classes !== undefined ? { classes } : {}), overrides: flagList(a, 'set'), dataDir: flag(a, 'data-dir') ?? flag(a, 'data'), attacks: flag(a, 'attacks') ?? DEFAULT_ATTACKS, eps: num('eps', false), norm, n: num('n', true), seed, batch: num('batch', true) ?? 500, out: flag(a, 'out') }, out);
    },
  },
  report: {
    usage: 'matc report RUN_DIR',
    description: "Write RUN_DIR/report.html (learning curves and the Best/Final/Diff table) and print the table.",
    flags: { help },
    async main(a) {
      const dir = one(a.positional, 'report');
      if (!existsSync(join(dir, 'metrics.jsonl'))) throw new UserError(`report: ${dir} has no metrics.jsonl (is it a run directory?)`);
      out(formatResultTable(runResultTable(dir)));
      out(`report: ${await writeReport(dir)}`);
    },
  },
  sweep: {
    usage: 'matc sweep FILE... --grid key=v1,v2,... [--grid ...] [--set key=value]... [--jobs N | --queue URL [--detach]] --out DIR [--dry-run]',
    description: 'Run every combination of the grid\'s overrides (resumable: finished runs are skipped); summary.csv, summary.txt and figures in DIR.',
    flags: {
      grid: { value: true, repeatable: true, help: 'an axis: key=v1,v2,... (commas inside (), [] do not split; repeatable)' },
      set,
      jobs: { value: true, short: 'j', help: 'runs at a time; >1 runs each in its own `matc run` process (default 1: in process)' },
      out: { value: true, help: 'sweep directory: one run directory per combination, and the summary' },
      'data-dir': { value: true, help: 'where the data sets are (also MATC_DATA_DIR)' },
      'dry-run': { help: 'check and list the runs without running them' },
      'grad-norm': { help: 'log the squared global gradient norm per epoch (grad_norm_sq in metrics.jsonl; --jobs 1 only)' },
      queue: { ...queueUrl, help: 'enqueue one job per run for `matc worker`s on the Redis at this URL, wait, and summarise (docs/distributed.md)' },
      detach: { help: 'with --queue: enqueue and return without waiting' },
      help,
    },
    async main(a) {
      if (a.positional.length === 0) throw new UserError('sweep: name at least one pipeline FILE (see matc sweep --help)');
      const outDir = flag(a, 'out');
      if (!outDir) throw new UserError('sweep: name the sweep directory with --out DIR');
      const jobs = Number(flag(a, 'jobs') ?? 1);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UserError('sweep: --jobs must be a positive integer');
      await sweepCommand({ files: a.positional, grid: flagList(a, 'grid'), set: flagList(a, 'set'), jobs, outDir, dataDir: flag(a, 'data-dir'), dryRun: a.flags.has('dry-run'), gradNorm: a.flags.has('grad-norm'), queue: flag(a, 'queue'), detach: a.flags.has('detach') }, out);
    },
  },
  worker: {
    usage: 'matc worker --queue redis://HOST:PORT [--concurrency N] [--name NAME] [--data-dir DIR] [--lock-seconds S]',
    description: 'Take sweep runs and eval shards from the Redis queue until stopped (SIGTERM hands the current job back); one per GPU.',
    flags: {
      queue: queueUrl,
      concurrency: { value: true, help: 'jobs at a time in this process, each on its own GPU device (default 1)' },
      name: { value: true, help: 'shown in the log and in matc queue status (default HOST-PID)' },
      'data-dir': { value: true, help: 'where the data sets are on this machine (also MATC_DATA_DIR)' },
      'lock-seconds': { value: true, help: 'a killed worker\'s job goes to another worker after this long (default 30)' },
      help,
    },
    async main(a) {
      if (a.positional.length) throw new UserError('worker: takes no arguments (see matc worker --help)');
      const queue = flag(a, 'queue');
      if (!queue) throw new UserError('worker: name the queue with --queue redis://HOST:PORT');
      await workerCommand({ queue, concurrency: Number(flag(a, 'concurrency') ?? 1), name: flag(a, 'name'), dataDir: flag(a, 'data-dir'), lockSeconds: Number(flag(a, 'lock-seconds') ?? 30) }, out);
    },
  },
  queue: {
    usage: 'matc queue status|drain|retry --queue redis://HOST:PORT [--group ID]',
    description: 'The job queue per sweep and evaluation: waiting, running, done and failed jobs; drain removes waiting jobs, retry re-queues failed ones.',
    flags: {
      queue: queueUrl,
      group: { value: true, help: 'only this sweep or evaluation (the id matc sweep/eval print, e.g. sweep-1a2b3c4d5e6f)' },
      help,
    },
    async main(a) {
      const queue = flag(a, 'queue');
      if (a.positional.length !== 1) throw new UserError('queue: name one action: status, drain or retry (see matc queue --help)');
      if (!queue) throw new UserError('queue: name the queue with --queue redis://HOST:PORT');
      await queueCommand({ action: a.positional[0]!, queue, group: flag(a, 'group') }, out);
    },
  },
  analyze: {
    usage: 'matc analyze gradient CHECKPOINT --pipeline FILE [--pipeline FILE]... | analyze complexity SWEEP_DIR | analyze hard-examples RUN_DIR RUN_DIR... [options]',
    description: 'Memorization analyses (docs/memorization.md): gradient instability, complexity measures vs the robust gap, hard examples; JSON, SVG and HTML.',
    flags: {
      pipeline: { value: true, repeatable: true, help: 'gradient: the objective(s) to probe (repeatable); hard-examples: the pipeline of runs not made by matc sweep' },
      set,
      lambdas: { value: true, help: 'gradient: comma list of step sizes (default 0,0.001,0.002,0.005,0.01,0.02,0.05)' },
      directions: { value: true, help: 'gradient: random directions averaged per lambda (default 3)' },
      'directions-kind': { value: true, help: 'gradient: filter,plain (default both)' },
      n: { value: true, help: 'gradient/complexity: examples in the fixed batch (default 100 / 500)' },
      seed: { value: true, help: 'gradient: seed of the directions (default 0)' },
      alpha: { value: true, help: 'complexity: sharpness box alpha * (|theta| + 1) (default 0.005)' },
      batch: { value: true, help: 'hard-examples: examples per GPU batch (default 250)' },
      out: { value: true, help: 'output directory (default: next to the checkpoint / first run)' },
      'data-dir': { value: true, help: 'where the data sets are (also MATC_DATA_DIR)' },
      help,
    },
    async main(a) {
      const [kind, ...targets] = a.positional;
      if (!kind) throw new UserError('analyze: name an analysis: gradient, complexity or hard-examples (see matc analyze --help)');
      await analyzeCommand({ kind, targets, pipelines: flagList(a, 'pipeline'), set: flagList(a, 'set'), lambdas: flag(a, 'lambdas'), directions: flag(a, 'directions'), kinds: flag(a, 'directions-kind'), n: flag(a, 'n'), seed: flag(a, 'seed'), alpha: flag(a, 'alpha'), batch: flag(a, 'batch'), out: flag(a, 'out'), dataDir: flag(a, 'data-dir') }, out);
    },
  },
  doctor: {
    usage: 'matc doctor',
    description: 'Show the WebGPU adapter, its limits, and run a small forward/backward checked against the CPU reference.',
    flags: { help },
    async main() {
      await doctor(out);
    },
  },
};

function one(positional: string[], command: string): string {
  if (positional.length !== 1) throw new UserError(`${command}: expected one FILE (see matc ${command} --help)`);
  return positional[0]!;
}

function usage(): string {
  const lines = ['usage: matc COMMAND [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.description}`);
  lines.push('', 'matc COMMAND --help shows the options of a command.');
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (!name) {
      // No command is a usage error: the usage goes to stderr, like every other error.
      process.stderr.write(`${usage()}\n`);
      return 1;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      out(usage());
      return 0;
    }
    const cmd = commands[name];
    if (!cmd) throw new UserError(`unknown command '${name}'\n${usage()}`);
    const args = parseArgs(rest, cmd.flags, name);
    if (args.flags.has('help')) {
      out(helpText(cmd.usage, cmd.description, cmd.flags));
      return 0;
    }
    await cmd.main(args);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
