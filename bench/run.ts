/**
 * `npm run bench`: matc's performance on this machine's adapter.
 *   (a) kernel GFLOP/s (bench/kernels.ts, when present);
 *   (b) whole training steps: PGD-AT and TRADES on the reference CNN (batch 128, K=10), natural
 *       and PGD-20 evaluation, a ResNet-18 PGD-AT step (32x32x3 random data) and with --resnet a
 *       PreAct ResNet-18 PGD-10 step (batch 128 on a GPU, 8 on a software adapter; --resnet-batch);
 *   (c) per step: dispatches, submissions, bytes moved, planned transient memory, and GPU time per
 *       kernel family (timestamp queries, or per-dispatch submit timing without them);
 *   conv shapes (with --resnet, or --only conv_shapes): every convolution of ResNet-18 and
 *       WRN-34-10, forward and both gradients, GFLOP/s and share of the matmul (bench/conv-shapes.ts);
 *   memory: the planned GPU memory of a ResNet-18 step at batch 128 (compiled, not run).
 * Every measurement has a time budget so the whole run stays within a few minutes on a software
 * adapter (lavapipe); at least one whole step is always timed. On a software adapter a ResNet-18
 * step takes minutes, so the ResNets run there only when asked (`--resnet`, `--only resnet18`),
 * and are then timed like the others (one warm-up run of each program, then whole steps).
 *
 *   node dist/bench/run.js [--quick] [--steps N] [--only kernels,pgd_at,trades,eval,resnet18,preact_resnet18,conv_shapes,memory,ablations]
 *                          [--no-profile] [--ablations] [--resnet] [--resnet-batch N] [--resnet-width W] [--json FILE]
 */
import { Runtime } from '../src/runtime/runtime.js';
import { parseFlags, wants, type BenchFlags } from './flags.js';
import { describeAdapter } from './adapter.js';
import { runKernelBenchIfPresent } from './kernel-bench-hook.js';
import { measureStep, type StepMeasurement } from './matc/measure-step.js';
import { REFERENCE_CNN_PGD_AT, REFERENCE_CNN_TRADES, RESNET18_PGD_AT, preactResnet18PgdAt, resnet18PgdAt, resnetBatch, type StepWorkload } from './matc/workloads.js';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { measureEvaluation } from './matc/evaluation.js';
import { loadPipeline } from './matc/load-pipeline.js';
import { syntheticBatch } from './random-batch.js';
import { throughputTable, stepCostTable, familyTable, slowestKernelsTable, evaluationTable } from './matc/report.js';
import { torchPreactStep } from './matc/torch-peer.js';
import { runAblations } from './matc/ablations.js';
import { loadLine } from './machine-load.js';
import { planMemory } from './matc/memory-plan.js';
import { formatTable, mib } from './table.js';
import { runConvShapes } from './conv-shapes.js';

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

async function kernelSection(flags: BenchFlags): Promise<string | null> {
  console.log('\n## (a) kernels');
  const rt = await Runtime.create();
  try {
    const text = await runKernelBenchIfPresent(rt, flags.quick);
    if (text) console.log(text);
    return text;
  } finally {
    rt.destroy();
  }
}

