/**
 * `matc eval CHECKPOINT_OR_RUN_DIR [--pipeline FILE] [--attacks natural,pgd10,...] [--eps E] ...`:
 * robust accuracy of a checkpoint (matc's or any safetensors file with the PyTorch names of a model
 * the pipeline defines) under the paper's attacks. A run directory evaluates model-best and
 * model-final, prints the Best / Final / Diff table and writes eval/best.json and eval/final.json
 * for `matc report`. Progress goes to stderr; the per-example record (--out, or eval/<kind>.record.json
 * in a run directory) is rewritten after every chunk, and a rerun resumes from it.
 */
import { resolve } from 'node:path';
import type { ResolvedPipeline } from '../../check/index.js';
import { Runtime } from '../../runtime/runtime.js';
import { loadModel } from '../../io/checkpoint.js';
import { evalClassifier } from '../../attacks/classifier.js';
import { writeEvalSummary, type EvalSummary } from '../../report/eval-summary.js';
import { runPath } from '../../io/run-dir.js';
import { parseAttackList, AttackPlanError } from '../../eval/attack-plan.js';
import { evaluateRobustness, recordSettings, type EvalProgress } from '../../eval/evaluate.js';
import { loadRecordForResume, saveRecord, EvalRecordError, type EvalRecord } from '../../eval/record.js';
import { evalTargets, recordedPipeline, weightsIdentity, EvalTargetError, isRunDirectory, type EvalTarget } from '../../eval/targets.js';
import { loadEvalData } from '../../eval/eval-data.js';
import { dataSourceLine, locatePipelineSplit } from '../../lower/data-setup.js';
import { checkpointTable, bestFinalTable } from '../../eval/table.js';
import { loadPipeline } from '../../check/load-pipeline.js';
import { ArchitectureError, defaultEps, EVAL_DATASETS, standardArchitectures, standalonePipeline, type EvalDatasetName } from '../../eval/standalone.js';
import { UserError } from '../../util/errors.js';
import type { QueueConnection } from '../../queue/connection.js';
import type { EvalShardJobData } from '../../queue/jobs.js';

export const DEFAULT_ATTACKS = 'natural,pgd10,pgd1000,cw1000,aa';

export interface EvalCommandOptions {
  target: string;
  pipeline?: string;
  /** A standard-library model to evaluate the checkpoint as, instead of a pipeline (`--arch`). */
  arch?: string;
  /** With `arch`: the data set (`--dataset`), and the class count when not the data set's. */
  dataset?: EvalDatasetName;
  classes?: number;
  overrides: string[];
  dataDir?: string;
  attacks: string;
  eps?: number;
  norm?: 'linf' | 'l2';
  n?: number;
  seed: number;
  batch: number;
  out?: string;
  /** Evaluate through the queue (`--queue URL`), split into this many shard jobs (`--shards N`). */
  queue?: QueueConnection;
  shards?: number;
}

export async function evalCommand(o: EvalCommandOptions, out: (s: string) => void): Promise<void> {
  try {
    await run(o, out);
  } catch (e) {
    if (e instanceof EvalTargetError || e instanceof EvalRecordError || e instanceof AttackPlanError || e instanceof ArchitectureError) throw new UserError(`eval: ${e.message}`);
    throw e;
  }
}

async function run(o: EvalCommandOptions, out: (s: string) => void): Promise<void> {
  const runDir = isRunDirectory(o.target) ? o.target : undefined;
  if (runDir && o.out) throw new UserError('eval: --out is for a single checkpoint; a run directory writes RUN_DIR/eval/');
  const targets = evalTargets(o.target);
  const { p, spec } = await pipelineOf(o, targets, runDir);
  const threat = threatOf(p, o);
  const plans = parseAttackList(o.attacks);
  const data = loadEvalData(p, { dataDir: o.dataDir, n: o.n });
  process.stderr.write(`${dataSourceLine(p, { test: locatePipelineSplit(p, 'test', { dataDir: o.dataDir }) })}\n`);
  // Loaded only here: local evaluations do not pay for BullMQ and ioredis.
  const sharded = o.queue ? { connection: o.queue, shards: await import('../../queue/eval-shards.js') } : null;
  if (sharded) await (await import('../../queue/connection.js')).checkReachable(sharded.connection);
  // The sharded path needs no GPU here: the workers have them.
  const rt = sharded ? null : await Runtime.create();
  try {
    const records: Partial<Record<'best' | 'final', EvalRecord>> = {};
    for (const t of targets) {
      const recordPath = recordPathOf(t, runDir, o.out);
      const options = { threat, seed: o.seed, batch: o.batch, plans, weights: weightsIdentity(t.path), checkpoint: t.kind ?? resolve(t.path), dataset: data.name, pipeline: p.name };
      let record: EvalRecord;
      if (sharded) {
        process.stderr.write(`matc eval ${t.path}: ${data.n} ${data.name} test examples, ${threat.norm} eps ${threat.eps}, attacks ${plans.map((pl) => pl.label).join(', ')}, ${o.shards ?? 1} shard(s) on ${sharded.connection.display}\n`);
        record = await sharded.shards.evaluateSharded(
          { checkpointPath: resolve(t.path), checkpointLabel: options.checkpoint, pipeline: spec, ...(o.dataDir ? { dataDir: resolve(o.dataDir) } : {}), attacks: o.attacks, threat, ...(o.n !== undefined ? { n: o.n } : {}), seed: o.seed, batch: o.batch, weights: options.weights, dataset: data.name, pipelineName: p.name },
          { connection: sharded.connection, shards: o.shards ?? 1, total: data.n, recordPath, label: t.kind ?? 'checkpoint' },
          (s) => process.stderr.write(`${s}\n`),
        );
        saveRecord(recordPath, record);
      } else {
        await loadModel(t.path, p.model, rt!.variables);
        const resume = loadRecordForResume(recordPath, recordSettings(data, options));
        process.stderr.write(`matc eval ${t.path}: ${data.n} ${data.name} test examples, ${threat.norm} eps ${threat.eps}, attacks ${plans.map((pl) => pl.label).join(', ')}${resume ? ` (resuming ${recordPath})` : ''}\n`);
        const progress = new EvalProgressView();
        record = await evaluateRobustness(rt!, evalClassifier(p.model), data, { ...options, resume, onProgress: (e) => progress.update(e), onSave: (r) => saveRecord(recordPath, r) });
        progress.clear();
      }
      for (const w of record.sanity.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const a of Object.values(record.attacks)) if (a.reduced) process.stderr.write(`note: ${a.label} is ${a.reduced}\n`);
      if (t.kind && runDir) {
        records[t.kind] = record;
        await writeEvalSummary(runDir, summaryOf(t.kind, record));
      } else {
        out(checkpointTable(record));
        out(`per-example flags: ${recordPath}`);
      }
    }
    if (runDir) {
      out(bestFinalTable(records.best, records.final));
      out(`written: ${Object.keys(records).map((k) => `${runPath(runDir, 'evalDir')}/${k}.json`).join(', ')}`);
    }
  } finally {
    rt?.destroy();
  }
}

