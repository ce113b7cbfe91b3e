/**
 * The evaluation half of the embedding API: load a checkpoint as a model, load a test set, and run
 * the same evaluation as `matc eval`, returning the same record.
 *
 *   const model = await loadModel('model.pt', { arch: 'preact_resnet18', dataset: 'cifar10' });
 *   try {
 *     const data = loadDataset('cifar10', { n: 1000, dataDir: '/data' });
 *     const record = await evaluate(model, data, { attacks: 'natural,aa', eps: 8 / 255 });
 *     console.log(record.attacks['AutoAttack']?.accuracy);   // keyed by the table label
 *   } finally { model.dispose(); }
 */
import { resolve } from 'node:path';
import type { ResolvedModel, ResolvedPipeline } from '../check/index.js';
import { checkFile, formatDiagnostics } from '../check/index.js';
import { evalClassifier } from '../attacks/classifier.js';
import { loadDataset as loadSplit, subset, type Dataset } from '../data/index.js';
import { catalogName } from '../lower/data-setup.js';
import { loadModel as loadWeights } from '../io/checkpoint.js';
import { Runtime } from '../runtime/runtime.js';
import { modelVariableName } from '../lower/model.js';
import { parseAttackList } from './attack-plan.js';
import { evaluateRobustness, type EvalData, type EvalProgress } from './evaluate.js';
import type { EvalRecord } from './record.js';
import { defaultEps, EVAL_DATASETS, standalonePipeline, type EvalDatasetName } from './standalone.js';
import { weightsIdentity } from './targets.js';
import { RobustEvaluator } from '../attacks/robust-eval.js';

export type { EvalRecord, AttackRecord, SanityRecord } from './record.js';
export type { EvalProgress } from './evaluate.js';
export type { EvalDatasetName } from './standalone.js';

export interface LoadModelOptions {
  /** A standard-library model (`wrn28_10`, `preact_resnet18(width: 8)`), with `dataset`; or use `pipeline`. */
  arch?: string;
  /** The data set the model is for: sets the class count and input channels of `arch`. */
  dataset?: EvalDatasetName;
  classes?: number;
  /** Instead of `arch`: a .mat file whose model the checkpoint holds. */
  pipeline?: string;
  /**
   * A runtime to load into (one is created, and owned by the model, otherwise). A runtime holds one
   * model's weights at a time: loading another model into it replaces them.
   */
  runtime?: Runtime;
}

/** Weights on the GPU, ready to evaluate. Call `dispose()` when done so Node can exit. */
export interface LoadedModel {
  readonly path: string;
  readonly model: ResolvedModel;
  readonly pipeline: ResolvedPipeline;
  readonly runtime: Runtime;
  /** Content hash of the checkpoint file, as evaluation records name the weights. */
  readonly weights: string;
  dispose(): void;
}

function pipelineFor(options: LoadModelOptions): ResolvedPipeline {
  if (options.arch !== undefined) {
    if (options.dataset === undefined) throw new Error(`loadModel: arch needs a dataset (${Object.keys(EVAL_DATASETS).join(', ')})`);
    return standalonePipeline({ arch: options.arch, dataset: options.dataset, ...(options.classes !== undefined ? { classes: options.classes } : {}) });
  }
  if (options.pipeline === undefined) throw new Error('loadModel: pass arch (with dataset) or pipeline');
  const result = checkFile(options.pipeline);
  if (!result.pipeline) throw new Error(`loadModel: ${options.pipeline} does not check:\n${formatDiagnostics(result.diagnostics, result.sources)}`);
  return result.pipeline;
}

/** Read a .pt/.pth/.safetensors checkpoint into a model of the standard library (or of a pipeline). */
export async function loadModel(file: string, options: LoadModelOptions): Promise<LoadedModel> {
  const pipeline = pipelineFor(options);
  const owned = options.runtime === undefined;
  const runtime = options.runtime ?? (await Runtime.create());
  try {
    // A shared runtime may hold another architecture's weights under the same names: free those
    // whose shape differs (a runtime holds one model's weights at a time).
    for (const spec of pipeline.model.stateDict) {
      const name = modelVariableName(spec.name);
      if (runtime.variables.has(name) && runtime.variables.get(name).shape.join(',') !== spec.shape.join(',')) runtime.variables.drop(name);
    }
    await loadWeights(file, pipeline.model, runtime.variables);
  } catch (e) {
    if (owned) runtime.destroy();
    throw e;
  }
  let disposed = false;
  return {
    path: resolve(file),
    model: pipeline.model,
    pipeline,
    runtime,
    weights: weightsIdentity(file),
    dispose() {
      if (disposed || !owned) return;
      disposed = true;
      runtime.destroy();
    },
  };
}