async function stepSection(flags: BenchFlags, b: Budgets, software: boolean): Promise<StepMeasurement[]> {
  const batch = flags.resnetBatch ?? resnetBatch(software);
  const chosen: [StepWorkload, number][] = [[REFERENCE_CNN_PGD_AT, b.step], [REFERENCE_CNN_TRADES, b.step]];
  // ResNet-18 (pipelines/pgd_at.mat): always on a GPU, on a software adapter only when named.
  if (flags.only?.has('resnet18') || (!software && wants(flags, 'resnet18'))) chosen.push([resnet18PgdAt(batch, flags.resnetWidth ?? 64), b.resnet]);
  else if (wants(flags, 'resnet18')) console.log('\n(resnet18 skipped on a software adapter: one step takes minutes there; add --only resnet18 [--resnet-batch N] to time it)');
  // PreAct ResNet-18 PGD-10 step: with --resnet (or --only preact_resnet18).
  if (flags.resnet || flags.only?.has('preact_resnet18')) chosen.push([preactResnet18PgdAt(batch, flags.resnetWidth ?? 64), b.resnet]);
  const results: StepMeasurement[] = [];
  for (const [workload, budgetSeconds] of chosen) {
    const named = workload.name === 'resnet18' || workload.name === 'preact_resnet18';
    if (!named && !wants(flags, workload.name)) continue;
    process.stderr.write(`[bench] ${workload.title} ...\n`);
    // Every step is measured (at least one whole step after one warm-up run of each program),
    // also the ResNets on a software adapter, and profiled per kernel family (the profile runs the
    // step's programs again dispatch by dispatch; --no-profile skips it).
    const profile = !flags.noProfile;
    results.push(await measureStep(workload, { iterations: flags.steps ?? 20, budgetSeconds, profile }));
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
  const preact = results.find((m) => m.workload.name === 'preact_resnet18');
  if (preact?.throughput && !flags.noPeer) {
    const width = flags.resnetWidth ?? 64;
    process.stderr.write('[bench] the same step in PyTorch (CPU) ...\n');
    const peer = torchPreactStep(preact.workload.batch, width);
    console.log(`\n## preact_resnet18 against PyTorch on this machine's CPU (scripts/torch-preact-step.py)`);
    if (typeof peer === 'string') console.log(`PyTorch not measured: ${peer}`);
    else {
      const ours = preact.throughput.msPerIteration;
      console.log(formatTable(
        ['PGD-10 AT step, batch ' + preact.workload.batch, 'ms/step', 'matc / PyTorch time'],
        [[`matc (${software ? 'software adapter' : 'GPU'})`, ours, (ours / peer.msPerStep).toFixed(2)], [`PyTorch ${peer.torch} CPU, ${peer.threads} threads`, peer.msPerStep, '1.00']],
      ));
    }
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

/** Every convolution shape of ResNet-18 and WRN-34-10 against the matmul (bench/conv-shapes.ts). */
async function convShapesSection(flags: BenchFlags, software: boolean): Promise<Awaited<ReturnType<typeof runConvShapes>>> {
  const batch = flags.resnetBatch ?? resnetBatch(software);
  process.stderr.write(`[bench] convolutions of ResNet-18 and WRN-34-10 shape by shape, batch ${batch} ...\n`);
  const rt = await Runtime.create();
  try {
    // --quick (the GPU check) times each kernel over 50 ms batches instead of 200.
    const result = await runConvShapes({ rt, batch, nets: ['resnet18', 'wrn34_10'], minBatchMs: flags.quick ? 50 : 200, rounds: flags.quick ? 1 : 2, ...(flags.resnetWidth ? { width: flags.resnetWidth } : {}) });
    console.log(`\n## convolutions shape by shape (ResNet-18, WRN-34-10; bench/conv-shapes.ts)\n${result.text}`);
    return result;
  } finally {
    rt.destroy();
  }
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
  const kernelText = wants(flags, 'kernels') ? await kernelSection(flags) : null;
  const steps = await stepSection(flags, b, adapter.software);
  if (wants(flags, 'eval')) await evaluationSection(flags, b);
  if (flags.only ? flags.only.has('memory') : !flags.quick) await memorySection();
  if (flags.ablations || flags.only?.has('ablations')) console.log(await runAblations(REFERENCE_CNN_PGD_AT, flags.steps ?? 3));
  // With --resnet, except --quick (the GPU check runs it as a part of its own, with its own limit).
  const convShapes = flags.only?.has('conv_shapes') || (flags.resnet && !flags.quick) ? await convShapesSection(flags, adapter.software) : null;
  if (flags.json) {
    writeFileSync(flags.json, `${JSON.stringify({
      date: new Date().toISOString(),
      adapter: adapter.line,
      software: adapter.software,
      loadAverage: loadavg()[0],
      kernels: kernelText,
      steps: steps.map((m) => ({
        name: m.workload.name,
        title: m.workload.title,
        batch: m.workload.batch,
        imagesPerSecond: m.throughput?.perSecond ?? null,
        msPerStep: m.throughput?.msPerIteration ?? null,
        timedSteps: m.throughput?.iterations ?? 0,
        compileSeconds: m.compileSeconds,
        dispatchesPerStep: m.stats.dispatches,
      })),
      convShapes: convShapes && { matmulGflops: convShapes.matmulGflops, rows: convShapes.rows },
    }, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
