/** Check a standard-library pipeline for a bench, with `--set`-style overrides; errors are fatal. */
import { resolve } from 'node:path';
import { checkFile, formatDiagnostics, type ResolvedPipeline } from '../../src/check/index.js';
import { hasErrors } from '../../src/check/diagnostics.js';

/** Repository root: bench files run from dist/bench/**, sources live at the root. */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

export function loadPipeline(relativePath: string, overrides: readonly string[] = []): ResolvedPipeline {
  const result = checkFile(resolve(ROOT, relativePath), { overrides });
  if (!result.pipeline || hasErrors(result.diagnostics)) {
    throw new Error(`${relativePath} does not check:\n${formatDiagnostics(result.diagnostics, result.sources)}`);
  }
  return result.pipeline;
}
