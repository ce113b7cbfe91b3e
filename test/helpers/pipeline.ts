/**
 * Tests' pipelines: check a `.mat` source (or file) and return its resolved pipeline, failing the
 * test with every error diagnostic when it does not check.
 */
import { join } from 'node:path';
import { checkFile, checkSource, type CheckResult, type ResolvedPipeline } from '../../src/check/index.js';

export function pipelineOrThrow(r: CheckResult): ResolvedPipeline {
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(JSON.stringify(errors));
  return r.pipeline!;
}

/** `source` as if it were pipelines/NAME, so its imports (`models/mlp.mat`) resolve as the shipped pipelines' do. */
export function checkedSource(source: string, name: string): ResolvedPipeline {
  return pipelineOrThrow(checkSource(source, join(process.cwd(), 'pipelines', name)));
}

export function checkedFile(path: string): ResolvedPipeline {
  return pipelineOrThrow(checkFile(path));
}
