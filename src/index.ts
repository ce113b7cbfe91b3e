/**
 * The embedding API.
 *
 *   import { compile } from 'matc';
 *   const program = compile('pipelines/quickstart/trades.mat', { overrides: ['train.epochs=2'] });
 *   if (!program.ok) console.error(program.formatDiagnostics());
 *   for await (const event of program.run({ outDir: 'runs/t', overrides: { 'train.batch': 64 } })) { ... }
 *
 * Overrides are the CLI's `--set key=value` strings (or a key -> value record), validated by the
 * same zod schema as the file's own settings.
 */
import { checkFile, checkSource, formatDiagnostics, type CheckOptions, type Diagnostic, type ResolvedPipeline } from './check/index.js';
import { runPipeline, defaultRunDir, type RunEvent, type RunOptions, type RunSummary } from './train/run.js';

export type { ResolvedPipeline, Diagnostic } from './check/index.js';
export type { RunEvent, RunSummary } from './train/run.js';
export type { EpochMetrics } from './train/trainer.js';
export { PipelineSettingsSchema } from './check/index.js';
export { Graph } from './ir/graph.js';
/** The op table to build a Graph with: `new Graph(OPS)`. */
export { OPS } from './ops/registry.js';
export { Tensor } from './ir/tensor.js';
export { grad } from './ir/autodiff.js';
export { Runtime } from './runtime/runtime.js';

export type Overrides = readonly string[] | Readonly<Record<string, string | number | boolean>>;

export interface CompileOptions {
  overrides?: Overrides;
  /** Which pipeline of the file, if it defines several. */
  pipeline?: string;
  /** Compile this text instead of reading the file (imports still resolve relative to it). */
  source?: string;
}

export interface RunProgramOptions extends Partial<Omit<RunOptions, 'outDir'>> {
  outDir?: string;
  /** Further overrides for this run (re-checked with the same schema). */
  overrides?: Overrides;
}

/** A run's events as they happen; `result` resolves when training ends. */
export interface RunHandle extends AsyncIterable<RunEvent> {
  result: Promise<RunSummary>;
}

export interface CompiledProgram {
  ok: boolean;
  pipeline?: ResolvedPipeline;
  diagnostics: Diagnostic[];
  formatDiagnostics(): string;
  run(options?: RunProgramOptions): RunHandle;
}

function overrideStrings(o: Overrides | undefined): string[] {
  if (!o) return [];
  if (Array.isArray(o)) return [...(o as readonly string[])];
  return Object.entries(o as Record<string, string | number | boolean>).map(([k, v]) => `${k}=${String(v)}`);
}

export function compile(path: string, options: CompileOptions = {}): CompiledProgram {
  const check = (extra: string[]) => {
    const opts: CheckOptions = { overrides: [...overrideStrings(options.overrides), ...extra], ...(options.pipeline ? { pipeline: options.pipeline } : {}) };
    return options.source !== undefined ? checkSource(options.source, path, opts) : checkFile(path, opts);
  };
  const result = check([]);
  const ok = result.pipeline !== undefined && !result.diagnostics.some((d) => d.severity === 'error');
  return {
    ok,
    pipeline: result.pipeline,
    diagnostics: result.diagnostics,
    formatDiagnostics: () => formatDiagnostics(result.diagnostics, result.sources),
    run(runOptions: RunProgramOptions = {}): RunHandle {
      const extra = overrideStrings(runOptions.overrides);
      const checked = extra.length ? check(extra) : result;
      if (!checked.pipeline) {
        const message = formatDiagnostics(checked.diagnostics, checked.sources);
        const failed = Promise.reject(new Error(`cannot run ${path}:\n${message}`));
        failed.catch(() => undefined);
        return { result: failed, async *[Symbol.asyncIterator]() { await failed; } };
      }
      return startRun(checked.pipeline, { ...runOptions, outDir: runOptions.outDir ?? defaultRunDir(checked.pipeline) });
    },
  };
}

/** Turn the callback-based runner into an async iterable of events plus a result promise. */
function startRun(p: ResolvedPipeline, options: RunOptions): RunHandle {
  const queue: RunEvent[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  const result = runPipeline(p, options, (e) => {
    queue.push(e);
    wake?.();
  }).finally(() => {
    finished = true;
    wake?.();
  });
  result.catch(() => undefined);
  return {
    result,
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (finished) {
          await result; // rethrows a failed run
          return;
        }
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
}

// Evaluating a checkpoint (PyTorch .pt/.pth or safetensors) without a pipeline: the same record as `matc eval`.
export { loadModel, loadDataset, evaluate, predict } from './eval/api.js';
export type { LoadModelOptions, LoadedModel, LoadDatasetOptions, EvalDataset, EvaluateOptions, EvalRecord, AttackRecord, SanityRecord, EvalProgress, EvalDatasetName } from './eval/api.js';
export { standardArchitectures, type Architecture } from './eval/standalone.js';
