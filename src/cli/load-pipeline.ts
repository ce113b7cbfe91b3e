/** Check a .mat file for the CLI: diagnostics are printed and become a UserError. */
import { existsSync } from 'node:fs';
import { checkFile, formatDiagnostics, type ResolvedPipeline } from '../check/index.js';
import { UserError } from './errors.js';

export function loadPipeline(file: string, overrides: readonly string[] = [], pipeline?: string): ResolvedPipeline {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const result = checkFile(file, { overrides, ...(pipeline ? { pipeline } : {}) });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d) => d.severity !== 'error');
  if (warnings.length) process.stderr.write(`${formatDiagnostics(warnings, result.sources)}\n`);
  if (errors.length || !result.pipeline) {
    const text = errors.length ? formatDiagnostics(errors, result.sources) : `${file}: defines no pipeline`;
    throw new UserError(`${text}\n${errors.length} error${errors.length === 1 ? '' : 's'}`);
  }
  return result.pipeline;
}
