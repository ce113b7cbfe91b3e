/**
 * Which pipeline (file and overrides) produced a run directory: a sweep records it in
 * sweep-run.json; otherwise the caller names the file (and --set overrides).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFile, formatDiagnostics, type ResolvedPipeline } from '../check/index.js';
import { RUN_RECORD, runRecordSchema } from '../sweep/run-state.js';
import { readJsonFile } from '../util/json-file.js';

export class AnalysisInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisInputError';
  }
}

export function checkPipelineFile(file: string, overrides: readonly string[]): ResolvedPipeline {
  if (!existsSync(file)) throw new AnalysisInputError(`${file}: no such file`);
  const r = checkFile(file, { overrides });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !r.pipeline) throw new AnalysisInputError(errors.length ? formatDiagnostics(errors, r.sources) : `${file}: defines no pipeline`);
  return r.pipeline;
}

export function pipelineOfRun(runDir: string, fallback?: { file: string; overrides: readonly string[] }): ResolvedPipeline {
  const recordPath = join(runDir, RUN_RECORD);
  if (existsSync(recordPath)) {
    const rec = readJsonFile(recordPath, runRecordSchema, 'a matc sweep run record');
    if (!rec.ok) throw new AnalysisInputError(rec.reason);
    return checkPipelineFile(rec.value.file, rec.value.overrides);
  }
  if (!fallback) throw new AnalysisInputError(`${runDir}: no ${RUN_RECORD} (not made by matc sweep); name its pipeline with --pipeline FILE [--set ...]`);
  return checkPipelineFile(fallback.file, fallback.overrides);
}

export function finalCheckpoint(runDir: string): string {
  const path = join(runDir, 'model-final.safetensors');
  if (!existsSync(path)) throw new AnalysisInputError(`${runDir}: no model-final.safetensors (has the run finished an epoch?)`);
  return path;
}
