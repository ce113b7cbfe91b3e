/**
 * The front end's public API: parse, check, and the resolved pipeline types.
 *
 *   const { pipeline, diagnostics } = checkFile('pipelines/trades.mat', { overrides: ['train.epochs=5'] });
 */
import { resolve } from 'node:path';
import type { SourceFile } from '../syntax/ast.js';
import { hasErrors, type Diagnostic } from '../syntax/diagnostic.js';
import { parseSource } from '../syntax/parse.js';
import { diskHost, loadProgram, type FileHost, type Program } from './imports.js';
import { collectStateDict, ModelBuilder } from './models.js';
import { inferShapes } from './shapes.js';
import { checkPipeline, collectDefinitions } from './pipeline.js';
import type { ResolvedModel, ResolvedPipeline, Shape } from './resolved.js';
import { ConstScope, type ConstValue } from './const-eval.js';
import { diagnostic } from '../syntax/diagnostic.js';
import { fileStartSpan } from '../syntax/span.js';

export * from './resolved.js';
export * from '../typed/typed-expr.js';
export type { ExprType } from '../typed/expr-type.js';
export type { FunctionName } from '../typed/function-names.js';
export { formatDiagnostic, formatDiagnostics } from './diagnostics.js';
export type { Diagnostic, Severity } from './diagnostics.js';
export { PipelineSettingsSchema, type PipelineSettings, type PipelineSettingsInput } from './settings.js';
export { applyOverrides, overrideFile, type OverrideResult } from './overrides.js';
export { standardLibraryDir, type FileHost } from './imports.js';

export interface CheckOptions {
  /** `key=value` settings overrides, applied after the file's settings (see overrides.ts). */
  overrides?: readonly string[];
  /** Which pipeline of the file to resolve; needed only when it defines several. */
  pipeline?: string;
  /** In-memory files (path -> text) consulted before the disk, e.g. for tests and editors. */
  files?: Readonly<Record<string, string>>;
}

export interface CheckResult {
  /** Present when the file defines a pipeline and it checks without errors. */
  pipeline?: ResolvedPipeline;
  diagnostics: Diagnostic[];
  /** File name (as shown in diagnostics) -> text, for formatDiagnostics. */
  sources: Map<string, string>;
}

/** Parse one file's text into an AST (no imports, no checking). */
export function parseFile(text: string, fileName: string): { ast: SourceFile; diagnostics: Diagnostic[] } {
  return parseSource(text, fileName);
}

function hostWith(files: CheckOptions['files']): FileHost {
  const disk = diskHost();
  if (!files) return disk;
  const memory = new Map(Object.entries(files).map(([path, text]) => [resolve(path), text]));
  return { read: (path) => memory.get(path) ?? disk.read(path), standardLibrary: disk.standardLibrary };
}

/** Check the file at `path` (and its imports) and resolve its pipeline. */
export function checkFile(path: string, options: CheckOptions = {}): CheckResult {
  return checkLoaded(loadProgram(path, hostWith(options.files)), options);
}

/** Check `text` as if it were the file `fileName` (imports resolve relative to it). */
export function checkSource(text: string, fileName: string, options: CheckOptions = {}): CheckResult {
  return checkLoaded(loadProgram(fileName, hostWith(options.files), text, fileName), options);
}

function checkLoaded(loaded: Program | { diagnostics: Diagnostic[] }, options: CheckOptions): CheckResult {
  if (!('entry' in loaded)) return { diagnostics: loaded.diagnostics, sources: new Map() };
  const program = loaded;
  const diagnostics = [...program.diagnostics];
  const result: CheckResult = { diagnostics, sources: program.sources };
  if (hasErrors(diagnostics)) return result;
  if (program.entry.ast.items.length === 0) {
    // Almost always the wrong file (or an unsaved one): say so rather than "ok".
    diagnostics.push(diagnostic('emptyFile', fileStartSpan(program.entry.displayName), { file: program.entry.displayName }));
    return result;
  }
  const definitions = collectDefinitions(program, diagnostics);
  const pipelines = program.entry.ast.items.filter((i) => i.kind === 'PipelineDefinition');
  const fileScope = definitions.fileScopes.get(program.entry.path)!;
  if (pipelines.length === 0) {
    // A library of models: instantiate every model whose parameters all have defaults.
    const builder = new ModelBuilder(definitions.registry, diagnostics);
    for (const item of program.entry.ast.items) {
      if (item.kind !== 'ModuleDefinition' || item.moduleKind !== 'model' || item.parameters.some((p) => !p.default)) continue;
      builder.instantiate(definitions.registry.get(item.name.text)!, [], item.name.span, fileScope, '', '');
    }
    return result;
  }
  const chosen = options.pipeline ? pipelines.find((p) => p.name.text === options.pipeline) : pipelines[0];
  if (!chosen) {
    diagnostics.push(diagnostic('noSuchPipeline', pipelines[0]!.name.span, { name: options.pipeline!, file: program.entry.displayName }));
    return result;
  }
  if (!options.pipeline && pipelines.length > 1) {
    diagnostics.push(diagnostic('ambiguousPipeline', pipelines[1]!.name.span, { file: program.entry.displayName, count: pipelines.length }, `pass the pipeline name, e.g. \`${chosen.name.text}\``));
    return result;
  }
  const pipeline = checkPipeline(chosen, fileScope, definitions, diagnostics, options.overrides ? { overrides: options.overrides } : {});
  if (pipeline && !hasErrors(diagnostics)) result.pipeline = pipeline;
  return result;
}

/**
 * Instantiate one model definition of a file with named arguments, and infer shapes if
 * `inputShape` is given. For tooling and tests (e.g. listing state_dict names).
 */
export function instantiateModel(path: string, model: string, args: Readonly<Record<string, ConstValue>> = {}, inputShape?: Shape, options: Pick<CheckOptions, 'files'> = {}): { model?: Omit<ResolvedModel, 'inputShape' | 'outputShape'> & { inputShape?: Shape; outputShape?: Shape }; diagnostics: Diagnostic[] } {
  const loaded = loadProgram(path, hostWith(options.files));
  if (!('entry' in loaded)) return { diagnostics: loaded.diagnostics };
  const diagnostics = [...loaded.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const definitions = collectDefinitions(loaded, diagnostics);
  const entry = definitions.registry.get(model);
  if (!entry) {
    diagnostics.push(diagnostic('noSuchModel', loaded.entry.ast.span, { name: model, file: path }));
    return { diagnostics };
  }
  const callerScope = new ConstScope();
  const argNodes = Object.entries(args).map(([name, value]) => {
    callerScope.set(`__arg_${name}`, value);
    const span = entry.definition.name.span;
    return { kind: 'Argument' as const, name: { kind: 'Name' as const, text: name, span }, value: { kind: 'Identifier' as const, name: `__arg_${name}`, span }, span };
  });
  const builder = new ModelBuilder(definitions.registry, diagnostics);
  const root = builder.instantiate(entry, argNodes, entry.definition.name.span, callerScope, '', '');
  if (!root || root === 'none') return { diagnostics };
  const outputShape = inputShape ? inferShapes(root, inputShape, `model \`${model}\``, diagnostics) : undefined;
  const resolved = { binding: model, definition: model, args: { ...args }, root, stateDict: collectStateDict(root), ...(inputShape ? { inputShape } : {}), ...(outputShape ? { outputShape } : {}) };
  return { model: resolved, diagnostics };
}