/**
 * The pipeline that defines model and data: --arch and --dataset, --pipeline, or the one the
 * checkpoint records; with how to rebuild it on a queue worker (spec).
 */
async function pipelineOf(o: EvalCommandOptions, targets: readonly EvalTarget[], runDir: string | undefined): Promise<{ p: ResolvedPipeline; spec: EvalShardJobData['pipeline'] }> {
  if (o.arch !== undefined) {
    if (o.pipeline !== undefined) throw new UserError('eval: give either --arch (with --dataset) or --pipeline, not both');
    if (o.dataset === undefined) throw new UserError(`eval: --arch needs --dataset (${Object.keys(EVAL_DATASETS).join(', ')})`);
    if (o.overrides.length) throw new UserError('eval: --set needs --pipeline; with --arch, put model arguments in the call, e.g. --arch "preact_resnet18(width: 8)"');
    const p = standalonePipeline({ arch: o.arch, dataset: o.dataset, ...(o.classes !== undefined ? { classes: o.classes } : {}) });
    return { p, spec: { arch: o.arch, dataset: o.dataset, ...(o.classes !== undefined ? { classes: o.classes } : {}) } };
  }
  if (o.dataset !== undefined) throw new UserError('eval: --dataset goes with --arch; a pipeline names its own data');
  const first = targets[0]!.path;
  if (o.pipeline === undefined && !first.endsWith('.safetensors')) {
    throw new UserError(`eval: ${first} is not a matc checkpoint; say what network it holds with --arch NAME --dataset D (models: ${standardArchitectures().map((a) => a.name).join(', ')})`);
  }
  const file = o.pipeline ?? (await recordedPipeline(first, runDir));
  return { p: loadPipeline(file, o.overrides), spec: { file: resolve(file), overrides: o.overrides } };
}

function threatOf(p: ResolvedPipeline, o: EvalCommandOptions): { norm: 'linf' | 'l2'; eps: number } {
  const ball = p.attacks[0]?.ball;
  const norm = o.norm ?? ball?.norm ?? 'linf';
  const eps = o.eps ?? (ball && ball.norm === norm ? ball.eps : undefined) ?? (o.dataset ? defaultEps(o.dataset, norm) : undefined);
  if (eps === undefined) throw new UserError(`eval: ${o.arch !== undefined ? `no usual ${norm} eps for ${o.dataset}` : `the pipeline has no ${norm} training attack to take eps from`}; pass --eps`);
  return { norm, eps };
}

function recordPathOf(t: EvalTarget, runDir: string | undefined, out: string | undefined): string {
  if (t.kind && runDir) return `${runPath(runDir, 'evalDir')}/${t.kind}.record.json`;
  return out ?? `${t.path.replace(/\.(safetensors|pth?)$/, '')}.eval.json`;
}

export function summaryOf(kind: 'best' | 'final', r: EvalRecord): EvalSummary {
  const attacks: EvalSummary['attacks'] = {};
  for (const a of Object.values(r.attacks)) if (a.accuracy !== null) attacks[a.id] = { accuracy: a.accuracy, n: a.n, title: a.label };
  return { checkpoint: kind, attacks };
}

/** One rewritten line on a terminal, a line every few seconds otherwise. */
class EvalProgressView {
  private readonly tty = Boolean(process.stderr.isTTY);
  private last = 0;
  private active = false;

  update(e: EvalProgress): void {
    const now = performance.now();
    if (!this.tty && now - this.last < 5000 && e.done < e.total) return;
    this.last = now;
    const detail = e.detail !== undefined ? `, chunk at ${e.detail}` : '';
    const text = `${e.attack} [${e.stage}] ${e.done}/${e.total} examples${detail} ${e.seconds.toFixed(0)}s`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.active = true;
    } else process.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (this.tty && this.active) process.stderr.write('\r\x1b[2K');
    this.active = false;
  }
}