export interface LoadDatasetOptions {
  /** Default 'test'. */
  split?: 'train' | 'test';
  /** The first n examples. */
  n?: number;
  /** Where the data sets are (as --data-dir; MATC_DATA_DIR and the system folders are searched too). */
  dataDir?: string;
}

/** Examples as evaluation takes them: NCHW images in [0, 1], labels, and their dataset indices. */
export interface EvalDataset extends EvalData {
  readonly name: string;
}

export function loadDataset(name: EvalDatasetName, options: LoadDatasetOptions = {}): EvalDataset {
  if (!Object.hasOwn(EVAL_DATASETS, name)) throw new Error(`loadDataset: unknown data set '${name}'; matc reads ${Object.keys(EVAL_DATASETS).join(', ')}`);
  const full: Dataset = loadSplit(catalogName(EVAL_DATASETS[name]), options.split ?? 'test', options.dataDir !== undefined ? { dataDir: options.dataDir } : {});
  const ds = options.n !== undefined ? subset(full, { first: Math.min(options.n, full.n) }) : full;
  return { name: ds.name, images: ds.images, labels: ds.labels, indices: ds.indices, n: ds.n, inputShape: [ds.channels, ds.height, ds.width], classes: ds.classes };
}

export interface EvaluateOptions {
  /** Comma list as `matc eval --attacks` (default 'natural,pgd10,aa'). */
  attacks?: string;
  /** Default: the pipeline's training attack, else the data set's usual budget. */
  eps?: number;
  norm?: 'linf' | 'l2';
  seed?: number;
  batch?: number;
  onProgress?(p: EvalProgress): void;
}

/** The robust accuracy of `model` on `data` under the attacks: the record `matc eval --out` writes. */
export async function evaluate(model: LoadedModel, data: EvalDataset, options: EvaluateOptions = {}): Promise<EvalRecord> {
  const ball = model.pipeline.attacks[0]?.ball;
  const norm = options.norm ?? ball?.norm ?? 'linf';
  const datasetName = (Object.keys(EVAL_DATASETS) as EvalDatasetName[]).find((k) => catalogName(EVAL_DATASETS[k]) === data.name);
  const eps = options.eps ?? (ball && ball.norm === norm ? ball.eps : undefined) ?? (datasetName ? defaultEps(datasetName, norm) : undefined);
  if (eps === undefined) throw new Error(`evaluate: no usual ${norm} eps for ${data.name}; pass eps`);
  const plans = parseAttackList(options.attacks ?? 'natural,pgd10,aa');
  return evaluateRobustness(model.runtime, evalClassifier(model.model), data, {
    threat: { norm, eps },
    seed: options.seed ?? 0,
    batch: options.batch ?? 500,
    plans,
    weights: model.weights,
    checkpoint: model.path,
    dataset: data.name,
    pipeline: model.pipeline.name,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/**
 * The model's logits on `images` (NCHW in [0, 1], n * C * H * W floats) in evaluation mode, as a
 * row-major [n, classes] array: what to compare with PyTorch's `model.eval()(x)`.
 */
export async function predict(model: LoadedModel, images: Float32Array, options: { batch?: number } = {}): Promise<Float32Array> {
  const inputShape = model.model.inputShape;
  const classes = model.model.outputShape[0]!;
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (images.length % size !== 0) throw new Error(`predict: ${images.length} floats are not a whole number of [${inputShape.join(', ')}] images`);
  const n = images.length / size;
  const b = Math.max(1, Math.min(options.batch ?? 256, n));
  const evaluator = new RobustEvaluator(model.runtime, model.model, inputShape, 0);
  const out = new Float32Array(n * classes);
  for (let start = 0; start < n; start += b) {
    const rows = Math.min(b, n - start);
    const x = new Float32Array(b * size);
    x.set(images.subarray(start * size, (start + rows) * size));
    evaluator.setBatch(b, x, new Int32Array(b), Int32Array.from({ length: b }, (_, i) => start + i));
    const logits = await evaluator.naturalLogits(b);
    out.set(logits.subarray(0, rows * classes), start * classes);
  }
  return out;
}
