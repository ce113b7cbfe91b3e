/**
 * Evaluating a model without writing a pipeline: `matc eval --model FILE --arch NAME --dataset D`.
 * The architecture is a model of the standard library (pipelines/models/*.mat), written as a name
 * (`wrn28_10`) or a call with arguments (`preact_resnet18(width: 8)`); the data set gives the class
 * count and input channels unless the call sets them. The evaluation pipeline is synthesized as .mat
 * text and checked like any file, so a wrong argument gets the checker's located message.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkSource, formatDiagnostics, standardLibraryDir, type ResolvedPipeline } from '../check/index.js';
import { datasets } from '../check/datasets.js';
import { parseSource } from '../syntax/parse.js';

/** The data sets `--dataset` accepts, in the CLI's spelling, and their names in the language. */
export const EVAL_DATASETS = { cifar10: 'cifar10', cifar100: 'cifar100', svhn: 'svhn', 'fashion-mnist': 'fashion_mnist', mnist: 'mnist' } as const;
export type EvalDatasetName = keyof typeof EVAL_DATASETS;

export class ArchitectureError extends Error {}

export interface Architecture {
  /** The model's name, e.g. `wrn28_10`. */
  name: string;
  /** Its file, relative to the standard library folder, e.g. `models/wide_resnet.mat`. */
  file: string;
  parameters: { name: string; hasDefault: boolean }[];
}

function matFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? matFiles(path) : name.endsWith('.mat') ? [path] : [];
    });
}

/** Every `model` definition of pipelines/models/, in file order. */
export function standardArchitectures(): Architecture[] {
  const lib = standardLibraryDir();
  const found: Architecture[] = [];
  for (const path of matFiles(join(lib, 'models'))) {
    const { ast } = parseSource(readFileSync(path, 'utf8'), path);
    for (const item of ast.items) {
      if (item.kind !== 'ModuleDefinition' || item.moduleKind !== 'model') continue;
      found.push({ name: item.name.text, file: relative(lib, path), parameters: item.parameters.map((p) => ({ name: p.name.text, hasDefault: p.default !== undefined })) });
    }
  }
  return found;
}

/** `name` or `name(arguments)`; the arguments stay .mat text for the checker. */
function splitArchitecture(text: string): { name: string; args: string } {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$/s.exec(text);
  if (!m) throw new ArchitectureError(`--arch '${text}' is not a model name or a call such as preact_resnet18(width: 8)`);
  return { name: m[1]!, args: (m[2] ?? '').trim() };
}

export interface StandaloneOptions {
  arch: string;
  dataset: EvalDatasetName;
  /** The class count, when the data set's own is not the model's (e.g. read off the checkpoint). */
  classes?: number;
  /** A folder of the data set (the pipeline's `path`); --data-dir is passed to loading separately. */
  dataPath?: string;
}

/** The .mat text of an evaluation-only pipeline for `arch` on `dataset`. */
export function standaloneSource(o: StandaloneOptions, architectures: readonly Architecture[] = standardArchitectures()): string {
  const { name, args } = splitArchitecture(o.arch);
  const arch = architectures.find((a) => a.name === name);
  if (!arch) {
    throw new ArchitectureError(`--arch ${name}: no such model in the standard library; known: ${architectures.map((a) => a.name).join(', ')}`);
  }
  const language = EVAL_DATASETS[o.dataset];
  const info = datasets[language];
  const given = new Set([...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*:/g)].map((m) => m[1]!));
  const extra: string[] = [];
  const declares = (p: string) => arch.parameters.some((q) => q.name === p);
  if (declares('classes') && !given.has('classes')) extra.push(`classes: ${o.classes ?? info.classes}`);
  if (declares('channels') && !given.has('channels')) extra.push(`channels: ${info.inputShape[0]}`);
  const call = `${name}(${[args, ...extra].filter((s) => s.length > 0).join(', ')})`;
  const data = o.dataPath !== undefined ? `data ${language} { path: ${JSON.stringify(o.dataPath)} }` : `data ${language} {}`;
  return [
    `# Synthesized by matc eval --model: ${name} on ${o.dataset}.`,
    `import ${JSON.stringify(arch.file)}`,
    '',
    'pipeline evaluate_checkpoint {',
    `  ${data}`,
    `  model f = ${call}`,
    '  minimize ce(f(x), y)',
    '}',
    '',
  ].join('\n');
}

/** The checked evaluation pipeline; a mistake in the architecture's arguments is an ArchitectureError with the checker's message. */
export function standalonePipeline(o: StandaloneOptions): ResolvedPipeline {
  const source = standaloneSource(o);
  const fileName = join(standardLibraryDir(), '<matc eval --arch>.mat');
  const result = checkSource(source, fileName);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !result.pipeline) {
    throw new ArchitectureError(`--arch ${o.arch} on ${o.dataset} does not check:\n${formatDiagnostics(errors, result.sources)}`);
  }
  return result.pipeline;
}

/** The threat model's eps when --eps is not given: the usual benchmark values (RobustBench; 0.1 for the MNISTs under L-inf). */
export function defaultEps(dataset: EvalDatasetName, norm: 'linf' | 'l2'): number | undefined {
  const grey = dataset === 'fashion-mnist' || dataset === 'mnist';
  if (norm === 'linf') return grey ? 0.1 : 8 / 255;
  return grey ? undefined : 0.5;
}
