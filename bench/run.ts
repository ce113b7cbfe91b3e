/**
 * `npm run bench`: matc's performance on this machine's adapter.
 *   (a) kernel GFLOP/s (bench/kernels.ts, when present);
 *   (b) whole training steps: PGD-AT and TRADES on the reference CNN (batch 128, K=10), natural
 *       and PGD-20 evaluation, a ResNet-18 PGD-AT step (batch 32, 32x32x3 random data);
 *   (c) per step: dispatches, submissions, bytes moved, planned transient memory, and GPU time per
 *       kernel family (timestamp queries, or per-dispatch submit timing without them);
 *   memory: the planned GPU memory of a ResNet-18 step at batch 128 (compiled, not run).
 * Every measurement has a time budget so the whole run stays within a few minutes on a software
 * adapter (lavapipe); at least one whole step is always timed. On a software adapter one ResNet-18
 * step takes many minutes, so it runs there only when asked (`--resnet` or `--only resnet18`), and
 * is then predicted from one run of each of its programs (prologue + K x attack + outer), marked
 * "(predicted)"; on a hardware adapter it always runs and is timed like the others.
 *
 *   node dist/bench/run.js [--quick] [--steps N] [--only kernels,pgd_at,trades,eval,resnet18,memory,ablations]
 *                          [--no-profile] [--ablations] [--resnet]
 */
import { Runtime } from '../src/runtime/runtime.js';
import { parseFlags, wants, type BenchFlags } from './flags.js';
import { describeAdapter } from './adapter.js';
import { runKernelBenchIfPresent } from './kernel-bench-hook.js';
import { measureStep, type StepMeasurement } from './matc/measure-step.js';
import { REFERENCE_CNN_PGD_AT, REFERENCE_CNN_TRADES, RESNET18_PGD_AT, type StepWorkload } from './matc/workloads.js';
import { measureEvaluation } from './matc/evaluation.js';
import { loadPipeline } from './matc/load-pipeline.js';
import { syntheticBatch } from './random-batch.js';
import { throughputTable, stepCostTable, familyTable, slowestKernelsTable, evaluationTable } from './matc/report.js';
import { runAblations } from './matc/ablations.js';
import { loadLine } from './machine-load.js';
import { planMemory } from './matc/memory-plan.js';
import { formatTable, mib } from './table.js';

interface Budgets {
  /** Seconds of timed steps per workload. */
  step: number;
  resnet: number;
  evaluation: number;
}

function budgets(flags: BenchFlags): Budgets {
  return flags.quick ? { step: 8, resnet: 0, evaluation: 5 } : { step: 25, resnet: 60, evaluation: 15 };
}

async function adapterInfo(): Promise<{ line: string; software: boolean }> {
  const rt = await Runtime.create();
  try {
    return { line: `${describeAdapter(rt.ctx.adapter)}${rt.ctx.hasTimestamps ? ', timestamp queries' : ''}`, software: rt.ctx.adapter.isSoftware };
  } finally {
    rt.destroy();
  }
}

async function kernelSection(flags: BenchFlags): Promise<void> {
  console.log('\n## (a) kernels');
  const rt = await Runtime.create();
  try {
    const text = await runKernelBenchIfPresent(rt, flags.quick);
    if (text) console.log(text);
  } finally {
    rt.destroy();
  }
}

async function stepSection(flags: BenchFlags, b: Budgets, software: boolean): Promise<StepMeasurement[]> {
  const chosen: [StepWorkload, number][] = [[REFERENCE_CNN_PGD_AT, b.step], [REFERENCE_CNN_TRADES, b.step], [RESNET18_PGD_AT, b.resnet]];
  const results: StepMeasurement[] = [];
  const resnetAsked = flags.resnet || (flags.only?.has(RESNET18_PGD_AT.name) ?? false);
  for (const [workload, budgetSeconds] of chosen) {
    if (!wants(flags, workload.name)) continue;
    if (workload === RESNET18_PGD_AT && software && !resnetAsked) {
      console.log(`\n(${workload.name} skipped on a software adapter: one step takes many minutes there; add --resnet to run it)`);
      continue;
    }
    process.stderr.write(`[bench] ${workload.title} ...\n`);
    const predictOnly = workload === RESNET18_PGD_AT && software;
    results.push(await measureStep(workload, { iterations: flags.steps ?? 20, budgetSeconds, profile: !flags.noProfile, predictOnly }));
  }
  if (!results.length) return results;
  console.log('\n## (b) training steps (synthetic data written into the batch variables; one submission per step)');
  for (const m of results) console.log(`- ${m.workload.name}: ${m.workload.title}`);
  console.log(throughputTable(results));
  console.log('\n## (c) cost per step');
  console.log(stepCostTable(results));
  for (const m of results) {
    if (!m.profile) continue;
    const wall = m.throughput?.msPerIteration ?? m.predictedMsPerStep;
    console.log(`\n### ${m.workload.name}: ${familyTable(m.profile, wall)}`);
    console.log(`\nslowest kernels (${m.workload.name})`);
    console.log(slowestKernelsTable(m.profile, 8));
  }
  return results;
}

async function evaluationSection(flags: BenchFlags, b: Budgets): Promise<void> {
  const pipeline = loadPipeline(REFERENCE_CNN_PGD_AT.file);
  const batch = pipeline.evaluations[0]?.settings.batch ?? 200;
  process.stderr.write(`[bench] evaluation, batch ${batch} ...\n`);
  const e = await measureEvaluation(pipeline, syntheticBatch(batch, REFERENCE_CNN_PGD_AT.shape, 10), 20, { warmup: 1, iterations: flags.steps ?? 20, budgetSeconds: b.evaluation });
  console.log('\n## evaluation, reference CNN (RobustEvaluator: one submission and one readback per batch)');
  console.log(evaluationTable(e, batch));
}

/** ResNet-18 at batch 128 must fit in 4 GiB (issue 7): planned, not run. */
async function memorySection(): Promise<void> {
  process.stderr.write('[bench] memory plan of the ResNet-18 step at batch 128 ...\n');
  const plan = await planMemory(RESNET18_PGD_AT, 128);
  console.log('\n## memory: ResNet-18 PGD-AT step at batch 128, 32x32x3 (compiled, not run)');
  console.log(formatTable(
    ['transient (planned peak)', 'variables', 'total', 'limit', 'fits'],
    [[mib(plan.stats.transientBytes), mib(plan.stats.variableBytes), mib(plan.totalBytes), '4096 MiB', plan.totalBytes <= 4 * 2 ** 30 ? 'yes' : 'NO']],
  ));
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const b = budgets(flags);
  console.log(`# matc bench, ${new Date().toISOString().slice(0, 10)}`);
  const adapter = await adapterInfo();
  console.log(`adapter: ${adapter.line}`);
  console.log(loadLine());
  if (wants(flags, 'kernels')) await kernelSection(flags);
  await stepSection(flags, b, adapter.software);
  if (wants(flags, 'eval')) await evaluationSection(flags, b);
  if (flags.only ? flags.only.has('memory') : !flags.quick) await memorySection();
  if (flags.ablations || flags.only?.has('ablations')) console.log(await runAblations(REFERENCE_CNN_PGD_AT, flags.steps ?? 3));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
